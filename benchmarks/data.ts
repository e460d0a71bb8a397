// Seeded inputs for the benchmarks, so that every run measures the same work.
import { Rng } from '../test/oracle/random.js';

export { Rng };

/** A random mask as eight 32-bit words (ApMask layout), with a density drawn per mask. */
export function randomWords(r: Rng, density?: number): Int32Array {
  const p = density ?? r.pick([0.02, 0.1, 0.3, 0.5, 0.9]);
  const w = new Int32Array(8);
  for (let id = 0; id < 256; id++) if (r.chance(p)) w[id >>> 5] = w[id >>> 5]! | (1 << (31 - (id & 31)));
  return w;
}

export function wordsToHex(w: Int32Array): string {
  let s = '0x';
  for (let k = 0; k < 8; k++) s += (w[k]! >>> 0).toString(16).padStart(8, '0');
  return s;
}

/** Absolute writes as a tool or `cat` would produce them: 0x + 64 digits, mostly with a newline. */
export function absoluteInputs(r: Rng, n: number): string[] {
  return Array.from({ length: n }, () => {
    let s = wordsToHex(randomWords(r));
    if (r.chance(0.3)) s = s.toUpperCase().replace('0X', '0x');
    return r.chance(0.8) ? s + '\n' : s;
  });
}

/** A base-0 number in the forms people write: decimal, 0x hex, sometimes octal. */
function id(r: Rng, v: number): string {
  switch (r.int(5)) {
    case 0: case 1: return `0x${v.toString(16)}`;
    case 2: return v === 0 ? '0' : `0${v.toString(8)}`;
    default: return String(v);
  }
}

/** Relative writes such as `-4,-0x47,-0xab,-0xff` or `+0-15,-0x20`: 1 to 6 terms. */
export function relativeInputs(r: Rng, n: number): string[] {
  return Array.from({ length: n }, () => {
    const terms: string[] = [];
    const k = 1 + r.int(6);
    for (let t = 0; t < k; t++) {
      const sign = r.chance(0.5) ? '+' : '-';
      const a = r.int(256);
      if (r.chance(0.3)) {
        const z = a + r.int(Math.min(32, 256 - a));
        terms.push(`${sign}${id(r, a)}-${id(r, z)}`);
      } else {
        terms.push(`${sign}${id(r, a)}`);
      }
    }
    return terms.join(',') + (r.chance(0.5) ? '\n' : '');
  });
}

/**
 * n adapter x domain matrices shaped like guests' (1-4 adapters x 1-4 domains out of 256 x 256),
 * 64 bytes each as MatrixTable packs them. About 2% deliberately take over an APQN of an earlier
 * guest (a configuration mistake); the rest overlap only by chance.
 */
export function guestMatrices(r: Rng, n: number): Uint8Array {
  const bytes = new Uint8Array(n * 64);
  const set = (off: number, idv: number): void => {
    bytes[off + (idv >>> 3)]! |= 0x80 >>> (idv & 7);
  };
  for (let i = 0; i < n; i++) {
    const off = i * 64;
    const na = 1 + r.int(4);
    const nd = 1 + r.int(4);
    if (i > 0 && r.chance(0.02)) {
      // Copy one adapter and one domain of an earlier guest.
      const j = r.int(i) * 64;
      const pick = (base: number): number => {
        for (;;) {
          const v = r.int(256);
          if (bytes[base + (v >>> 3)]! & (0x80 >>> (v & 7))) return v;
        }
      };
      set(off, pick(j));
      set(off + 32, pick(j + 32));
    }
    for (let a = 0; a < na; a++) set(off, r.int(256));
    for (let d = 0; d < nd; d++) set(off + 32, r.int(256));
  }
  return bytes;
}

/** The number of APQNs (adapters x domains) over all matrices. */
export function apqnCount(bytes: Uint8Array): number {
  const pop8 = (v: number): number => {
    let c = 0;
    while (v) {
      v &= v - 1;
      c++;
    }
    return c;
  };
  let total = 0;
  for (let off = 0; off < bytes.length; off += 64) {
    let a = 0;
    let d = 0;
    for (let b = 0; b < 32; b++) {
      a += pop8(bytes[off + b]!);
      d += pop8(bytes[off + 32 + b]!);
    }
    total += a * d;
  }
  return total;
}
