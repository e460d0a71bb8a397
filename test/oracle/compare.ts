// Glue between the oracle and the library under test: run one input through both and describe
// the outcome of each as comparable text.
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
