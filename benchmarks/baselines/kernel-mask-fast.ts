// A pure-TypeScript parser of the apmask/aqmask write grammar (native/mask_core.cc
// parse_kernel_mask), written for speed: one pass over the string's char codes, the mask in an
// Int32Array(8) in ApMask's word layout (word k holds IDs 32k..32k+31, ID 32k in bit 31), no
// allocation. It reports the errno only (0 or 22), not the position and reason.

const EINVAL = 22;
const scratch = new Int32Array(8);

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return 99;
}

/** The end of the C string the driver sees: the first NUL ends it. */
function cLength(s: string): number {
  const nul = s.indexOf('\0');
  return nul < 0 ? s.length : nul;
}

/** Absolute mode (hex2bitmap). */
function parseHex(s: string, n: number, out: Int32Array): number {
  let i = 0;
  if (n > 1 && s.charCodeAt(0) === 48 && s.charCodeAt(1) === 120) i = 1;
  if (i < n && s.charCodeAt(i) === 120) i++;
  let w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0;
  let nib = 0;
  while (nib < 64 && i < n) {
    const v = hexValue(s.charCodeAt(i));
    if (v > 15) break;
    const sh = (7 - (nib & 7)) << 2;
    switch (nib >>> 3) {
      case 0: w0 |= v << sh; break;
      case 1: w1 |= v << sh; break;
      case 2: w2 |= v << sh; break;
      case 3: w3 |= v << sh; break;
      case 4: w4 |= v << sh; break;
      case 5: w5 |= v << sh; break;
      case 6: w6 |= v << sh; break;
      default: w7 |= v << sh; break;
    }
    nib++;
    i++;
  }
  if (i < n && s.charCodeAt(i) === 10) i++;
  if (i !== n) return EINVAL;
  out[0] = w0; out[1] = w1; out[2] = w2; out[3] = w3;
  out[4] = w4; out[5] = w5; out[6] = w6; out[7] = w7;
  return 0;
}

// The kernel's base-0 number (0x hex when a hex digit follows, leading 0 octal, else decimal),
// modulo 2^64 as the kernel's unsigned long wraps. Sets numEnd and numDigits; returns the value,
// or 256 for any value of 256 or more (all that the grammar needs to know).
let numEnd = 0;
let numDigits = 0;

function number(s: string, at: number, n: number): number {
  let i = at;
  let base = 10;
  if (i < n && s.charCodeAt(i) === 48) {
    if (i + 2 < n && (s.charCodeAt(i + 1) | 0x20) === 120 && hexValue(s.charCodeAt(i + 2)) < 16) {
      base = 16;
      i += 2;
    } else {
      base = 8;
    }
  }
  const start = i;
  let v = 0;
  let big = false;
  while (i < n) {
    const d = hexValue(s.charCodeAt(i));
    if (d >= base) break;
    v = v * base + d;
    if (v > 0xffffffffff) big = true; // past 2^40 the double loses exactness soon: finish in BigInt
    i++;
  }
  numEnd = i;
  numDigits = i - start;
  if (!big) return v < 256 ? v : 256;
  const digits = s.slice(start, i);
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : '';
  const wrapped = BigInt.asUintN(64, BigInt(prefix + digits));
  return wrapped < 256n ? Number(wrapped) : 256;
}

/** Sets (add) or clears IDs from..to in the scratch words. */
function applyRange(m: Int32Array, from: number, to: number, add: boolean): void {
  let k = from >>> 5;
  const last = to >>> 5;
  for (; k <= last; k++) {
    const lo = k === from >>> 5 ? from & 31 : 0;
    const hi = k === last ? to & 31 : 31;
    // Bits lo..hi counted from the most significant bit.
    const bits = ((0xffffffff >>> lo) & ~(hi === 31 ? 0 : 0xffffffff >>> (hi + 1))) | 0;
    m[k] = add ? m[k]! | bits : m[k]! & ~bits;
  }
}

/** Relative mode (modify_bitmap) applied to a copy of `current`. */
function parseRelative(s: string, n: number, current: Int32Array, out: Int32Array): number {
  const m = scratch;
  m.set(current);
  let i = 0;
  while (i < n) {
    const sign = s.charCodeAt(i);
    if (sign !== 43 && sign !== 45) return EINVAL;
    const from = number(s, i + 1, n);
    if (numDigits === 0 || from > 255) return EINVAL;
    i = numEnd;
    let to = from;
    if (i < n && s.charCodeAt(i) === 45) {
      to = number(s, i + 1, n);
      if (numDigits === 0 || from > to || to > 255) return EINVAL;
      i = numEnd;
    }
    applyRange(m, from, to, sign === 43);
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c !== 44 && c !== 10) break;
      i++;
    }
  }
  out.set(m);
  return 0;
}

/**
 * The new mask after writing `s` to apmask/aqmask holding `current`: 0 and `out` set, or 22
 * (EINVAL) and `out` untouched. Inputs are JS strings; a non-ASCII character is refused wherever
 * it stands, as its UTF-8 bytes are in the native parser.
 */
export function parseKernelMaskFast(s: string, current: Int32Array, out: Int32Array): number {
  const n = cLength(s);
  const c0 = n > 0 ? s.charCodeAt(0) : 0;
  return c0 === 43 || c0 === 45 ? parseRelative(s, n, current, out) : parseHex(s, n, out);
}
