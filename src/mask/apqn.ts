// APQNs (adapter x domain) and the kernel's text forms of a matrix: the mdev `matrix` and
// `guest_matrix` attributes and `control_domains`.
import { GrammarError } from '../errors.js';
import { ApMask } from './ap-mask.js';
import { idDigits, queueName } from './ids.js';

export { parseApqn } from './ids.js';

export interface Apqn {
  adapter: number;
  domain: number;
}

/** `01.0002`: the name the kernel and lszcrypt give a queue (hex, zero-padded). */
export function formatApqn(q: Apqn): string {
  return queueName(q);
}

/** adapter << 8 | domain, a number from 0 to 65535 that orders APQNs as the kernel lists them. */
export function apqnNumber(q: Apqn): number {
  return (q.adapter << 8) | q.domain;
}

export function apqnFromNumber(n: number): Apqn {
  return { adapter: n >>> 8, domain: n & 0xff };
}


/** Every APQN of adapters x domains, adapters outer, both ascending (the kernel's order). */
export function apqnsOf(adapters: ApMask, domains: ApMask): Apqn[] {
  const out: Apqn[] = [];
  const ds = domains.ids();
  for (const adapter of adapters) for (const domain of ds) out.push({ adapter, domain });
  return out;
}

export interface MatrixBounds {
  /** Highest adapter ID the text may show (the mdev's apm_max); 255 by default. */
  apmMax?: number;
  /** Highest domain ID (aqm_max); 255 by default. */
  aqmMax?: number;
}

/**
 * The text of an mdev's `matrix` (or `guest_matrix`): one `aa.dddd` line per APQN; `aa.` lines
 * when there are adapters but no domains; `.dddd` lines for domains without adapters; and nothing
 * at all for an empty matrix.
 */
export function formatMatrix(adapters: ApMask, domains: ApMask, bounds: MatrixBounds = {}): string {
  const as = adapters.ids().filter((a) => a <= (bounds.apmMax ?? 255));
  const ds = domains.ids().filter((d) => d <= (bounds.aqmMax ?? 255));
  const a2 = (a: number) => idDigits(a, 'adapter');
  const d4 = (d: number) => idDigits(d, 'domain');
  if (as.length && ds.length) return as.map((a) => ds.map((d) => `${a2(a)}.${d4(d)}\n`).join('')).join('');
  if (as.length) return as.map((a) => `${a2(a)}.\n`).join('');
  return ds.map((d) => `.${d4(d)}\n`).join('');
}

export interface ParsedMatrix {
  adapters: ApMask;
  domains: ApMask;
  apqns: Apqn[];
}

const MATRIX_LINE = /^(?:([0-9a-f]{2})\.([0-9a-f]{4})|([0-9a-f]{2})\.|\.([0-9a-f]{4}))$/;

/** Reads the text of `matrix` or `guest_matrix` back into adapters, domains and APQNs. */
export function parseMatrix(text: string): ParsedMatrix {
  const adapters: number[] = [];
  const domains: number[] = [];
  const apqns: Apqn[] = [];
  let offset = 0;
  // An empty matrix reads as 0 bytes (docs/kernel.md §4.4): no lines at all, not one empty line.
  const lines = text === '' ? [] : text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined);
  for (const line of lines) {
    const m = MATRIX_LINE.exec(line);
    const nums = m ? [m[1] ?? m[3], m[2] ?? m[4]].map((x) => (x === undefined ? undefined : parseInt(x, 16))) : [];
    if (!m || (nums[1] ?? 0) > 255) {
      throw new GrammarError('id', 'EINVAL', text, offset, `line ${JSON.stringify(line)} is not aa.dddd, aa. or .dddd`);
    }
    const [a, d] = nums;
    if (a !== undefined) adapters.push(a);
    if (d !== undefined) domains.push(d);
    if (a !== undefined && d !== undefined) apqns.push({ adapter: a, domain: d });
    offset += line.length + 1;
  }
  return { adapters: ApMask.of(adapters), domains: ApMask.of(domains), apqns };
}

/** The text of `control_domains`: one `dddd` line per control domain. */
export function formatControlDomains(adm: ApMask): string {
  return adm.ids().map((d) => `${idDigits(d, 'domain')}\n`).join('');
}

const CONTROL_LINE = /^00[0-9a-f]{2}$/;

/** Reads the text of `control_domains` back (one `dddd` line per control domain). */
export function parseControlDomains(text: string): ApMask {
  const lines = text === '' ? [] : text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined);
  let offset = 0;
  const ids: number[] = [];
  for (const line of lines) {
    if (!CONTROL_LINE.test(line)) throw new GrammarError('id', 'EINVAL', text, offset, `line ${JSON.stringify(line)} is not a domain dddd`);
    ids.push(parseInt(line, 16));
    offset += line.length + 1;
  }
  return ApMask.of(ids);
}
