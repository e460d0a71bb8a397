// ApMask against a Set<number> model, plus its constructors, byte and text forms.
import t from 'tap';
import { GrammarError } from '../../src/errors.js';
import { ApMask, MASK_BITS, MASK_BYTES } from '../../src/mask/ap-mask.js';
import { bitsOf, bitsToHex } from '../oracle/bits.js';
import { Rng, testSeed } from '../oracle/random.js';

const seed = testSeed();
const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
const model = (m: ApMask) => new Set(m.ids());

t.test(`set operations agree with Set<number> (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed);
  let bad = 0;
  const check = (ok: boolean, what: string) => {
    if (!ok && bad++ < 10) t.fail(`${what} (ZMDEV_TEST_SEED=${seed})`);
  };
  for (let i = 0; i < 500; i++) {
    const xs = new Set(r.ids());
    const ys = new Set(r.ids());
    const x = ApMask.of(xs);
    const y = ApMask.of(ys);
    check(JSON.stringify(x.ids()) === JSON.stringify(sorted(xs)), 'ids');
    check(JSON.stringify([...x]) === JSON.stringify(sorted(xs)), 'iteration');
    check(x.count() === xs.size, 'count');
    check(x.isEmpty() === (xs.size === 0), 'isEmpty');
    check(x.and(y).ids().join() === sorted(new Set([...xs].filter((v) => ys.has(v)))).join(), 'and');
    check(x.or(y).ids().join() === sorted(new Set([...xs, ...ys])).join(), 'or');
    check(x.xor(y).ids().join() === sorted(new Set([...xs, ...ys].filter((v) => xs.has(v) !== ys.has(v)))).join(), 'xor');
    check(x.andNot(y).ids().join() === sorted(new Set([...xs].filter((v) => !ys.has(v)))).join(), 'andNot');
    check(x.complement().ids().join() === Array.from({ length: 256 }, (_, k) => k).filter((v) => !xs.has(v)).join(), 'complement');
    check(x.intersects(y) === [...xs].some((v) => ys.has(v)), 'intersects');
    check(x.equals(y) === (sorted(xs).join() === sorted(ys).join()), 'equals');
    check(x.equals(ApMask.of(sorted(xs).reverse())), 'of() ignores order');
    const probe = r.int(256);
    check(x.has(probe) === xs.has(probe), 'has');
    check(x.with(probe).has(probe) && x.without(probe).has(probe) === false, 'with/without');
    check(x.with(probe).count() === new Set([...xs, probe]).size, 'with count');
    check(x.above(200).join() === sorted(xs).filter((v) => v > 200).join(), 'above');
    check(x.toString() === bitsToHex(bitsOf(xs)), 'toString matches the oracle hex');
    check(ApMask.fromReadFormat(x.toString()).equals(x), 'read format round trip');
    check(ApMask.fromBytes(x.toBytes()).equals(x), 'bytes round trip');
    check(ApMask.fromWords([0, 1, 2, 3, 4, 5, 6, 7].map((k) => x.word(k))).equals(x), 'words round trip');
  }
  t.equal(bad, 0);
});

t.test('constants and constructors', async (t) => {
  t.equal(MASK_BITS, 256);
  t.equal(MASK_BYTES, 32);
  t.equal(ApMask.EMPTY.count(), 0);
  t.equal(ApMask.FULL.count(), 256);
  t.equal(ApMask.FULL.toString(), `0x${'f'.repeat(64)}`);
  t.ok(ApMask.EMPTY.complement().equals(ApMask.FULL));
  t.same(ApMask.of([7, 1]).toString(), `0x41${'0'.repeat(62)}`, 'ID 0 is the leftmost bit (§0)');
  t.same(ApMask.range(3, 6).ids(), [3, 4, 5, 6]);
  t.same(ApMask.range(9, 9).ids(), [9]);
  t.same(ApMask.range(0, 255).ids().length, 256);
  t.equal(ApMask.FULL.toJSON(), ApMask.FULL.toString());
  t.equal(JSON.stringify({ m: ApMask.of([0]) }), `{"m":"0x8${'0'.repeat(63)}"}`);
});

t.test('invalid IDs', async (t) => {
  for (const bad of [-1, 256, 1.5, NaN, Infinity]) {
    t.throws(() => ApMask.of([bad]), RangeError, `of([${bad}])`);
    t.equal(ApMask.FULL.has(bad), false, `has(${bad}) is false`);
  }
  t.throws(() => ApMask.range(-1, 3), RangeError);
  t.throws(() => ApMask.range(3, 256), RangeError);
  t.throws(() => ApMask.range(10, 3), RangeError, 'a reversed range is an error, not an empty mask');
  t.throws(() => ApMask.FULL.with(300), RangeError);
  t.throws(() => ApMask.FULL.word(8), RangeError);
  t.throws(() => ApMask.FULL.word(-1), RangeError);
});

t.test('bytes: byte 0 holds IDs 0..7, ID 0 in its 0x80 bit', async (t) => {
  const b = ApMask.of([0, 9, 255]).toBytes();
  t.equal(b.length, 32);
  t.equal(b[0], 0x80);
  t.equal(b[1], 0x40);
  t.equal(b[31], 0x01);
  const buf = new Uint8Array(40);
  ApMask.of([0]).toBytes(buf, 8);
  t.equal(buf[8], 0x80);
  t.ok(ApMask.fromBytes(buf, 8).equals(ApMask.of([0])));
  t.throws(() => ApMask.fromBytes(new Uint8Array(31)), RangeError);
  t.throws(() => ApMask.fromBytes(new Uint8Array(40), 9), RangeError);
});

t.test('fromReadFormat: what cat apmask prints, nothing else', async (t) => {
  const text = `0x${'0f'.repeat(32)}`;
  t.equal(ApMask.fromReadFormat(text).toString(), text);
  t.equal(ApMask.fromReadFormat(`${text}\n`).toString(), text, 'one trailing newline');
  t.equal(ApMask.fromReadFormat(text.toUpperCase().replace('0X', '0x')).toString(), text, 'hex digits in either case');
  for (const bad of [text.slice(2), text.slice(0, -1), `${text}0`, `${text}\n\n`, ` ${text}`, '0x41', '', text.replace('0x', '0X')]) {
    const err = t.throws(() => ApMask.fromReadFormat(bad), GrammarError, JSON.stringify(bad)) as GrammarError;
    t.equal(err.grammar, 'mask-read-format');
    t.equal(err.code, 'EINVAL');
  }
});
