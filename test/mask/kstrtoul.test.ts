// kstrtoul(s, 0) as assign_*/unassign_*/remove read a number (docs/kernel.md §0, §9.3 #44).
import t from 'tap';
import { GrammarError, errnoOf } from '../../src/errors.js';
import { parseKernelId } from '../../src/mask/grammar.js';
import { oracleKstrtoul } from '../oracle/kstrtoul.js';

const MAX = (1n << 64n) - 1n;
type Case = [input: string, want: bigint | 'EINVAL' | 'ERANGE', position?: number];
const cases: Case[] = [
  ['5', 5n], ['5\n', 5n], ['0', 0n], ['00', 0n], ['0\n', 0n],
  ['010', 8n, undefined], ['0253', 171n], ['08', 'EINVAL', 1], ['09\n', 'EINVAL'],
  ['0X1f', 31n], ['0x1F', 31n], ['0x4', 4n], ['0xab\n', 171n],
  ['+5', 5n], ['+0x10', 16n], ['++5', 'EINVAL', 1], ['+', 'EINVAL'], ['+\n', 'EINVAL'],
  ['-5', 'EINVAL', 0], ['-0', 'EINVAL'], [' 5', 'EINVAL', 0], ['5 ', 'EINVAL', 1], ['\t5', 'EINVAL'],
  ['', 'EINVAL', 0], ['\n', 'EINVAL', 0], ['0x', 'EINVAL', 1], ['0x\n', 'EINVAL', 1], ['0xg', 'EINVAL'],
  ['5\n\n', 'EINVAL', 2], ['5\nx', 'EINVAL'], ['5x', 'EINVAL'], ['0b1', 'EINVAL'], ['1e3', 'EINVAL'],
  ['18446744073709551615', MAX], ['18446744073709551616', 'ERANGE', 0], ['99999999999999999999999', 'ERANGE'],
  ['0xffffffffffffffff', MAX], ['0x10000000000000000', 'ERANGE'], ['0xFFFFFFFFFFFFFFFF\n', MAX],
  ['01777777777777777777777', MAX], ['02000000000000000000000', 'ERANGE'],
  [`0x${'0'.repeat(40)}1`, 1n], [`${'0'.repeat(40)}7`, 7n],
  ['18446744073709551616x', 'ERANGE'], // the overflow is found while reading the digits
  ['5\0junk', 5n], // the store parses a C string
];

t.test('kstrtoul cases from §0: native and oracle', async (t) => {
  for (const [input, want, position] of cases) {
    const o = oracleKstrtoul(input);
    const name = JSON.stringify(input);
    if (typeof want === 'bigint') {
      t.same(o, { ok: true, value: want }, `oracle ${name}`);
      t.equal(parseKernelId(input), want, name);
    } else {
      t.same(o, { ok: false, errno: want }, `oracle ${name}`);
      const err = t.throws(() => parseKernelId(input), GrammarError, name) as GrammarError;
      t.equal(err.code, want, name);
      t.equal(err.errno, errnoOf(want), name);
      t.equal(err.grammar, 'kstrtoul');
      if (position !== undefined) t.equal(err.position, position, `position ${name}`);
    }
  }
});

t.test('ERANGE carries its own errno and message', async (t) => {
  const err = t.throws(() => parseKernelId('18446744073709551616\n')) as GrammarError;
  t.equal(err.code, 'ERANGE');
  t.equal(err.errno, -34);
  t.match(err.message, /^ID write "18446744073709551616\\n" refused at byte 0: /);
});

t.test('bytes in', async (t) => {
  t.equal(parseKernelId(new Uint8Array([0x34, 0x32, 0x0a])), 42n);
});
