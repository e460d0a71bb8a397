// Changing vfio-ap mediated devices: create, assign/unassign, configure to an exact matrix,
// remove. Every change is checked first; a change of several writes that the kernel refuses
// half-way is undone, so the mdev is left as it was.
import { ApMask } from '../mask/ap-mask.js';
import { formatApConfig } from '../mask/grammar.js';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import { readMaxIds } from './bus.js';
import { checkApConfig, checkAssign, checkControlWithoutUsage, checkMax, readHostFacts, type MatrixTarget } from './checks.js';
import { ApError, isSysfsError, kernelRefusal } from './errors.js';
import { readMdevMatrix, requireMatrixDevice, requireMdev } from './mdev-read.js';
import { MDEV_TYPE_DIR, checkUuid, mdevDir, newUuid } from './paths.js';

export type MatrixKind = 'adapter' | 'domain' | 'control_domain';

/** IDs to add to or take from an mdev. */
export interface MatrixChange {
  adapters?: readonly number[];
  domains?: readonly number[];
  controlDomains?: readonly number[];
}

/** One attribute write, as done (or as it would be done). */
export interface MdevWrite {
  attr: string;
  value: string;
}

const KIND_FIELD: Record<MatrixKind, keyof MatrixTarget> = { adapter: 'adapters', domain: 'domains', control_domain: 'controlDomains' };

function idText(kind: MatrixKind, id: number): string {
  return `0x${id.toString(16).padStart(kind === 'adapter' ? 2 : 4, '0')}`;
}

/** What a create of mdev `id` (a checked UUID) would meet first: vfio_ap not loaded (ENOENT), the UUID taken (EEXIST). */
export function checkCreate(io: SysfsIO, id: string): void {
  requireMatrixDevice(io);
  if (io.exists(mdevDir(id))) {
    throw new ApError({ code: 'EEXIST', message: `mdev ${id} already exists; pick another UUID or omit it to get a new one`, mdev: id, precheck: true });
  }
}

/** Creates an mdev (with the given UUID or a new one) and returns its UUID. */
export function createMdev(io: SysfsIO, uuid?: string): string {
  const id = uuid === undefined ? newUuid() : checkUuid(uuid);
  checkCreate(io, id);
  try {
    io.write(`${MDEV_TYPE_DIR}/create`, id);
  } catch (e) {
    if (!isSysfsError(e)) throw e;
    throw kernelRefusal(e, `creating mdev ${id}`);
  }
  return id;
}

/** Removes an mdev (its queues stay bound to vfio_ap, unassigned). */
export function removeMdev(io: SysfsIO, uuid: string): void {
  const id = requireMdev(io, uuid);
  try {
    io.write(`${mdevDir(id)}/remove`, '1');
  } catch (e) {
    if (!isSysfsError(e)) throw e;
    throw kernelRefusal(e, `removing mdev ${id}`, { EBUSY: 'a guest holds the mdev; shut the guest down or detach the device first' });
  }
}

const EMPTY_TARGET: MatrixTarget = { adapters: ApMask.EMPTY, domains: ApMask.EMPTY, controlDomains: ApMask.EMPTY };

function withChange(m: MatrixTarget, change: MatrixChange, add: boolean): MatrixTarget {
  const f = (mask: ApMask, ids: readonly number[] | undefined) => (ids ? (add ? mask.or(ApMask.of(ids)) : mask.andNot(ApMask.of(ids))) : mask);
  return {
    adapters: f(m.adapters, change.adapters),
    domains: f(m.domains, change.domains),
    controlDomains: f(m.controlDomains, change.controlDomains),
  };
}

/** The single writes that turn `from` into `to` without passing through a refused state. */
export function singleWrites(from: MatrixTarget, to: MatrixTarget): MdevWrite[] {
  const writes: MdevWrite[] = [];
  const kinds: MatrixKind[] = ['adapter', 'domain', 'control_domain'];
  // Taking IDs away only shrinks the matrix, which the kernel never refuses; what is added then
  // grows a subset of `to`, which passes every check that `to` passes.
  for (const kind of kinds) {
    for (const id of from[KIND_FIELD[kind]].andNot(to[KIND_FIELD[kind]])) writes.push({ attr: `unassign_${kind}`, value: idText(kind, id) });
  }
  for (const kind of kinds) {
    for (const id of to[KIND_FIELD[kind]].andNot(from[KIND_FIELD[kind]])) writes.push({ attr: `assign_${kind}`, value: idText(kind, id) });
  }
  return writes;
}

function inverse(w: MdevWrite): MdevWrite {
  return { attr: w.attr.startsWith('un') ? w.attr.slice(2) : `un${w.attr}`, value: w.value };
}

/** Writes in order; on a refusal, undoes what was done (in reverse) and throws the refusal. */
function runWrites(io: SysfsIO, uuid: string, writes: MdevWrite[]): void {
  const dir = mdevDir(uuid);
  const done: MdevWrite[] = [];
  for (const w of writes) {
    try {
      io.write(`${dir}/${w.attr}`, w.value);
    } catch (e) {
      if (!isSysfsError(e)) throw e;
      const undo = done.reverse().map(inverse);
      for (const u of undo) io.write(`${dir}/${u.attr}`, u.value);
      throw kernelRefusal(e, `mdev ${uuid}: ${w.attr} ${w.value} was refused${done.length ? ` (${done.length} earlier write${done.length > 1 ? 's' : ''} undone)` : ''}`);
    }
    done.push(w);
  }
}

export interface ChangeResult {
  uuid: string;
  /** The writes made (or, with dryRun, that would be made). */
  writes: MdevWrite[];
  method: 'ap_config' | 'single-writes';
}

/** Adds IDs to an mdev, after the kernel's own checks on the resulting matrix. */
export function assignToMdev(io: SysfsIO, uuid: string, change: MatrixChange, opts: { dryRun?: boolean } = {}): ChangeResult {
  const id = requireMdev(io, uuid);
  const from = readMdevMatrix(io, id);
  const to = withChange(from, change, true);
  const refusal = checkAssign(to, readHostFacts(io), id);
  if (refusal) throw refusal;
  const writes = singleWrites(from, to);
  if (!opts.dryRun) runWrites(io, id, writes);
  return { uuid: id, writes, method: 'single-writes' };
}

/** Takes IDs from an mdev (the guest loses those queues at once if it runs). */
export function unassignFromMdev(io: SysfsIO, uuid: string, change: MatrixChange, opts: { dryRun?: boolean } = {}): ChangeResult {
  const id = requireMdev(io, uuid);
  const from = readMdevMatrix(io, id);
  const to = withChange(from, change, false);
  const over = checkMax(withChange(EMPTY_TARGET, change, true), { max: readMaxIds(io) }, id);
  if (over) throw over;
  const writes = singleWrites(from, to);
  if (!opts.dryRun) runWrites(io, id, writes);
  return { uuid: id, writes, method: 'single-writes' };
}

/**
 * Makes the mdev hold exactly `target`: one atomic ap_config write where the kernel has it, else
 * single writes in an order that never passes through a refused state. Nothing changes when the
 * checks fail; a kernel refusal half-way puts back what was there.
 */
export function configureMdev(io: SysfsIO, uuid: string, target: MatrixTarget, opts: { dryRun?: boolean } = {}): ChangeResult {
  const id = requireMdev(io, uuid);
  const usage = checkControlWithoutUsage(target, id);
  if (usage) throw usage;
  const facts = readHostFacts(io);
  const from = readMdevMatrix(io, id);
  if (io.exists(`${mdevDir(id)}/ap_config`)) {
    const refusal = checkApConfig(target, facts, id);
    if (refusal) throw refusal;
    const value = formatApConfig({ apm: target.adapters, aqm: target.domains, adm: target.controlDomains });
    if (!opts.dryRun) {
      try {
        io.write(`${mdevDir(id)}/ap_config`, value);
      } catch (e) {
        if (!isSysfsError(e)) throw e;
        throw kernelRefusal(e, `mdev ${id}: ap_config was refused (the kernel left the mdev unchanged)`);
      }
    }
    return { uuid: id, writes: [{ attr: 'ap_config', value }], method: 'ap_config' };
  }
  const refusal = checkAssign(target, facts, id);
  if (refusal) throw refusal;
  const writes = singleWrites(from, target);
  if (!opts.dryRun) runWrites(io, id, writes);
  return { uuid: id, writes, method: 'single-writes' };
}
