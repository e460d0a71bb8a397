// Batch operations (one native call per table) against per-item results and naive models.
import t from 'tap';
import { GrammarError } from '../../src/errors.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import { formatApqn } from '../../src/mask/apqn.js';
import {
  countEach, findSharedApqns, formatMasks, intersectionOf, MaskTable, MatrixTable, parseKernelMasks, unionOf,
  type Matrix,
} from '../../src/mask/batch.js';
import { parseKernelMask } from '../../src/mask/grammar.js';
import { genKernelMask, Rng, testSeed } from '../oracle/random.js';

const seed = testSeed();
const ids = (...xs: number[]) => ApMask.of(xs);

t.test('MaskTable', async (t) => {
  const masks = [ids(1), ApMask.FULL, ApMask.EMPTY];
  const table = MaskTable.from(masks);
  t.equal(table.length, 3);
  t.equal(table.bytes.length, 96);
  masks.forEach((m, i) => t.ok(table.get(i).equals(m)));
  table.set(2, ids(200));
  t.same(table.get(2).ids(), [200]);
  const wrapped = new MaskTable(2, new Uint8Array(64).fill(0xff));
  t.ok(wrapped.get(1).equals(ApMask.FULL));
  t.throws(() => new MaskTable(2, new Uint8Array(63)), RangeError);
  t.equal(new MaskTable(0).bytes.length, 0);
});

t.test(`table operations agree with per-item ApMask results (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed);
  for (const n of [0, 1, 2, 17, 300]) {
    const masks = Array.from({ length: n }, () => ApMask.of(r.ids()));
    const table = MaskTable.from(masks);
    t.same(formatMasks(table), masks.map(String), `formatMasks n=${n}`);
    t.ok(unionOf(table).equals(masks.reduce((a, b) => a.or(b), ApMask.EMPTY)), `unionOf n=${n}`);
    t.ok(intersectionOf(table).equals(masks.reduce((a, b) => a.and(b), ApMask.FULL)), `intersectionOf n=${n}`);
    const { counts, total } = countEach(table);
    t.same([...counts], masks.map((m) => m.count()), `countEach n=${n}`);
    t.equal(total, masks.reduce((s, m) => s + m.count(), 0));
  }
  t.ok(unionOf(new MaskTable(0)).isEmpty(), 'the union of nothing is empty');
  t.ok(intersectionOf(new MaskTable(0)).equals(ApMask.FULL), 'the intersection of nothing is all ones');
});

t.test(`parseKernelMasks agrees with parseKernelMask item by item (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed ^ 0x1234567);
  // Non-ASCII inputs shift byte offsets away from string offsets.
  const inputs = ['+1', '-4, -0xab', 'é', '0x41', '+é', '+2\n', '', ...Array.from({ length: 300 }, () => genKernelMask(r))];
  const current = ApMask.of(r.ids());
  const batch = parseKernelMasks(inputs, current);
  let refused = 0;
  inputs.forEach((input, i) => {
    let single: ApMask | GrammarError;
    try {
      single = parseKernelMask(input, current);
    } catch (err) {
      single = err as GrammarError;
    }
    if (single instanceof ApMask) {
      if (batch.errnos[i] !== 0 || !batch.table.get(i).equals(single) || batch.error(i) !== undefined) {
        t.fail(`item ${i} ${JSON.stringify(input)} (ZMDEV_TEST_SEED=${seed})`);
      }
    } else {
      refused++;
      const e = batch.error(i);
      if (batch.errnos[i] !== 22 || !batch.table.get(i).isEmpty() || !(e instanceof GrammarError) ||
        e.position !== single.position || e.reason !== single.reason) {
        t.fail(`refused item ${i} ${JSON.stringify(input)} (ZMDEV_TEST_SEED=${seed})`);
      }
    }
  });
  t.equal(batch.refused, refused);
  t.ok(refused > 0 && refused < inputs.length);
  t.same(batch.table.get(0).ids(), current.with(1).ids());
  t.same(batch.table.get(5).ids(), current.with(2).ids(), 'the item after the non-ASCII ones is read at the right offset');
  t.equal(batch.error(1)?.position, 3);
  t.equal(parseKernelMasks([]).refused, 0);
  t.same(parseKernelMasks(['-5']).table.get(0).ids(), ApMask.FULL.without(5).ids(), 'default current = all ones');
});

/** Naive: every pair i<j, every APQN of i's matrix that is also in j's. */
function naiveShared(ms: Matrix[]): string[] {
  const out: string[] = [];
  for (let a = 0; a < ms.length; a++) {
    for (let b = a + 1; b < ms.length; b++) {
      const qs: string[] = [];
      for (const ad of ms[a]!.adapters) {
        for (const d of ms[a]!.domains) {
          if (ms[b]!.adapters.has(ad) && ms[b]!.domains.has(d)) qs.push(formatApqn({ adapter: ad, domain: d }));
        }
      }
      if (qs.length) out.push(`${a}-${b}: ${qs.join(' ')}`);
    }
  }
  return out;
}
const show = (s: ReturnType<typeof findSharedApqns>) => s.map((x) => `${x.a}-${x.b}: ${x.apqns.map(formatApqn).join(' ')}`);

t.test('findSharedApqns: fixed cases', async (t) => {
  const A: Matrix = { adapters: ids(5), domains: ids(4, 0xab) };
  t.same(show(findSharedApqns([A, { adapters: ids(5), domains: ids(0x47) }])), [],
    'a shared adapter with disjoint domains is no conflict (§5, #51)');
  t.same(show(findSharedApqns([A, { adapters: ids(6), domains: ids(4) }])), [], 'shared domains, disjoint adapters');
  t.same(show(findSharedApqns([A, { adapters: ids(5, 6), domains: ids(4) }])), ['0-1: 05.0004'], 'the #50 conflict');
  const T: Matrix = { adapters: ids(1, 2), domains: ids(3) };
  t.same(show(findSharedApqns([T, T, T])), ['0-1: 01.0003 02.0003', '0-2: 01.0003 02.0003', '1-2: 01.0003 02.0003'],
    'three owners of the same APQNs: every pair');
  t.same(show(findSharedApqns([A, { adapters: ApMask.EMPTY, domains: ids(4) }, A])), ['0-2: 05.0004 05.00ab'],
    'an adapter-less matrix owns nothing');
  t.same(findSharedApqns([]), []);
  t.same(findSharedApqns(MatrixTable.from([A, A])).length, 1, 'a MatrixTable is taken as it is');
  const mt = new MatrixTable(1);
  mt.set(0, A);
  t.ok(mt.get(0).adapters.equals(A.adapters) && mt.get(0).domains.equals(A.domains));
});

t.test(`findSharedApqns agrees with the naive pairwise check (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed ^ 0x7777);
  const small = () => ApMask.of(r.ids().filter(() => r.chance(0.05)).map((x) => x % 12));
  for (let round = 0; round < 40; round++) {
    const ms = Array.from({ length: r.int(8) }, () => ({ adapters: small(), domains: small() }));
    t.same(show(findSharedApqns(ms)), naiveShared(ms), `round ${round} (ZMDEV_TEST_SEED=${seed})`);
  }
});
