// mdevctl's callout protocol for vfio_ap-passthrough, as pure functions: the device config that
// mdevctl writes on a callout's stdin read as ap-check (s390-tools) reads it, the answer to
// `get attributes` and to the versioned `get capabilities` handshake, the refusals of an autostart
// definition that ap-check makes on pre-define and pre-modify, and the small script that makes a
// zmdev binary mdevctl's callout. Exit statuses: 0 allow, 2 not my device type, anything else refuse.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { InputError, ZmdevError } from '../errors.js';
import { readRegularFile } from '../files/atomic.js';
import { ApMask } from '../mask/ap-mask.js';
import { apqnsOf, formatApqn } from '../mask/apqn.js';
import { parseApConfig, parseKernelId } from '../mask/grammar.js';
import { idHex, isUuidText, type IdKind } from '../mask/ids.js';
import type { ApMatrix, HostMasks } from '../mask/matrix.js';
import { MDEVCTL_DIR } from './mdevctl-files.js';
import type { PersistentMasks } from './zdev-ap-rules.js';

/** The one mdev type this callout speaks for; any other gets EXIT_NOT_MINE. */
export const CALLOUT_TYPE = 'vfio_ap-passthrough';
/** The one parent vfio_ap has. */
export const CALLOUT_PARENT = 'matrix';
/** mdevctl's "this callout is not for this device type: ask the next one". */
export const EXIT_NOT_MINE = 2;

/** The callout version ap-check answers (mdevctl 1.3+ offers 2). */
export const CALLOUT_VERSION = 2;
/** The actions and events ap-check supports, in the order it answers them. */
export const CALLOUT_ACTIONS = ['define', 'modify', 'start', 'stop', 'undefine', 'attributes', 'capabilities'] as const;
export const CALLOUT_EVENTS = ['pre', 'post', 'get', 'live'] as const;

/** mdevctl's callout directories under a configuration root: 1.2.0 reads the first, 1.3+ the second, then the first. */
export const CALLOUT_DIRS = { 'mdevctl 1.2.0': 'etc/mdevctl.d/scripts.d/callouts', 'mdevctl 1.3+': 'usr/lib/mdevctl/scripts.d/callouts' } as const;
/**
 * The installed script's name. mdevctl asks the scripts of a directory in turn (1.3+ in sorted
 * order, 1.2.0 in directory order) and the first that does not answer 2 decides: `00-` sorts
 * before s390-tools' ap-check and ap-check.sh, so with both installed zmdev answers for vfio_ap.
 */
export const CALLOUT_NAME = '00-zmdev';
/** The line that marks a script as zmdev's (uninstall removes nothing else). */
export const CALLOUT_MARK = '# mdevctl callout for vfio_ap-passthrough, installed by zmdev mdevctl-callout --install';

/** A device config as the callout reads it. */
export interface CalloutConfig {
  type: string;
  start: 'auto' | 'manual';
  matrix: ApMatrix;
}

const FORMAT = 'mdevctl passes {"mdev_type": "vfio_ap-passthrough", "start": "auto"|"manual", "attrs": [{"<name>": "<value>"}, …]}';

function configError(where: string, input: string, message: string, cause?: unknown): InputError {
  return new InputError({ code: 'EINVAL', input, message: `${where}: ${message}`, ...(cause === undefined ? {} : { cause }) });
}

function idOf(token: string, attr: string, where: string, text: string): number {
  let id: bigint;
  try {
    id = parseKernelId(token);
  } catch (e) {
    throw configError(where, text, `${attr} ${JSON.stringify(token)} is not an ID (${(e as ZmdevError).message}); give a decimal, 0x hex or 0-octal number from 0 to 255`, e);
  }
  if (id > 255n) throw configError(where, text, `${attr} ${token} is above 255, the highest AP ID; give an ID from 0 to 255`);
  return Number(id);
}

const LIST_ATTRS: Record<string, keyof ApMatrix> = { assign_adapter: 'adapters', assign_domain: 'domains', assign_control_domain: 'controlDomains' };

/**
 * The matrix of a config's attrs as ap-check builds it: assign_adapter, assign_domain and
 * assign_control_domain values are comma lists of IDs (kstrtoul's numbers), ap_config replaces
 * all three with its masks, and any other attribute is passed over.
 */
function matrixOfAttrs(attrs: unknown[], where: string, text: string): ApMatrix {
  const ids: Record<keyof ApMatrix, Set<number>> = { adapters: new Set(), domains: new Set(), controlDomains: new Set() };
  attrs.forEach((a, i) => {
    if (typeof a !== 'object' || a === null || Array.isArray(a)) throw configError(where, text, `attrs[${i}] ${JSON.stringify(a)} is not an object; ${FORMAT}`);
    for (const [name, value] of Object.entries(a)) {
      if (typeof value !== 'string') throw configError(where, text, `attrs[${i}] ${name}: ${JSON.stringify(value)} is not a string; ${FORMAT}`);
      const field = LIST_ATTRS[name];
      if (field) {
        for (const token of value.split(',').filter((s) => s !== '')) ids[field].add(idOf(token, name, where, text));
      } else if (name === 'ap_config') {
        let m: ApMatrix;
        try {
          m = parseApConfig(value);
        } catch (e) {
          throw configError(where, text, `ap_config ${JSON.stringify(value)} is not three masks (${(e as ZmdevError).message}); write 0x<apm>,0x<aqm>,0x<adm>`, e);
        }
        ids.adapters = new Set(m.adapters.ids());
        ids.domains = new Set(m.domains.ids());
        ids.controlDomains = new Set(m.controlDomains.ids());
      }
    }
  });
  return { adapters: ApMask.of(ids.adapters), domains: ApMask.of(ids.domains), controlDomains: ApMask.of(ids.controlDomains) };
}

/**
 * Reads a device config as ap-check does: a JSON object whose mdev_type is vfio_ap-passthrough and
 * whose start, when present, is exactly "auto" or "manual" (absent reads as auto, as ap-check reads
 * it); attrs as matrixOfAttrs. Refused (InputError EINVAL naming `where`): what ap-check cannot
 * read, and IDs the kernel would refuse (ap-check reads those as some other number).
 */
export function parseCalloutConfig(text: string, where: string): CalloutConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw configError(where, text, `not JSON (${(e as Error).message}); ${FORMAT}`, e);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw configError(where, text, `${JSON.stringify(json)} is not an object; ${FORMAT}`);
  const o = json as Record<string, unknown>;
  if (o.mdev_type !== CALLOUT_TYPE) throw configError(where, text, `"mdev_type" is ${JSON.stringify(o.mdev_type)}, not "${CALLOUT_TYPE}"; ${FORMAT}`);
  if (o.start !== undefined && o.start !== 'auto' && o.start !== 'manual') {
    throw configError(where, text, `"start" is ${JSON.stringify(o.start)}: ap-check reads only "auto" or "manual"; write one of them`);
  }
  if (o.attrs !== undefined && o.attrs !== null && !Array.isArray(o.attrs)) throw configError(where, text, `"attrs" is ${JSON.stringify(o.attrs)}, not an array; ${FORMAT}`);
  const attrs = (o.attrs ?? []) as unknown[];
  return { type: CALLOUT_TYPE, start: o.start === 'manual' ? 'manual' : 'auto', matrix: matrixOfAttrs(attrs, where, text) };
}

/**
 * The answer to `get attributes`: the active mdev's matrix as assign_* attrs with decimal IDs,
 * adapters then domains then control domains, each ascending, as ap-check prints them; an empty
 * matrix is `[]` (ap-check's `[{}]\n` is a list with one attribute of no name, which mdevctl refuses).
 */
export function formatCalloutAttributes(m: ApMatrix): string {
  const items = [
    ...m.adapters.ids().map((id) => `{"assign_adapter": "${id}"}`),
    ...m.domains.ids().map((id) => `{"assign_domain": "${id}"}`),
    ...m.controlDomains.ids().map((id) => `{"assign_control_domain": "${id}"}`),
  ];
  return `[${items.join(',')}]\n`;
}

function capsError(message: string, text: string): InputError {
  return new InputError({
    code: 'EINVAL', input: text,
    message: `get capabilities: ${message}; mdevctl 1.3+ passes {"provides": {"version": N, "actions": […], "events": […]}} on stdin`,
  });
}

/** json-c's spaced form of a list of strings, as ap-check prints it. */
const spacedList = (xs: readonly string[]) => (xs.length ? `[ ${xs.map((x) => JSON.stringify(x)).join(', ')} ]` : '[ ]');

/**
 * The answer to `get capabilities`: of what mdevctl says it provides, the actions and events this
 * callout supports (ap-check's, matched without regard to case, spelled as mdevctl spelled them),
 * at version 2, in json-c's spaced form as ap-check prints it. Refused when stdin is not the offer.
 */
export function answerCapabilities(text: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw capsError(`stdin holds no JSON (${text === '' ? 'it is empty' : JSON.stringify(text.slice(0, 80))})`, text);
  }
  const provides = (json as { provides?: unknown } | null)?.provides;
  if (typeof provides !== 'object' || provides === null || Array.isArray(provides)) throw capsError('no "provides" object', text);
  const p = provides as Record<string, unknown>;
  if (p.version === undefined) throw capsError('"provides" has no "version"', text);
  const offered = (key: 'actions' | 'events'): string[] => {
    const v = p[key];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw capsError(`"provides" has no "${key}" list of strings`, text);
    return v as string[];
  };
  const pick = (mine: readonly string[], theirs: string[]) =>
    mine.flatMap((m) => theirs.find((t) => t.toLowerCase() === m) ?? []);
  const actions = pick(CALLOUT_ACTIONS, offered('actions'));
  const events = pick(CALLOUT_EVENTS, offered('events'));
  return `{ "supports": { "version": ${CALLOUT_VERSION}, "actions": ${spacedList(actions)}, "events": ${spacedList(events)} } }\n`;
}

/** Another definition of the matrix parent, as ap-check compares against it. */
export interface OtherConfig {
  uuid: string;
  config: CalloutConfig;
}

/**
 * The other definitions under <root>/etc/mdevctl.d/matrix, read as ap-check reads them: names that
 * are UUIDs in any case, regular files, the one named `uuid` (in any case) left out; a file that
 * cannot be read or is not a vfio_ap config is passed over, as ap-check passes it over.
 */
export function otherConfigs(root: string, uuid: string): OtherConfig[] {
  const dir = path.join(root, MDEVCTL_DIR, CALLOUT_PARENT);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ZmdevError({ code: (e as NodeJS.ErrnoException).code!, message: `reading the definitions in ${dir}: ${(e as Error).message}`, cause: e });
  }
  const out: OtherConfig[] = [];
  for (const name of names.sort()) {
    if (!isUuidText(name) || name.toLowerCase() === uuid.toLowerCase()) continue;
    const file = path.join(dir, name);
    try {
      out.push({ uuid: name.toLowerCase(), config: parseCalloutConfig(readRegularFile(file), file) });
    } catch (e) {
      /* c8 ignore next -- reading and parsing refuse with ZmdevErrors only; anything else is a bug and propagates */
      if (!(e instanceof ZmdevError)) throw e;
    }
  }
  return out;
}

/** The masks ap-check takes for "kept for the host at boot": the rule file's, a missing line read from sysfs. */
export function bootMasks(rules: PersistentMasks, active: () => HostMasks): HostMasks {
  if (rules.apmask !== null && rules.aqmask !== null) return { apmask: rules.apmask, aqmask: rules.aqmask };
  const now = active();
  return { apmask: rules.apmask ?? now.apmask, aqmask: rules.aqmask ?? now.aqmask };
}

const list = (apqns: Array<{ adapter: number; domain: number }>) => apqns.map(formatApqn).join(', ');

/**
 * What ap-check refuses on pre-define and pre-modify, in one sentence (null: allowed). A manual
 * definition is never refused; an autostart one is when it shares an APQN with another autostart
 * definition (at boot only the first to start would get it) or when the boot masks keep one of
 * its APQNs for the host (at boot it could not start). `rulesPath` names the rule file in the fix.
 */
export function autostartRefusal(uuid: string, config: CalloutConfig, others: readonly OtherConfig[], masks: () => HostMasks, rulesPath: string): ZmdevError | null {
  if (config.start !== 'auto') return null;
  const m = config.matrix;
  const parts: string[] = [];
  const shared = others.filter((o) => o.config.start === 'auto').flatMap((o) => {
    const apqns = apqnsOf(m.adapters.and(o.config.matrix.adapters), m.domains.and(o.config.matrix.domains));
    return apqns.length ? [`${list(apqns)} with autostart mdev ${o.uuid}`] : [];
  });
  if (shared.length) {
    parts.push(`it shares APQNs ${shared.join('; ')} (an APQN belongs to one mdev, so at boot the second could not start): ` +
      'take the shared adapters or domains out of one definition, or make one start manually (mdevctl modify -u UUID --manual)');
  }
  const boot = masks();
  const reserved = apqnsOf(m.adapters.and(boot.apmask), m.domains.and(boot.aqmask));
  if (reserved.length) {
    const spec = (ids: number[], kind: IdKind) => ids.map((id) => `-${idHex(id, kind)}`).join(',');
    const adapters = [...new Set(reserved.map((q) => q.adapter))];
    const domains = [...new Set(reserved.map((q) => q.domain))];
    parts.push(`the persistent AP masks (${rulesPath}, or sysfs where it sets none) keep ${list(reserved)} for the host, so at boot it could not start: ` +
      `free the adapters with \`zmdev masks set --persistent apmask=${spec(adapters, 'adapter')}\` or the domains with ` +
      `\`zmdev masks set --persistent aqmask=${spec(domains, 'domain')}\` (chzdev -p does the same), or define it to start manually`);
  }
  if (!parts.length) return null;
  return new ZmdevError({ code: shared.length ? 'EADDRINUSE' : 'EADDRNOTAVAIL', message: `autostart mdev ${uuid} refused: ${parts.join('; and ')}` });
}

/** Single-quotes a word for sh: nothing inside is interpreted. */
function shQuote(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * The installed script: sh execs node on the zmdev binary with `mdevctl-callout` and mdevctl's
 * arguments exactly as given ("$@"), stdin and the exit status passed through; the two paths are
 * absolute and quoted, so no value reaches a shell as code.
 */
export function calloutScript(node: string, zmdevJs: string): string {
  for (const p of [node, zmdevJs]) {
    if (!path.isAbsolute(p) || p.includes('\n') || p.includes('\0')) {
      throw new InputError({ code: 'EINVAL', input: p, message: `${JSON.stringify(p)}: the callout script needs an absolute path without newlines or NUL` });
    }
  }
  return `#!/bin/sh\n${CALLOUT_MARK}\nexec ${shQuote(node)} ${shQuote(zmdevJs)} mdevctl-callout "$@"\n`;
}
