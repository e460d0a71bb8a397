// mdevctl's definition files, byte for byte: /etc/mdevctl.d/<parent>/<uuid>, one pretty JSON object
// {mdev_type, start, attrs} with no final newline. Reading is as tolerant as mdevctl (any layout,
// missing attrs, unknown keys, any start but "auto" is manual) and refuses what mdevctl refuses (or
// crashes on). Listings imitate mdevctl 1.2.0's `list -d` and `list -d --dumpjson` output, which
// ends in println!'s extra newline. The vfio_ap attrs of a matrix are spelled here, once.
import { lstatSync, mkdirSync, readdirSync, readFileSync, unlinkSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { InputError, ZmdevError } from '../errors.js';
import { readRegularFile, writeFileAtomic } from '../files/atomic.js';
import { ApMask } from '../mask/ap-mask.js';
import { parseKernelId } from '../mask/grammar.js';
import { idHex, parseUuid, type IdKind, type Uuid } from '../mask/ids.js';
import type { ApMatrix } from '../mask/matrix.js';
import { makeDefinition, type DefinitionAttr, type MdevDefinition } from '../mdev/definition.js';

/** mdevctl's configuration directory, relative to a configuration root ('/' on a host). */
export const MDEVCTL_DIR = 'etc/mdevctl.d';

type Config = Pick<MdevDefinition, 'type' | 'start' | 'attrs'>;

// makeDefinition is the one rule for type, start and attribute names; a config has no UUID or
// parent of its own, so these two stand in while it is checked.
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const ANY_PARENT = 'matrix';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function configError(where: string, input: string, message: string, cause?: unknown): InputError {
  return new InputError({ code: 'EINVAL', input, message: `${where}: ${message}`, ...(cause === undefined ? {} : { cause }) });
}

function checkedConfig(c: Config, where: string, input: string): Config {
  let d: MdevDefinition;
  try {
    d = makeDefinition({ uuid: NIL_UUID, parent: ANY_PARENT, type: c.type, start: c.start, attrs: c.attrs });
  } catch (e) {
    throw configError(where, input, `${(e as Error).message}; mdevctl writes the type and each attribute name into a sysfs path`, e);
  }
  return { type: d.type, start: d.start, attrs: d.attrs };
}

function configObject(c: Config): { mdev_type: string; start: string; attrs: Record<string, string>[] } {
  return { mdev_type: c.type, start: c.start, attrs: c.attrs.map((a) => ({ ...a })) };
}

/**
 * The bytes mdevctl writes for a definition: serde_json's pretty form (two-space indent, keys
 * mdev_type, start, attrs in that order, `[]` when empty, no final newline). `compact` gives the
 * form callouts read on stdin: `{"mdev_type":…,"start":…,"attrs":[…]}`. JSON.stringify escapes
 * exactly what serde_json escapes (`"`, `\`, control characters; `/` and non-ASCII are kept).
 */
export function formatMdevctlConfig(d: Config, opts: { compact?: boolean } = {}): string {
  const c = checkedConfig(d, 'mdevctl config', JSON.stringify(d));
  for (const text of [c.type, ...c.attrs.flatMap((a) => Object.values(a))]) {
    if (LONE_SURROGATE.test(text)) {
      throw configError('mdevctl config', text, `${JSON.stringify(text)} holds a lone UTF-16 surrogate, which mdevctl cannot read back; give well-formed text`);
    }
  }
  return JSON.stringify(configObject(c), null, opts.compact ? undefined : 2);
}

/** True when some key or string anywhere in a parsed JSON value holds a lone surrogate (serde_json refuses the file). */
function hasLoneSurrogate(v: unknown): boolean {
  const stack: unknown[] = [v];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x === 'string') {
      if (LONE_SURROGATE.test(x)) return true;
    } else if (Array.isArray(x)) {
      stack.push(...x);
    } else if (typeof x === 'object' && x !== null) {
      for (const [k, val] of Object.entries(x)) stack.push(k, val);
    }
  }
  return false;
}

const FORMAT = 'an mdevctl config is {"mdev_type": "<type>", "start": "auto"|"manual", "attrs": [{"<name>": "<value>"}, …]}';

/**
 * Reads a definition as mdevctl does: any JSON layout, a final newline or none, `attrs` missing or
 * null, unknown keys ignored, a `start` other than "auto" taken as manual. Refused (InputError
 * EINVAL naming `where`): bad JSON, no `mdev_type` or `start` (or null), a non-string type,
 * `attrs` not an array, an attribute that is not a one-key object or whose value is not a string.
 */
export function parseMdevctlConfig(text: string, where: string): Config {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw configError(where, text, `not JSON (${(e as Error).message}); mdevctl refuses the file and every listing that includes it: ${FORMAT}`, e);
  }
  if (hasLoneSurrogate(json)) {
    throw configError(where, text, `a \\u escape leaves a lone UTF-16 surrogate, which mdevctl refuses as JSON; escape a character outside the BMP as a surrogate pair`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw configError(where, text, `the file holds ${Array.isArray(json) ? 'an array' : JSON.stringify(json)}, not an object (mdevctl: invalid json); ${FORMAT}`);
  }
  const o = json as Record<string, unknown>;
  for (const key of ['mdev_type', 'start']) {
    if (o[key] === undefined || o[key] === null) {
      throw configError(where, text, `"${key}" is ${o[key] === null ? 'null' : 'missing'} (mdevctl: invalid json); ${FORMAT}`);
    }
  }
  if (typeof o.mdev_type !== 'string') {
    throw configError(where, text, `"mdev_type" is ${JSON.stringify(o.mdev_type)}, not a string (mdevctl 1.2.0 crashes on it); write the type in quotes`);
  }
  const attrs: DefinitionAttr[] = [];
  if (o.attrs !== undefined && o.attrs !== null) {
    if (!Array.isArray(o.attrs)) {
      throw configError(where, text, `"attrs" is ${JSON.stringify(o.attrs)}, not an array (mdevctl: attributes field is not an array); write "attrs": [{"<name>": "<value>"}, …]`);
    }
    o.attrs.forEach((a: unknown, i) => {
      const shown = `attrs[${i}] ${JSON.stringify(a)}`;
      if (typeof a !== 'object' || a === null || Array.isArray(a)) {
        throw configError(where, text, `${shown} is not an object (mdevctl: invalid JSON format for attribute: not an object); write {"<name>": "<value>"}`);
      }
      const entries = Object.entries(a);
      if (entries.length !== 1) {
        throw configError(where, text, `${shown} has ${entries.length} keys, not one (mdevctl: invalid JSON format for attribute: too many fields); give each attribute its own {"<name>": "<value>"}`);
      }
      const [name, value] = entries[0]!;
      if (typeof value !== 'string') {
        throw configError(where, text, `${shown}: the value is not a string (mdevctl 1.2.0 crashes on it, later versions refuse it); write {${JSON.stringify(name)}: "${String(value)}"}`);
      }
      attrs.push({ [name]: value });
    });
  }
  return checkedConfig({ type: o.mdev_type, start: o.start === 'auto' ? 'auto' : 'manual', attrs }, where, text);
}

/** A definition file that could not be read, and why. */
export interface DefinitionProblem {
  path: string;
  error: ZmdevError;
}

/**
 * The UUID mdevctl 1.2.0 (Debian) reads in a file name, as its uuid crate parses one: 8-4-4-4-12 hex
 * in any case, 32 hex digits, or the hyphenated form in braces or after a lowercase `urn:uuid:`.
 */
function uuidOfName(name: string): Uuid | null {
  const m = /^(?:([0-9a-fA-F]{32})|\{(.{36})\}|urn:uuid:(.{36})|(.{36}))$/.exec(name);
  if (!m) return null;
  if (m[1] !== undefined) {
    const h = m[1];
    return parseUuid(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
  }
  const hyphenated = (m[2] ?? m[3] ?? m[4])!;
  return /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(hyphenated) ? parseUuid(hyphenated) : null;
}

function fsError(e: unknown, doing: string): ZmdevError {
  const err = e as NodeJS.ErrnoException;
  // Only fs calls land here, and their errors always carry an errno code.
  return new ZmdevError({ code: err.code!, message: `${doing}: ${err.message}`, cause: e });
}

function listDir(dir: string): Dirent[] | null {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fsError(e, `reading the directory ${dir}`);
  }
}

/** Reads a file as mdevctl does: the bytes must be UTF-8 (a BOM is kept, and refused as JSON). */
function readConfigText(file: string): string {
  const text = readRegularFile(file, { noFollow: true });
  // readRegularFile decodes leniently; a replacement character may stand for bytes that are not
  // UTF-8, which mdevctl refuses ("stream did not contain valid UTF-8").
  if (text.includes('\ufffd')) {
    try {
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(readFileSync(file));
    } catch (e) {
      throw new InputError({
        code: 'EINVAL', input: file, cause: e,
        message: `${file}: the file is not UTF-8 text (mdevctl: stream did not contain valid UTF-8); write it as UTF-8`,
      });
    }
  }
  return text;
}

function compareDefinitions(a: MdevDefinition, b: MdevDefinition): number {
  // mdevctl keeps parents in a BTreeMap (byte order) and sorts children by UUID, whose byte order
  // is the order of their lowercase text. Names are ASCII, so UTF-16 order is byte order.
  if (a.parent !== b.parent) return a.parent < b.parent ? -1 : 1;
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}

function checkedParent(parent: string, uuid: string): { parent: string; uuid: Uuid } {
  // makeDefinition decides what a parent name may be (it becomes a path); the type is a stand-in.
  const d = makeDefinition({ uuid, parent, type: 'mdev' });
  return { parent: d.parent, uuid: d.uuid };
}

function definitionPath(root: string, parent: string, uuid: Uuid): string {
  return path.join(root, MDEVCTL_DIR, parent, uuid);
}

/**
 * Every definition under <root>/etc/mdevctl.d, in mdevctl's listing order. As mdevctl: entries
 * that are not directories are not parents, entries in a parent that are not regular files (links
 * included) are passed over, and so are names that are no UUID; these go to `skipped` (their paths;
 * directories inside a parent are left out, as scripts.d's are). A file mdevctl would refuse — and
 * with it the whole listing — is one entry in `problems` here, and so is a UUID name that is not
 * lowercase and hyphenated (mdevctl `list -d` does not show it, `modify` writes a second file),
 * and a parent directory that cannot be read.
 * `parent` and `uuid` narrow the scan before any file is read, as mdevctl's -p and -u do.
 */
export function readDefinitions(root: string, opts: { parent?: string; uuid?: string } = {}): {
  definitions: MdevDefinition[]; problems: DefinitionProblem[]; skipped: string[];
} {
  const want = opts.uuid === undefined ? undefined : parseUuid(opts.uuid);
  const base = path.join(root, MDEVCTL_DIR);
  const definitions: MdevDefinition[] = [];
  const problems: DefinitionProblem[] = [];
  const skipped: string[] = [];
  // Byte order of the names, as mdevctl's BTreeMap keeps parents.
  const byName = (a: Dirent, b: Dirent) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
  for (const p of (listDir(base) ?? []).sort(byName)) {
    if (opts.parent !== undefined && p.name !== opts.parent) continue;
    const parentDir = path.join(base, p.name);
    let children: Dirent[];
    try {
      // Links are followed here, as mdevctl follows them for parents.
      children = readdirSync(parentDir, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Not a directory (or a dangling link): not a parent. Anything else mdevctl warns about and
      // passes over; here it is a problem to report.
      if (code === 'ENOTDIR' || code === 'ENOENT') skipped.push(parentDir);
      else problems.push({ path: parentDir, error: fsError(e, `reading the directory ${parentDir}`) });
      continue;
    }
    for (const f of children.sort(byName)) {
      const file = path.join(parentDir, f.name);
      if (f.isDirectory()) continue;
      const uuid = uuidOfName(f.name);
      if (!f.isFile() || uuid === null) {
        if (want === undefined || uuid === want) skipped.push(file);
        continue;
      }
      if (want !== undefined && uuid !== want) continue;
      if (f.name !== uuid) {
        problems.push({
          path: file,
          error: new InputError({
            code: 'EINVAL', input: f.name,
            message: `${file}: the name is UUID ${uuid} spelled another way; mdevctl list -d does not show it and mdevctl modify writes a second file ${uuid} — rename it to ${uuid}`,
          }),
        });
        continue;
      }
      try {
        const c = parseMdevctlConfig(readConfigText(file), file);
        definitions.push(makeDefinition({ uuid, parent: p.name, ...c }));
      } catch (e) {
        /* c8 ignore next -- every refusal on the way is a ZmdevError; anything else is a bug and propagates */
        if (!(e instanceof ZmdevError)) throw e;
        problems.push({ path: file, error: e });
      }
    }
  }
  return { definitions: definitions.sort(compareDefinitions), problems, skipped };
}

/** One definition, or null when <root>/etc/mdevctl.d/<parent>/<uuid> does not exist. A bad file throws. */
export function readDefinition(root: string, parent: string, uuid: string): MdevDefinition | null {
  const id = checkedParent(parent, uuid);
  const file = definitionPath(root, id.parent, id.uuid);
  let text: string;
  try {
    text = readConfigText(file);
  } catch (e) {
    if ((e as ZmdevError).code === 'ENOENT') return null;
    throw e;
  }
  return makeDefinition({ ...id, ...parseMdevctlConfig(text, file) });
}

/** Writes a definition as mdevctl does (the parent directory made when missing, mode 0644); returns its path. */
export function writeDefinition(root: string, d: MdevDefinition): string {
  const def = makeDefinition(d);
  const text = formatMdevctlConfig(def);
  const file = definitionPath(root, def.parent, def.uuid);
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  } catch (e) {
    throw fsError(e, `making the directory ${path.dirname(file)}`);
  }
  writeFileAtomic(file, text, 0o644);
  return file;
}

/** Removes a definition file; false when there was none. */
export function removeDefinition(root: string, parent: string, uuid: string): boolean {
  const id = checkedParent(parent, uuid);
  const file = definitionPath(root, id.parent, id.uuid);
  try {
    if (lstatSync(file).isDirectory()) {
      throw new ZmdevError({ code: 'EISDIR', message: `${file} is a directory, not a definition; remove it by hand if it is not wanted` });
    }
    unlinkSync(file);
  } catch (e) {
    if (e instanceof ZmdevError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fsError(e, `removing ${file}`);
  }
  return true;
}

function sorted(defs: readonly MdevDefinition[]): MdevDefinition[] {
  return [...defs].sort(compareDefinitions);
}

/**
 * The text of `mdevctl list -d` in mdevctl 1.2.0's bytes: `<uuid> <parent> <type> <auto|manual>`,
 * ` (active)` for a definition whose device runs, and with `verbose` (`-v`) the attributes as
 * `    @{i}: {"name":"value"}` (unescaped, as mdevctl prints them); then println!'s extra newline.
 * `active` holds UUIDs of running mdevs, or `<parent>/<uuid>` keys to say under which parent one
 * runs (mdevctl marks a definition active only when the running device has its parent and type).
 */
export function mdevctlListText(defs: readonly MdevDefinition[], active: ReadonlySet<string> = new Set(), opts: { verbose?: boolean } = {}): string {
  let out = '';
  for (const d of sorted(defs)) {
    const running = active.has(d.uuid) || active.has(`${d.parent}/${d.uuid}`);
    out += `${d.uuid} ${d.parent} ${d.type} ${d.start}${running ? ' (active)' : ''}\n`;
    if (opts.verbose && d.attrs.length) {
      out += '  Attrs:\n';
      d.attrs.forEach((a, i) => {
        const [name, value] = Object.entries(a)[0]!;
        out += `    @{${i}}: {"${name}":"${value}"}\n`;
      });
    }
  }
  return `${out}\n`;
}

/**
 * `mdevctl list -d --dumpjson` in mdevctl 1.2.0's bytes: `[{"<parent>": [{"<uuid>": config}, …], …}]`
 * pretty, in listing order, `[]` when empty, then a newline. With `uuid` (`-u`) only that UUID's
 * definitions are listed, and when exactly one matches its bare config is printed: the file's bytes.
 */
export function mdevctlDumpJson(defs: readonly MdevDefinition[], opts: { uuid?: string } = {}): string {
  const want = opts.uuid === undefined ? undefined : parseUuid(opts.uuid);
  const list = sorted(defs).filter((d) => want === undefined || d.uuid === want);
  if (want !== undefined && list.length === 1) return `${formatMdevctlConfig(list[0]!)}\n`;
  const parents: Record<string, Record<string, unknown>[]> = {};
  for (const d of list) (parents[d.parent] ??= []).push({ [d.uuid]: configObject(makeDefinition(d)) });
  return `${JSON.stringify(list.length ? [parents] : [], null, 2)}\n`;
}

const AP_ATTRS: ReadonlyArray<{ name: string; kind: IdKind; field: keyof ApMatrix }> = [
  { name: 'assign_adapter', kind: 'adapter', field: 'adapters' },
  { name: 'assign_domain', kind: 'domain', field: 'domains' },
  { name: 'assign_control_domain', kind: 'control domain', field: 'controlDomains' },
];

/**
 * The attrs of a vfio_ap definition holding matrix `m`: assign_adapter for each adapter, then
 * assign_domain, then assign_control_domain, each in ID order. 'hex' writes zmdev's canonical
 * 0x%02x / 0x%04x (what `xml nodedev` writes); 'decimal' writes what ap-check's get-attributes gives.
 */
export function apAttrs(m: ApMatrix, style: 'hex' | 'decimal' = 'hex'): DefinitionAttr[] {
  return AP_ATTRS.flatMap(({ name, kind, field }) =>
    m[field].ids().map((id) => Object.freeze({ [name]: style === 'hex' ? idHex(id, kind) : String(id) })));
}

/**
 * The matrix a vfio_ap definition's attrs build, read as the kernel reads each assign_* write
 * (kstrtoul base 0: decimal, 0x hex, leading-0 octal, one trailing newline; IDs 0..255). Any other
 * attribute name, or a value the kernel refuses, is an InputError naming `where` and the attribute.
 */
export function apMatrixOfAttrs(attrs: readonly DefinitionAttr[], where: string): ApMatrix {
  const ids: Record<keyof ApMatrix, number[]> = { adapters: [], domains: [], controlDomains: [] };
  attrs.forEach((a, i) => {
    const [name, value] = Object.entries(a)[0] ?? [];
    const shown = `attrs[${i}] ${JSON.stringify(a)}`;
    const spec = AP_ATTRS.find((s) => s.name === name);
    if (spec === undefined || value === undefined) {
      throw new InputError({
        code: 'EINVAL', input: String(name),
        message: `${where}: ${shown}: ${JSON.stringify(name)} is not a vfio_ap attribute; a vfio_ap definition holds only ${AP_ATTRS.map((s) => s.name).join(', ')}`,
      });
    }
    let id: bigint;
    try {
      id = parseKernelId(value);
    } catch (e) {
      const err = e as ZmdevError;
      throw new InputError({ code: err.code, input: value, cause: e, message: `${where}: ${shown}: ${err.message}` });
    }
    if (id > 255n) {
      throw new InputError({
        code: 'ERANGE', input: value,
        message: `${where}: ${shown}: ${spec.kind} ${id} is above 255, the highest AP ID (the kernel answers ENODEV); give an ID from 0 to 255`,
      });
    }
    ids[spec.field].push(Number(id));
  });
  return { adapters: ApMask.of(ids.adapters), domains: ApMask.of(ids.domains), controlDomains: ApMask.of(ids.controlDomains) };
}
