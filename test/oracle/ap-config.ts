// Test oracle for a write to an mdev's ap_config attribute (docs/kernel.md §4.6), parsing only (the
// validation against masks and other mdevs is not a grammar matter).
import { bytesOf, ch, cString, fail, ok, type Bits, type Outcome } from './bits.js';
import { oracleAbsoluteHex } from './kernel-mask.js';

export const AP_CONFIG_MAX = 201;

export interface OracleApConfig {
  apm: Bits;
  aqm: Bits;
  adm: Bits;
}

/**
 * Truncate to 201 bytes, then take three tokens the way strsep(",\n") hands them out: each token
 * ends at the next `,` or `\n`; after the last separator the remainder (possibly empty) is one
 * more token; once the text is used up there are no more tokens (a missing token = EINVAL).
 * Each token is absolute hex; tokens after the third are ignored.
 */
export function oracleApConfig(input: string | Uint8Array): Outcome<OracleApConfig> {
  let rest: number[] | null = cString(bytesOf(input)).slice(0, AP_CONFIG_MAX);
  const masks: Bits[] = [];
  for (let t = 0; t < 3; t++) {
    if (rest === null) return fail('EINVAL');
    const sep = rest.findIndex((c) => c === ch(',') || c === ch('\n'));
    const token: number[] = sep < 0 ? rest : rest.slice(0, sep);
    rest = sep < 0 ? null : rest.slice(sep + 1);
    const m = oracleAbsoluteHex(token, false);
    if (!m.ok) return fail(m.errno);
    masks.push(m.value);
  }
  return ok({ apm: masks[0]!, aqm: masks[1]!, adm: masks[2]! });
}
