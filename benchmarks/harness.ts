// Timing harness: calibrate the iteration count to a target time, warm up, repeat, take the
// median. Every case returns a value that goes into a sink, so nothing can be optimised away.

declare const gc: (() => void) | undefined;

/** Accumulates results so that the engine cannot drop the work that produced them. */
export const sink = { n: 0, s: '' };

export function consume(v: unknown): void {
  if (typeof v === 'number') sink.n = (sink.n + v) | 0;
  else if (typeof v === 'boolean') sink.n = (sink.n + (v ? 1 : 0)) | 0;
  else if (typeof v === 'string') sink.s = v.length > 0 ? v : sink.s;
  else if (typeof v === 'bigint') sink.n = (sink.n + Number(v & 0xffffn)) | 0;
  else if (v !== undefined && v !== null) sink.n = (sink.n + 1) | 0;
}

export function collect(): void {
  if (typeof gc === 'function') gc();
}

export interface Measurement {
  /** Median time of one op in nanoseconds. */
  nsPerOp: number;
  /** Fastest and slowest repetition, per op, to show the spread. */
  minNs: number;
  maxNs: number;
  reps: number;
}

export interface TimeOptions {
  /** Work units (ops) one call of `fn` performs, e.g. the number of strings of a batch. */
  opsPerCall?: number;
  /** Target time of one repetition in milliseconds. */
  targetMs?: number;
  reps?: number;
  warmupReps?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One variant to measure: calibrated and warmed by prepare(), then one repetition per sample(). */
export interface Spec {
  prepare(): void;
  /** Time of one op in nanoseconds, from one repetition. */
  sample(): number;
  reps: number;
}

/**
 * A variant that calls `fn(i)` (i is the call number, for rotating over inputs). One repetition
 * calls it `calls` times, calibrated so that a repetition lasts about targetMs.
 */
export function spec(fn: (i: number) => unknown, opts: TimeOptions = {}): Spec {
  const opsPerCall = opts.opsPerCall ?? 1;
  const targetMs = opts.targetMs ?? 25;
  const warmupReps = opts.warmupReps ?? 2;
  let calls = 1;
  return {
    reps: opts.reps ?? 7,
    prepare(): void {
      collect();
      // Double the call count until one run takes at least a fifth of the target.
      for (;;) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < calls; i++) consume(fn(i));
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (ms >= targetMs / 5 || calls >= 1 << 26) {
          calls = Math.max(1, Math.round((calls * targetMs) / Math.max(ms, 1e-3)));
          break;
        }
        calls *= 2;
      }
      for (let r = 0; r < warmupReps; r++) for (let i = 0; i < calls; i++) consume(fn(i));
    },
    sample(): number {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) consume(fn(i));
      return Number(process.hrtime.bigint() - t0) / (calls * opsPerCall);
    },
  };
}

/** A variant timed elsewhere (e.g. a child process): each sample() reports one time per op. */
export function external(sample: () => number, reps: number): Spec {
  return { reps, prepare(): void {}, sample };
}

/**
 * Measures the variants of one case interleaved: every round takes one repetition of each, so
 * that load from elsewhere on the machine falls on all of them alike, and each result is the
 * median of its repetitions.
 */
export function measure(specs: Spec[]): Measurement[] {
  for (const s of specs) s.prepare();
  const samples: number[][] = specs.map(() => []);
  const rounds = Math.max(...specs.map((s) => s.reps));
  for (let r = 0; r < rounds; r++) {
    // One full GC per round, and each round starts with the next variant: the one timed right
    // after a GC (while V8 may still sweep on the other core) is a different one every round.
    collect();
    for (let j = 0; j < specs.length; j++) {
      const k = (r + j) % specs.length;
      if (r < specs[k]!.reps) samples[k]!.push(specs[k]!.sample());
    }
  }
  return samples.map((xs) => ({ nsPerOp: median(xs), minNs: Math.min(...xs), maxNs: Math.max(...xs), reps: xs.length }));
}

/** Times one variant on its own (see spec and measure). */
export function time(fn: (i: number) => unknown, opts: TimeOptions = {}): Measurement {
  return measure([spec(fn, opts)])[0]!;
}

export { median };
