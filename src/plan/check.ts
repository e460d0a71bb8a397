// A multi-guest plan, checked as a whole: which APQNs two guests would share, which APQNs the host
// cannot give, and how apmask/aqmask must change so that the host gives the rest.
import { ApError, apqnList } from '../ap/errors.js';
import { parseApId, type IdKind } from '../ap/ids.js';
import { cardDir, queueDir, AP_BUS } from '../ap/paths.js';
import { ApMask } from '../mask/ap-mask.js';
import { apqnsOf, formatApqn, type Apqn } from '../mask/apqn.js';
import { findSharedApqns } from '../mask/batch.js';
import { SysfsError, type SysfsIO } from '../sysfs/sysfs-io.js';
import { minimumCover } from './min-cover.js';

export interface PlanGuest {
  name: string;
  adapters: ApMask;
  domains: ApMask;
  controlDomains: ApMask;
}

export interface Plan {
  guests: PlanGuest[];
}

function planError(message: string): ApError {
  return new ApError({ code: 'EINVAL', message: `plan: ${message}`, precheck: true });
}

function idList(value: unknown, where: string, kind: IdKind, optional: boolean): ApMask {
  if (value === undefined && optional) return ApMask.EMPTY;
  if (!Array.isArray(value)) throw planError(`${where} must be a list of IDs, e.g. [1, "0x0a", "012"]`);
  return ApMask.of(value.map((v, i) => {
    if (typeof v !== 'number' && typeof v !== 'string') throw planError(`${where}[${i}] must be a number or a string`);
    try {
      return parseApId(v, kind);
    } catch (e) {
      throw planError(`${where}[${i}]: ${(e as Error).message}`);
    }
  }));
}

/** Reads and validates a plan: `{"guests": [{"name", "adapters", "domains", "controlDomains"?}]}`. */
export function parsePlan(data: unknown): Plan {
  if (typeof data !== 'object' || data === null || !Array.isArray((data as { guests?: unknown }).guests)) {
    throw planError('expected {"guests": [{"name": "Guest1", "adapters": [1, 2], "domains": [5, 6]}]}');
  }
  const seen = new Set<string>();
  const guests = (data as { guests: unknown[] }).guests.map((g, i): PlanGuest => {
    if (typeof g !== 'object' || g === null) throw planError(`guests[${i}] must be an object`);
    const o = g as Record<string, unknown>;
    if (typeof o.name !== 'string' || o.name === '') throw planError(`guests[${i}].name must be a non-empty string`);
    if (seen.has(o.name)) throw planError(`guest name ${JSON.stringify(o.name)} is used twice; names must be unique`);
    seen.add(o.name);
    for (const k of Object.keys(o)) {
      if (!['name', 'adapters', 'domains', 'controlDomains'].includes(k)) throw planError(`guests[${i}] (${o.name}) has an unknown field ${JSON.stringify(k)}`);
    }
    return {
      name: o.name,
      adapters: idList(o.adapters, `${o.name}.adapters`, 'adapter', false),
      domains: idList(o.domains, `${o.name}.domains`, 'domain', false),
      controlDomains: idList(o.controlDomains, `${o.name}.controlDomains`, 'control domain', true),
    };
  });
  return { guests };
}

export interface SharedFinding {
  guests: [string, string];
  apqns: Apqn[];
}

export type Unavailability = 'above-maximum' | 'adapter-not-configured' | 'domain-not-configured' | 'no-queue' | 'hwtype-below-cex4';

export interface UnavailableFinding {
  guest: string;
  apqn: Apqn;
  why: Unavailability;
  message: string;
}

export interface PlanReport {
  ok: boolean;
  shared: SharedFinding[];
  /** Only with a host: APQNs it cannot give at all. */
  unavailable: UnavailableFinding[];
  /** Only with a host: APQNs still reserved for the host, and the mask change that frees them. */
  reserved: Apqn[];
  masks?: { apmask: string; aqmask: string; clearAdapters: number[]; clearDomains: number[] };
  /** Human sentences, one per finding. */
  messages: string[];
}

/** The weight of one host queue taken, above that of all 512 bits together. */
const HOST_QUEUE = 1024;

const hex = (n: number, w: number) => `0x${n.toString(16).padStart(w, '0')}`;

/** Checks a plan on its own (shared APQNs) and, given a host, against what the host can give. */
export function checkPlan(plan: Plan, io?: SysfsIO): PlanReport {
  const shared: SharedFinding[] = findSharedApqns(plan.guests.map((g) => ({ adapters: g.adapters, domains: g.domains })))
    .map((s) => ({ guests: [plan.guests[s.a]!.name, plan.guests[s.b]!.name], apqns: s.apqns }));
  const messages = shared.map((s) => `${s.guests[0]} and ${s.guests[1]} would share APQN${s.apqns.length > 1 ? 's' : ''} ${apqnList(s.apqns)}: an APQN can be given to one guest only`);
  const report: PlanReport = { ok: true, shared, unavailable: [], reserved: [], messages };
  if (io) checkAgainstHost(plan, io, report);
  report.ok = report.shared.length === 0 && report.unavailable.length === 0;
  return report;
}

/** A decimal attribute; anything else is EPROTO rather than a NaN that compares false with every ID. */
function readInt(io: SysfsIO, path: string): number;
/** With a fallback for kernels that do not have the attribute (ENOENT). */
function readInt(io: SysfsIO, path: string, absent: number): number;
function readInt(io: SysfsIO, path: string, absent?: number): number {
  const [t] = io.readMany([path]);
  if (t instanceof SysfsError && t.code === 'ENOENT' && absent !== undefined) return absent;
  if (typeof t !== 'string') throw t!;
  if (!/^-?[0-9]+\n?$/.test(t)) throw new SysfsError({ code: 'EPROTO', syscall: 'read', path, explanation: `expected a decimal number, got ${JSON.stringify(t)}` });
  return parseInt(t, 10);
}

/**
 * A mask of the bus; a failed read is thrown as it came, with its errno and path. A QCI mask
 * (`optional`) reads as null where the kernel prints `not supported` or lacks the attribute.
 */
function readMask(io: SysfsIO, attr: string, optional = false): ApMask | null {
  const [t] = io.readMany([`${AP_BUS}/${attr}`]);
  if (t instanceof SysfsError && t.code === 'ENOENT' && optional) return null;
  if (typeof t !== 'string') throw t!;
  return optional && !t.startsWith('0x') ? null : ApMask.fromReadFormat(t);
}

function checkAgainstHost(plan: Plan, io: SysfsIO, report: PlanReport): void {
  // Without the attributes the architecture's 255 is the only limit.
  const maxA = readInt(io, `${AP_BUS}/ap_max_adapter_id`, 255);
  const maxD = readInt(io, `${AP_BUS}/ap_max_domain_id`, 255);
  const apmask = readMask(io, 'apmask')!;
  const aqmask = readMask(io, 'aqmask')!;
  const cfgA = readMask(io, 'ap_adapter_mask', true);
  const cfgD = readMask(io, 'ap_usage_domain_mask', true);
  const hwtypes = new Map<number, number>();
  const hwtype = (a: number): number => {
    if (!hwtypes.has(a)) hwtypes.set(a, readInt(io, `${cardDir(a)}/hwtype`));
    return hwtypes.get(a)!;
  };
  const wanted: Apqn[] = [];
  for (const g of plan.guests) {
    for (const q of apqnsOf(g.adapters, g.domains)) {
      const why: [Unavailability, string] | undefined =
        q.adapter > maxA || q.domain > maxD ? ['above-maximum', `it is above the host's highest IDs (adapter ${hex(maxA, 2)}, domain ${hex(maxD, 4)})`]
          : cfgA && !cfgA.has(q.adapter) ? ['adapter-not-configured', `adapter ${hex(q.adapter, 2)} is not in the host's AP configuration`]
            : cfgD && !cfgD.has(q.domain) ? ['domain-not-configured', `domain ${hex(q.domain, 4)} is not in the host's AP configuration`]
              : !io.exists(queueDir(q.adapter, q.domain)) ? ['no-queue', 'the host has no queue device for it']
                : hwtype(q.adapter) < 10 ? ['hwtype-below-cex4', `adapter ${hex(q.adapter, 2)} is older than CEX4 (hwtype ${hwtype(q.adapter)}); vfio_ap takes CEX4 and newer`]
                  : undefined;
      if (why) {
        const message = `${g.name}: APQN ${formatApqn(q)}: ${why[1]}`;
        report.unavailable.push({ guest: g.name, apqn: q, why: why[0], message });
        report.messages.push(message);
      } else if (apmask.has(q.adapter) && aqmask.has(q.domain)) {
        wanted.push(q);
      }
    }
  }
  const uniq = new Map(wanted.map((q) => [(q.adapter << 8) | q.domain, q]));
  report.reserved = [...uniq.values()].sort((x, y) => ((x.adapter << 8) | x.domain) - ((y.adapter << 8) | y.domain));
  if (!report.reserved.length) return;
  // Weigh each bit by the host queues it would take from the host besides the plan's own, first,
  // and by one bit, second: a host queue lost weighs more than any number of extra bits (at most
  // 512), so the cover keeps every queue it can with the host (the seed's 01.001b).
  const planned = new Set(plan.guests.flatMap((g) => apqnsOf(g.adapters, g.domains)).map((q) => (q.adapter << 8) | q.domain));
  const queues = io.list(`${AP_BUS}/devices`).filter((n) => n.includes('.')).map((n) => ({ adapter: parseInt(n.slice(0, 2), 16), domain: parseInt(n.slice(3), 16) }))
    .filter((q) => apmask.has(q.adapter) && aqmask.has(q.domain) && !planned.has((q.adapter << 8) | q.domain));
  const cover = minimumCover(report.reserved.map((q) => [q.adapter, q.domain] as const),
    (a) => 1 + HOST_QUEUE * queues.filter((q) => q.adapter === a).length, (d) => 1 + HOST_QUEUE * queues.filter((q) => q.domain === d).length);
  const spec = (ids: number[], w: number) => (ids.length ? ids.map((i) => `-${hex(i, w)}`).join(',') : '');
  report.masks = {
    apmask: spec(cover.adapters, 2),
    aqmask: spec(cover.domains, 4),
    clearAdapters: cover.adapters,
    clearDomains: cover.domains,
  };
  const args = [report.masks.apmask && `apmask=${report.masks.apmask}`, report.masks.aqmask && `aqmask=${report.masks.aqmask}`].filter(Boolean).join(' ');
  report.messages.push(`APQN${report.reserved.length > 1 ? 's' : ''} ${apqnList(report.reserved)} ${report.reserved.length > 1 ? 'are' : 'is'} still reserved for the host; free ${report.reserved.length > 1 ? 'them' : 'it'} with \`zmdev masks set ${args}\``);
}
