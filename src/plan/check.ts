// A multi-guest plan, checked as a whole: which APQNs two guests would share, which APQNs the host
// cannot give, and how apmask/aqmask must change so that the host gives the rest. The host is read
// once (the inventory and the existing mdevs); the check itself is a function of those facts.
import { ApError, apqnList } from '../ap/errors.js';
import { MIN_VFIO_HWTYPE, readInventory, type ApCard, type Inventory, type InventoryProblem } from '../ap/inventory.js';
import { listMdevMatrices, type MdevMatrix } from '../ap/mdev-read.js';
import { AP_BUS } from '../ap/paths.js';
import { cardName, idHex, type Uuid } from '../mask/ids.js';
import type { ApMask } from '../mask/ap-mask.js';
import { apqnFromNumber, apqnsOf, formatApqn, type Apqn } from '../mask/apqn.js';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import { apqnKey, claimsOf, type GuestIds } from './claims.js';
import { minimumCover } from './min-cover.js';
import type { Plan } from './plan.js';

export { parsePlan, type Plan, type PlanGuest } from './plan.js';

/** APQNs that more than one guest claims: once per APQN, together with the others the same guests claim. */
export interface SharedFinding {
  /** Every guest that claims these APQNs, in plan order. */
  guests: string[];
  /** The APQNs exactly these guests claim, ascending. */
  apqns: Apqn[];
}

export type Unavailability = 'above-maximum' | 'adapter-not-configured' | 'domain-not-configured' | 'no-queue' | 'hwtype-below-cex4' | 'held-by-mdev';

export interface UnavailableFinding {
  guest: string;
  apqn: Apqn;
  why: Unavailability;
  /** For held-by-mdev: the mdev that holds the APQN. */
  mdev?: string;
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

/** What a plan is checked against: the host's AP inventory and the mdevs that exist on it. */
export interface PlanHost {
  inventory: Inventory;
  mdevs: MdevMatrix[];
}

/** Reads the facts a plan check needs, in one inventory read and one read of the mdevs. */
export function readPlanHost(io: SysfsIO): PlanHost {
  return { inventory: readInventory(io), mdevs: listMdevMatrices(io) };
}

/** The weight of one host queue taken, above that of all 512 bits together. */
const HOST_QUEUE = 1024;

const hex = (n: number, w: 2 | 4) => idHex(n, w === 2 ? 'adapter' : 'domain');

/**
 * Checks a plan on its own (shared APQNs) and, given a host, against what the host can give.
 * A host read that failed is thrown (with its errno and path) when the check depends on it.
 */
export function checkPlan(plan: Plan, io?: SysfsIO): PlanReport {
  return checkPlanOn(plan, io && readPlanHost(io));
}

/** checkPlan on host facts already read (none: the plan on its own). */
export function checkPlanOn(plan: Plan, host?: PlanHost): PlanReport {
  // The IDs of each guest, listed once for both passes over the claims.
  const ids = plan.guests.map((g): GuestIds => ({ adapters: g.adapters.ids(), domains: g.domains.ids() }));
  const claims = claimsOf(ids);
  const shared: SharedFinding[] = claims.shared.map((c) => ({ guests: c.guests.map((i) => plan.guests[i]!.name), apqns: c.apqns.map(apqnFromNumber) }));
  const messages = shared.map((s) => `${nameList(s.guests)} would share APQN${s.apqns.length > 1 ? 's' : ''} ${apqnList(s.apqns)}: an APQN can be given to one guest only`);
  const report: PlanReport = { ok: true, shared, unavailable: [], reserved: [], messages };
  if (host) checkAgainstHost(plan, ids, host, claims.planned, report);
  report.ok = report.shared.length === 0 && report.unavailable.length === 0;
  return report;
}

/** `A and B`, `A, B and C`; past eight names, how many more. */
function nameList(names: readonly string[], max = 8): string {
  if (names.length > max) return `${names.slice(0, max).join(', ')} and ${(names.length - max).toLocaleString('en')} more guests`;
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** The inventory's read failures, thrown only where the check would otherwise guess. */
class Problems {
  private byDevice: Map<string, InventoryProblem>;

  constructor(readonly all: InventoryProblem[]) {
    this.byDevice = new Map(all.map((p) => [p.device, p]));
  }

  /** Throws the failure of a device (`card01`, `01.0002`); with `path`, only if that path failed. */
  check(device: string, path?: string): void {
    const p = this.byDevice.get(device);
    if (p && (path === undefined || p.paths.includes(path))) throw problemError(p, path ?? p.paths[0]!);
  }

  /** Throws the first failure of any queue device. */
  checkQueues(): void {
    const p = this.all.find((x) => x.device !== 'bus/ap' && !x.device.startsWith('card'));
    if (p) throw problemError(p, p.paths[0]!);
  }
}

function problemError(p: InventoryProblem, path: string): ApError {
  return new ApError({ code: p.code, message: `plan: ${p.device === 'bus/ap' ? path : p.device} cannot be read, and the check depends on it: ${p.message}`, path, precheck: true });
}

/** A mask as 256 flags, for the inner loop over every claim. */
function bitsOf(mask: ApMask): Uint8Array {
  const bits = new Uint8Array(256);
  for (const id of mask) bits[id] = 1;
  return bits;
}

function heldBy(mdev: string, planGuest: string | undefined): string {
  return planGuest === undefined
    ? `mdev ${mdev} already holds it, so the guest's mdev could not get it (EADDRINUSE); give the guest that mdev ("uuid": "${mdev}") or unassign the APQN from it first`
    : `mdev ${mdev} already holds it, and the plan gives that mdev to ${planGuest}; an APQN can be given to one guest only`;
}

function checkAgainstHost(plan: Plan, ids: readonly GuestIds[], host: PlanHost, planned: Uint8Array, report: PlanReport): void {
  const { bus, cards, queues } = host.inventory;
  const problems = new Problems(host.inventory.problems);
  for (const attr of ['ap_max_adapter_id', 'ap_max_domain_id', 'ap_adapter_mask', 'ap_usage_domain_mask']) problems.check('bus/ap', `${AP_BUS}/${attr}`);
  // Without the attributes (ENOENT) the architecture's 255 is the only limit.
  const maxA = bus.maxAdapterId ?? 255;
  const maxD = bus.maxDomainId ?? 255;
  const { apmask, aqmask, adapterMask: cfgA, usageDomainMask: cfgD } = bus;
  const cardOf = new Map<number, ApCard>(cards.map((c) => [c.id, c]));
  const hasQueue = new Uint8Array(65536);
  for (const q of queues) hasQueue[apqnKey(q.adapter, q.domain)] = 1;
  // Why the host cannot give an APQN to any guest; the same for every guest that claims it, so
  // worked out once per APQN (undefined: not yet, null: it can give it).
  const reasons = new Array<[Unavailability, string] | null | undefined>(65536);
  const reasonOf = (k: number, a: number, d: number): [Unavailability, string] | null => {
    let why = reasons[k];
    if (why === undefined) {
      // A queue device lives in its card's directory: without the card there is no queue to give.
      const queueExists = (): boolean => {
        problems.check(cardName(a));
        problems.check(formatApqn({ adapter: a, domain: d }));
        return hasQueue[k] === 1 && cardOf.has(a);
      };
      why = a > maxA || d > maxD ? ['above-maximum', `it is above the host's highest IDs (adapter ${hex(maxA, 2)}, domain ${hex(maxD, 4)})`]
        : cfgA && !cfgA.has(a) ? ['adapter-not-configured', `adapter ${hex(a, 2)} is not in the host's AP configuration`]
          : cfgD && !cfgD.has(d) ? ['domain-not-configured', `domain ${hex(d, 4)} is not in the host's AP configuration`]
            : !queueExists() ? ['no-queue', 'the host has no queue device for it']
              : cardOf.get(a)!.hwtype < MIN_VFIO_HWTYPE ? ['hwtype-below-cex4', `adapter ${hex(a, 2)} is older than CEX4 (hwtype ${cardOf.get(a)!.hwtype}); vfio_ap takes CEX4 and newer`]
                : null;
      reasons[k] = why;
    }
    return why;
  };
  // Which mdevs hold each APQN, and which guest of the plan each named mdev is for.
  const holders = new Map<number, Uuid[]>();
  for (const m of host.mdevs) {
    for (const q of apqnsOf(m.adapters, m.domains)) {
      const k = apqnKey(q.adapter, q.domain);
      const list = holders.get(k);
      if (list) list.push(m.uuid);
      else holders.set(k, [m.uuid]);
    }
  }
  const guestOf = new Map(plan.guests.filter((g) => g.uuid !== undefined).map((g) => [g.uuid!, g.name]));
  const wanted = new Uint8Array(65536);
  const hostA = bitsOf(apmask);
  const hostD = bitsOf(aqmask);
  for (let i = 0; i < plan.guests.length; i++) {
    const g = plan.guests[i]!;
    const ds = ids[i]!.domains;
    for (const a of ids[i]!.adapters) {
      for (const d of ds) {
        const k = apqnKey(a, d);
        const why = reasonOf(k, a, d);
        // The kernel refuses an APQN another mdev holds (EADDRINUSE), unless that mdev is the guest's.
        const holder = why || !holders.size ? undefined : holders.get(k)?.find((u) => u !== g.uuid);
        if (why || holder !== undefined) {
          const apqn = { adapter: a, domain: d };
          const message = `${g.name}: APQN ${formatApqn(apqn)}: ${why ? why[1] : heldBy(holder!, guestOf.get(holder!))}`;
          report.unavailable.push(why ? { guest: g.name, apqn, why: why[0], message } : { guest: g.name, apqn, why: 'held-by-mdev', mdev: holder!, message });
          report.messages.push(message);
        } else if (hostA[a] && hostD[d]) {
          wanted[k] = 1;
        }
      }
    }
  }
  for (let k = 0; k < 65536; k++) if (wanted[k]) report.reserved.push(apqnFromNumber(k));
  if (!report.reserved.length) return;
  // Weigh each bit by the host queues it would take from the host besides the plan's own, first,
  // and by one bit, second: a host queue lost weighs more than any number of extra bits (at most
  // 512), so the cover keeps every queue it can with the host (the seed's 01.001b). A queue that
  // could not be read would be missing from the weights.
  problems.checkQueues();
  const perAdapter = new Float64Array(256);
  const perDomain = new Float64Array(256);
  for (const q of queues) {
    if (apmask.has(q.adapter) && aqmask.has(q.domain) && !planned[apqnKey(q.adapter, q.domain)]) {
      perAdapter[q.adapter]!++;
      perDomain[q.domain]!++;
    }
  }
  const cover = minimumCover(report.reserved.map((q) => [q.adapter, q.domain] as const),
    (a) => 1 + HOST_QUEUE * perAdapter[a]!, (d) => 1 + HOST_QUEUE * perDomain[d]!);
  const spec = (ids: number[], w: 2 | 4) => (ids.length ? ids.map((i) => `-${hex(i, w)}`).join(',') : '');
  report.masks = {
    apmask: spec(cover.adapters, 2),
    aqmask: spec(cover.domains, 4),
    clearAdapters: cover.adapters,
    clearDomains: cover.domains,
  };
  const args = [report.masks.apmask && `apmask=${report.masks.apmask}`, report.masks.aqmask && `aqmask=${report.masks.aqmask}`].filter(Boolean).join(' ');
  report.messages.push(`APQN${report.reserved.length > 1 ? 's' : ''} ${apqnList(report.reserved)} ${report.reserved.length > 1 ? 'are' : 'is'} still reserved for the host; free ${report.reserved.length > 1 ? 'them' : 'it'} with \`zmdev masks set ${args}\``);
}
