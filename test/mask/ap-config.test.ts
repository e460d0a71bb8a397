// ap_config write parsing (docs/kernel.md §4.6, §4.4, §9.3 #58): native and oracle on every rule.
import t from 'tap';
import { GrammarError } from '../../src/errors.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import { formatApConfig, parseApConfig, } from '../../src/mask/grammar.js';
import type { ApMatrix } from '../../src/mask/matrix.js';
import { oracleApConfig } from '../oracle/ap-config.js';
import { bitsToHex } from '../oracle/bits.js';

const A = ApMask.of([5, 6]);
const B = ApMask.of([4, 0x47, 0xab, 0xff]);
const C = ApMask.of([0, 4]);
const canonical = formatApConfig({ adapters: A, domains: B, controlDomains: C });
const Z = ApMask.EMPTY;
const h = (m: ApMask) => m.toString();
const show = (m: ApMatrix) => `${m.adapters},${m.domains},${m.controlDomains}`;

t.test('the canonical text: 201 bytes, and a write of it reads back the same masks (#58)', async (t) => {
  t.equal(canonical.length, 201);
  t.equal(canonical, `${h(A)},${h(B)},${h(C)}\n`);
  const m = parseApConfig(canonical);
  t.ok(m.adapters.equals(A) && m.domains.equals(B) && m.controlDomains.equals(C));
  t.equal(formatApConfig(m), canonical);
});

type Case = [name: string, input: string, want: [ApMask, ApMask, ApMask] | 'EINVAL'];
const p = (s: string) => ApMask.fromReadFormat(`0x${s.padEnd(64, '0')}`);
const cases: Case[] = [
  ['canonical', canonical, [A, B, C]],
  ['without the trailing newline', canonical.slice(0, -1), [A, B, C]],
  ['canonical followed by junk: truncated at 201 bytes', `${canonical}junk and more`, [A, B, C]],
  ['a 201st byte glued to the third mask', `${canonical.slice(0, -1)}0`, 'EINVAL'],
  ['a 201st byte that is a comma', `${canonical.slice(0, -1)},zz`, [A, B, C]],
  ['short masks, padded on the right', '0x8,0x4,0x2\n', [p('8'), p('4'), p('2')]],
  ['one mask and a newline: no third token', '0x8\n', 'EINVAL'],
  ['one mask', '0x8', 'EINVAL'],
  ['two masks, no newline', '0x8,0x4', 'EINVAL'],
  ['A,B\\n: the empty text after the newline is the third mask', '0x8,0x4\n', [p('8'), p('4'), Z]],
  ['newlines separate too', '0x8\n0x4\n0x2', [p('8'), p('4'), p('2')]],
  ['empty tokens are all zeros', ',,', [Z, Z, Z]],
  ['two newlines are three empty tokens', '\n\n', [Z, Z, Z]],
  ['empty text: one token only', '', 'EINVAL'],
  ['extra tokens are ignored', '1,2,3,4,zz', [p('1'), p('2'), p('3')]],
  ['the fourth token is not even parsed', '1,2,3\ngarbage', [p('1'), p('2'), p('3')]],
  ['hex without 0x', '41,41,41\n', [p('41'), p('41'), p('41')]],
  ['lone x prefix', 'x8,x4,x2\n', [p('8'), p('4'), p('2')]],
  ['uppercase 0X is refused', '0x8,0X4,0x2\n', 'EINVAL'],
  ['uppercase digits are fine', '0xAB,0,0\n', [p('ab'), Z, Z]],
  ['64 digits', `0x${'f'.repeat(64)},0,0`, [ApMask.FULL, Z, Z]],
  ['65 digits', `0x${'f'.repeat(65)},0,0`, 'EINVAL'],
  ['a space in a token', '0x8, 0x4,0x2\n', 'EINVAL'],
  ['a non-hex digit', '0x8,0x4,0xz\n', 'EINVAL'],
  ['a bad token after the third does not matter', '0x8,0x4,0x2,0X\n', [p('8'), p('4'), p('2')]],
  ['a NUL ends the text', '1,2\0,3\n', 'EINVAL'],
  ['a NUL after three tokens', '1,2,3\0junk', [p('1'), p('2'), p('3')]],
  ['short tokens and a long tail: truncated', `1,2,3\n${'z'.repeat(500)}`, [p('1'), p('2'), p('3')]],
];

t.test('parsing rules of §4.6: native and oracle', async (t) => {
  for (const [name, input, want] of cases) {
    const o = oracleApConfig(input);
    if (want === 'EINVAL') {
      t.same(o, { ok: false, errno: 'EINVAL' }, `oracle: ${name}`);
      const err = t.throws(() => parseApConfig(input), GrammarError, name) as GrammarError;
      t.equal(err.code, 'EINVAL', name);
      t.equal(err.grammar, 'ap_config');
      t.ok(err.position >= 0 && err.position <= Math.min(input.length, 201), `position ${err.position}: ${name}`);
    } else {
      const w = `${want[0]},${want[1]},${want[2]}`;
      t.equal(o.ok && `${bitsToHex(o.value.apm)},${bitsToHex(o.value.aqm)},${bitsToHex(o.value.adm)}`, w, `oracle: ${name}`);
      t.equal(show(parseApConfig(input)), w, name);
    }
  }
});

t.test('positions name the refused token', async (t) => {
  const err = t.throws(() => parseApConfig('0x8,0X4,0x2\n')) as GrammarError;
  t.equal(err.position, 5, 'the X of the second token');
  t.match(err.message, /^ap_config write /);
  const missing = t.throws(() => parseApConfig('0x8\n')) as GrammarError;
  t.equal(missing.position, 4, 'the end of the input');
  t.match(missing.reason, /missing/);
});

t.test('bytes in, as a write(2) carries them', async (t) => {
  t.equal(show(parseApConfig(Buffer.from('1,2,3\n'))), show(parseApConfig('1,2,3\n')));
});
