// ApHost: the AP side of one host (real or simulated) behind a SysfsIO, as one object. Every
// change holds the AP configuration lock that chzdev and ap-check use, refuses to start while an
// earlier change is unfinished, reads the host's facts once, plans, and applies the plan (a dry
// run stops after planning) with a write-ahead change record where one is kept.
import type { ApMatrix } from '../mask/matrix.js';
import { ChangeLog, DEFAULT_RECORD_DIR, type ChangeRecord, type RecoveryReport } from '../mdev/change-record.js';
import type { Recording } from '../mdev/journal.js';
import { RealSysfs } from '../sysfs/real.js';
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
  /**
   * The directory of the write-ahead change record (default /run/zmdev for the real /sys, none
   * otherwise); false: none. With it, a change killed half-way is undone by recover().
   */
  changeLog?: string | false;
}

export interface CreateMdevOptions extends MatrixChange {
  uuid?: string;
  dryRun?: boolean;
}

export class ApHost {
  readonly #lock: LockOptions | false;
  /** The change record, when one is kept. */
  readonly changeLog: ChangeLog | null;

  constructor(readonly io: SysfsIO, opts: ApHostOptions = {}) {
    this.#lock = opts.lock ?? {};
    const dir = opts.changeLog ?? (io instanceof RealSysfs && io.root === '/sys' ? DEFAULT_RECORD_DIR : false);
    this.changeLog = dir === false ? null : new ChangeLog(dir);
  }

  #held = 0;

  #locked<T>(fn: () => T): T {
    // Re-entrant: a change made inside locked() runs under the lock already held.
    if (this.#held > 0) return fn();
    return withApConfigLock(this.#lock, () => {
      this.#held++;
      try {
        return fn();
      } finally {
        this.#held--;
      }
    });
  }

  /**
   * Runs fn under the host's configuration lock, for a change of several parts (the masks in
   * sysfs and in the rule file) that must not interleave with another writer's; the ApHost calls
   * made inside it run under the same lock.
   */
  locked<T>(fn: () => T): T {
    return this.#locked(fn);
  }

  /** Under the lock: refuses while an earlier change is unfinished, then runs the change with its record. */
  #change<T>(what: string, fn: (recording: Recording | undefined) => T): T {
    return this.#locked(() => {
      this.changeLog?.requireNone();
      return fn(this.changeLog ? { log: this.changeLog, what } : undefined);
    });
  }

  /** The change left unfinished by a process that died half-way, or null. */
  pendingChange(): ChangeRecord | null {
    return this.changeLog?.pending() ?? null;
  }

  /**
   * Undoes a change left unfinished (newest step first, the one in flight included). Null when
   * there is none (or no change record is kept). A dry run lists the undo writes.
   */
  recover(opts: { dryRun?: boolean } = {}): RecoveryReport | null {
    const log = this.changeLog;
    if (!log) return null;
    return this.#locked(() => log.recover(this.io, opts));
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
    return this.#change('masks', (recording) => {
      const plan = planMaskChange(this.io, change);
      if (opts.dryRun) checkMaskPlan(plan);
      else applyMaskPlan(this.io, plan, recording);
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
    return this.#change('create', (recording) => createConfiguredMdev(this.io, target, { ...opts, recording }));
  }

  assign(uuid: string, change: MatrixChange, opts: { dryRun?: boolean } = {}): ChangeResult {
    return this.#change('assign to', (recording) => assignToMdev(this.io, uuid, change, { ...opts, recording }));
  }

  unassign(uuid: string, change: MatrixChange, opts: { dryRun?: boolean } = {}): ChangeResult {
    return this.#change('unassign from', (recording) => unassignFromMdev(this.io, uuid, change, { ...opts, recording }));
  }

  /** Makes the mdev hold exactly `target` (ap_config where the kernel has it). */
  configure(uuid: string, target: ApMatrix, opts: { dryRun?: boolean } = {}): ChangeResult {
    return this.#change('configure', (recording) => configureMdev(this.io, uuid, target, { ...opts, recording }));
  }

  removeMdev(uuid: string): void {
    this.#change('remove', () => removeMdev(this.io, uuid));
  }
}
