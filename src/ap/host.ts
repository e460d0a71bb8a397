// ApHost: the AP side of one host (real or simulated) behind a SysfsIO, as one object. Every
// change holds the AP configuration lock that chzdev and ap-check use, reads the host's facts once,
// plans, and applies the plan (a dry run stops after planning).
import type { ApMatrix } from '../mask/matrix.js';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import { applyMaskPlan, checkMaskPlan, planMaskChange, readMasks, readMaxIds, type MaskChange, type MaskPlan, type Masks } from './bus.js';
import { withApConfigLock, type LockOptions } from './lock.js';
import { readMatrixDevice, type MatrixDeviceInfo } from './matrix-device.js';
import {
  assignToMdev, configureMdev, createConfiguredMdev, matrixOfChange, removeMdev, unassignFromMdev, type ChangeResult, type MatrixChange,
} from './mdev.js';
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

  /**
   * Changes apmask/aqmask; refused (EBUSY) before writing when an mdev holds APQNs it would
   * reserve. A dry run makes the same checks and returns the plan unapplied.
   */
  setMasks(change: MaskChange, opts: { dryRun?: boolean } = {}): MaskPlan {
    return this.#locked(() => {
      const plan = planMaskChange(this.io, change);
      if (opts.dryRun) checkMaskPlan(plan);
      else applyMaskPlan(this.io, plan);
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
    const target = matrixOfChange(opts);
    return this.#locked(() => createConfiguredMdev(this.io, target, opts));
  }

  assign(uuid: string, change: MatrixChange, opts: { dryRun?: boolean } = {}): ChangeResult {
    return this.#locked(() => assignToMdev(this.io, uuid, change, opts));
  }

  unassign(uuid: string, change: MatrixChange, opts: { dryRun?: boolean } = {}): ChangeResult {
    return this.#locked(() => unassignFromMdev(this.io, uuid, change, opts));
  }

  /** Makes the mdev hold exactly `target` (ap_config where the kernel has it). */
  configure(uuid: string, target: ApMatrix, opts: { dryRun?: boolean } = {}): ChangeResult {
    return this.#locked(() => configureMdev(this.io, uuid, target, opts));
  }

  removeMdev(uuid: string): void {
    this.#locked(() => removeMdev(this.io, uuid));
  }
}
