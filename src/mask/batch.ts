// Batch operations: one call into C++ for a whole table of masks or matrices. Single masks stay
// in TypeScript (ApMask); crossing into C++ only pays off when one call does a lot of work.
import { outOfRange, ZmdevError, type GrammarError } from '../errors.js';
import { native } from '../native/addon.js';
import { ApMask, MASK_BYTES } from './ap-mask.js';
import { apqnFromNumber, type Apqn } from './apqn.js';
import { parseKernelMask } from './grammar.js';
import type { ApMatrix } from './matrix.js';

/** Many 256-bit masks packed back to back (32 bytes each), as the addon reads them. */
export class MaskTable {
  readonly bytes: Uint8Array;

  constructor(readonly length: number, bytes?: Uint8Array) {
    if (bytes && bytes.length !== length * MASK_BYTES) throw outOfRange(`a table of ${length} masks needs ${length * MASK_BYTES} bytes`);
    this.bytes = bytes ?? new Uint8Array(length * MASK_BYTES);
  }

  static from(masks: readonly ApMask[]): MaskTable {
    const t = new MaskTable(masks.length);
    masks.forEach((m, i) => m.toBytes(t.bytes, i * MASK_BYTES));
    return t;
  }

  get(i: number): ApMask {
    return ApMask.fromBytes(this.bytes, i * MASK_BYTES);
  }

  set(i: number, m: ApMask): void {
    m.toBytes(this.bytes, i * MASK_BYTES);
  }
}

/** The outcome of parsing many writes at once. */
export interface BatchParse {
  /** Parsed masks; a refused input leaves an all-zero entry. */
  table: MaskTable;
  /** 0, or the errno (22 = EINVAL) for each input. */
  errnos: Int32Array;
  /** How many inputs were refused. */
  refused: number;
  /** The full error of a refused input (parsed again on demand), or undefined. */
  error(i: number): GrammarError | undefined;
}

/** parseKernelMask over many inputs in one native call. */
export function parseKernelMasks(inputs: readonly string[], current: ApMask = ApMask.FULL): BatchParse {
  const joinedText = inputs.join('');
  const joined = Buffer.from(joinedText, 'utf8');
  const ascii = joined.length === joinedText.length;
  const offsets = new Uint32Array(inputs.length + 1);
  let at = 0;
  for (let i = 0; i < inputs.length; i++) {
    offsets[i] = at;
    at += ascii ? inputs[i]!.length : Buffer.byteLength(inputs[i]!, 'utf8');
  }
  offsets[inputs.length] = at;
  const table = new MaskTable(inputs.length);
  const errnos = new Int32Array(inputs.length);
  const refused = native().parseKernelMasks(joined, new Uint8Array(offsets.buffer), current.toBytes(), table.bytes,
    new Uint8Array(errnos.buffer));
  return {
    table,
    errnos,
    refused,
    error(i: number): GrammarError | undefined {
      if (!errnos[i]) return undefined;
      try {
        parseKernelMask(inputs[i]!, current);
      } catch (err) {
        return err as GrammarError;
      }
      /* c8 ignore next */
      throw new Error(`input ${i} was refused in the batch but accepted alone`);
    },
  };
}

/** The read format (`0x` + 64 hex digits) of every mask of the table. */
export function formatMasks(table: MaskTable): string[] {
  const s = native().formatMasks(table.bytes);
  const out = new Array<string>(table.length);
  for (let i = 0; i < table.length; i++) out[i] = s.slice(i * 66, i * 66 + 66);
  return out;
}

/** The union of all masks. */
export function unionOf(table: MaskTable): ApMask {
  const out = new Uint8Array(MASK_BYTES);
  native().reduceMasks(table.bytes, out, 0);
  return ApMask.fromBytes(out);
}

/** The intersection of all masks (all ones for an empty table). */
export function intersectionOf(table: MaskTable): ApMask {
  const out = new Uint8Array(MASK_BYTES);
  native().reduceMasks(table.bytes, out, 1);
  return ApMask.fromBytes(out);
}

/** The number of IDs of each mask, and their sum. */
export function countEach(table: MaskTable): { counts: Uint16Array; total: number } {
  const counts = new Uint16Array(table.length);
  const total = native().popcountMasks(table.bytes, new Uint8Array(counts.buffer));
  return { counts, total };
}

/** The part of an ApMatrix that spans APQNs: adapters x domains. */
export type Matrix = Pick<ApMatrix, 'adapters' | 'domains'>;

/** Many matrices packed back to back: 64 bytes each, the adapter mask then the domain mask. */
export class MatrixTable {
  readonly bytes: Uint8Array;

  constructor(readonly length: number) {
    this.bytes = new Uint8Array(length * 2 * MASK_BYTES);
  }

  static from(matrices: readonly Matrix[]): MatrixTable {
    const t = new MatrixTable(matrices.length);
    matrices.forEach((m, i) => t.set(i, m));
    return t;
  }

  set(i: number, m: Matrix): void {
    m.adapters.toBytes(this.bytes, i * 64);
    m.domains.toBytes(this.bytes, i * 64 + 32);
  }

  get(i: number): Matrix {
    return { adapters: ApMask.fromBytes(this.bytes, i * 64), domains: ApMask.fromBytes(this.bytes, i * 64 + 32) };
  }
}

/** Two matrices (by index) and the APQNs they both contain. */
export interface SharedApqns {
  a: number;
  b: number;
  apqns: Apqn[];
}

/**
 * The most shared APQNs findSharedApqns returns unless told otherwise. A few KB of matrices can
 * share billions (200 of all 256 x 256 APQNs share 1.3 billion); this bounds the native result to
 * 12 MiB and its working memory to about 36 MiB.
 */
export const SHARED_APQNS_LIMIT = 1 << 20;

/** More shared APQNs than the limit allowed: how many there are, and the first `limit` of them. */
export class SharedApqnsLimitError extends ZmdevError {
  constructor(readonly total: number, readonly limit: number, readonly first: SharedApqns[]) {
    super({ code: 'E2BIG', message: `the matrices share ${total} APQNs (counted per pair), more than the limit of ${limit}` });
  }
}

/**
 * Every pair of matrices that share APQNs, with the shared APQNs, ordered by a, b and APQN.
 * Linear in the number of APQNs (an owner table over all 65,536), in one native call. At most
 * `limit` APQNs (over all pairs; default SHARED_APQNS_LIMIT): past it, a SharedApqnsLimitError
 * (E2BIG) carries the total and the first `limit` of them.
 */
export function findSharedApqns(matrices: MatrixTable | readonly Matrix[], opts: { limit?: number } = {}): SharedApqns[] {
  const table = matrices instanceof MatrixTable ? matrices : MatrixTable.from(matrices);
  const limit = opts.limit ?? SHARED_APQNS_LIMIT;
  const total = new Float64Array(1);
  const flat = native().findSharedApqns(table.bytes, limit, new Uint8Array(total.buffer));
  const out: SharedApqns[] = [];
  // Each pair's APQNs are consecutive: size the array once instead of growing it by push (an
  // empty array's first push reserves 17 slots, most pairs share one APQN).
  for (let k = 0; k < flat.length;) {
    const a = flat[k]!;
    const b = flat[k + 1]!;
    let end = k + 3;
    while (end < flat.length && flat[end] === a && flat[end + 1] === b) end += 3;
    const apqns = new Array<Apqn>((end - k) / 3);
    for (let j = 0; k < end; k += 3, j++) apqns[j] = apqnFromNumber(flat[k + 2]!);
    out.push({ a, b, apqns });
  }
  if (total[0]! > limit) throw new SharedApqnsLimitError(total[0]!, limit, out);
  return out;
}
