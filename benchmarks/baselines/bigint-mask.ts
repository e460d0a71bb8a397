// The 256-bit mask as one BigInt, the way one would write it without a mask library: ID k is bit
// 255 - k, so the number's 64-digit hex text is the kernel's read format.

export const ALL = (1n << 256n) - 1n;

export function bigFromWords(w: ArrayLike<number>): bigint {
  let v = 0n;
  for (let k = 0; k < 8; k++) v = (v << 32n) | BigInt(w[k]! >>> 0);
  return v;
}

export function bigToHex(v: bigint): string {
  return '0x' + v.toString(16).padStart(64, '0');
}

export function popcountBig(v: bigint): number {
  let n = 0;
  while (v) {
    n += pop32(Number(v & 0xffffffffn));
    v >>= 32n;
  }
  return n;
}

function pop32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

const ABSOLUTE = /^(?:0x|x)?([0-9a-fA-F]{0,64})\n?$/;
const TWO_64 = 1n << 64n;

/** A base-0 kernel number at `at`: [value mod 2^64, end, digits]. */
function kernelNumber(s: string, at: number): [bigint, number, number] {
  let i = at;
  let prefix = '';
  let re = /[0-9]/y;
  if (s[i] === '0') {
    if ((s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
      prefix = '0x';
      re = /[0-9a-fA-F]*/y;
      i += 2;
    } else {
      prefix = '0o';
      re = /[0-7]*/y;
    }
  } else {
    re = /[0-9]*/y;
  }
  re.lastIndex = i;
  const m = re.exec(s)!;
  const digits = m[0];
  if (digits.length === 0) return [0n, i, 0];
  return [BigInt(prefix + digits) % TWO_64, i + digits.length, digits.length];
}

/**
 * The kernel apmask/aqmask write grammar with BigInt arithmetic: a regular expression and
 * BigInt(hex) for absolute mode, BigInt masks per term for relative mode. Returns the new mask
 * or null (EINVAL).
 */
export function parseKernelMaskBig(input: string, current: bigint): bigint | null {
  const nul = input.indexOf('\0');
  const s = nul < 0 ? input : input.slice(0, nul);
  if (s[0] !== '+' && s[0] !== '-') {
    const m = ABSOLUTE.exec(s);
    if (!m) return null;
    const digits = m[1]!;
    return digits.length === 0 ? 0n : BigInt('0x' + digits) << BigInt(4 * (64 - digits.length));
  }
  let v = current;
  let i = 0;
  while (i < s.length) {
    const sign = s[i];
    if (sign !== '+' && sign !== '-') return null;
    const [a, endA, da] = kernelNumber(s, i + 1);
    if (da === 0 || a >= 256n) return null;
    let z = a;
    i = endA;
    if (s[i] === '-') {
      const [b, endB, db] = kernelNumber(s, i + 1);
      if (db === 0 || a > b || b >= 256n) return null;
      z = b;
      i = endB;
    }
    // IDs a..z are bits 255-z..255-a.
    const bits = ((1n << (z - a + 1n)) - 1n) << (255n - z);
    v = sign === '+' ? v | bits : v & (ALL ^ bits);
    while (s[i] === ',' || s[i] === '\n') i++;
  }
  return v;
}
