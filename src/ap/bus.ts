// The AP bus side of the host: apmask/aqmask, the IDs the host allows, and what a mask change
// would do — which queues move to which driver, and which mdev would lose APQNs (refused). The
// plan is computed once from facts read once; a dry run is the plan, the real run applies it.
import { InputError } from '../errors.js';
import { ApMask } from '../mask/ap-mask.js';
import type { Apqn } from '../mask/apqn.js';
import { applyKernelMaskWrite, parseChzdevMask } from '../mask/grammar.js';
import { parseQueueName } from '../mask/ids.js';
import { isReserved, reclaimedFromMdevs, type HostMasks, type MaxIds, type OwnedMatrix } from '../mask/matrix.js';
import { runSteps, type Recording, type Step } from '../mdev/journal.js';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import { ApError, apqnList, isSysfsError, kernelRefusal } from './errors.js';
import { listMdevMatrices } from './mdev-read.js';
import { AP_BUS, cardDir, queueDir } from './paths.js';

export type Masks = HostMasks;

export function readMasks(io: SysfsIO): Masks {
  const [ap, aq] = io.readMany([`${AP_BUS}/apmask`, `${AP_BUS}/aqmask`]);
  for (const r of [ap, aq]) if (typeof r !== 'string') throw r;
  return { apmask: ApMask.fromReadFormat(ap as string), aqmask: ApMask.fromReadFormat(aq as string) };
}

/** ap_max_adapter_id and ap_max_domain_id. */
export function readMaxIds(io: SysfsIO): MaxIds {
  const paths = [`${AP_BUS}/ap_max_adapter_id`, `${AP_BUS}/ap_max_domain_id`];
  const [a, d] = io.readMany(paths).map((r, i) => {
    if (typeof r !== 'string') throw r;
    if (!/^\d+\n?$/.test(r)) throw new ApError({ code: 'EPROTO', message: `${paths[i]} read ${JSON.stringify(r)}, not a number`, path: paths[i]!, precheck: true });
    return Number(r.trim());
  });
  return { adapter: a!, domain: d! };
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

export type MaskName = 'apmask' | 'aqmask';

export interface MaskPlan {
  before: Masks;
  after: Masks;
  /** Queues whose driver changes (existing queue devices only). */
  moves: QueueMove[];
  /** APQNs of mdevs the change would give back to the host: the change is refused. */
  conflicts: MaskConflict[];
  /** The writes, in the order that never passes through a refused state. */
  writes: Array<{ attr: MaskName; value: ApMask }>;
}

/** The mask a spec makes of `current`; an empty spec is refused whatever the grammar. */
function applySpec(attr: MaskName, spec: string, current: ApMask, grammar: 'chzdev' | 'kernel'): ApMask {
  if (spec === '') {
    // `apmask=` is an easy typo: as an absolute mask it would hand every queue to vfio_ap, as a
    // write(2) it would do nothing. Neither is what anyone means; ask for the explicit form.
    throw new InputError({
      code: 'EINVAL',
      input: `${attr}=`,
      message: `${attr}= has no value; to give every ID to passthrough write ${attr}=0x0 (--kernel: a lone newline, $'\\n'), ` +
        `to keep the mask leave ${attr} out`,
    });
  }
  return grammar === 'chzdev' ? parseChzdevMask(spec, current) : applyKernelMaskWrite(spec, current).mask;
}

interface QueueFacts {
  apqn: Apqn;
  driver: string | null;
  hwtype: number;
}

/** What a mask plan needs to know of the host: read once. */
export interface MaskFacts {
  masks: Masks;
  queues: QueueFacts[];
  vfioLoaded: boolean;
  mdevs: OwnedMatrix[];
}

function readQueues(io: SysfsIO): QueueFacts[] {
  const apqns = io.list(`${AP_BUS}/devices`).map(parseQueueName).filter((q): q is Apqn => q !== undefined);
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
      driver = io.readlink(`${queueDir(apqn.adapter, apqn.domain)}/driver`).split('/').pop()!;
    } catch (e) {
      if (!isSysfsError(e, 'ENOENT')) throw e;
    }
    return { apqn, driver, hwtype: hwtype.get(apqn.adapter)! };
  });
}

export function readMaskFacts(io: SysfsIO): MaskFacts {
  return { masks: readMasks(io), queues: readQueues(io), vfioLoaded: io.exists(`${AP_BUS}/drivers/vfio_ap`), mdevs: listMdevMatrices(io) };
}

/** The plan of a mask change, from the facts alone (pure). Throws InputError/GrammarError for a bad spec. */
export function computeMaskPlan(facts: MaskFacts, change: MaskChange): MaskPlan {
  const grammar = change.grammar ?? 'chzdev';
  const before = facts.masks;
  const after: Masks = {
    apmask: change.apmask === undefined ? before.apmask : applySpec('apmask', change.apmask, before.apmask, grammar),
    aqmask: change.aqmask === undefined ? before.aqmask : applySpec('aqmask', change.aqmask, before.aqmask, grammar),
  };
  const moves: QueueMove[] = [];
  for (const q of facts.queues) {
    if (isReserved(after, q.apqn) === isReserved(before, q.apqn)) continue;
    // vfio_ap takes CEX4 and newer only (hwtype 10 and up).
    const to: QueueDriver = isReserved(after, q.apqn) ? 'cex4queue' : facts.vfioLoaded && q.hwtype >= 10 ? 'vfio_ap' : null;
    moves.push({ apqn: q.apqn, from: q.driver, to });
  }
  // Write first the mask that only clears bits: the kernel checks newly set bits against the
  // mdevs using the other mask's current value, so clearing first avoids a refusal on the way.
  const apSets = !after.apmask.andNot(before.apmask).isEmpty();
  const order: MaskName[] = apSets ? ['aqmask', 'apmask'] : ['apmask', 'aqmask'];
  const writes: MaskPlan['writes'] = [];
  const conflicts = new Map<string, Apqn[]>();
  const cur = { ...before };
  for (const attr of order) {
    if (after[attr].equals(cur[attr])) continue;
    const newly = after[attr].andNot(cur[attr]);
    const returned = attr === 'apmask' ? { adapters: newly, domains: cur.aqmask } : { adapters: cur.apmask, domains: newly };
    for (const hit of reclaimedFromMdevs(returned, facts.mdevs)) conflicts.set(hit.owner, [...(conflicts.get(hit.owner) ?? []), ...hit.apqns]);
    writes.push({ attr, value: after[attr] });
    cur[attr] = after[attr];
  }
  return { before, after, moves, conflicts: [...conflicts].map(([mdev, apqns]) => ({ mdev, apqns })), writes };
}

/**
 * What the change would do, computed from the host as it is now; nothing is written. Throws a
 * GrammarError (EINVAL) when a spec is not valid in its grammar.
 */
export function planMaskChange(io: SysfsIO, change: MaskChange): MaskPlan {
  return computeMaskPlan(readMaskFacts(io), change);
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

/** The plan's writes as journal steps: each undone by writing the mask it replaced. */
export function maskSteps(plan: MaskPlan): Step[] {
  return plan.writes.map((w) => {
    const path = `${AP_BUS}/${w.attr}`;
    return { path, value: w.value.toString(), undo: { path, value: plan.before[w.attr].toString() } };
  });
}

/**
 * Applies a mask plan: checks it, then writes the masks in its order. If the second write is
 * refused, the first is put back, so the host is left as it was.
 */
export function applyMaskPlan(io: SysfsIO, plan: MaskPlan, recording?: Recording): void {
  checkMaskPlan(plan);
  runSteps(io, maskSteps(plan), (err, step) => kernelRefusal(err, `the kernel refused the new ${step.path.slice(AP_BUS.length + 1)}`, {
    EBUSY: 'an APQN it would reserve is assigned to an mdev (see the kernel log); unassign it there first',
  }), recording);
}
