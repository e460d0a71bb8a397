// AP IDs as users write them: decimal, 0x hex or leading-0 octal (the kernel's own reading),
// shown back canonically in hex as lszcrypt shows them.
import type { GrammarError } from '../errors.js';
import { parseKernelId } from '../mask/grammar.js';
import { idHex, type IdKind } from '../mask/ids.js';
import { ApError } from './errors.js';

export type { IdKind } from '../mask/ids.js';

/** Reads one ID (number, or text in any notation the kernel accepts); 0..255. */
export function parseApId(input: number | string, kind: IdKind): number {
  let value: bigint;
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input < 0) {
      throw new ApError({ code: 'EINVAL', message: `${kind} ${input} is not an ID: IDs are whole numbers from 0 to 255`, precheck: true });
    }
    value = BigInt(input);
  } else {
    try {
      value = parseKernelId(input);
    } catch (e) {
      const g = e as GrammarError;
      throw new ApError({
        code: g.code,
        message: `${kind} ${JSON.stringify(input)} is not an ID: ${g.reason}; write it in decimal (10), hex (0x0a) or octal (012)`,
        precheck: true,
        cause: g,
      });
    }
  }
  if (value > 255n) {
    throw new ApError({ code: 'ENODEV', message: `${kind} ${input} is above 255, the highest AP ID there is`, precheck: true });
  }
  return Number(value);
}

/** `0x0a` for adapters, `0x001b` for domains. */
export const formatApId: (id: number, kind: IdKind) => string = idHex;
