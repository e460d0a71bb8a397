// Refusals of the AP SDK: the checks it makes before writing, and the kernel's own answers, both
// with the errno the kernel gives, the APQNs involved and a sentence that says what to do.
import { formatApqn, type Apqn } from '../mask/apqn.js';
import { MdevError, type MdevErrorOptions } from '../mdev/errors.js';
import type { SysfsError } from '../sysfs/sysfs-io.js';

export { isSysfsError } from '../mdev/errors.js';

export interface ApErrorOptions extends MdevErrorOptions {
  /** APQNs at the heart of the refusal. */
  apqns?: Apqn[];
}

export class ApError extends MdevError {
  readonly apqns: Apqn[];

  constructor(o: ApErrorOptions) {
    super(o);
    this.apqns = o.apqns ?? [];
  }

  override toJSON(): Record<string, unknown> {
    const { code, message, ...rest } = super.toJSON();
    return { code, message, apqns: this.apqns.map(formatApqn), ...rest };
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
