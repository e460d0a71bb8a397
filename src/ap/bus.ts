// The AP bus side of the host: apmask/aqmask, the IDs the host allows, and what a mask change
// would do — which queues move to which driver, and which mdev would lose APQNs (refused).
import { ApMask } from '../mask/ap-mask.js';
import { apqnsOf, parseApqn, type Apqn } from '../mask/apqn.js';
import { parseChzdevMask, parseKernelMask } from '../mask/grammar.js';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import { ApError, apqnList, isSysfsError, kernelRefusal } from './errors.js';
import { listMdevMatrices } from './mdev-read.js';
import { AP_BUS, cardDir, queueName } from './paths.js';

export interface Masks {
  apmask: ApMask;
  aqmask: ApMask;
}

export function readMasks(io: SysfsIO): Masks {
  const [ap, aq] = io.readMany([`${AP_BUS}/apmask`, `${AP_BUS}/aqmask`]);
  for (const r of [ap, aq]) if (typeof r !== 'string') throw r;
  return { apmask: ApMask.fromReadFormat(ap as string), aqmask: ApMask.fromReadFormat(aq as string) };
}

/** ap_max_adapter_id and ap_max_domain_id. */
export function readMaxIds(io: SysfsIO): { adapter: number; domain: number } {
  const [a, d] = io.readMany([`${AP_BUS}/ap_max_adapter_id`, `${AP_BUS}/ap_max_domain_id`]);
  for (const r of [a, d]) if (typeof r !== 'string') throw r;
  return { adapter: parseInt(a as string, 10), domain: parseInt(d as string, 10) };
}

/** True when both masks reserve the APQN for the host's default drivers. */
export function reserved(m: Masks, q: Apqn): boolean {
  return m.apmask.has(q.adapter) && m.aqmask.has(q.domain);
}

/** A requested change of the masks: chzdev's syntax (default) or the kernel's sysfs grammar. */
export interface MaskChange {
  apmask?: string;
  aqmask?: string;
  grammar?: 'chzdev' | 'kernel';
}

export type QueueDriver = 'cex4queue' | 'vfio_ap' | null;

export interface QueueMove {
  apqn: Apqn;
  from: QueueDriver | string;
  to: QueueDriver;
}

export interface MaskConflict {
  mdev: string;
  apqns: Apqn[];
}

export interface MaskPlan {
  before: Masks;
  after: Masks;
  /** Queues whose driver changes (existing queue devices only). */
  moves: QueueMove[];
  /** APQNs of mdevs the change would give back to the host: the change is refused. */
  conflicts: MaskConflict[];
  /** The writes, in the order that never passes through a refused state. */
  writes: Array<{ attr: 'apmask' | 'aqmask'; value: ApMask }>;
}

function applySpec(spec: string, current: ApMask, grammar: 'chzdev' | 'kernel'): ApMask {
  return grammar === 'chzdev' ? parseChzdevMask(spec, current) : parseKernelMask(spec, current);
}

interface QueueFacts {
  apqn: Apqn;
  driver: string | null;
  hwtype: number;
}

function readQueues(io: SysfsIO): QueueFacts[] {
  const names = io.list(`${AP_BUS}/devices`).filter((n) => /^[0-9a-f]{2}\.[0-9a-f]{4}$/.test(n));
  const apqns = names.map(parseApqn);
  const cards = [...new Set(apqns.map((q) => q.adapter))];
  const hw = io.readMany(cards.map((a) => `${cardDir(a)}/hwtype`));
  const hwtype = new Map(cards.map((a, i) => {
    const t = hw[i]!;
    if (typeof t !== 'string') throw t;
    return [a, parseInt(t, 10)];
  }));
  return apqns.map((apqn) => {
    let driver: string | null = null;
    try {
      driver = io.readlink(`${cardDir(apqn.adapter)}/${queueName(apqn.adapter, apqn.domain)}/driver`).split('/').pop()!;
    } catch (e) {
      if (!isSysfsError(e, 'ENOENT')) throw e;
    }
    return { apqn, driver, hwtype: hwtype.get(apqn.adapter)! };
  });
}

/**
 * What the change would do, computed from the host as it is now; nothing is written. Throws a
 * GrammarError (EINVAL) when a spec is not valid in its grammar.
 */
export function planMaskChange(io: SysfsIO, change: MaskChange): MaskPlan {
  const grammar = change.grammar ?? 'chzdev';
  const before = readMasks(io);
  const after: Masks = {
    apmask: change.apmask === undefined ? before.apmask : applySpec(change.apmask, before.apmask, grammar),
    aqmask: change.aqmask === undefined ? before.aqmask : applySpec(change.aqmask, before.aqmask, grammar),
  };
  const vfioLoaded = io.exists(`${AP_BUS}/drivers/vfio_ap`);
  const moves: QueueMove[] = [];
  for (const q of readQueues(io)) {
    const to: QueueDriver = reserved(after, q.apqn) ? 'cex4queue' : vfioLoaded && q.hwtype >= 10 ? 'vfio_ap' : null;
    const from = q.driver;
    if (reserved(after, q.apqn) !== reserved(before, q.apqn) || from !== to) {
      if (reserved(after, q.apqn) !== reserved(before, q.apqn)) moves.push({ apqn: q.apqn, from, to });
    }
  }
  // Write first the mask that only clears bits: the kernel checks newly set bits against the
  // mdevs using the other mask's current value, so clearing first avoids a refusal on the way.
  const apSets = !after.apmask.andNot(before.apmask).isEmpty();
  const order: Array<'apmask' | 'aqmask'> = apSets ? ['aqmask', 'apmask'] : ['apmask', 'aqmask'];
  const writes: MaskPlan['writes'] = [];
  const conflicts = new Map<string, Apqn[]>();
  const mdevs = listMdevMatrices(io);
  const cur = { ...before };
  for (const attr of order) {
    if (after[attr].equals(cur[attr])) continue;
    const newly = after[attr].andNot(cur[attr]);
    const checked = attr === 'apmask' ? { adapters: newly, domains: cur.aqmask } : { adapters: cur.apmask, domains: newly };
    for (const m of mdevs) {
      const hit = apqnsOf(m.adapters.and(checked.adapters), m.domains.and(checked.domains));
      if (hit.length) conflicts.set(m.uuid, [...(conflicts.get(m.uuid) ?? []), ...hit]);
    }
    writes.push({ attr, value: after[attr] });
    cur[attr] = after[attr];
  }
  return {
    before,
    after,
    moves,
    conflicts: [...conflicts].map(([mdev, apqns]) => ({ mdev, apqns })),
    writes,
  };
}

/** Refuses a plan that would take APQNs from mdevs, as the kernel would (EBUSY). */
export function checkMaskPlan(plan: MaskPlan): void {
  const [first] = plan.conflicts;
  if (!first) return;
  const all = plan.conflicts.flatMap((c) => c.apqns);
  throw new ApError({
    code: 'EBUSY',
    message: `the mask change would give APQN${all.length > 1 ? 's' : ''} ${apqnList(all)} back to the host, but mdev ${first.mdev}` +
      `${plan.conflicts.length > 1 ? ` (and ${plan.conflicts.length - 1} more)` : ''} holds ${all.length > 1 ? 'them' : 'it'}; ` +
      `unassign ${all.length > 1 ? 'them' : 'it'} from the mdev first (zmdev mdev unassign ${first.mdev} …) or leave those bits clear`,
    apqns: all,
    mdev: first.mdev,
    precheck: true,
  });
}

/**
 * Applies a mask plan: checks it, then writes the masks in its order. If the second write is
 * refused, the first is put back, so the host is left as it was.
 */
export function applyMaskPlan(io: SysfsIO, plan: MaskPlan): void {
  checkMaskPlan(plan);
  const done: Array<{ attr: 'apmask' | 'aqmask'; old: ApMask }> = [];
  for (const w of plan.writes) {
    const path = `${AP_BUS}/${w.attr}`;
    try {
      io.write(path, w.value.toString());
    } catch (e) {
      if (!isSysfsError(e)) throw e;
      for (const d of done.reverse()) io.write(`${AP_BUS}/${d.attr}`, d.old.toString());
      throw kernelRefusal(e, `the kernel refused the new ${w.attr}`, {
        EBUSY: 'an APQN it would reserve is assigned to an mdev (see the kernel log); unassign it there first',
      });
    }
    done.push({ attr: w.attr, old: plan.before[w.attr] });
  }
}
