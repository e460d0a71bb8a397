// zmdev mask benchmarks: the mask layer (src/mask) side by side with the alternatives, all in one
// run, printed as one table. `npm run bench` compiles this with benchmarks/tsconfig.json and runs
// it with --expose-gc. Every alternative is checked against the others before it is timed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import BitSet from 'bitset';

const here = path.dirname(fileURLToPath(import.meta.url));
// Compiled to build-bench/benchmarks/run.js; the sources and the addon are two levels up.
const root = path.resolve(here, '../..');
process.env.ZMDEV_ADDON ??= path.join(root, 'build/Release/zmdev.node');

const { ApMask } = await import('../src/mask/ap-mask.js');
const { parseKernelMask } = await import('../src/mask/grammar.js');
const batch = await import('../src/mask/batch.js');
const { native } = await import('../src/native/addon.js');
const { spec: time, external, measure, collect, consume, sink } = await import('./harness.js');
const { Rng, absoluteInputs, relativeInputs, randomWords, guestMatrices, apqnCount } = await import('./data.js');
const { parseKernelMaskFast } = await import('./baselines/kernel-mask-fast.js');
const { parseKernelMaskBig, bigFromWords, bigToHex, popcountBig, ALL } = await import('./baselines/bigint-mask.js');
const { sharedApqnsOwnerTable, sharedApqnsPairwise } = await import('./baselines/shared-apqns.js');
const { genKernelMask } = await import('../test/oracle/random.js');

type ApMaskT = import('../src/mask/ap-mask.js').ApMask;
type Measurement = import('./harness.js').Measurement;
type Spec = import('./harness.js').Spec;

// ---------------------------------------------------------------------------------------------
// Output: one table. Each group's first row is its reference; "vs ref" is how many times faster
// (>1) or slower (<1) a row is than that reference, from the medians of this run.

interface Row {
  group: string;
  variant: string;
  m: Measurement | null; // null: the alternative cannot do it
  note: string | (() => string);
  ref?: boolean;
}

const rows: Row[] = [];
const keys = new Map<string, Measurement>();
// Variants of the current case, measured together (interleaved) when the case is complete.
let pending: { row: Row; spec: Spec; key: string | undefined }[] = [];

/** A row of the table; its measurement is taken by flush() together with its case's others. */
function add(group: string, variant: string, s: Spec | null, note: string | ((m: Measurement) => string) = '', key?: string): void {
  if (pending.length && pending[0]!.row.group !== group) flush();
  const first = !rows.some((r) => r.group === group);
  const row: Row = { group, variant, m: null, note: typeof note === 'string' ? note : '', ref: first };
  rows.push(row);
  if (s) {
    pending.push({ row, spec: s, key });
    if (typeof note === 'function') row.note = () => note(row.m!);
  }
}

function flush(): void {
  if (!pending.length) return;
  const ms = measure(pending.map((p) => p.spec));
  pending.forEach((p, k) => {
    p.row.m = ms[k]!;
    if (p.key) keys.set(p.key, ms[k]!);
    process.stderr.write(`  measured ${p.row.group} | ${p.row.variant}: ${fmtNs(ms[k]!.nsPerOp)}/op\n`);
  });
  pending = [];
}

function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(ns >= 1e8 ? 0 : 2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(ns >= 1e5 ? 0 : 2)} µs`;
  return `${ns.toFixed(ns >= 100 ? 0 : 1)} ns`;
}

function fmtOps(ns: number): string {
  const ops = 1e9 / ns;
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)} M`;
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(2)} k`;
  return ops.toFixed(ops >= 10 ? 1 : 2);
}

function fmtRatio(x: number): string {
  return x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`;
}

function printTable(): void {
  const head = ['case', 'variant', 'ops/s', 'time/op', 'spread', 'vs ref', 'note'];
  const body: string[][] = [];
  let lastGroup = '';
  for (const r of rows) {
    const ref = rows.find((x) => x.group === r.group && x.ref)!;
    const cells = [
      r.group === lastGroup ? '' : r.group,
      r.variant,
      r.m ? fmtOps(r.m.nsPerOp) : 'n/a',
      r.m ? fmtNs(r.m.nsPerOp) : 'n/a',
      r.m ? `±${(((r.m.maxNs - r.m.minNs) / 2 / r.m.nsPerOp) * 100).toFixed(0)}%` : '',
      r.ref ? 'ref' : r.m && ref.m ? fmtRatio(ref.m.nsPerOp / r.m.nsPerOp) : 'n/a',
      typeof r.note === 'function' ? r.note() : r.note,
    ];
    if (r.group !== lastGroup && lastGroup !== '') body.push(head.map(() => ''));
    body.push(cells);
    lastGroup = r.group;
  }
  const width = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
  const right = new Set([2, 3, 4, 5]);
  const line = (cells: string[]): string =>
    cells.map((s, c) => (right.has(c) ? s.padStart(width[c]!) : s.padEnd(width[c]!))).join(' | ').trimEnd();
  console.log(line(head));
  console.log(width.map((w) => '-'.repeat(w)).join('-|-'));
  for (const b of body) console.log(b.every((s) => s === '') ? '' : line(b));
}

function check(ok: boolean, what: string): void {
  if (!ok) {
    console.error(`bench: the alternatives disagree: ${what}`);
    process.exit(1);
  }
}

// ---------------------------------------------------------------------------------------------
// The addon must be built from the current sources, or the native rows measure old code.

const addonFile = process.env.ZMDEV_ADDON;
if (!existsSync(addonFile)) {
  console.error(`bench: no addon at ${addonFile}; build it with \`node scripts/build-native.mjs\``);
  process.exit(1);
}
for (const src of ['native/apqn_conflicts.cc', 'native/mask_core.cc', 'native/addon.cc']) {
  if (statSync(path.join(root, src)).mtimeMs > statSync(addonFile).mtimeMs) {
    process.stderr.write(`bench: WARNING ${src} is newer than ${addonFile}: rebuild with \`node scripts/build-native.mjs\`\n`);
  }
}

const started = process.hrtime.bigint();
const loadAtStart = loadavg()[0]!;

// ---------------------------------------------------------------------------------------------
// 1. Parsing the kernel's write grammar.

const BATCH = 2000;

function hexOfWords(w: ArrayLike<number>): string {
  let s = '0x';
  for (let k = 0; k < 8; k++) s += (w[k]! >>> 0).toString(16).padStart(8, '0');
  return s;
}

{
  // First, the fast TypeScript parser against the addon on the differential tests' edge-case
  // generator (signs, prefixes, wrapping numbers, junk), accepted and refused alike.
  const r = new Rng(0x5eed);
  const cur = randomWords(r, 0.5);
  const curMask = ApMask.fromWords(cur);
  const curBig = bigFromWords(cur);
  const out = new Int32Array(8);
  let accepted = 0;
  for (let i = 0; i < 20000; i++) {
    const s = genKernelMask(r);
    let want: string;
    try {
      want = parseKernelMask(s, curMask).toString();
    } catch {
      want = 'EINVAL';
    }
    const e = parseKernelMaskFast(s, cur, out);
    const fast = e ? 'EINVAL' : hexOfWords(out);
    const b = parseKernelMaskBig(s, curBig);
    const big = b === null ? 'EINVAL' : bigToHex(b);
    check(fast === want, `fast TS parser on ${JSON.stringify(s)}: ${fast} vs native ${want}`);
    check(big === want, `BigInt parser on ${JSON.stringify(s)}: ${big} vs native ${want}`);
    if (want !== 'EINVAL') accepted++;
  }
  check(accepted > 2000 && accepted < 18000, `edge-case inputs reach both outcomes (${accepted} accepted)`);
}

for (const kind of ['absolute', 'relative'] as const) {
  const r = new Rng(kind === 'absolute' ? 1 : 2);
  // Four different batches, rotated, so that no run sees the same strings twice in a row.
  const sets = Array.from({ length: 4 }, () => (kind === 'absolute' ? absoluteInputs(r, BATCH) : relativeInputs(r, BATCH)));
  const cur = randomWords(r, 0.6);
  const curMask = ApMask.fromWords(cur);
  const curBig = bigFromWords(cur);
  const fastOut = new Int32Array(BATCH * 8);
  const one = new Int32Array(8);

  // Agreement: every alternative gives the same mask for every input.
  for (const set of sets) {
    const b = batch.parseKernelMasks(set, curMask);
    check(b.refused === 0, `${kind}: the benchmark inputs are all valid`);
    set.forEach((s, i) => {
      const want = b.table.get(i).toString();
      check(parseKernelMask(s, curMask).toString() === want, `per-call native on ${JSON.stringify(s)}`);
      check(parseKernelMaskFast(s, cur, one) === 0 && hexOfWords(one) === want, `fast TS on ${JSON.stringify(s)}`);
      check(bigToHex(parseKernelMaskBig(s, curBig)!) === want, `BigInt on ${JSON.stringify(s)}`);
      if (kind === 'absolute') {
        check('0x' + new BitSet(s.trimEnd()).toString(16).padStart(64, '0') === want, `bitset on ${JSON.stringify(s)}`);
      }
    });
  }

  const group = kind === 'absolute' ? 'parse absolute `0x<64 hex>\\n`' : 'parse relative `-4,-0x47,+0-15`';
  const ops = { opsPerCall: BATCH };
  add(group, 'native batch parseKernelMasks', time((i) => batch.parseKernelMasks(sets[i & 3]!, curMask).table, ops), `${BATCH} strings per call`, `parse-${kind}-batch`);
  add(group, 'native per call parseKernelMask', time((i) => {
    const set = sets[i & 3]!;
    let x: ApMaskT = ApMask.EMPTY;
    for (let k = 0; k < set.length; k++) x = parseKernelMask(set[k]!, curMask);
    return x;
  }, ops), 'one N-API call per string');
  add(group, 'TS fast parser (baselines/)', time((i) => {
    const set = sets[i & 3]!;
    let bad = 0;
    for (let k = 0; k < set.length; k++) bad += parseKernelMaskFast(set[k]!, cur, fastOut, k * 8);
    return bad;
  }, ops), 'errno only, no position/reason', `parse-${kind}-ts`);
  add(group, 'BigInt parser', time((i) => {
    const set = sets[i & 3]!;
    let x: bigint | null = 0n;
    for (let k = 0; k < set.length; k++) x = parseKernelMaskBig(set[k]!, curBig);
    return x;
  }, ops), kind === 'absolute' ? 'regex + BigInt(hex)' : 'BigInt mask per term');
  if (kind === 'absolute') {
    add(group, 'bitset new BitSet("0x…")', time((i) => {
      const set = sets[i & 3]!;
      let x = null;
      for (let k = 0; k < set.length; k++) x = new BitSet(set[k]!.trimEnd());
      return x;
    }, ops), 'plain hex only: no grammar checks');
  } else {
    add(group, 'bitset', null, 'no kernel grammar (no relative terms)');
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Formatting to the kernel's read format.

{
  const r = new Rng(3);
  const words = Array.from({ length: BATCH }, () => randomWords(r));
  const masks = words.map((w) => ApMask.fromWords(w));
  const table = batch.MaskTable.from(masks);
  const bigs = words.map((w) => bigFromWords(w));
  const bitsets = masks.map((m) => new BitSet(m.toString()));
  const want = masks.map((m) => m.toString());
  const nat = batch.formatMasks(table);
  want.forEach((s, i) => {
    check(s === hexOfWords(words[i]!), `ApMask.toString of mask ${i}`);
    check(nat[i] === s, `formatMasks of mask ${i}`);
    check(bigToHex(bigs[i]!) === s, `BigInt hex of mask ${i}`);
    check('0x' + bitsets[i]!.toString(16).padStart(64, '0') === s, `bitset hex of mask ${i}`);
  });
  const group = 'format `0x<64 hex>`';
  const ops = { opsPerCall: BATCH };
  let out = new Array<string>(BATCH);
  // Each loop reads the last character of every string: a string built by concatenation is a
  // rope until something reads it, and every real consumer (a sysfs write, a comparison) does.
  add(group, 'ApMask.toString', time(() => {
    let c = 0;
    for (let k = 0; k < BATCH; k++) c += (out[k] = masks[k]!.toString()).charCodeAt(65);
    return c;
  }, ops), 'string read once', 'format-apmask');
  add(group, 'native batch formatMasks', time(() => {
    out = batch.formatMasks(table);
    let c = 0;
    for (let k = 0; k < BATCH; k++) c += out[k]!.charCodeAt(65);
    return c;
  }, ops), `${BATCH} masks per call`, 'format-native');
  add(group, 'BigInt toString(16).padStart', time(() => {
    let c = 0;
    for (let k = 0; k < BATCH; k++) c += (out[k] = '0x' + bigs[k]!.toString(16).padStart(64, '0')).charCodeAt(65);
    return c;
  }, ops), '', 'format-bigint');
  add(group, 'bitset toString(16).padStart', time(() => {
    let c = 0;
    for (let k = 0; k < BATCH; k++) c += (out[k] = '0x' + bitsets[k]!.toString(16).padStart(64, '0')).charCodeAt(65);
    return c;
  }, ops), '', 'format-bitset');
}

// ---------------------------------------------------------------------------------------------
// 3. Single-mask operations: 64 masks of mixed density, pairs rotating over them; each result is
// kept in a ring of 64 so that it has to exist.

{
  const r = new Rng(4);
  const POOL = 64;
  const words = Array.from({ length: POOL }, () => randomWords(r));
  const am = words.map((w) => ApMask.fromWords(w));
  const bi = words.map((w) => bigFromWords(w));
  const bs = am.map((m) => new BitSet(m.toString()));
  const u32 = words.map((w) => new Uint32Array(w.buffer.slice(0)));
  const ring: unknown[] = new Array(POOL).fill(null);
  const outs = Array.from({ length: POOL }, () => new Uint32Array(8));

  // Agreement on every pair of the pool.
  for (let i = 0; i < POOL * POOL; i++) {
    const a = i & 63;
    const b = i >>> 6;
    const and = am[a]!.and(am[b]!).toString();
    check(bigToHex(bi[a]! & bi[b]!) === and, 'BigInt AND');
    check('0x' + bs[a]!.and(bs[b]!).toString(16).padStart(64, '0') === and, 'bitset AND');
    const or = am[a]!.or(am[b]!).toString();
    check(bigToHex(bi[a]! | bi[b]!) === or, 'BigInt OR');
    check('0x' + bs[a]!.or(bs[b]!).toString(16).padStart(64, '0') === or, 'bitset OR');
    const inter = am[a]!.intersects(am[b]!);
    check(((bi[a]! & bi[b]!) !== 0n) === inter, 'BigInt intersects');
    check(!bs[a]!.and(bs[b]!).isEmpty() === inter, 'bitset intersects');
  }
  for (let a = 0; a < POOL; a++) {
    const n = am[a]!.count();
    check(popcountBig(bi[a]!) === n && bs[a]!.cardinality() === n, 'count');
  }

  const pop32 = (x: number): number => {
    x -= (x >>> 1) & 0x55555555;
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    x = (x + (x >>> 4)) & 0x0f0f0f0f;
    return Math.imul(x, 0x01010101) >>> 24;
  };
  const u32Count = (a: Uint32Array): number => {
    let n = 0;
    for (let k = 0; k < 8; k++) n += pop32(a[k]!);
    return n;
  };
  const u32Intersects = (a: Uint32Array, b: Uint32Array): boolean => {
    let x = 0;
    for (let k = 0; k < 8; k++) x |= a[k]! & b[k]!;
    return x !== 0;
  };
  for (let i = 0; i < POOL * POOL; i++) {
    const a = i & 63;
    const b = i >>> 6;
    check(u32Intersects(u32[a]!, u32[b]!) === am[a]!.intersects(am[b]!), 'Uint32Array intersects');
  }
  for (let a = 0; a < POOL; a++) check(u32Count(u32[a]!) === am[a]!.count(), 'Uint32Array count');

  const many = { opsPerCall: 1000, targetMs: 15 };
  // Each variant is its own loop (its own function literal): a shared helper taking the operation
  // as a callback would turn megamorphic and time the call, not the operation. Call i covers
  // pairs (j & 63, (j * 7 + 3) & 63) for j = 1000i .. 1000i + 999.
  const R = ring;
  {
    const group = 'AND of two masks';
    add(group, 'ApMask.and (new value)', time((i) => {
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) R[k & 63] = am[j & 63]!.and(am[(j * 7 + 3) & 63]!);
      return R[0];
    }, many), '', 'AND-apmask');
    add(group, 'BigInt a & b', time((i) => {
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) R[k & 63] = bi[j & 63]! & bi[(j * 7 + 3) & 63]!;
      return R[0];
    }, many), 'allocates', 'AND-bigint');
    add(group, 'bitset a.and(b)', time((i) => {
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) R[k & 63] = bs[j & 63]!.and(bs[(j * 7 + 3) & 63]!);
      return R[0];
    }, many), 'allocates', 'AND-bitset');
    add(group, 'Uint32Array(8) in-place loop', time((i) => {
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) {
        const x = u32[j & 63]!;
        const y = u32[(j * 7 + 3) & 63]!;
        const o = outs[k & 63]!;
        for (let w = 0; w < 8; w++) o[w] = x[w]! & y[w]!;
      }
      return outs[0]![0];
    }, many), 'into a preallocated array', 'AND-u32');
  }
  {
    const group = 'OR of two masks';
    add(group, 'ApMask.or (new value)', time((i) => {
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) R[k & 63] = am[j & 63]!.or(am[(j * 7 + 3) & 63]!);
      return R[0];
    }, many), '', 'OR-apmask');
    add(group, 'BigInt a | b', time((i) => {
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) R[k & 63] = bi[j & 63]! | bi[(j * 7 + 3) & 63]!;
      return R[0];
    }, many), 'allocates', 'OR-bigint');
    add(group, 'bitset a.or(b)', time((i) => {
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) R[k & 63] = bs[j & 63]!.or(bs[(j * 7 + 3) & 63]!);
      return R[0];
    }, many), 'allocates', 'OR-bitset');
    add(group, 'Uint32Array(8) in-place loop', time((i) => {
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) {
        const x = u32[j & 63]!;
        const y = u32[(j * 7 + 3) & 63]!;
        const o = outs[k & 63]!;
        for (let w = 0; w < 8; w++) o[w] = x[w]! | y[w]!;
      }
      return outs[0]![0];
    }, many), 'into a preallocated array', 'OR-u32');
  }
  {
    const group = 'count of one mask';
    add(group, 'ApMask.count', time((i) => {
      let n = 0;
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) n += am[j & 63]!.count();
      return n;
    }, many), '', 'count-apmask');
    add(group, 'BigInt (32-bit chunks)', time((i) => {
      let n = 0;
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) n += popcountBig(bi[j & 63]!);
      return n;
    }, many), 'v & 0xffffffffn, v >>= 32n', 'count-bigint');
    add(group, 'bitset cardinality()', time((i) => {
      let n = 0;
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) n += bs[j & 63]!.cardinality();
      return n;
    }, many), '', 'count-bitset');
    add(group, 'Uint32Array(8) loop', time((i) => {
      let n = 0;
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) n += u32Count(u32[j & 63]!);
      return n;
    }, many), '', 'count-u32');
  }

  {
    const group = 'intersects (two masks)';
    // The regression guard of the per-call lesson: the addon has no single-mask intersects (by
    // design), so the closest per-call native form is an AND-reduction of a 2-mask table.
    const pairTables = Array.from({ length: POOL }, (_, a) => {
      const t = new Uint8Array(64);
      am[a]!.toBytes(t, 0);
      am[(a * 7 + 3) & 63]!.toBytes(t, 32);
      return t;
    });
    const nOut = new Uint8Array(32);
    const nOut32 = new Uint32Array(nOut.buffer);
    const nativeIntersects = (a: number): boolean => {
      native().reduceMasks(pairTables[a]!, nOut, 1);
      return (nOut32[0]! | nOut32[1]! | nOut32[2]! | nOut32[3]! | nOut32[4]! | nOut32[5]! | nOut32[6]! | nOut32[7]!) !== 0;
    };
    for (let a = 0; a < POOL; a++) check(nativeIntersects(a) === am[a]!.intersects(am[(a * 7 + 3) & 63]!), 'native per-call intersects');
    add(group, 'ApMask.intersects', time((i) => {
      let n = 0;
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) if (am[j & 63]!.intersects(am[(j * 7 + 3) & 63]!)) n++;
      return n;
    }, many), '', 'intersects-apmask');
    add(group, 'BigInt (a & b) !== 0n', time((i) => {
      let n = 0;
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) if ((bi[j & 63]! & bi[(j * 7 + 3) & 63]!) !== 0n) n++;
      return n;
    }, many), '', 'intersects-bigint');
    add(group, 'bitset !a.and(b).isEmpty()', time((i) => {
      let n = 0;
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) if (!bs[j & 63]!.and(bs[(j * 7 + 3) & 63]!).isEmpty()) n++;
      return n;
    }, many), '', 'intersects-bitset');
    add(group, 'Uint32Array(8) loop', time((i) => {
      let n = 0;
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) if (u32Intersects(u32[j & 63]!, u32[(j * 7 + 3) & 63]!)) n++;
      return n;
    }, many), '', 'intersects-u32');
    add(group, 'native per call (guard)', time((i) => {
      let n = 0;
      for (let k = 0, j = i * 1000; k < 1000; k++, j++) if (nativeIntersects(j & 63)) n++;
      return n;
    }, many), 'reduceMasks(AND) of a 2-mask table per pair: must stay ≫ JS', 'intersects-native-call');
  }
  consume(ring.length);
}

// ---------------------------------------------------------------------------------------------
// 4. Batch reductions over one table of 10,000 masks.

{
  const N = 10000;
  const r = new Rng(5);
  const masks = Array.from({ length: N }, () => ApMask.fromWords(randomWords(r, r.pick([0.005, 0.01, 0.03]))));
  const table = batch.MaskTable.from(masks);
  const t32 = new Int32Array(table.bytes.buffer, table.bytes.byteOffset, N * 8);
  const acc = new Int32Array(8);
  const accBytes = new Uint8Array(acc.buffer);
  const tsUnion = (): ApMaskT => {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    for (let o = 0; o < t32.length; o += 8) {
      a0 |= t32[o]!; a1 |= t32[o + 1]!; a2 |= t32[o + 2]!; a3 |= t32[o + 3]!;
      a4 |= t32[o + 4]!; a5 |= t32[o + 5]!; a6 |= t32[o + 6]!; a7 |= t32[o + 7]!;
    }
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
    return ApMask.fromBytes(accBytes);
  };
  const pop32 = (x: number): number => {
    x -= (x >>> 1) & 0x55555555;
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    x = (x + (x >>> 4)) & 0x0f0f0f0f;
    return Math.imul(x, 0x01010101) >>> 24;
  };
  const tsCountEach = (): { counts: Uint16Array; total: number } => {
    const counts = new Uint16Array(N);
    let total = 0;
    for (let i = 0, o = 0; i < N; i++, o += 8) {
      const c = pop32(t32[o]!) + pop32(t32[o + 1]!) + pop32(t32[o + 2]!) + pop32(t32[o + 3]!) +
        pop32(t32[o + 4]!) + pop32(t32[o + 5]!) + pop32(t32[o + 6]!) + pop32(t32[o + 7]!);
      counts[i] = c;
      total += c;
    }
    return { counts, total };
  };
  const u = batch.unionOf(table);
  check(u.equals(tsUnion()) && u.equals(masks.reduce((x, m) => x.or(m), ApMask.EMPTY)), 'union of the table');
  const ce = batch.countEach(table);
  const tc = tsCountEach();
  check(ce.total === tc.total && ce.counts.every((c, i) => c === tc.counts[i] && c === masks[i]!.count()), 'counts of the table');

  const ops = { opsPerCall: N };
  let group = `union of ${N.toLocaleString('en')} masks`;
  add(group, 'native batch unionOf', time(() => batch.unionOf(table), ops), 'per mask', 'union-native');
  add(group, 'TS loop over the table (Int32Array)', time(tsUnion, ops), 'per mask', 'union-ts');
  add(group, 'ApMask[] reduce((x, m) => x.or(m))', time(() => masks.reduce((x, m) => x.or(m), ApMask.EMPTY), ops), 'per mask');
  group = `count each of ${N.toLocaleString('en')} masks`;
  add(group, 'native batch countEach', time(() => batch.countEach(table).total, ops), 'per mask', 'counteach-native');
  add(group, 'TS loop over the table (Int32Array)', time(() => tsCountEach().total, ops), 'per mask', 'counteach-ts');
  add(group, 'ApMask[] count() each', time(() => {
    const counts = new Uint16Array(N);
    let total = 0;
    for (let i = 0; i < N; i++) total += counts[i] = masks[i]!.count();
    return total;
  }, ops), 'per mask');
}

// ---------------------------------------------------------------------------------------------
// 5. The shared-APQN check.

const cxxSource = path.join(root, 'benchmarks/native/plain_conflicts.cc');
const cxxCore = path.join(root, 'native/apqn_conflicts.cc');
const cxxBin = path.join(root, 'build-bench/plain_conflicts');
// The flags node-gyp uses for the addon's Release build (binding.gyp cflags_cc plus common.gypi).
const CXXFLAGS = ['-fPIC', '-pthread', '-m64', '-O3', '-fno-omit-frame-pointer', '-fno-rtti', '-std=c++17',
  '-fvisibility=hidden', '-Wall', '-Wextra', '-Wno-unused-parameter'];
{
  const res = spawnSync('g++', [...CXXFLAGS, '-I', path.join(root, 'native'), cxxSource, cxxCore, '-o', cxxBin], { encoding: 'utf8' });
  if (res.status !== 0) {
    console.error(`bench: g++ failed to build ${cxxBin}:\n${res.stderr}`);
    process.exit(1);
  }
}

function fnv(tri: Uint32Array): number {
  let h = 2166136261;
  for (let k = 0; k < tri.length; k++) h = Math.imul(h ^ tri[k]!, 16777619) >>> 0;
  return h;
}

function sameTriples(x: Uint32Array, y: Uint32Array): boolean {
  if (x.length !== y.length) return false;
  for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  return true;
}

const tmp = mkdtempSync(path.join(tmpdir(), 'zmdev-bench-'));
const perApqn: { n: number; nativeNs: number; apqns: number; entries: number }[] = [];
try {
  for (const n of [10, 1000, 10000, 100000]) {
    const bytes = guestMatrices(new Rng(0xa9 + n), n);
    const table = new batch.MatrixTable(n);
    table.bytes.set(bytes);
    const apqns = apqnCount(bytes);
    const big = n >= 100000;

    // Agreement: the addon, the TS owner table, the pairwise scan, the public API and plain C++.
    const flat = native().findSharedApqns(bytes);
    const entries = flat.length / 3;
    check(sameTriples(sharedApqnsOwnerTable(bytes), flat), `TS owner table at ${n}`);
    if (n <= 10000) check(sameTriples(sharedApqnsPairwise(bytes), flat), `pairwise TS at ${n}`);
    const api = batch.findSharedApqns(table);
    let k = 0;
    const apiOk = api.every((s) => s.apqns.every((q) => flat[k++] === s.a && flat[k++] === s.b && flat[k++] === ((q.adapter << 8) | q.domain)));
    check(apiOk && k === flat.length, `findSharedApqns (API) at ${n}`);

    const file = path.join(tmp, `matrices-${n}.bin`);
    writeFileSync(file, bytes);
    // The plain C++ program reports its own times; one run of it per round, its median taken.
    const runCxx = (warm: number, runs: number): number[] => {
      const cxx = spawnSync(cxxBin, [file, String(warm), String(runs)], { encoding: 'utf8' });
      if (cxx.status !== 0) {
        console.error(`bench: ${cxxBin} failed: ${cxx.stderr}`);
        process.exit(1);
      }
      const cx = JSON.parse(cxx.stdout) as { matrices: number; entries: number; checksum: number; ns: number[] };
      check(cx.matrices === n && cx.entries === entries && cx.checksum === fnv(flat), `plain C++ at ${n}: ${cxx.stdout.trim()}`);
      return cx.ns;
    };
    runCxx(0, 1);

    const group = `shared APQNs, ${n.toLocaleString('en')} matrices`;
    const facts = `${apqns.toLocaleString('en')} APQNs, ${entries.toLocaleString('en')} shared`;
    const reps = big ? 7 : 11;
    const opts = { targetMs: big ? 1 : 20, reps, warmupReps: big ? 1 : 2 };
    const per = (m: Measurement): string => `${(m.nsPerOp / apqns).toFixed(2)} ns/APQN`;
    add(group, 'native batch (addon call)', time(() => native().findSharedApqns(bytes), opts), (m) => `${per(m)}; ${facts}`, `shared-${n}-native`);
    // At 100,000 matrices the API builds millions of objects (seconds per call): fewer runs.
    add(group, 'findSharedApqns (API objects)', time(() => batch.findSharedApqns(table), big ? { targetMs: 1, reps: 3, warmupReps: 0 } : opts),
      (m) => `${per(m)}; + one object per pair and APQN`, `shared-${n}-api`);
    add(group, 'plain C++ (no N-API, child)', external(() => {
      const ns = big ? runCxx(1, 1) : runCxx(5, 15);
      return [...ns].sort((x, y) => x - y)[ns.length >> 1]!;
    }, reps), (m) => `${per(m)}; same core, same flags`, `shared-${n}-cxx`);
    add(group, 'TS owner table (same algorithm)', time(() => sharedApqnsOwnerTable(bytes), opts), per, `shared-${n}-ts`);
    if (n <= 10000) {
      add(group, 'TS naive pairwise', time(() => sharedApqnsPairwise(bytes), n >= 10000 ? { targetMs: 1, reps: 3, warmupReps: 0 } : opts),
        (m) => `${per(m)}; O(n²) pairs`, `shared-${n}-pairwise`);
    } else {
      add(group, 'TS naive pairwise', null, `not run: ~${((n * n) / 2 / 1e9).toFixed(0)}G pairs`);
    }
    flush();
    perApqn.push({ n, nativeNs: keys.get(`shared-${n}-native`)!.nsPerOp, apqns, entries });
    collect();
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// 6. The simulator's sysfs tree on the large preset (64 cards x 85 domains): the lazy tree of
// src/sim against the previous one (baselines/sim-sysfs-eager.ts, every lookup building every
// directory on its path), in process, over FUSE, and as `zmdev list --sim`.

const simFacts: string[] = [];
{
  const { SimHost, presetState } = await import('../src/sim/index.js');
  const { SimSysfs } = await import('../src/sim/sysfs.js');
  const { EagerSimSysfs } = await import('./baselines/sim-sysfs-eager.js');
  const { readInventory } = await import('../src/ap/inventory.js');
  const { saveState } = await import('../src/sim/state-file.js');
  const large = presetState('large', '6.15');
  const lazy = new SimSysfs(new SimHost(structuredClone(large)));
  const eager = new EagerSimSysfs(new SimHost(structuredClone(large)));

  // Agreement: the tree, walked without following links, reads the same through both. Of a
  // directory with thousands of entries (bus/ap/devices, a queue driver's, devices/ap) both list
  // the same names, and the walk goes into a few of them (the eager tree would take minutes).
  const walk = (io: import('../src/sysfs/sysfs-io.js').SysfsIO): string[] => {
    const out: string[] = [];
    const go = (p: string): void => {
      const st = io.stat(p);
      out.push(`${p} ${st.kind} ${st.mode.toString(8)}`);
      if (st.kind === 'link') out.push(io.readlink(p));
      else if (st.kind === 'file' && st.mode & 0o444) out.push(io.read(p));
      else if (st.kind === 'dir') {
        const names = io.list(p);
        out.push(names.join(' '));
        const some = names.length > 100 ? names.filter((n, i) => i < 3 || n === 'card2a' || n.startsWith('2a.00')) : names;
        for (const n of some) go(p ? `${p}/${n}` : n);
      }
    };
    go('');
    return out;
  };
  const lazyTree = walk(lazy);
  check(lazyTree.join('\n') === walk(eager).join('\n'), 'the lazy and the eager tree read differently');
  const lazyInv = JSON.stringify(readInventory(lazy));
  check(lazyInv === JSON.stringify(readInventory(eager)), 'the inventories of the two trees differ');
  simFacts.push(`large preset: ${lazyTree.length.toLocaleString('en')} lines of a walk of the tree alike through both trees`);

  // The attributes of one card and its 85 queues, as the FUSE rows read them.
  const cardPaths: string[] = [];
  const card = 'devices/ap/card2a';
  for (const n of lazy.list(card)) {
    if (/^2a\./.test(n)) for (const a of lazy.list(`${card}/${n}`)) { if (a !== 'driver') cardPaths.push(`${card}/${n}/${a}`); }
    else if (n !== 'driver') cardPaths.push(`${card}/${n}`);
  }
  const one = `${card}/2a.0040/online`;
  let group = 'sim: one attribute read (in process)';
  add(group, 'eager tree (previous)', time(() => eager.read(one)), '', 'sim-read-eager');
  add(group, 'lazy tree (src/sim)', time(() => lazy.read(one)), 'devices/ap/card2a/2a.0040/online', 'sim-read-lazy');
  group = 'sim: readInventory (in process)';
  add(group, 'eager tree (previous)', time(() => readInventory(eager), { targetMs: 200, reps: 5, warmupReps: 1 }), '', 'sim-inv-eager');
  add(group, 'lazy tree (src/sim)', time(() => readInventory(lazy), { targetMs: 200, reps: 5, warmupReps: 1 }), 'every card and queue attribute, one readMany', 'sim-inv-lazy');
  flush();

  // FUSE: one server per tree (and one without a tree), each in its own process.
  const simTmp = mkdtempSync(path.join(tmpdir(), 'zmdev-bench-sim-'));
  const servers: import('node:child_process').ChildProcess[] = [];
  const serve = async (kind: string): Promise<string> => {
    const mnt = path.join(simTmp, kind);
    spawnSync('mkdir', [mnt]);
    const child = spawn(process.execPath, [path.join(here, 'sim-serve.js'), kind, mnt], { stdio: ['ignore', 'pipe', 'inherit'] });
    servers.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (c: string) => c.includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`the ${kind} FUSE server exited (${code}) before it was ready`)));
    });
    return mnt;
  };
  try {
    const [mEager, mLazy, mNull] = [await serve('eager'), await serve('lazy'), await serve('null')];
    const bytesOf = (mnt: string): number => cardPaths.reduce((n, p) => n + readFileSync(path.join(mnt, p), 'latin1').length, 0);
    check(bytesOf(mEager) === bytesOf(mLazy), 'the two FUSE servers serve different bytes');
    const files = cardPaths;
    // One repetition reads every attribute of the card once (fs.readFileSync: open, fstat, read, close).
    const overFuse = (mnt: string): number => {
      const t0 = process.hrtime.bigint();
      let n = 0;
      for (const p of files) n += readFileSync(path.join(mnt, p), 'latin1').length;
      consume(n);
      return Number(process.hrtime.bigint() - t0) / files.length;
    };
    group = `sim over FUSE: attribute reads (${files.length} files of one card)`;
    add(group, 'eager tree (previous)', external(() => overFuse(mEager), 5), (m) => `${fmtOps(m.nsPerOp)} reads/s; one card ${fmtNs(m.nsPerOp * files.length)}`, 'fuse-eager');
    add(group, 'lazy tree (src/sim)', external(() => overFuse(mLazy), 5), (m) => `${fmtOps(m.nsPerOp)} reads/s; one card ${fmtNs(m.nsPerOp * files.length)}`, 'fuse-lazy');
    add(group, 'no tree (transport floor)', external(() => overFuse(mNull), 5), (m) => `${fmtOps(m.nsPerOp)} reads/s: fuse-native's own cost per file`, 'fuse-null');
    flush();
  } finally {
    for (const c of servers) {
      if (c.exitCode === null && c.signalCode === null) {
        const gone = new Promise((resolve) => c.once('exit', resolve));
        c.kill('SIGTERM');
        await gone;
      }
    }
    rmSync(simTmp, { recursive: true, force: true });
  }

  // `zmdev list --sim large.json` from a cold process, against Node's own start-up.
  const listTmp = mkdtempSync(path.join(tmpdir(), 'zmdev-bench-list-'));
  try {
    const file = path.join(listTmp, 'large.json');
    saveState(file, large);
    const run = (args: string[]): number => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
      const ns = Number(process.hrtime.bigint() - t0);
      if (r.status !== 0) {
        console.error(`bench: ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
        process.exit(1);
      }
      return ns;
    };
    const cli = [path.join(here, 'zmdev-cli.js'), 'list', '--sim', file];
    const steps = (tree: string) => [path.join(here, 'sim-list.js'), tree, file];
    const out = (args: string[]) => spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
    check(out(cli) === out(steps('eager')) && out(cli) === out(steps('lazy')), 'zmdev list and the list steps print differently');
    group = 'zmdev list --sim large.json (cold process)';
    add(group, 'node -e 0', external(() => run(['-e', '0']), 9), 'Node start-up alone', 'list-node');
    add(group, 'zmdev list (src/cli, lazy tree)', external(() => run(cli), 9), (m) => `${(m.nsPerOp / keys.get('list-node')!.nsPerOp).toFixed(2)}× node -e 0`, 'list-cli');
    add(group, 'list steps, eager tree (previous)', external(() => run(steps('eager')), 9), 'load, inventory, format, save', 'list-eager');
    add(group, 'list steps, lazy tree (src/sim)', external(() => run(steps('lazy')), 9), 'the same steps', 'list-lazy');
    flush();
    // Where the time of one cold run goes (the median of five runs of each step).
    for (const tree of ['eager', 'lazy']) {
      const runs = Array.from({ length: 5 }, () => {
        const r = spawnSync(process.execPath, [...steps(tree), '--breakdown'], { encoding: 'utf8', maxBuffer: 1 << 26 });
        return JSON.parse(r.stderr.trim().split('\n').pop()!) as Record<string, number>;
      });
      const med = Object.keys(runs[0]!).map((k) => `${k} ${[...runs.map((x) => x[k]!)].sort((a, b) => a - b)[2]} ms`);
      simFacts.push(`list steps, ${tree} tree: ${med.join(', ')}`);
    }
  } finally {
    rmSync(listTmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

flush();
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`zmdev mask benchmarks — node ${process.version}, ${process.arch}; medians of repeated runs; ` +
  '"vs ref" = times faster than the first row of its case (<1 = slower)');
// Other work on the machine shows up as spread; the load average says how much there was.
console.log(`load average (1 min) at start ${loadAtStart.toFixed(2)}, at end ${loadavg()[0]!.toFixed(2)}; ` +
  '"spread" = half the range of the repetitions, relative to the median');
console.log('');
printTable();
console.log('');

const k = (name: string): number => keys.get(name)!.nsPerOp;
const ratio = (slow: string, fast: string): string => fmtRatio(k(slow) / k(fast));
console.log('key ratios (same run):');
for (const n of [10, 1000, 10000, 100000]) {
  const nat = k(`shared-${n}-native`);
  const cxx = k(`shared-${n}-cxx`);
  const ts = k(`shared-${n}-ts`);
  const best = n <= 10000 ? Math.min(ts, k(`shared-${n}-pairwise`)) : ts;
  // The fastest repetitions too: on a loaded machine they are the least disturbed.
  const fast = (key: string): number => keys.get(key)!.minNs;
  const bestFast = n <= 10000 ? Math.min(fast(`shared-${n}-ts`), fast(`shared-${n}-pairwise`)) : fast(`shared-${n}-ts`);
  console.log(`  shared APQNs ${n.toLocaleString('en').padStart(7)}: native/plain C++ = ${(nat / cxx).toFixed(2)} (target ≤ 1.20)` +
    `, best TS/native = ${(best / nat).toFixed(2)} (target > 1); from the fastest repetitions: ` +
    `${(fast(`shared-${n}-native`) / fast(`shared-${n}-cxx`)).toFixed(2)} and ${(bestFast / fast(`shared-${n}-native`)).toFixed(2)}`);
}
console.log(`  linearity: native ns per APQN ${perApqn.map((p) => `${p.n}: ${(p.nativeNs / p.apqns).toFixed(1)}`).join(', ')}` +
  `; ns per (APQN + shared entry) ${perApqn.map((p) => `${p.n}: ${(p.nativeNs / (p.apqns + p.entries)).toFixed(1)}`).join(', ')}`);
for (const op of ['AND', 'OR', 'count', 'intersects']) {
  console.log(`  ${op}: ApMask is ${ratio(`${op}-bigint`, `${op}-apmask`)} BigInt's speed, ${ratio(`${op}-bitset`, `${op}-apmask`)} bitset's, ` +
    `${ratio(`${op}-u32`, `${op}-apmask`)} Uint32Array's`);
}
console.log(`  format: ApMask.toString is ${ratio('format-bigint', 'format-apmask')} BigInt's speed, ${ratio('format-native', 'format-apmask')} formatMasks'`);
console.log(`  per-call guard: native per-call intersects is ${ratio('intersects-native-call', 'intersects-apmask')} slower than ApMask.intersects`);
console.log(`  parse: native batch is ${ratio('parse-absolute-ts', 'parse-absolute-batch')} the fast TS parser's speed (absolute), ${ratio('parse-relative-ts', 'parse-relative-batch')} (relative)`);
console.log(`  sim: one attribute read, lazy tree ${ratio('sim-read-eager', 'sim-read-lazy')} the eager tree's speed; readInventory ${ratio('sim-inv-eager', 'sim-inv-lazy')}`);
console.log(`  sim over FUSE: lazy tree ${ratio('fuse-eager', 'fuse-lazy')} the eager tree's attribute reads per second (target ≥ 20×); ` +
  `the transport alone (no tree) is ${ratio('fuse-eager', 'fuse-null')}, the ceiling of any tree`);
console.log(`  zmdev list --sim large.json: ${(k('list-cli') / k('list-node')).toFixed(2)}× node -e 0 (target ≤ 2); ` +
  `list steps: lazy tree ${ratio('list-eager', 'list-lazy')} the eager tree's speed`);
for (const f of simFacts) console.log(`  ${f}`);
console.log(`(whole run ${elapsed.toFixed(1)} s; sink ${sink.n & 0xff}${sink.s.length ? '' : ''})`);
