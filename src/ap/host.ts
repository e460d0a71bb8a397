// ApHost: the AP side of one host (real or simulated) behind a SysfsIO, as one object. Every
// change holds the AP configuration lock that chzdev and ap-check use.
import { ApMask } from '../mask/ap-mask.js';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import { applyMaskPlan, planMaskChange, readMasks, readMaxIds, type MaskChange, type MaskPlan, type Masks } from './bus.js';
import { formatApConfig } from '../mask/grammar.js';
import { checkApConfig, checkAssign, checkControlWithoutUsage, readHostFacts, type MatrixTarget } from './checks.js';
import { withApConfigLock, type LockOptions } from './lock.js';
import { readMatrixDevice, type MatrixDeviceInfo } from './matrix-device.js';
import {
  assignToMdev, checkCreate, configureMdev, createMdev, removeMdev, singleWrites, unassignFromMdev, type ChangeResult, type MatrixChange,
} from './mdev.js';
import { checkUuid, newUuid } from './paths.js';
import { listMdevs, readMdev, type MdevInfo } from './mdev-read.js';

export interface ApHostOptions {
  /** The configuration lock (default /run/lock/s390apconfig.lock); false: no lock. */
  lock?: LockOptions | false;
}

export interface CreateMdevOptions extends MatrixChange {
  uuid?: string;
  dryRun?: boolean;
}

export class ApHost {
  readonly #lock: LockOptions | false;

  constructor(readonly io: SysfsIO, opts: ApHostOptions = {}) {
    this.#lock = opts.lock ?? {};
  }

  #locked<T>(fn: () => T): T {
    return withApConfigLock(this.#lock, fn);
  }

  masks(): Masks {
    return readMasks(this.io);
  }

  maxIds(): { adapter: number; domain: number } {
    return readMaxIds(this.io);
  }

  /** What a mask change would do (moves, conflicts, write order); nothing is written. */
  planMasks(change: MaskChange): MaskPlan {
    return planMaskChange(this.io, change);
  }

  /** Changes apmask/aqmask; refused (EBUSY) before writing when an mdev holds APQNs it would reserve. */
  setMasks(change: MaskChange): MaskPlan {
    return this.#locked(() => {
      const plan = planMaskChange(this.io, change);
      applyMaskPlan(this.io, plan);
      return plan;
    });
  }

  matrixDevice(): MatrixDeviceInfo {
    return readMatrixDevice(this.io);
  }

  mdevs(): string[] {
    return listMdevs(this.io);
  }

  mdev(uuid: string): MdevInfo {
    return readMdev(this.io, uuid);
  }

  /**
   * Creates an mdev holding the given IDs. The checks run before anything is created; if the
   * kernel refuses a write afterwards, the new mdev is removed again. A dry run makes the same
   * checks and returns the writes the new mdev would get.
   */
  createMdev(opts: CreateMdevOptions = {}): ChangeResult {
    const target: MatrixTarget = {
      adapters: ApMask.of(opts.adapters ?? []),
      domains: ApMask.of(opts.domains ?? []),
      controlDomains: ApMask.of(opts.controlDomains ?? []),
    };
    return this.#locked(() => createAndConfigure(this.io, opts.uuid, target, opts.dryRun === true));
  }

  assign(uuid: string, change: MatrixChange, opts: { dryRun?: boolean } = {}): ChangeResult {
    return this.#locked(() => assignToMdev(this.io, uuid, change, opts));
  }

  unassign(uuid: string, change: MatrixChange, opts: { dryRun?: boolean } = {}): ChangeResult {
    return this.#locked(() => unassignFromMdev(this.io, uuid, change, opts));
  }

  /** Makes the mdev hold exactly `target` (ap_config where the kernel has it). */
  configure(uuid: string, target: MatrixTarget, opts: { dryRun?: boolean } = {}): ChangeResult {
    return this.#locked(() => configureMdev(this.io, uuid, target, opts));
  }

  removeMdev(uuid: string): void {
    this.#locked(() => removeMdev(this.io, uuid));
  }
}

function createAndConfigure(io: SysfsIO, uuid: string | undefined, target: MatrixTarget, dryRun: boolean): ChangeResult {
  const id = uuid === undefined ? newUuid() : checkUuid(uuid);
  const name = dryRun && uuid === undefined ? '(new)' : id;
  // Every check runs before the create, so that a refusal leaves nothing written (not even an
  // mdev created and removed again), and a dry run meets the same refusals.
  checkCreate(io, id);
  const apConfig = readMatrixDevice(io).capabilities.apConfig === true;
  const facts = readHostFacts(io);
  const refusal = checkControlWithoutUsage(target, name) ?? (apConfig ? checkApConfig : checkAssign)(target, facts, name);
  if (refusal) throw refusal;
  if (dryRun) {
    return apConfig
      ? { uuid: name, writes: [{ attr: 'ap_config', value: formatApConfig({ apm: target.adapters, aqm: target.domains, adm: target.controlDomains }) }], method: 'ap_config' }
      : { uuid: name, writes: singleWrites({ adapters: ApMask.EMPTY, domains: ApMask.EMPTY, controlDomains: ApMask.EMPTY }, target), method: 'single-writes' };
  }
  createMdev(io, id);
  try {
    return configureMdev(io, id, target);
  } catch (e) {
    removeMdev(io, id);
    throw e;
  }
}
