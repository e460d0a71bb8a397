// Test oracle: a 256-bit AP mask as an array of 256 booleans, index = AP ID (ID 0 is the leftmost
// bit of the kernel's hex text, docs/kernel.md §0). Deliberately naive: clarity over speed.

export type Bits = boolean[];
export type Errno = 'EINVAL' | 'ERANGE';
export type Outcome<T> = { ok: true; value: T } | { ok: false; errno: Errno };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const fail = <T>(errno: Errno): Outcome<T> => ({ ok: false, errno });

export function emptyBits(): Bits {
  return new Array<boolean>(256).fill(false);
}

export function fullBits(): Bits {
  return new Array<boolean>(256).fill(true);
}

export function bitsOf(ids: Iterable<number>): Bits {
  const b = emptyBits();
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id > 255) throw new RangeError(`bad id ${id}`);
    b[id] = true;
  }
  return b;
}

export function idsOf(b: Bits): number[] {
  const out: number[] = [];
  for (let i = 0; i < 256; i++) if (b[i]) out.push(i);
  return out;
}

/** `0x` + 64 lowercase hex digits, ID 0 in the 0x8 bit of the first digit. */
export function bitsToHex(b: Bits): string {
  let s = '0x';
  for (let d = 0; d < 64; d++) {
    let v = 0;
    for (let k = 0; k < 4; k++) if (b[4 * d + k]) v |= 8 >> k;
    s += v.toString(16);
  }
  return s;
}

/** Input as the bytes a write(2) would carry: strings are UTF-8. */
export function bytesOf(input: string | Uint8Array): number[] {
  return [...(typeof input === 'string' ? Buffer.from(input, 'utf8') : input)];
}

/**
 * The text a kernel store parses: its buffer is a C string, so the first NUL byte (if any) ends
 * it. (kernfs hands the store the written bytes followed by a terminating NUL.)
 */
export function cString(bytes: number[]): number[] {
  const nul = bytes.indexOf(0);
  return nul < 0 ? bytes : bytes.slice(0, nul);
}

export const ch = (c: string): number => c.charCodeAt(0);

export function isDigitIn(byte: number | undefined, base: number): boolean {
  return byte !== undefined && digitValue(byte) < base;
}

export function isHexDigit(byte: number | undefined): boolean {
  return isDigitIn(byte, 16);
}

/** Value of an ASCII digit or letter in bases up to 16; 99 for anything else. */
export function digitValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  return 99;
}

/**
 * C's strtoul(s, &end, 0) radix rule without its whitespace and sign handling: `0x`/`0X` followed
 * by a hex digit means hex (the prefix is consumed); otherwise a leading `0` means octal; else
 * decimal. Returns the exact (unbounded) value, how many bytes were consumed and how many digits
 * were read (0 = no number).
 */
export function scanNumber(s: number[], at: number): { value: bigint; end: number; digits: number } {
  let i = at;
  let base = 10;
  if (s[i] === ch('0')) {
    if ((s[i + 1] === ch('x') || s[i + 1] === ch('X')) && isHexDigit(s[i + 2])) {
      base = 16;
      i += 2;
    } else {
      base = 8;
    }
  }
  let value = 0n;
  let digits = 0;
  while (isDigitIn(s[i], base)) {
    value = value * BigInt(base) + BigInt(digitValue(s[i]!));
    i++;
    digits++;
  }
  return { value, end: i, digits };
}
