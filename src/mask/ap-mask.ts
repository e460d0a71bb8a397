// A 256-bit AP mask as an immutable value. IDs use the kernel's inverted numbering: ID 0 is the
// leftmost bit of the hex text. Eight 32-bit words held in plain fields keep every operation a
// few nanoseconds (no typed-array allocation, no call into C++, which would cost more).
import { GrammarError, outOfRange } from '../errors.js';

export const MASK_BITS = 256;
export const MASK_BYTES = 32;

// The read format is written into one reused buffer and decoded once: cheaper than joining 33
// small strings, which V8 flattens only when the result is first read.
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const TEXT = Buffer.alloc(66, 0x30);
TEXT[1] = 0x78;
const READ_FORMAT = /^0x[0-9a-fA-F]{64}\n?$/;

function pop32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= MASK_BITS) {
    throw outOfRange(`AP ID ${id} is out of range: IDs are integers from 0 to 255`);
  }
}

export class ApMask {
  // Word k holds IDs 32k..32k+31, ID 32k in the most significant bit.
  private constructor(
    readonly w0: number, readonly w1: number, readonly w2: number, readonly w3: number,
    readonly w4: number, readonly w5: number, readonly w6: number, readonly w7: number,
  ) {}

  static readonly EMPTY = new ApMask(0, 0, 0, 0, 0, 0, 0, 0);
  /** All 256 IDs: the kernel's default apmask/aqmask. */
  static readonly FULL = new ApMask(-1, -1, -1, -1, -1, -1, -1, -1);

  static fromWords(w: ArrayLike<number>): ApMask {
    return new ApMask(w[0]! | 0, w[1]! | 0, w[2]! | 0, w[3]! | 0, w[4]! | 0, w[5]! | 0, w[6]! | 0, w[7]! | 0);
  }

  /** The set of the given IDs (0..255). */
  static of(ids: Iterable<number>): ApMask {
    const w = [0, 0, 0, 0, 0, 0, 0, 0];
    for (const id of ids) {
      checkId(id);
      w[id >>> 5]! |= 1 << (31 - (id & 31));
    }
    return ApMask.fromWords(w);
  }

  /** IDs from..to inclusive. A reversed range is an error (as in every zmdev grammar), not an empty mask. */
  static range(from: number, to: number): ApMask {
    checkId(from);
    checkId(to);
    if (from > to) throw outOfRange(`AP ID range ${from}-${to} is reversed: write the lower ID first`);
    const ids: number[] = [];
    for (let id = from; id <= to; id++) ids.push(id);
    return ApMask.of(ids);
  }

  /** 32 bytes, byte 0 holding IDs 0..7 (ID 0 in its 0x80 bit), as the kernel stores a bitmap. */
  static fromBytes(bytes: Uint8Array, offset = 0): ApMask {
    if (bytes.length - offset < MASK_BYTES) throw outOfRange('an AP mask needs 32 bytes');
    const w = new Array<number>(8);
    for (let k = 0; k < 8; k++) {
      const o = offset + 4 * k;
      w[k] = (bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!;
    }
    return ApMask.fromWords(w);
  }

  /**
   * Reads the kernel's read format of apmask/aqmask: `0x` and 64 hex digits (one trailing newline
   * allowed, as `cat` returns it). For the write grammar use parseKernelMask.
   */
  static fromReadFormat(text: string): ApMask {
    if (!READ_FORMAT.test(text)) {
      throw new GrammarError('mask-read-format', 'EINVAL', text, 0,
        'expected 0x followed by exactly 64 hex digits, as `cat /sys/bus/ap/apmask` prints it');
    }
    const w = new Array<number>(8);
    for (let k = 0; k < 8; k++) w[k] = parseInt(text.slice(2 + 8 * k, 10 + 8 * k), 16) | 0;
    return ApMask.fromWords(w);
  }

  word(k: number): number {
    switch (k) {
      case 0: return this.w0;
      case 1: return this.w1;
      case 2: return this.w2;
      case 3: return this.w3;
      case 4: return this.w4;
      case 5: return this.w5;
      case 6: return this.w6;
      case 7: return this.w7;
      default: throw outOfRange(`word index ${k} is out of range 0..7`);
    }
  }

  has(id: number): boolean {
    // Not an AP ID (out of range, fractional, NaN) = not in the mask; bit arithmetic would
    // otherwise read 1.5 as ID 1.
    if (!Number.isInteger(id) || id < 0 || id >= MASK_BITS) return false;
    return ((this.word(id >>> 5) >>> (31 - (id & 31))) & 1) === 1;
  }

  with(...ids: number[]): ApMask {
    return this.or(ApMask.of(ids));
  }

  without(...ids: number[]): ApMask {
    return this.andNot(ApMask.of(ids));
  }

  and(o: ApMask): ApMask {
    return new ApMask(this.w0 & o.w0, this.w1 & o.w1, this.w2 & o.w2, this.w3 & o.w3,
      this.w4 & o.w4, this.w5 & o.w5, this.w6 & o.w6, this.w7 & o.w7);
  }

  or(o: ApMask): ApMask {
    return new ApMask(this.w0 | o.w0, this.w1 | o.w1, this.w2 | o.w2, this.w3 | o.w3,
      this.w4 | o.w4, this.w5 | o.w5, this.w6 | o.w6, this.w7 | o.w7);
  }

  xor(o: ApMask): ApMask {
    return new ApMask(this.w0 ^ o.w0, this.w1 ^ o.w1, this.w2 ^ o.w2, this.w3 ^ o.w3,
      this.w4 ^ o.w4, this.w5 ^ o.w5, this.w6 ^ o.w6, this.w7 ^ o.w7);
  }

  /** IDs in this mask and not in `o`. */
  andNot(o: ApMask): ApMask {
    return new ApMask(this.w0 & ~o.w0, this.w1 & ~o.w1, this.w2 & ~o.w2, this.w3 & ~o.w3,
      this.w4 & ~o.w4, this.w5 & ~o.w5, this.w6 & ~o.w6, this.w7 & ~o.w7);
  }

  complement(): ApMask {
    return new ApMask(~this.w0, ~this.w1, ~this.w2, ~this.w3, ~this.w4, ~this.w5, ~this.w6, ~this.w7);
  }

  intersects(o: ApMask): boolean {
    return ((this.w0 & o.w0) | (this.w1 & o.w1) | (this.w2 & o.w2) | (this.w3 & o.w3) |
      (this.w4 & o.w4) | (this.w5 & o.w5) | (this.w6 & o.w6) | (this.w7 & o.w7)) !== 0;
  }

  equals(o: ApMask): boolean {
    return this.w0 === o.w0 && this.w1 === o.w1 && this.w2 === o.w2 && this.w3 === o.w3 &&
      this.w4 === o.w4 && this.w5 === o.w5 && this.w6 === o.w6 && this.w7 === o.w7;
  }

  isEmpty(): boolean {
    return (this.w0 | this.w1 | this.w2 | this.w3 | this.w4 | this.w5 | this.w6 | this.w7) === 0;
  }

  /** Number of IDs in the mask. */
  count(): number {
    return pop32(this.w0) + pop32(this.w1) + pop32(this.w2) + pop32(this.w3) +
      pop32(this.w4) + pop32(this.w5) + pop32(this.w6) + pop32(this.w7);
  }

  /** IDs in ascending order. */
  *[Symbol.iterator](): IterableIterator<number> {
    for (let k = 0; k < 8; k++) {
      let w = this.word(k);
      while (w !== 0) {
        const lead = Math.clz32(w);
        yield k * 32 + lead;
        w &= ~(0x80000000 >>> lead);
      }
    }
  }

  ids(): number[] {
    return [...this];
  }

  /** IDs of this mask that are above `max` (e.g. above ap_max_adapter_id). */
  above(max: number): number[] {
    return this.ids().filter((id) => id > max);
  }

  toBytes(out: Uint8Array = new Uint8Array(MASK_BYTES), offset = 0): Uint8Array {
    for (let k = 0; k < 8; k++) {
      const w = this.word(k);
      const o = offset + 4 * k;
      out[o] = w >>> 24;
      out[o + 1] = (w >>> 16) & 0xff;
      out[o + 2] = (w >>> 8) & 0xff;
      out[o + 3] = w & 0xff;
    }
    return out;
  }

  /** The kernel's read format without the newline: `0x` and 64 lowercase hex digits. */
  toString(): string {
    for (let k = 0; k < 8; k++) {
      const w = this.word(k);
      for (let n = 0; n < 8; n++) TEXT[2 + 8 * k + n] = HEX_DIGITS[(w >>> (28 - 4 * n)) & 15]!;
    }
    return TEXT.toString('latin1', 0, 66);
  }

  toJSON(): string {
    return this.toString();
  }
}
