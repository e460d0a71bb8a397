// The desired-state file of `zmdev apply` and `zmdev export` (format zmdev-desired/1): its JSON
// Schema (schema/zmdev-desired-1.schema.json, checked with ajv), zmdev's own sentences for what the
// schema refuses (the JSON path, the rule and the fix), the checks a schema cannot say (masks in
// chzdev's grammar, duplicate UUIDs, APQNs two mdevs would both hold), and the typed model.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { GrammarError, InputError } from '../errors.js';
import { ApMask } from '../mask/ap-mask.js';
import { apqnsOf, formatApqn } from '../mask/apqn.js';
import { parseChzdevMask } from '../mask/grammar.js';
import { idHex, parseUuid, type IdKind, type Uuid } from '../mask/ids.js';
import type { ApMatrix } from '../mask/matrix.js';
import { formatRanges } from '../mask/ranges.js';

export const DESIRED_FORMAT = 'zmdev-desired/1';

/** The shipped schema file (beside src/ and dist/ alike). */
export const DESIRED_SCHEMA_URL = new URL('../../schema/zmdev-desired-1.schema.json', import.meta.url);

/** The JSON Schema of the file, as shipped. */
export function desiredSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(DESIRED_SCHEMA_URL, 'utf8')) as Record<string, unknown>;
}

type MaskPair<T> = { apmask?: T; aqmask?: T };

/** The file as JSON (what export writes): IDs as numbers or hex strings, masks as text. */
export interface DesiredFile {
  format: typeof DESIRED_FORMAT;
  masks?: { active?: MaskPair<string>; persistent?: MaskPair<string | null> };
  mdevs?: DesiredMdevFile[];
}

export interface DesiredMdevFile {
  uuid: string;
  adapters?: Array<number | string>;
  domains?: Array<number | string>;
  controlDomains?: Array<number | string>;
  defined?: boolean;
  running?: boolean;
  autostart?: boolean;
}

/** One mdev of a checked file, defaults filled in. */
export interface DesiredMdev {
  uuid: Uuid;
  matrix: ApMatrix;
  defined: boolean;
  running: boolean;
  autostart: boolean;
  /** Its JSON path in the file, for messages. */
  at: string;
}

/** A checked file: undefined = leave that part of the host as it is; a persistent null = not persisted. */
export interface DesiredState {
  active: MaskPair<ApMask>;
  persistent: MaskPair<ApMask | null>;
  mdevs: DesiredMdev[];
}

let validator: ReturnType<Ajv['compile']> | undefined;

function validate(json: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, allowUnionTypes: true, verbose: true, strict: true }).compile(desiredSchema());
  return validator(json) ? [] : validator.errors!;
}

const FIX: Partial<Record<string, string>> = {
  additionalProperties: 'remove the key or correct its spelling',
  required: 'add it',
  type: 'write a value of that type',
  const: 'write it exactly so',
  pattern: 'write it in that form',
  minLength: 'write a value, or leave the key out to keep what the host has',
  minimum: 'give an ID from 0 to 255',
  maximum: 'give an ID from 0 to 255',
};

const shownPath = (p: string): string => (p === '' ? '(the top level)' : p);

/** zmdev's sentence for what the schema refused: where, what, the rule (the schema's description) and the fix. */
function schemaSentence(e: ErrorObject, where: string): string {
  // An object's rule is its list of keys, said below; a value's is the schema's description.
  const schema = e.parentSchema as { description?: string; type?: unknown };
  const rule = schema.type === 'object' ? undefined : schema.description;
  const data = JSON.stringify(e.data);
  let what: string;
  switch (e.keyword) {
    case 'additionalProperties': {
      const known = Object.keys((e.parentSchema as { properties: object }).properties);
      what = `unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"; the keys here are ${known.map((k) => `"${k}"`).join(', ')}`;
      break;
    }
    case 'required':
      what = `"${(e.params as { missingProperty: string }).missingProperty}" is missing`;
      break;
    case 'maximum':
      what = `${data} is above 255, the highest AP ID`;
      break;
    case 'minimum':
      what = `${data} is below 0`;
      break;
    case 'const':
      what = `${data} is not ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
      break;
    case 'pattern':
      what = `${data} is not in the form this key takes`;
      break;
    default:
      what = `${data} ${e.message}`;
  }
  // Every keyword the schema uses has its fix above.
  return `${where}: ${shownPath(e.instancePath)}: ${what}${rule ? ` (${rule})` : ''}; ${FIX[e.keyword]!}`;
}

/** Of the errors ajv reports, the one to name: the deepest, skipping the anyOf summary a branch explains. */
function firstError(errors: ErrorObject[]): ErrorObject {
  // A persistent mask may be null: when the string branch refused it, say that branch's reason.
  const real = errors.filter((e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && (e.params as { type: string }).type === 'null'));
  /* c8 ignore next -- every anyOf in the schema has a string branch with its own error */
  return real[0] ?? errors[0]!;
}

function refuse(where: string, at: string, input: unknown, message: string): InputError {
  return new InputError({ code: 'EINVAL', input: typeof input === 'string' ? input : JSON.stringify(input), message: `${where}: ${shownPath(at)}: ${message}` });
}

const FULL_HEX = /^0x[0-9a-fA-F]{64}$/;

/** A mask of the file: `0x` + 64 hex digits, or chzdev's absolute list (refused with the grammar's reason). */
export function parseDesiredMask(text: string, where: string, at: string): ApMask {
  if (FULL_HEX.test(text)) return ApMask.fromReadFormat(text.toLowerCase());
  try {
    return parseChzdevMask(text, ApMask.EMPTY);
  } catch (e) {
    const g = e as GrammarError;
    throw new InputError({
      code: g.code, input: text, cause: e,
      message: `${where}: ${at}: ${JSON.stringify(text)} is not a mask: ${g.message}; write the IDs kept for the host as chzdev lists them ("1-9,11-255") or "0x" and 64 hex digits`,
    });
  }
}

/** How export writes a mask: lszdev's ranges of the IDs kept for the host; the empty mask as 0x and 64 zeros (chzdev has no empty list). */
export function formatDesiredMask(m: ApMask): string {
  return m.isEmpty() ? m.toString() : formatRanges(m);
}

function idOf(v: number | string): number {
  return typeof v === 'number' ? v : parseInt(v.slice(2), 16);
}

/** IDs as export writes them: hex strings in the kernel's widths. */
export function desiredIds(m: ApMask, kind: IdKind): string[] {
  return m.ids().map((id) => idHex(id, kind));
}

function maskPair<T>(pair: MaskPair<T | null> | undefined, where: string, at: string): MaskPair<ApMask | null> {
  const out: MaskPair<ApMask | null> = {};
  for (const k of ['apmask', 'aqmask'] as const) {
    const v = pair?.[k];
    if (v === undefined) continue;
    out[k] = v === null ? null : parseDesiredMask(v as string, where, `${at}/${k}`);
  }
  return out;
}

/**
 * Reads and checks a desired-state file's text; `where` names it in messages. Refused (InputError,
 * EINVAL): bad JSON, anything the schema refuses, a mask outside chzdev's grammar, a UUID given
 * twice, autostart without a definition, two mdevs that would both hold an APQN (both running, or
 * both starting at boot).
 */
export function parseDesired(text: string, where: string): DesiredState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError({ code: 'EINVAL', input: text.slice(0, 200), cause: e, message: `${where}: not JSON (${(e as Error).message}); a desired-state file is one JSON object {"format": "${DESIRED_FORMAT}", "masks": …, "mdevs": […]}` });
  }
  const errors = validate(json);
  if (errors.length) {
    const e = firstError(errors);
    throw new InputError({ code: 'EINVAL', input: JSON.stringify(e.data), message: schemaSentence(e, where) });
  }
  const file = json as DesiredFile;
  const active = maskPair(file.masks?.active, where, '/masks/active') as MaskPair<ApMask>;
  const persistent = maskPair(file.masks?.persistent, where, '/masks/persistent');
  const seen = new Map<string, string>();
  const mdevs = (file.mdevs ?? []).map((m, i): DesiredMdev => {
    const at = `/mdevs/${i}`;
    const uuid = parseUuid(m.uuid);
    const first = seen.get(uuid);
    if (first !== undefined) throw refuse(where, `${at}/uuid`, m.uuid, `mdev ${uuid} is given twice (first at ${first}); an mdev is one entry: merge the two`);
    seen.set(uuid, at);
    const d: DesiredMdev = {
      uuid,
      matrix: {
        adapters: ApMask.of((m.adapters ?? []).map(idOf)),
        domains: ApMask.of((m.domains ?? []).map(idOf)),
        controlDomains: ApMask.of((m.controlDomains ?? []).map(idOf)),
      },
      defined: m.defined ?? true,
      running: m.running ?? true,
      autostart: m.autostart ?? false,
      at,
    };
    if (d.autostart && !d.defined) {
      throw refuse(where, `${at}/autostart`, true, `mdev ${uuid} starts at boot but is not defined; only a definition starts at boot: set "defined": true or drop "autostart"`);
    }
    return d;
  });
  checkShared(mdevs, where);
  return { active, persistent, mdevs };
}

/** Two mdevs that both run, or both start at boot, may not hold one APQN (control domains are shared freely). */
function checkShared(mdevs: readonly DesiredMdev[], where: string): void {
  for (const [i, a] of mdevs.entries()) {
    for (const b of mdevs.slice(i + 1)) {
      const running = a.running && b.running;
      const boot = a.autostart && b.autostart;
      if (!running && !boot) continue;
      const shared = apqnsOf(a.matrix.adapters.and(b.matrix.adapters), a.matrix.domains.and(b.matrix.domains));
      if (!shared.length) continue;
      throw refuse(where, b.at, b.uuid,
        `mdevs ${a.uuid} (${a.at}) and ${b.uuid} both ${running ? 'run' : 'start at boot'} and would hold APQN${shared.length > 1 ? 's' : ''} ` +
        `${shared.map(formatApqn).join(', ')}; an APQN belongs to one mdev at a time: take the adapters or domains out of one of them` +
        `${running ? ', or let one of them not run' : ', or let one of them start manually'}`);
    }
  }
}
