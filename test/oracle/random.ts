// Seeded generators for the differential tests: inputs biased toward the grammars' edges (signs,
// digits, 0x/0X/0 prefixes, ranges, separators, spaces, NULs, long digit runs, numbers that wrap
// at 2^64). Set ZMDEV_TEST_SEED to replay a run; every assertion message names the seed.
import { randomInt } from 'node:crypto';

export function testSeed(): number {
  const env = process.env.ZMDEV_TEST_SEED;
  if (env !== undefined && env !== '') return Number(env) >>> 0;
  return randomInt(0, 2 ** 32 - 1);
}

export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32: a uniform 32-bit value. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** 0 <= n < max */
  int(max: number): number {
    return this.next() % max;
  }

  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  digits(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  /** A random 256-bit mask as IDs, with a random density. */
  ids(): number[] {
    const density = this.pick([0, 0.02, 0.2, 0.5, 0.9, 1]);
    const out: number[] = [];
    for (let i = 0; i < 256; i++) if (this.chance(density)) out.push(i);
    return out;
  }
}

const TWO_64 = 1n << 64n;

/** A number as strtoul base 0 would read it, biased toward the interesting values and forms. */
export function genNumber(r: Rng): string {
  switch (r.int(14)) {
    case 0: return String(r.int(256));
    case 1: return String(r.int(300));
    case 2: return `0x${r.int(300).toString(16)}`;
    case 3: return `0X${r.int(300).toString(16).toUpperCase()}`;
    case 4: return `0${r.int(300).toString(8)}`;
    case 5: return r.pick(['0', '00', '0x', '0X', '08', '09', '0x0', '0xg', '255', '256', '0377', '0400', '0xff', '0x100']);
    case 6: return (TWO_64 * BigInt(r.int(3)) + BigInt(r.int(260))).toString(); // wraps at 2^64
    case 7: return `0x${(TWO_64 + BigInt(r.int(260))).toString(16)}`;
    case 8: return '0'.repeat(r.int(40)) + String(r.int(256)); // long runs of leading zeros
    case 9: return r.digits('0123456789', 1 + r.int(30));
    case 10: return `0x${r.digits('0123456789abcdefABCDEF', r.int(20))}`;
    case 11: return (TWO_64 - 1n - BigInt(r.int(3))).toString();
    case 12: return '';
    default: return String(r.int(20));
  }
}

/** Junk that sits at the edges of every grammar. */
export const JUNK = [' ', '\t', '\n', '\n\n', '\0', '\0x', ',', ',,', '-', '+', 'x', 'X', 'g', '\r', '\u00e9', '0x', ';'];

/** Small edits of a generated input: insert, delete or replace one character. */
export function mutate(r: Rng, s: string): string {
  if (s.length === 0 || r.chance(0.5)) {
    const at = r.int(s.length + 1);
    return s.slice(0, at) + r.pick(JUNK) + s.slice(at);
  }
  const at = r.int(s.length);
  return r.chance(0.5) ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + r.pick(JUNK) + s.slice(at + 1);
}

export function genKernelMask(r: Rng): string {
  let s: string;
  if (r.chance(0.6)) {
    const parts: string[] = [];
    const n = 1 + r.int(5);
    for (let t = 0; t < n; t++) {
      let term = (r.chance(0.95) ? r.pick(['+', '-']) : r.pick(['', '*', ' +'])) + genNumber(r);
      if (r.chance(0.35)) term += '-' + genNumber(r);
      parts.push(term);
      if (t < n - 1 || r.chance(0.3)) parts.push(r.pick([',', ',', '\n', '', ',,', ',\n', '\n,']));
    }
    s = parts.join('');
  } else {
    const prefix = r.pick(['', '0x', '0x', '0X', 'x', 'xx', '0', '0xx']);
    const len = r.pick([0, 1, 2, 8, 63, 64, 65, r.int(70)]);
    s = prefix + r.digits('0123456789abcdefABCDEF', len) + r.pick(['', '\n', '\n', '\n\n', ' ', '\0junk', 'g', '\n\0\n']);
  }
  return r.chance(0.25) ? mutate(r, s) : s;
}

export function genHexToken(r: Rng): string {
  const prefix = r.pick(['0x', '0x', '0x', '', 'x', '0X']);
  return prefix + r.digits('0123456789abcdef', r.pick([0, 1, 4, 64, 64, 64, 65, r.int(66)]));
}

export function genApConfig(r: Rng): string {
  const n = r.pick([1, 2, 3, 3, 3, 4]);
  let s = '';
  for (let t = 0; t < n; t++) {
    s += genHexToken(r);
    if (t < n - 1) s += r.pick([',', ',', '\n']);
  }
  s += r.pick(['\n', '\n', '', ',', '\njunk', 'junk', '\0', '\n' + 'x'.repeat(r.int(10))]);
  if (r.chance(0.1)) s += 'z'.repeat(r.int(300));
  return r.chance(0.2) ? mutate(r, s) : s;
}

export function genKstrtoul(r: Rng): string {
  const s = r.pick(['', '', '', '+', '-', ' ', '++']) + genNumber(r) +
    r.pick(['', '\n', '\n', '', '\n\n', ' ', 'x', '\0', '\0junk', '8']);
  return r.chance(0.2) ? mutate(r, s) : s;
}

export function genChzdev(r: Rng): string {
  const relative = r.chance(0.5);
  const num = () => (r.chance(0.7) ? String(r.int(256)) : genNumber(r));
  const parts: string[] = [];
  const n = r.int(5);
  for (let t = 0; t < n; t++) {
    let e = (relative ? r.pick(['+', '-', '+', '-', '+', '-', '']) : r.pick(['', '', '', '', '', '', '+'])) +
      (r.chance(0.8) ? '' : r.pick([' ', '\t', '-', '+', '\n'])) + num();
    if (r.chance(0.35)) e += '-' + (r.chance(0.8) ? '' : r.pick([' ', '-', '+'])) + (r.chance(0.5) ? String(255 - r.int(100)) : num());
    parts.push(e);
  }
  let s = parts.join(r.chance(0.8) ? ',' : r.pick([',,', ', ', ' ,']));
  if (r.chance(0.1)) s = ',' + s;
  if (r.chance(0.1)) s += r.pick([',', '\n', ' ', '\0', '\0junk']);
  return r.chance(0.1) ? mutate(r, s) : s;
}
