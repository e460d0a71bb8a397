// The vfio_ap driver: its part of mdev create/remove, the assign/unassign attributes, ap_config, exclusivity,
// the in-use answer to the AP bus, queues joining and leaving the driver, guests (kernel.md §3-§6).
import type { GrammarError } from '../../errors.js';
import {
  ApMask, formatApConfig, formatApqn, formatControlDomains, formatMatrix, parseApConfig, parseKernelId,
} from '../../mask/index.js';
import { heldElsewhere, reclaimedFromMdevs, reservedApqns, type OwnedMatrix } from '../../mask/matrix.js';
import { refilter, resetQueues } from './filter.js';
import { fromMatrix, toMatrix, type Matrix, type SimHost } from '../host.js';
import { refuse } from '../refusal.js';
import { EMPTY_MATRIX, type MdevState, type QueueState } from '../state.js';

export type AssignTarget = 'adapter' | 'domain' | 'control_domain';

const PREFIX = 'vfio_ap_mdev';

/** The mdevs as owned matrices, newest first: the order the kernel walks them in. */
function mdevsNewestFirst(host: SimHost): OwnedMatrix[] {
  return [...host.state.mdevs].reverse().map((m) => {
    const x = toMatrix(m);
    return { uuid: m.uuid, adapters: x.apm, domains: x.aqm, controlDomains: x.adm };
  });
}

/**
 * The in-use question of an apmask/aqmask write: may these APQNs go back to the host? The first
 * mdev (newest first) holding any of them makes the bus refuse the write with EBUSY.
 */
export function checkNotInUse(host: SimHost, apids: ApMask, apqis: ApMask): void {
  const [hit] = reclaimedFromMdevs({ adapters: apids, domains: apqis }, mdevsNewestFirst(host));
  if (!hit) return;
  for (const q of hit.apqns) {
    const n = formatApqn(q);
    host.log(host.caps.inUseLog === 'cannot-reserve'
      ? `${PREFIX} ${hit.owner}: Can not reserve queue ${n} for host driver: in use by mdev`
      : `${PREFIX} ${hit.owner}: Userspace may not re-assign queue ${n} already assigned to ${hit.owner}`);
  }
  refuse('EBUSY', `APQN ${formatApqn(hit.apqns[0]!)} is assigned to mdev ${hit.owner}; unassign it there before giving it back to the host`);
}

/** EADDRINUSE when the matrix shares an APQN with another mdev (control domains are never checked). */
function checkNoSharing(host: SimHost, self: MdevState, m: Matrix): void {
  const [hit] = heldElsewhere({ adapters: m.apm, domains: m.aqm }, mdevsNewestFirst(host), self.uuid);
  if (!hit) return;
  for (const q of hit.apqns) {
    const n = formatApqn(q);
    if (host.caps.sharingLog === 'may-not-assign') {
      host.log(`${PREFIX} ${self.uuid}: Userspace may not assign queue ${n} to mdev: already assigned to ${hit.owner}`);
    } else if (host.caps.sharingLog === 'may-not-reassign') {
      host.log(`${PREFIX} ${hit.owner}: Userspace may not re-assign queue ${n} already assigned to ${hit.owner}`);
    }
  }
  refuse('EADDRINUSE', `APQN ${formatApqn(hit.apqns[0]!)} already belongs to mdev ${hit.owner}; one APQN can be in one mdev only`);
}

/** EADDRNOTAVAIL when an APQN of the matrix is still reserved for the host by apmask/aqmask. */
function checkNotReserved(host: SimHost, m: Matrix): void {
  const [first] = reservedApqns({ adapters: m.apm, domains: m.aqm }, { apmask: host.apmask, aqmask: host.aqmask });
  if (!first) return;
  const name = formatApqn(first);
  refuse('EADDRNOTAVAIL', `APQN ${name} is still reserved for the host by apmask/aqmask; free its adapter or domain first (e.g. apmask=-0x${name.slice(0, 2)})`);
}

/** Classic (≤5.19) rule: the queues of an assignment must be bound to vfio_ap. */
function checkBound(host: SimHost, target: 'adapter' | 'domain', id: number, m: Matrix): void {
  const other = target === 'adapter' ? m.aqm : m.apm;
  const bound = (q: QueueState | undefined) => q?.driver === 'vfio_ap';
  const ok = other.isEmpty()
    ? host.state.queues.some((q) => (target === 'adapter' ? q.adapter : q.domain) === id && bound(q))
    : other.ids().every((o) => bound(target === 'adapter' ? host.queue(id, o) : host.queue(o, id)));
  if (!ok) refuse('EADDRNOTAVAIL', `the queues of ${target} ${id} are not bound to vfio_ap; free them with apmask/aqmask first`);
}

function parseId(bytes: Uint8Array): number {
  try {
    const v = parseKernelId(bytes);
    return v > 255n ? 256 : Number(v);
  } catch (e) {
    const g = e as GrammarError;
    refuse(g.code, `${g.message}`);
  }
}

function maxFor(host: SimHost, target: AssignTarget): number {
  return target === 'adapter' ? host.maxAdapterId : host.maxDomainId;
}

function busyCheck(host: SimHost, mdev: MdevState): void {
  if (host.caps.busyWhileAttached && mdev.guest !== null) {
    refuse('EBUSY', `mdev ${mdev.uuid} is in use by guest ${mdev.guest}; this kernel changes an mdev only while no guest holds it`);
  }
}

function withBit(m: Matrix, target: AssignTarget, id: number, on: boolean): Matrix {
  const k = target === 'adapter' ? 'apm' : target === 'domain' ? 'aqm' : 'adm';
  return { ...m, [k]: on ? m[k].with(id) : m[k].without(id) };
}

function has(m: Matrix, target: AssignTarget, id: number): boolean {
  return (target === 'adapter' ? m.apm : target === 'domain' ? m.aqm : m.adm).has(id);
}

/** The first checks of every assign_* and unassign_* store, in the kernel's order: busy (classic), parse, maximum. */
function idWithinMax(host: SimHost, mdev: MdevState, target: AssignTarget, bytes: Uint8Array): number {
  busyCheck(host, mdev);
  const id = parseId(bytes);
  const max = maxFor(host, target);
  if (id > max) refuse('ENODEV', `${target.replace('_', ' ')} ${id} is above the highest ID ${max} of this host`);
  return id;
}

/** assign_adapter / assign_domain / assign_control_domain (kernel.md §4.1, §4.3, §10 for the classic rules). */
export function assign(host: SimHost, mdev: MdevState, target: AssignTarget, bytes: Uint8Array): void {
  const id = idWithinMax(host, mdev, target, bytes);
  const m = toMatrix(mdev);
  if (target === 'control_domain') {
    if (m.adm.has(id)) return;
    const next = withBit(m, target, id, true);
    setMatrix(mdev, next);
    if (host.caps.dynamic) mdev.shadow = { ...mdev.shadow, adm: next.adm.and(host.config.adm).toString() };
    return;
  }
  if (host.caps.assignNeedsBinding) {
    checkBound(host, target, id, m);
    if (has(m, target, id)) return;
    const next = withBit(m, target, id, true);
    checkNoSharing(host, mdev, next);
    setMatrix(mdev, next);
    return;
  }
  if (has(m, target, id)) return;
  const next = withBit(m, target, id, true);
  checkNotReserved(host, next);
  checkNoSharing(host, mdev, next);
  setMatrix(mdev, next);
  refilter(host, mdev);
}

/** unassign_adapter / unassign_domain / unassign_control_domain (kernel.md §4.2, §4.3). */
export function unassign(host: SimHost, mdev: MdevState, target: AssignTarget, bytes: Uint8Array): void {
  const id = idWithinMax(host, mdev, target, bytes);
  const m = toMatrix(mdev);
  if (!has(m, target, id)) return;
  setMatrix(mdev, withBit(m, target, id, false));
  if (!host.caps.dynamic) return;
  const s = toMatrix(mdev.shadow);
  if (!has(s, target, id)) return;
  if (target === 'adapter') resetQueues(host, ApMask.of([id]), s.aqm);
  if (target === 'domain') resetQueues(host, s.apm, ApMask.of([id]));
  mdev.shadow = fromMatrix(withBit(s, target, id, false));
}

function setMatrix(mdev: MdevState, m: Matrix): void {
  mdev.apm = m.apm.toString();
  mdev.aqm = m.aqm.toString();
  mdev.adm = m.adm.toString();
}

/** ap_config write (kernel.md §4.6): parse, validate the whole new matrix, then apply it atomically. */
export function writeApConfig(host: SimHost, mdev: MdevState, bytes: Uint8Array): void {
  let next: Matrix;
  try {
    const m = parseApConfig(bytes);
    next = { apm: m.adapters, aqm: m.domains, adm: m.controlDomains };
  } catch (e) {
    refuse('EINVAL', (e as GrammarError).message);
  }
  checkNotReserved(host, next);
  checkNoSharing(host, mdev, next);
  const over = [...next.apm.above(host.maxAdapterId), ...next.aqm.above(host.maxDomainId), ...next.adm.above(host.maxDomainId)];
  if (over.length) refuse('ENODEV', `ID ${over[0]} is above the highest ID of this host (adapters ${host.maxAdapterId}, domains ${host.maxDomainId})`);
  const old = toMatrix(mdev);
  const s = toMatrix(mdev.shadow);
  const goneA = old.apm.andNot(next.apm).and(s.apm);
  const goneD = old.aqm.andNot(next.aqm).and(s.aqm);
  resetQueues(host, goneA, s.aqm);
  resetQueues(host, s.apm.andNot(goneA), goneD);
  mdev.shadow = fromMatrix({ apm: s.apm.andNot(goneA), aqm: s.aqm.andNot(goneD), adm: s.adm });
  setMatrix(mdev, next);
  refilter(host, mdev, true);
}

export function readApConfig(mdev: MdevState): string {
  const x = toMatrix(mdev);
  return formatApConfig({ adapters: x.apm, domains: x.aqm, controlDomains: x.adm });
}

export function readMatrix(host: SimHost, m: { apm: string; aqm: string }): string {
  const x = toMatrix({ ...m, adm: EMPTY_MATRIX.adm });
  return formatMatrix(x.apm, x.aqm, { apmMax: host.maxAdapterId, aqmMax: host.maxDomainId });
}

export function readControlDomains(mdev: MdevState): string {
  return formatControlDomains(toMatrix(mdev).adm);
}

/** vfio_ap's part of a create in mdev_supported_types/vfio_ap-passthrough (kernel.md §3); returns the new mdev. */
export function createMdev(host: SimHost, uuid: string): MdevState {
  if (host.state.availableInstances === 0) refuse(host.caps.exhaustedErrno, 'no mdev instances are left; remove an mdev first');
  const mdev: MdevState = { uuid, ...EMPTY_MATRIX, shadow: { ...EMPTY_MATRIX }, guest: null };
  host.state.mdevs.push(mdev);
  host.state.availableInstances--;
  return mdev;
}

/** vfio_ap's part of a write of 1 to the mdev's remove attribute (kernel.md §5). */
export function removeMdev(host: SimHost, mdev: MdevState): void {
  if (mdev.guest !== null) {
    if (host.caps.removeWhileAttached === 'EBUSY') refuse('EBUSY', `mdev ${mdev.uuid} is in use by guest ${mdev.guest}; shut the guest down or detach the device first`);
    // The device request goes to user space; the simulated guest lets go at once.
    if (host.caps.requestLog) host.log(`${PREFIX} ${mdev.uuid}: Relaying device request to user (#0)`);
    releaseGuest(host, mdev);
  }
  const m = toMatrix(mdev);
  resetQueues(host, m.apm, m.aqm);
  host.state.mdevs = host.state.mdevs.filter((x) => x !== mdev);
  host.state.availableInstances++;
}

/** A guest opens the mdev (one mdev per guest: EPERM; an mdev held by another guest: EBUSY). */
export function attachGuest(host: SimHost, mdev: MdevState, guest: string): void {
  if (mdev.guest !== null) refuse('EBUSY', `mdev ${mdev.uuid} is already in use by guest ${mdev.guest}`);
  const other = host.state.mdevs.find((m) => m.guest === guest);
  if (other) refuse('EPERM', `guest ${guest} already has mdev ${other.uuid}; a guest can have one vfio-ap mdev only`);
  mdev.guest = guest;
  // The classic driver gives the guest M as it is, once, at open.
  if (!host.caps.dynamic) mdev.shadow = { ...mdev.shadow, apm: mdev.apm, aqm: mdev.aqm, adm: mdev.adm };
}

/** The guest closes the mdev: its AP configuration is cleared and every linked queue reset. */
export function releaseGuest(host: SimHost, mdev: MdevState): void {
  mdev.guest = null;
  const m = toMatrix(mdev);
  resetQueues(host, m.apm, m.aqm);
  if (!host.caps.dynamic) mdev.shadow = { ...EMPTY_MATRIX };
}

/** A queue has just bound to vfio_ap: it joins the mdev that lists it, which is filtered again. */
export function queueProbed(host: SimHost, q: QueueState): void {
  if (host.scanPending) return;
  const m = host.holder(q.adapter, q.domain);
  if (m) refilter(host, m);
}

/**
 * A queue is leaving vfio_ap (mask change, unbind, device gone). In S: its whole adapter leaves S
 * and that adapter's S queues are reset. Otherwise the queue alone is reset if still configured.
 */
export function queueLeaving(host: SimHost, q: QueueState): void {
  const m = host.caps.dynamic ? host.holder(q.adapter, q.domain) : undefined;
  const s = m ? toMatrix(m.shadow) : undefined;
  if (m && s && s.apm.has(q.adapter) && s.aqm.has(q.domain)) {
    resetQueues(host, ApMask.of([q.adapter]), s.aqm);
    m.shadow = { ...m.shadow, apm: s.apm.without(q.adapter).toString() };
    return;
  }
  if (host.inConfig(q.adapter, q.domain)) resetQueues(host, ApMask.of([q.adapter]), ApMask.of([q.domain]));
}

/** The status attribute of a vfio_ap queue. */
export function queueStatus(host: SimHost, q: QueueState): string {
  const m = host.holder(q.adapter, q.domain);
  if (!m) return 'unassigned\n';
  const s = toMatrix(m.shadow);
  return m.guest !== null && s.apm.has(q.adapter) && s.aqm.has(q.domain) ? 'in use\n' : 'assigned\n';
}
