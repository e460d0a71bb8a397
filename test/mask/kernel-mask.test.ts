// apmask/aqmask write grammar (docs/kernel.md §0, §1.2, §9.1), each case checked against both the
// native parser and the oracle, plus the GrammarError a refusal carries and sysfsStoreView.
import t from 'tap';
import { GrammarError, errnoOf } from '../../src/errors.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import { parseKernelMask, sysfsStoreView, SYSFS_PAGE_SIZE, toBytes } from '../../src/mask/grammar.js';
import { bitsOf, bitsToHex } from '../oracle/bits.js';
import { oracleKernelMask } from '../oracle/kernel-mask.js';

const ALL = ApMask.FULL;
const NONE = ApMask.EMPTY;
const ids = (...xs: number[]) => ApMask.of(xs);
const hex = (h: string) => ApMask.fromReadFormat(`0x${h.padEnd(64, '0')}`);

type Case = [name: string, input: string | Uint8Array, start: ApMask, want: ApMask | 'EINVAL', position?: number];

const cases: Case[] = [
  // docs/kernel.md §9.1 worked examples
  ['#1 0x41 = IDs 1 and 7', '0x41', ALL, ids(1, 7)],
  ['#3 hex without 0x', '41', NONE, ids(1, 7)],
  ['#5 uppercase 0X is not skipped', '0X41', ALL, 'EINVAL', 1],
  ['#13 0x = all zeros', '0x', ALL, NONE],
  ['#13 0 = all zeros', '0', ALL, NONE],
  ['#13 echo > apmask (a bare newline) = all zeros', '\n', ALL, NONE],
  ['#15', '-5,-6', ALL, hex('f9'.padEnd(64, 'f'))],
  ['#16 (the documentation example)', '-4,-0x47,-0xab,-0xff', ALL,
    ApMask.fromReadFormat('0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe')],
  ['#17', '+0,-6,+0x47,-0xf0', hex('7d'), ApMask.fromReadFormat('0xfd00000000000000010000000000000000000000000000000000000000000000')],
  ['#22', '+0-15', NONE, hex('ffff')],
  ['#24 +0-6 is a range, not +0 then -6', '+0-6', ids(1, 2, 3, 4, 5, 7), hex('ff')],
  ['#30 the kernel comment example fails (0x128 = 296)', '-0-255,+1-16,+0x128', ALL, 'EINVAL', 14],
  // absolute mode
  ['lone x prefix', 'x41', NONE, ids(1, 7)],
  ['x x is not a prefix', 'xx41', NONE, 'EINVAL', 1],
  ['0xx', '0xx41', NONE, 'EINVAL'],
  ['bare x', 'x', ALL, NONE],
  ['0x8 = ID 0 only (padded on the right)', '0x8', NONE, ids(0)],
  ['255 is hex: IDs 2,5,7,9,11', '255', NONE, ids(2, 5, 7, 9, 11)],
  ['hex digits in either case', '0xAbCd\n', NONE, hex('abcd')],
  ['64 digits', `0x${'f'.repeat(64)}`, NONE, ALL],
  ['64 digits and a newline', `${'0'.repeat(63)}1\n`, ALL, ids(255)],
  ['a 65th digit', `0x${'f'.repeat(65)}`, NONE, 'EINVAL', 66],
  ['trailing space', '0x41 ', NONE, 'EINVAL', 4],
  ['two newlines', '41\n\n', NONE, 'EINVAL', 3],
  ['non-hex character', '0x4g', NONE, 'EINVAL', 3],
  ['leading space', ' 0x41', NONE, 'EINVAL', 0],
  ['a comma is not absolute syntax', ',+1', NONE, 'EINVAL', 0],
  ['a leading newline is not a sign', '\n+1', NONE, 'EINVAL'],
  ['a NUL ends the C string the store parses', '0x41\0junk', NONE, ids(1, 7)],
  // relative mode
  ['relative starts from the current mask', '+3', ids(200), ids(3, 200)],
  ['octal', '+010', NONE, ids(8)],
  ['08 leaves an 8 behind', '+08', NONE, 'EINVAL', 2],
  ['0x with no hex digit is octal 0, then x', '+0x', NONE, 'EINVAL', 2],
  ['0X counts in relative mode', '+0X1F', NONE, ids(31)],
  ['hex', '+0xff', NONE, ids(255)],
  ['decimal 255', '+255', NONE, ids(255)],
  ['256 is too large', '+256', NONE, 'EINVAL', 1],
  ['a sign with no number', '+', ALL, 'EINVAL'],
  ['a lone minus', '-', ALL, 'EINVAL'],
  ['two signs', '++1', NONE, 'EINVAL'],
  ['a sign inside the number', '+-1', NONE, 'EINVAL'],
  ['range end below start', '+5-3', NONE, 'EINVAL', 3],
  ['range end above 255', '+0-256', NONE, 'EINVAL'],
  ['range without end', '+5-', NONE, 'EINVAL'],
  ['one-ID range', '+7-7', NONE, ids(7)],
  ['full range clear', '-0-255', ALL, NONE],
  ['empty separator runs', '+1,,+2', NONE, ids(1, 2)],
  ['newline separates terms', '+1\n+2', NONE, ids(1, 2)],
  ['trailing comma and newline', '+1,\n', NONE, ids(1)],
  ['mixed separator runs', '+1\n,\n,+2,\n', NONE, ids(1, 2)],
  ['terms may follow each other with no separator', '+1+2', NONE, ids(1, 2)],
  ['a range then a term', '+1-2-3', ids(3), ids(1, 2)],
  ['last operation wins (set, clear)', '+5,-5', NONE, NONE],
  ['last operation wins (clear, set)', '-5,+5', NONE, ids(5)],
  ['blog example: refused at the space', '-4, -0xab', ALL, 'EINVAL', 3],
  ['space before a term', '+1 ', NONE, 'EINVAL', 2],
  ['absolute token after relative ones', '+1,5', NONE, 'EINVAL', 3],
  ['2^64 wraps to 0', '+18446744073709551616', NONE, ids(0)],
  ['2^64 + 255 wraps to 255', '+18446744073709551871', NONE, ids(255)],
  ['2^64 + 256 wraps to 256: too large', '+18446744073709551872', NONE, 'EINVAL'],
  ['wrapping range end', '+3-18446744073709551621', NONE, ids(3, 4, 5)],
  ['a NUL ends the relative list too', '+5\0,+6', NONE, ids(5)],
  ['raw bytes above 0x7f', new Uint8Array([0x2b, 0x31, 0xe9]), NONE, 'EINVAL', 2],
];

t.test('cases derived from §1.2 and §9.1: native and oracle', async (t) => {
  for (const [name, input, start, want, position] of cases) {
    const o = oracleKernelMask(input, bitsOf(start.ids()));
    if (want === 'EINVAL') {
      t.same(o, { ok: false, errno: 'EINVAL' }, `oracle: ${name}`);
      const err = t.throws(() => parseKernelMask(input, start), GrammarError, name) as GrammarError;
      t.equal(err.code, 'EINVAL', `code: ${name}`);
      t.equal(err.grammar, 'kernel-mask');
      if (position !== undefined) t.equal(err.position, position, `position: ${name}`);
    } else {
      t.equal(o.ok && bitsToHex(o.value), want.toString(), `oracle: ${name}`);
      t.equal(parseKernelMask(input, start).toString(), want.toString(), name);
    }
  }
});

t.test('the default current mask is all ones (the kernel default)', async (t) => {
  t.same(parseKernelMask('-5').ids(), ALL.without(5).ids());
});

t.test('a refusal is a GrammarError with code, errno, position, reason and a hint', async (t) => {
  const err = t.throws(() => parseKernelMask('-4, -0xab', ALL)) as GrammarError;
  t.type(err, GrammarError);
  t.equal(err.name, 'GrammarError');
  t.equal(err.code, 'EINVAL');
  t.equal(err.errno, errnoOf('EINVAL'));
  t.equal(err.input, '-4, -0xab');
  t.equal(err.position, 3);
  t.match(err.reason, /space/);
  t.match(err.message, /^mask write "-4, -0xab" refused at byte 3: .*space.*; the kernel takes/);
  t.same(err.toJSON(), { code: 'EINVAL', message: err.message, grammar: 'kernel-mask', input: '-4, -0xab', position: 3, reason: err.reason });
});

t.test('the error quotes the input as given; the position counts bytes', async (t) => {
  const err = t.throws(() => parseKernelMask('+1,é')) as GrammarError;
  t.equal(err.input, '+1,é');
  t.equal(err.position, 3);
  const raw = t.throws(() => parseKernelMask(new Uint8Array([0x2b, 0x31, 0xff]))) as GrammarError;
  t.equal(raw.input, '+1\u00ff', 'raw bytes: one character per byte');
  t.equal(raw.position, 2);
});

t.test('sysfsStoreView: what a store receives for one write(2)', async (t) => {
  t.equal(sysfsStoreView(''), null, 'an empty write never reaches the store');
  t.equal(sysfsStoreView(new Uint8Array(0)), null);
  t.same([...sysfsStoreView('+5\n')!], [...Buffer.from('+5\n')]);
  t.same([...sysfsStoreView('é')!], [0xc3, 0xa9], 'strings are sent as UTF-8');
  const page = new Uint8Array(SYSFS_PAGE_SIZE).fill(0x30);
  t.equal(sysfsStoreView(page), page, 'exactly one page is passed as it is');
  const long = new Uint8Array(SYSFS_PAGE_SIZE + 100).fill(0x31);
  const view = sysfsStoreView(long)!;
  t.equal(view.length, 4096, 'longer writes are cut to one page');
  t.equal(view.buffer, long.buffer, 'as a view, not a copy');
  t.equal(SYSFS_PAGE_SIZE, 4096);
  const bytes = new Uint8Array([1, 2]);
  t.equal(toBytes(bytes), bytes);
  // A relative list longer than a page: the store only sees (and applies) the first page.
  const list = `+1${','.repeat(4094)}+2`;
  const seen = sysfsStoreView(list)!;
  t.equal(seen.length, 4096);
  t.same(parseKernelMask(seen, NONE).ids(), [1], 'the term after byte 4096 never arrives');
  t.same(parseKernelMask(list, NONE).ids(), [1, 2], 'the parser itself does not cut');
});
