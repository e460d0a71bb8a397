// Test oracle for chzdev's apmask=/aqmask= value (docs/kernel.md §11.1, seed 003), with zmdev's
// stricter rules where zdev is lax: a reversed range (`10-3`) and an empty number before a range
// dash (`+-5`) are errors, and so is a list without any entry.
import { bytesOf, ch, cString, emptyBits, fail, isDigitIn, digitValue, isHexDigit, ok, type Bits, type Outcome } from './bits.js';

const ULONG_MAX = (1n << 64n) - 1n;
/** C isspace in the C locale. */
const SPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

/**
 * C strtoul(part, &end, 0) that must consume the whole part: leading white space, one optional
 * sign (`-` negates modulo 2^64), `0x`/`0X` + hex digit = hex, leading `0` = octal, else
 * decimal; overflow saturates at ULONG_MAX. null when there is no number or bytes are left over.
 */
export function strtoulWhole(part: number[]): bigint | null {
  let i = 0;
  while (SPACE.has(part[i]!)) i++;
  let negative = false;
  if (part[i] === ch('+') || part[i] === ch('-')) negative = part[i++] === ch('-');
  let base = 10;
  if (part[i] === ch('0')) {
    if ((part[i + 1] === ch('x') || part[i + 1] === ch('X')) && isHexDigit(part[i + 2])) {
      base = 16;
      i += 2;
    } else base = 8;
  }
  let value = 0n;
  let digits = 0;
  while (isDigitIn(part[i], base)) {
    value = value * BigInt(base) + BigInt(digitValue(part[i]!));
    i++;
    digits++;
  }
  if (digits === 0 || i !== part.length) return null;
  if (value > ULONG_MAX) value = ULONG_MAX;
  return negative ? (ULONG_MAX + 1n - value) & ULONG_MAX : value;
}

/**
 * The value is a comma-separated list of entries (empty entries between commas are skipped; no
 * entry at all is EINVAL). Each entry is `N` or `A-B`, split at its first `-`; A and B are read
 * with strtoulWhole and must be 0..255 with A <= B.
 * - First byte `+`/`-`: relative. Every entry starts with its sign: `+` returns the IDs to the
 *   host (bit set), `-` frees them (bit cleared), applied left to right to `current`.
 * - Otherwise absolute: no entry may start with a sign; listed IDs are set, all others cleared.
 * The value is a C string (an argv word): a NUL byte ends it. Every refusal is EINVAL.
 */
export function oracleChzdev(input: string | Uint8Array, current: Bits): Outcome<Bits> {
  const s = cString(bytesOf(input));
  const relative = s[0] === ch('+') || s[0] === ch('-');
  const b = relative ? current.slice() : emptyBits();
  const entries: number[][] = [];
  let startOf = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || s[i] === ch(',')) {
      if (i > startOf) entries.push(s.slice(startOf, i));
      startOf = i + 1;
    }
  }
  if (entries.length === 0) return fail('EINVAL');
  for (const entry of entries) {
    const signed = entry[0] === ch('+') || entry[0] === ch('-');
    if (signed !== relative) return fail('EINVAL');
    const body = relative ? entry.slice(1) : entry;
    const dash = body.indexOf(ch('-'));
    const from = strtoulWhole(dash < 0 ? body : body.slice(0, dash));
    const to = dash < 0 ? from : strtoulWhole(body.slice(dash + 1));
    if (from === null || to === null || from > 255n || to > 255n || to < from) return fail('EINVAL');
    for (let id = Number(from); id <= Number(to); id++) b[id] = !relative || entry[0] === ch('+');
  }
  return ok(b);
}
