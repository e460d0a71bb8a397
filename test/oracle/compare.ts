// Glue between the oracle and the library under test: run one input through both and describe
// the outcome of each as comparable text.
import type { Test } from 'tap';
import { ApMask } from '../../src/mask/ap-mask.js';
import { GrammarError } from '../../src/errors.js';
import { bitsOf, bitsToHex, idsOf, type Bits, type Outcome } from './bits.js';

export function bitsFromMask(m: ApMask): Bits {
  return bitsOf(m.ids());
}

export function maskFromBits(b: Bits): ApMask {
  return ApMask.of(idsOf(b));
}

/** `ok <hex>` or the errno name. */
export function describeOracle<T>(o: Outcome<T>, show: (v: T) => string): string {
  return o.ok ? `ok ${show(o.value)}` : o.errno;
}

/** `ok <hex>` or the errno name of the GrammarError thrown; anything else is rethrown. */
export function describeNative<T>(f: () => T, show: (v: T) => string, input: string): string {
  try {
    return `ok ${show(f())}`;
  } catch (err) {
    if (!(err instanceof GrammarError)) throw err;
    // Every refusal names a byte of the input (or its end) and a reason.
    const bytes = Buffer.byteLength(input, 'utf8');
    if (!(err.position >= 0 && err.position <= bytes) || err.reason.length === 0) {
      return `${err.code} with a bad position ${err.position} / reason ${JSON.stringify(err.reason)}`;
    }
    return err.code;
  }
}

export const hexOfBits = (b: Bits): string => bitsToHex(b);
export const hexOfMask = (m: ApMask): string => m.toString();

/** One generated case: its input, and the two readings described as "ok …" or the errno. */
export interface DiffCase {
  input: string;
  want: string;
  got: string;
  /** Shown after the input in a failure message (e.g. the starting mask). */
  context?: string;
}

/**
 * Runs `cases` generated comparisons, reports up to ten disagreements with the seed that replays
 * them, and returns the oracle's outcomes ("ok" or the errno name) so the caller can check that
 * the generator reached every side of the grammar.
 */
export function compareMany(t: Test, seed: number, cases: number, next: (i: number) => DiffCase): string[] {
  let mismatches = 0;
  const outcomes: string[] = [];
  for (let i = 0; i < cases && mismatches < 10; i++) {
    const c = next(i);
    outcomes.push(c.want.startsWith('ok') ? 'ok' : c.want.split(' ')[0]!);
    if (c.got !== c.want) {
      mismatches++;
      t.equal(c.got, c.want, `case ${i} (ZMDEV_TEST_SEED=${seed}): ${JSON.stringify(c.input)}${c.context ? ` on ${c.context}` : ''}`);
    }
  }
  t.equal(mismatches, 0, `no disagreement in ${cases} cases (ZMDEV_TEST_SEED=${seed})`);
  return outcomes;
}
