// Refusals of the AP SDK: the checks it makes before writing, and the kernel's own answers, both
// with the errno the kernel gives, the APQNs involved and a sentence that says what to do.
import { ZmdevError } from '../errors.js';
import { formatApqn, type Apqn } from '../mask/apqn.js';
import { SysfsError } from '../sysfs/sysfs-io.js';

export interface ApErrorOptions {
  code: string;
  message: string;
  /** APQNs at the heart of the refusal. */
  apqns?: Apqn[];
  /** The mdev whose APQNs are involved (another mdev for EADDRINUSE/EBUSY). */
  mdev?: string;
  /** The sysfs attribute written, and the bytes, when the kernel refused (or would refuse) a write. */
  path?: string;
  written?: string;
  /** Whether zmdev refused before writing (true) or the kernel refused the write (false). */
  precheck: boolean;
  cause?: unknown;
}

export class ApError extends ZmdevError {
  readonly apqns: Apqn[];
  readonly mdev: string | undefined;
  readonly path: string | undefined;
  readonly written: string | undefined;
  readonly precheck: boolean;

  constructor(o: ApErrorOptions) {
    super({ code: o.code, message: o.message, cause: o.cause });
    this.apqns = o.apqns ?? [];
    this.mdev = o.mdev;
    this.path = o.path;
    this.written = o.written;
    this.precheck = o.precheck;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      apqns: this.apqns.map(formatApqn),
      ...(this.mdev ? { mdev: this.mdev } : {}),
      ...(this.path ? { path: this.path } : {}),
      ...(this.written !== undefined ? { written: this.written } : {}),
      precheck: this.precheck,
    };
  }
}

/** Lists APQNs for a message, shortening long lists. */
export function apqnList(apqns: readonly Apqn[], max = 8): string {
  const shown = apqns.slice(0, max).map(formatApqn).join(', ');
  return apqns.length > max ? `${shown} and ${apqns.length - max} more` : shown;
}

/**
 * What a kernel refusal of a write means, in words. The kernel only returns an errno; `context`
 * says what was being done so the sentence can name the fix.
 */
export function kernelRefusal(err: SysfsError, context: string, explain: Partial<Record<string, string>> = {}): ApError {
  const meaning = explain[err.code] ?? GENERIC[err.code] ?? `the kernel refused it (${err.code})`;
  return new ApError({
    code: err.code,
    message: `${context}: ${meaning} [${err.syscall} of ${JSON.stringify(err.written ?? '')} to ${err.path}]`,
    path: err.path,
    written: err.written,
    precheck: false,
    cause: err,
  });
}

const GENERIC: Record<string, string> = {
  ENODEV: 'the ID is above the highest the host allows (ap_max_adapter_id / ap_max_domain_id)',
  EADDRNOTAVAIL: 'an APQN is still reserved for the host by apmask/aqmask; free it with `zmdev masks set` first',
  EADDRINUSE: 'an APQN already belongs to another mdev; unassign it there first (`zmdev mdev show` lists the owners)',
  EBUSY: 'the device is busy (a guest may hold the mdev, or an APQN is in use by an mdev)',
  EINVAL: 'the kernel did not accept the value written',
  EEXIST: 'it already exists',
  ENOENT: 'the attribute does not exist on this host (is vfio_ap loaded? does the mdev exist?)',
  EACCES: 'the attribute cannot be opened that way',
  EUSERS: 'no more mdevs can be created; remove one first',
  EPERM: 'the operation is not permitted',
};

export function isSysfsError(e: unknown, code?: string): e is SysfsError {
  return e instanceof SysfsError && (code === undefined || e.code === code);
}
