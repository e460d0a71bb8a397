// AP IDs as users write them: decimal, 0x hex or leading-0 octal (the kernel's own reading),
// shown back canonically in hex as lszcrypt shows them.
import { GrammarError } from '../errors.js';
import { parseKernelId } from '../mask/grammar.js';
import { ApError } from './errors.js';

export type IdKind = 'adapter' | 'domain' | 'control domain';

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
export function formatApId(id: number, kind: IdKind): string {
  return `0x${id.toString(16).padStart(kind === 'adapter' ? 2 : 4, '0')}`;
}
