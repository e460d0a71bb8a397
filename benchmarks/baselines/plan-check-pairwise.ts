// The plan check as it was before the owner table: shared APQNs from findSharedApqns, one entry
// per pair of guests and APQN, and the host read path by path (hwtype, queue directories). Kept
// to be measured next to the current check in the same run; its memory grows with the pairs of
// guests, so it runs only at sizes where it finishes. Takes the plan that parsePlan makes.
import { ApMask } from '../../src/mask/ap-mask.js';
import { apqnsOf, formatApqn, type Apqn } from '../../src/mask/apqn.js';
import { findSharedApqns } from '../../src/mask/batch.js';
import { minimumCover } from '../../src/plan/min-cover.js';
import type { Plan } from '../../src/plan/plan.js';
import type { SysfsIO } from '../../src/sysfs/sysfs-io.js';

// Paths and the APQN list as the check wrote them then.
const AP_BUS = 'bus/ap';
const cardDir = (a: number) => `devices/ap/card${a.toString(16).padStart(2, '0')}`;
const queueDir = (a: number, d: number) => `${cardDir(a)}/${a.toString(16).padStart(2, '0')}.${d.toString(16).padStart(4, '0')}`;

function apqnList(apqns: readonly Apqn[], max = 8): string {
  const shown = apqns.slice(0, max).map(formatApqn).join(', ');
  return apqns.length > max ? `${shown} and ${apqns.length - max} more` : shown;
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
export function checkPlanPairwise(plan: Plan, io?: SysfsIO): PlanReport {
  const shared: SharedFinding[] = findSharedApqns(plan.guests.map((g) => ({ adapters: g.adapters, domains: g.domains })))
    .map((s) => ({ guests: [plan.guests[s.a]!.name, plan.guests[s.b]!.name], apqns: s.apqns }));
  const messages = shared.map((s) => `${s.guests[0]} and ${s.guests[1]} would share APQN${s.apqns.length > 1 ? 's' : ''} ${apqnList(s.apqns)}: an APQN can be given to one guest only`);
  const report: PlanReport = { ok: true, shared, unavailable: [], reserved: [], messages };
  if (io) checkAgainstHost(plan, io, report);
  report.ok = report.shared.length === 0 && report.unavailable.length === 0;
  return report;
}

function readMask(io: SysfsIO, attr: string): ApMask | null {
  const [t] = io.readMany([`${AP_BUS}/${attr}`]);
  return typeof t === 'string' && t.startsWith('0x') ? ApMask.fromReadFormat(t) : null;
}

function checkAgainstHost(plan: Plan, io: SysfsIO, report: PlanReport): void {
  const [maxA, maxD] = io.readMany([`${AP_BUS}/ap_max_adapter_id`, `${AP_BUS}/ap_max_domain_id`]).map((t) => parseInt(String(t), 10));
  const apmask = readMask(io, 'apmask')!;
  const aqmask = readMask(io, 'aqmask')!;
  const cfgA = readMask(io, 'ap_adapter_mask');
  const cfgD = readMask(io, 'ap_usage_domain_mask');
  const hwtypes = new Map<number, number>();
  const hwtype = (a: number): number => {
    if (!hwtypes.has(a)) {
      const [t] = io.readMany([`${cardDir(a)}/hwtype`]);
      if (typeof t !== 'string') throw t!;
      hwtypes.set(a, parseInt(t, 10));
    }
    return hwtypes.get(a)!;
  };
  const wanted: Apqn[] = [];
  for (const g of plan.guests) {
    for (const q of apqnsOf(g.adapters, g.domains)) {
      const why: [Unavailability, string] | undefined =
        q.adapter > maxA! || q.domain > maxD! ? ['above-maximum', `it is above the host's highest IDs (adapter ${hex(maxA!, 2)}, domain ${hex(maxD!, 4)})`]
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
