// The ID-range text of lszdev --type ap ("1-9,11-255"; empty string for an empty mask).
import type { ApMask } from './ap-mask.js';

export function formatRanges(mask: ApMask): string {
  const parts: string[] = [];
  let start = -1;
  let prev = -2;
  for (const id of mask) {
    if (id !== prev + 1) {
      if (start >= 0) parts.push(start === prev ? `${start}` : `${start}-${prev}`);
      start = id;
    }
    prev = id;
  }
  if (start >= 0) parts.push(start === prev ? `${start}` : `${start}-${prev}`);
  return parts.join(',');
}

/** As lszdev shows a setting: always in double quotes, so an empty mask reads `""`. */
export function quoteRanges(mask: ApMask): string {
  return `"${formatRanges(mask)}"`;
}
