// A pure-TypeScript parser of the apmask/aqmask write grammar (native/mask_core.cc
// parse_kernel_mask), written for speed: one pass over the string's char codes, the mask in an
// Int32Array(8) in ApMask's word layout (word k holds IDs 32k..32k+31, ID 32k in bit 31), no
// allocation. It reports the errno only (0 or 22), not the position and reason.

const EINVAL = 22;
const scratch = new Int32Array(8);

// Digit values of the ASCII codes (16 = not a hex digit); codes from 128 up are never digits.
const HEX = new Uint8Array(128).fill(16);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[65 + c] = HEX[97 + c] = 10 + c;

function hexValue(c: number): number {
  return c < 128 ? HEX[c]! : 16;
}

/** The end of the C string the driver sees: the first NUL ends it. */
function cLength(s: string): number {
  const nul = s.indexOf('\0');
  return nul < 0 ? s.length : nul;
}

/** Absolute mode (hex2bitmap): eight digits at a time into one word. */
function parseHex(s: string, n: number, out: Int32Array, off: number): number {
  let i = 0;
  if (n > 1 && s.charCodeAt(0) === 48 && s.charCodeAt(1) === 120) i = 1;
  if (i < n && s.charCodeAt(i) === 120) i++;
  const m = scratch;
  let k = 0;
  for (; k < 8; k++) {
    let word = 0;
    let j = 0;
    for (; j < 8 && i < n; j++) {
      const v = hexValue(s.charCodeAt(i));
      if (v > 15) break;
      word = (word << 4) | v;
      i++;
    }
    if (j < 8) {
      // Fewer digits than the mask holds: they fill from the left, the rest is zero.
      m[k++] = j === 0 ? 0 : word << (32 - 4 * j);
      break;
    }
    m[k] = word;
  }
  for (; k < 8; k++) m[k] = 0;
  if (i < n && s.charCodeAt(i) === 10) i++;
  if (i !== n) return EINVAL;
  for (let w = 0; w < 8; w++) out[off + w] = m[w]!;
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
function parseRelative(s: string, n: number, current: Int32Array, out: Int32Array, off: number): number {
  const m = scratch;
  for (let w = 0; w < 8; w++) m[w] = current[w]!;
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
  for (let w = 0; w < 8; w++) out[off + w] = m[w]!;
  return 0;
}

/**
 * The new mask after writing `s` to apmask/aqmask holding `current`: 0 and out[off..off+7] set,
 * or 22 (EINVAL) and `out` untouched. Inputs are JS strings; a non-ASCII character is refused wherever
 * it stands, as its UTF-8 bytes are in the native parser.
 */
export function parseKernelMaskFast(s: string, current: Int32Array, out: Int32Array, off = 0): number {
  const n = cLength(s);
  const c0 = n > 0 ? s.charCodeAt(0) : 0;
  return c0 === 43 || c0 === 45 ? parseRelative(s, n, current, out, off) : parseHex(s, n, out, off);
}
