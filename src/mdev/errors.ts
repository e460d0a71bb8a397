// Refusals of a mediated device: by zmdev's checks before writing (precheck) or by the kernel,
// with the mdev, the attribute written and the bytes. The AP layer adds the APQNs (ApError).
import { ZmdevError } from '../errors.js';
import { SysfsError } from '../sysfs/sysfs-io.js';

export interface MdevErrorOptions {
  code: string;
  message: string;
  /** The mdev concerned (for EADDRINUSE/EBUSY: the other mdev that holds what was asked for). */
  mdev?: string;
  /** The sysfs attribute written, and the bytes, when the kernel refused (or would refuse) a write. */
  path?: string;
  written?: string;
  /** Whether zmdev refused before writing (true) or the kernel refused the write (false). */
  precheck: boolean;
  cause?: unknown;
}

export class MdevError extends ZmdevError {
  readonly mdev: string | undefined;
  readonly path: string | undefined;
  readonly written: string | undefined;
  readonly precheck: boolean;

  constructor(o: MdevErrorOptions) {
    super({ code: o.code, message: o.message, cause: o.cause });
    this.mdev = o.mdev;
    this.path = o.path;
    this.written = o.written;
    this.precheck = o.precheck;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      ...(this.mdev ? { mdev: this.mdev } : {}),
      ...(this.path ? { path: this.path } : {}),
      ...(this.written !== undefined ? { written: this.written } : {}),
      precheck: this.precheck,
    };
  }
}

export function isSysfsError(e: unknown, code?: string): e is SysfsError {
  return e instanceof SysfsError && (code === undefined || e.code === code);
}
