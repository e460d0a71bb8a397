// Test oracle for a write to /sys/bus/ap/apmask or aqmask (docs/kernel.md §1.2): the bytes the store
// receives (see sysfsStoreView) and the current mask in, the new mask or the errno out.
import {
  bytesOf, ch, cString, digitValue, emptyBits, fail, isHexDigit, ok, scanNumber, type Bits, type Outcome,
} from './bits.js';

const TWO_64 = 1n << 64n;

/**
 * Absolute hex (docs/kernel.md §1.2 absolute mode, also each ap_config token): a case-sensitive optional `0x`
 * or lone `x`, then at most 64 hex digits filling 4 bits each from the left, then at most one
 * newline (when `allowNewline`) and the end. No digits = all zeros.
 */
export function oracleAbsoluteHex(s: number[], allowNewline = true): Outcome<Bits> {
  const b = emptyBits();
  let i = 0;
  if (s[0] === ch('0') && s[1] === ch('x')) i = 2;
  else if (s[0] === ch('x')) i = 1;
  let nibble = 0;
  while (nibble < 64 && isHexDigit(s[i])) {
    const v = digitValue(s[i]!);
    for (let k = 0; k < 4; k++) if (v & (8 >> k)) b[4 * nibble + k] = true;
    nibble++;
    i++;
  }
  if (allowNewline && s[i] === ch('\n')) i++;
  return i === s.length ? ok(b) : fail('EINVAL');
}

/** Relative mode: terms `+N`, `-N`, `+A-B`, `-A-B`, separated by any (even empty) run of `,`/`\n`. */
function relative(s: number[], current: Bits): Outcome<Bits> {
  const b = current.slice();
  let i = 0;
  while (i < s.length) {
    const sign = s[i];
    if (sign !== ch('+') && sign !== ch('-')) return fail('EINVAL');
    i++;
    const a = scanNumber(s, i);
    if (a.digits === 0) return fail('EINVAL');
    const from = a.value % TWO_64; // no overflow check: the value wraps
    if (from >= 256n) return fail('EINVAL');
    let to = from;
    i = a.end;
    if (s[i] === ch('-')) {
      const z = scanNumber(s, i + 1);
      if (z.digits === 0) return fail('EINVAL');
      to = z.value % TWO_64;
      if (to < from || to >= 256n) return fail('EINVAL');
      i = z.end;
    }
    for (let id = Number(from); id <= Number(to); id++) b[id] = sign === ch('+');
    while (s[i] === ch(',') || s[i] === ch('\n')) i++;
  }
  return ok(b);
}

export function oracleKernelMask(input: string | Uint8Array, current: Bits): Outcome<Bits> {
  const s = cString(bytesOf(input));
  if (s[0] === ch('+') || s[0] === ch('-')) return relative(s, current);
  return oracleAbsoluteHex(s);
}
