// Test oracle for kstrtoul(s, 0) as assign_*/unassign_* parse their input (docs/kernel.md §0).
import { bytesOf, ch, cString, fail, ok, scanNumber, type Outcome } from './bits.js';

const TWO_64 = 1n << 64n;

/**
 * One optional `+`; `0x`/`0X` + hex digit = hex, leading `0` = octal, else decimal; at least one
 * digit; then at most one `\n` and the end. Overflow past 64 bits = ERANGE (found while reading the
 * digits, so it is reported before anything that follows them); everything else = EINVAL.
 */
export function oracleKstrtoul(input: string | Uint8Array): Outcome<bigint> {
  const s = cString(bytesOf(input));
  let i = 0;
  if (s[i] === ch('+')) i++;
  const n = scanNumber(s, i);
  if (n.digits > 0 && n.value >= TWO_64) return fail('ERANGE');
  if (n.digits === 0) return fail('EINVAL');
  i = n.end;
  if (s[i] === ch('\n')) i++;
  if (i !== s.length) return fail('EINVAL');
  return ok(n.value);
}
