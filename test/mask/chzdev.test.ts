// chzdev apmask=/aqmask= lists (docs/kernel.md §11.1, seed 003) and their lszdev display.
import t from 'tap';
import { GrammarError } from '../../src/errors.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import { parseChzdevMask } from '../../src/mask/grammar.js';
import { formatRanges, quoteRanges } from '../../src/mask/ranges.js';
import { bitsOf, bitsToHex } from '../oracle/bits.js';
import { oracleChzdev } from '../oracle/chzdev.js';

const ALL = ApMask.FULL;
const NONE = ApMask.EMPTY;
const ids = (...xs: number[]) => ApMask.of(xs);

t.test('seed 003: freeing adapters 0 and 10 and domains 1, 2 and 4, four ways', async (t) => {
  for (const ap of ['-0x0,-0xa', '-0,-10', '1-9,11-255']) {
    t.equal(formatRanges(parseChzdevMask(ap, ALL)), '1-9,11-255', `apmask=${ap}`);
    t.equal(quoteRanges(parseChzdevMask(ap, ALL)), '"1-9,11-255"', 'as lszdev shows it');
  }
  for (const aq of ['-0x0001,-0x0002,-0x0004', '-1,-2,-4', '-1-2,-4', '0,3,5-255']) {
    t.equal(formatRanges(parseChzdevMask(aq, ALL)), '0,3,5-255', `aqmask=${aq}`);
  }
});

type Case = [name: string, input: string, start: ApMask, want: ApMask | 'EINVAL', position?: number];
const cases: Case[] = [
  ['chzdev.8: apmask=-1,-20-22', '-1,-20-22', ALL, ALL.without(1, 20, 21, 22)],
  ['chzdev.8: aqmask=+5,+8-10', '+5,+8-10', NONE, ids(5, 8, 9, 10)],
  ['chzdev.8: apmask=0-120,129-255', '0-120,129-255', NONE, ApMask.range(0, 120).or(ApMask.range(129, 255))],
  ['absolute overwrites everything', '3,5-10,0x25', ALL, ids(3, 5, 6, 7, 8, 9, 10, 0x25)],
  ['relative changes the current mask', '+0-4,-0xf0', ids(0xf0, 100), ids(0, 1, 2, 3, 4, 100)],
  ['left to right', '-0-255,+7', ALL, ids(7)],
  ['octal', '010', NONE, ids(8)],
  ['08 is not octal', '08', NONE, 'EINVAL', 1],
  ['0x with no digit', '0x', NONE, 'EINVAL', 1],
  ['0X is hex', '0X1f', NONE, ids(31)],
  ['255', '255', NONE, ids(255)],
  ['256', '256', NONE, 'EINVAL', 0],
  ['0400 (octal 256)', '0400', NONE, 'EINVAL'],
  ['a number that needs 65 bits', '+18446744073709551616', NONE, 'EINVAL'],
  ['zdev bug not copied: a reversed range is an error', '10-3', NONE, 'EINVAL', 3],
  ['zdev bug not copied: an empty number before the range dash', '+-5', ALL, 'EINVAL', 1],
  ['mixing: absolute then relative', '1,+2', NONE, 'EINVAL', 2],
  ['mixing: relative then absolute', '+1,2', NONE, 'EINVAL', 3],
  ['a sign with nothing after it', '+', ALL, 'EINVAL'],
  ['a range without end', '1-', NONE, 'EINVAL', 2],
  ['a range of ranges', '1-2-3', NONE, 'EINVAL'],
  ['zmdev rule: the empty list frees nothing by accident', '', ALL, 'EINVAL', 0],
  ['only commas', ',,', ALL, 'EINVAL'],
  ['empty entries are skipped', '1,,2,', NONE, ids(1, 2)],
  ['a leading comma', ',1', NONE, ids(1)],
  ['trailing white space', '1 ', NONE, 'EINVAL', 1],
  ['a newline after a number', '+1\n', NONE, 'EINVAL', 2],
  ['the blog list is refused at the space', '-4, -0xab', ALL, 'EINVAL', 3],
  ['strtoul skips leading white space', ' 1,\t2', NONE, ids(1, 2)],
  ['white space after the range dash', '1- 2', NONE, ids(1, 2)],
  ['a NUL ends the word', '1\0,2', NONE, ids(1)],
];

t.test('grammar rules: native and oracle', async (t) => {
  for (const [name, input, start, want, position] of cases) {
    const o = oracleChzdev(input, bitsOf(start.ids()));
    if (want === 'EINVAL') {
      t.same(o, { ok: false, errno: 'EINVAL' }, `oracle: ${name}`);
      const err = t.throws(() => parseChzdevMask(input, start), GrammarError, name) as GrammarError;
      t.equal(err.code, 'EINVAL', name);
      t.equal(err.grammar, 'chzdev');
      if (position !== undefined) t.equal(err.position, position, `position: ${name}`);
    } else {
      t.equal(o.ok && bitsToHex(o.value), want.toString(), `oracle: ${name}`);
      t.equal(parseChzdevMask(input, start).toString(), want.toString(), name);
    }
  }
});

t.test('the default current mask is all ones; errors say how to write a list', async (t) => {
  t.equal(formatRanges(parseChzdevMask('-5')), '0-4,6-255');
  const err = t.throws(() => parseChzdevMask('10-3')) as GrammarError;
  t.match(err.message, /^chzdev mask list "10-3" refused at byte 3: .*; chzdev takes IDs and ranges/);
});

t.test('lszdev display: quoted decimal ranges, "" for an empty mask', async (t) => {
  t.equal(quoteRanges(ApMask.EMPTY), '""');
  t.equal(quoteRanges(ApMask.FULL), '"0-255"');
  t.equal(quoteRanges(ALL.without(5, 6)), '"0-4,7-255"');
  t.equal(quoteRanges(ALL.without(71)), '"0-70,72-255"');
});
