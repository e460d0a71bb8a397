// Changing vfio-ap mediated devices: create, assign/unassign, configure to an exact matrix,
// remove. Each change is planned once from facts read once — the checks the kernel would make, and
// the journal steps with their undo writes — then applied; a dry run returns the plan unapplied,
// so it can never disagree with the real run. A kernel refusal half-way is undone by the journal.
import { ApMask } from '../mask/ap-mask.js';
import { formatApConfig } from '../mask/grammar.js';
import { idHex, newUuid, parseUuid, type IdKind, type Uuid } from '../mask/ids.js';
import { EMPTY_MATRIX, type ApMatrix } from '../mask/matrix.js';
import { runSteps, type Recording, type Step } from '../mdev/journal.js';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import { checkApConfig, checkAssign, checkControlWithoutUsage, checkMax, readHostFacts, type HostFacts } from './checks.js';
import { ApError, kernelRefusal } from './errors.js';
import { parseApId } from './ids.js';
import { usesApConfig } from './matrix-device.js';
import { readMdevMatrix, requireMatrixDevice, requireMdev, type MdevMatrix } from './mdev-read.js';
import { MDEV_TYPE_DIR, mdevDir } from './paths.js';

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

export type ChangeMethod = 'ap_config' | 'single-writes';

export interface ChangeResult {
  uuid: string;
  /** The writes made (or, with dryRun, that would be made). */
  writes: MdevWrite[];
  method: ChangeMethod;
}

/** A planned change: what it reports, and the journal steps (create and attribute writes) that carry it out. */
export interface MdevPlan extends ChangeResult {
  steps: Step[];
}

const KINDS: ReadonlyArray<{ kind: MatrixKind; field: keyof ApMatrix; idKind: IdKind }> = [
  { kind: 'adapter', field: 'adapters', idKind: 'adapter' },
  { kind: 'domain', field: 'domains', idKind: 'domain' },
  { kind: 'control_domain', field: 'controlDomains', idKind: 'control domain' },
];

function withChange(m: ApMatrix, change: MatrixChange, add: boolean): ApMatrix {
  const f = (mask: ApMask, ids: readonly number[] | undefined) => (ids ? (add ? mask.or(ApMask.of(ids)) : mask.andNot(ApMask.of(ids))) : mask);
  return {
    adapters: f(m.adapters, change.adapters),
    domains: f(m.domains, change.domains),
    controlDomains: f(m.controlDomains, change.controlDomains),
  };
}

/** The single writes that turn `from` into `to` without passing through a refused state. */
export function singleWrites(from: ApMatrix, to: ApMatrix): MdevWrite[] {
  const writes: MdevWrite[] = [];
  // Taking IDs away only shrinks the matrix, which the kernel never refuses; what is added then
  // grows a subset of `to`, which passes every check that `to` passes.
  for (const k of KINDS) for (const id of from[k.field].andNot(to[k.field])) writes.push({ attr: `unassign_${k.kind}`, value: idHex(id, k.idKind) });
  for (const k of KINDS) for (const id of to[k.field].andNot(from[k.field])) writes.push({ attr: `assign_${k.kind}`, value: idHex(id, k.idKind) });
  return writes;
}

function attrStep(uuid: Uuid, w: MdevWrite): Step {
  const dir = mdevDir(uuid);
  const undo = w.attr.startsWith('un') ? w.attr.slice(2) : `un${w.attr}`;
  return { path: `${dir}/${w.attr}`, value: w.value, undo: { path: `${dir}/${undo}`, value: w.value } };
}

function singleWritePlan(uuid: Uuid, from: ApMatrix, to: ApMatrix): MdevPlan {
  const writes = singleWrites(from, to);
  return { uuid, writes, method: 'single-writes', steps: writes.map((w) => attrStep(uuid, w)) };
}

function apConfigPlan(uuid: Uuid, from: ApMatrix, to: ApMatrix, fresh: boolean): MdevPlan {
  const value = formatApConfig(to);
  const path = `${mdevDir(uuid)}/ap_config`;
  // A fresh mdev is undone by its remove; an existing one by writing its old ap_config back.
  return { uuid, writes: [{ attr: 'ap_config', value }], method: 'ap_config', steps: [{ path, value, undo: fresh ? null : { path, value: formatApConfig(from) } }] };
}

function refused(e: ApError | undefined): void {
  if (e) throw e;
}

/** Facts of a change to one mdev: the host's, whether the kernel has ap_config, and the mdev's matrix now. */
export interface MdevFacts extends HostFacts {
  /** ap_config is there to write (6.5+): one atomic write instead of single writes. */
  apConfig: boolean;
}

/** Adds IDs to an mdev, after the kernel's own checks on the resulting matrix. */
export function planAssign(facts: HostFacts, from: MdevMatrix, change: MatrixChange): MdevPlan {
  const to = withChange(from, change, true);
  refused(checkAssign(to, facts, from.uuid));
  return singleWritePlan(from.uuid, from, to);
}

/** Takes IDs from an mdev (the guest loses those queues at once if it runs). */
export function planUnassign(facts: HostFacts, from: MdevMatrix, change: MatrixChange): MdevPlan {
  refused(checkMax(withChange(EMPTY_MATRIX, change, true), facts, from.uuid));
  return singleWritePlan(from.uuid, from, withChange(from, change, false));
}

/**
 * Makes the mdev hold exactly `target`: one atomic ap_config write where the kernel has it, else
 * single writes in an order that never passes through a refused state.
 */
export function planConfigure(facts: MdevFacts, from: MdevMatrix, target: ApMatrix, fresh = false, label: string = from.uuid): MdevPlan {
  refused(checkControlWithoutUsage(target, label));
  if (facts.apConfig) {
    refused(checkApConfig(target, facts, label));
    return { ...apConfigPlan(from.uuid, from, target, fresh), uuid: label };
  }
  refused(checkAssign(target, facts, label));
  return { ...singleWritePlan(from.uuid, from, target), uuid: label };
}

/**
 * A new mdev holding `target`: the create (undone by remove), then its configuration. `label`
 * names the mdev in messages and in the result (a dry run without a UUID says `(new)`).
 */
export function planCreate(facts: MdevFacts, uuid: Uuid, target: ApMatrix, label: string = uuid): MdevPlan {
  if (facts.mdevs.some((m) => m.uuid === uuid)) {
    throw new ApError({ code: 'EEXIST', message: `mdev ${uuid} already exists; pick another UUID or omit it to get a new one`, mdev: uuid, precheck: true });
  }
  const configure = planConfigure(facts, { uuid, ...EMPTY_MATRIX }, target, true, label);
  const create: Step = { path: `${MDEV_TYPE_DIR}/create`, value: uuid, undo: { path: `${mdevDir(uuid)}/remove`, value: '1' } };
  return { ...configure, steps: [create, ...configure.steps] };
}

/** Carries out a plan through the journal; a kernel refusal undoes what was done and names the write. */
export function applyMdevPlan(io: SysfsIO, plan: MdevPlan, recording?: Recording): void {
  runSteps(io, plan.steps, (err, step, undone) => {
    const attr = step.path.slice(step.path.lastIndexOf('/') + 1);
    if (attr === 'create') return kernelRefusal(err, `creating mdev ${plan.uuid}`);
    if (attr === 'ap_config') return kernelRefusal(err, `mdev ${plan.uuid}: ap_config was refused (the kernel left the mdev unchanged${undone ? '; the new mdev is removed' : ''})`);
    const created = plan.steps[0]!.path.endsWith('/create');
    const writes = undone - (created ? 1 : 0);
    const notes = [
      ...(writes ? [`${writes} earlier write${writes > 1 ? 's' : ''} undone`] : []),
      ...(created ? ['the new mdev is removed'] : []),
    ];
    return kernelRefusal(err, `mdev ${plan.uuid}: ${attr} ${step.value} was refused${notes.length ? ` (${notes.join(', ')})` : ''}`);
  }, recording);
}

// ---- the operations: read the facts, plan, apply (a dry run stops after the plan) ----

function mdevFacts(io: SysfsIO, uuid: Uuid): MdevFacts {
  return { ...readHostFacts(io), apConfig: usesApConfig(io, uuid) };
}

/** How an operation runs: planned only, or applied (with a change record when one is kept). */
export interface ApplyOptions {
  dryRun?: boolean;
  recording?: Recording;
}

function outcome(io: SysfsIO, plan: MdevPlan, opts: ApplyOptions): ChangeResult {
  if (!opts.dryRun) applyMdevPlan(io, plan, opts.recording && { ...opts.recording, what: `${opts.recording.what} mdev ${plan.uuid}` });
  return { uuid: plan.uuid, writes: plan.writes, method: plan.method };
}

/** IDs given by a caller, checked (whole numbers 0..255) before they become masks. */
export function checkedChange(change: MatrixChange): MatrixChange {
  const ids = (list: readonly number[] | undefined, kind: IdKind) => list?.map((id) => parseApId(id, kind));
  return { adapters: ids(change.adapters, 'adapter'), domains: ids(change.domains, 'domain'), controlDomains: ids(change.controlDomains, 'control domain') };
}

/** A matrix of checked IDs. */
export function matrixOfChange(change: MatrixChange): ApMatrix {
  return withChange(EMPTY_MATRIX, checkedChange(change), true);
}

export interface CreateOptions extends ApplyOptions {
  uuid?: string;
}

/**
 * Creates an mdev holding `target`. Every check runs before the create, so a refusal leaves
 * nothing written; a kernel refusal afterwards removes the new mdev again.
 */
export function createConfiguredMdev(io: SysfsIO, target: ApMatrix, opts: CreateOptions = {}): ChangeResult {
  const id = opts.uuid === undefined ? newUuid() : parseUuid(opts.uuid);
  requireMatrixDevice(io);
  const label = opts.dryRun && opts.uuid === undefined ? '(new)' : id;
  return outcome(io, planCreate(mdevFacts(io, id), id, target, label), opts);
}

/** Creates an empty mdev (with the given UUID or a new one) and returns its UUID. */
export function createMdev(io: SysfsIO, uuid?: string): string {
  return createConfiguredMdev(io, EMPTY_MATRIX, { uuid }).uuid;
}

/** Adds IDs to an mdev, after the kernel's own checks on the resulting matrix. */
export function assignToMdev(io: SysfsIO, uuid: string, change: MatrixChange, opts: ApplyOptions = {}): ChangeResult {
  const checked = checkedChange(change);
  const id = requireMdev(io, uuid);
  return outcome(io, planAssign(readHostFacts(io), readMdevMatrix(io, id), checked), opts);
}

/** Takes IDs from an mdev (the guest loses those queues at once if it runs). */
export function unassignFromMdev(io: SysfsIO, uuid: string, change: MatrixChange, opts: ApplyOptions = {}): ChangeResult {
  const checked = checkedChange(change);
  const id = requireMdev(io, uuid);
  return outcome(io, planUnassign(readHostFacts(io), readMdevMatrix(io, id), checked), opts);
}

/** Makes the mdev hold exactly `target` (ap_config where the kernel has it). */
export function configureMdev(io: SysfsIO, uuid: string, target: ApMatrix, opts: ApplyOptions = {}): ChangeResult {
  const id = requireMdev(io, uuid);
  return outcome(io, planConfigure(mdevFacts(io, id), readMdevMatrix(io, id), target), opts);
}

/** Removes an mdev (its queues stay bound to vfio_ap, unassigned). */
export function removeMdev(io: SysfsIO, uuid: string): void {
  const id = requireMdev(io, uuid);
  runSteps(io, [{ path: `${mdevDir(id)}/remove`, value: '1', undo: null }], (err) =>
    kernelRefusal(err, `removing mdev ${id}`, { EBUSY: 'a guest holds the mdev; shut the guest down or detach the device first' }));
}
