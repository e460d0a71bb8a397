// Refusals of the guest layer: what zmdev checked before touching the guest, and QEMU's own
// refusals, each with a code (an errno name, or QEMU's error class) and a sentence naming the fix.
import { ZmdevError } from '../errors.js';
import type { ExecuteError } from '../qmp/errors.js';

export interface GuestErrorOptions {
  code: string;
  message: string;
  cause?: unknown;
  /** What was being done: 'attach', 'detach', 'cpu-check', 'migrate', 'args'. */
  step: string;
  /** Extra facts for --json (feature states, APQNs, events seen…). */
  details?: Record<string, unknown>;
}

/** Base class of the guest layer's refusals. */
export class GuestError extends ZmdevError {
  readonly step: string;
  readonly details: Record<string, unknown>;
  constructor(o: GuestErrorOptions) {
    super({ code: o.code, message: o.message, cause: o.cause });
    this.step = o.step;
    this.details = o.details ?? {};
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), step: this.step, ...this.details };
  }
}

/** The guest's CPU model lacks the AP instructions (`ap`): QEMU would refuse a vfio-ap device. */
export class CpuFeatureError extends GuestError {}

/** The mdev cannot serve a guest (empty guest matrix). */
export class MdevUnusableError extends GuestError {}

/** The guest already has a vfio-ap device, or the device id is taken. */
export class DeviceExistsError extends GuestError {}

/** The device to unplug or migrate is not there. */
export class DeviceMissingError extends GuestError {}

/** device_del was accepted but DEVICE_DELETED for the device did not come in time. */
export class DetachTimeoutError extends GuestError {}

/** The source and target mdevs do not give the guest the same APQNs. */
export class MatrixMismatchError extends GuestError {}

/** Migration failed; `rolledBack` says whether the device is back in the source guest. */
export class MigrationError extends GuestError {
  readonly rolledBack: boolean;
  readonly migrated: boolean;
  constructor(o: GuestErrorOptions & { rolledBack: boolean; migrated: boolean }) {
    super({ ...o, details: { ...o.details, rolledBack: o.rolledBack, migrated: o.migrated } });
    this.rolledBack = o.rolledBack;
    this.migrated = o.migrated;
  }
}

/** QEMU refused a command of the guest layer; `code` is QEMU's error class. */
export class QemuRefusedError extends GuestError {
  readonly errorClass: string;
  readonly desc: string;
  readonly command: string;
  constructor(err: ExecuteError, step: string, hint?: string) {
    super({
      code: err.errorClass,
      message: `QEMU refused ${err.command} (${step}): ${err.errorClass}: ${err.desc}${hint ? `; ${hint}` : ''}`,
      cause: err,
      step,
      details: { command: err.command, class: err.errorClass, desc: err.desc },
    });
    this.errorClass = err.errorClass;
    this.desc = err.desc;
    this.command = err.command;
  }
}
