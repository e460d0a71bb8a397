// Kernel profiles: which behaviour of the AP bus and vfio_ap a simulated host shows. Every place
// where a kernel version changes an errno, a file or a log line reads it from this one table.

export type ProfileName = '6.15' | '6.0' | '5.15';

export const PROFILE_NAMES: readonly ProfileName[] = ['6.15', '6.0', '5.15'];

/** How the in-use refusal of an apmask/aqmask write is logged (null: mask writes are never refused). */
export type InUseLog = 'cannot-reserve' | 'may-not-reassign' | null;
/** How an EADDRINUSE refusal of assign_* / ap_config is logged (null: silently). */
export type SharingLog = 'may-not-assign' | 'may-not-reassign' | null;

export interface Capabilities {
  /** vfio_ap answers the bus's in-use question: reserving an assigned APQN gives EBUSY. */
  inUseCheck: boolean;
  inUseLog: InUseLog;
  sharingLog: SharingLog;
  /** Shadow APCB, filtering, hot plug and over-provisioning (dynamic configuration). */
  dynamic: boolean;
  /** assign_/unassign_* fail with EBUSY while a guest holds the mdev (checked before parsing). */
  busyWhileAttached: boolean;
  /** assign_* require the queues to be bound to vfio_ap (EADDRNOTAVAIL otherwise), even on re-assign. */
  assignNeedsBinding: boolean;
  /** The mdev has a guest_matrix attribute. */
  guestMatrix: boolean;
  /** The mdev has an ap_config attribute. */
  apConfig: boolean;
  /** The matrix device has a features attribute, and its text. */
  matrixFeatures: string | null;
  /** vfio_ap queues have a status attribute. */
  queueStatus: boolean;
  /** printf format of available_instances. */
  availableFormat: '%u' | '%d';
  /** errno of a create when no instances are left. */
  exhaustedErrno: 'EUSERS' | 'EPERM';
  /** remove while a guest holds the mdev: EBUSY, or the device request is relayed and the guest lets go. */
  removeWhileAttached: 'EBUSY' | 'request';
  /** The request callback logs that it relays the request (6.5+). */
  requestLog: boolean;
  /**
   * Last reset response codes with which a queue is still passable to the guest (0, and 3/4 for
   * deconfigured/checkstopped, since ~6.9); null: the code is not looked at (before ~6.7).
   */
  passableRc: readonly number[] | null;
  /** VFIO_AP_NUM_IRQS as VFIO_DEVICE_GET_INFO reports it: 2 since 6.15, 1 in 6.5-6.14, 0 before. */
  vfioNumIrqs: number;
  /** VFIO_DEVICE_GET_IRQ_INFO and VFIO_DEVICE_SET_IRQS are handled (6.5+); before, EOPNOTSUPP. */
  vfioIrqIoctls: boolean;
}

const MAINLINE: Capabilities = {
  inUseCheck: true,
  inUseLog: 'cannot-reserve',
  sharingLog: 'may-not-assign',
  dynamic: true,
  busyWhileAttached: false,
  assignNeedsBinding: false,
  guestMatrix: true,
  apConfig: true,
  matrixFeatures: 'guest_matrix hotplug ap_config\n',
  queueStatus: true,
  availableFormat: '%u',
  exhaustedErrno: 'EUSERS',
  removeWhileAttached: 'request',
  requestLog: true,
  passableRc: [0, 3, 4],
  vfioNumIrqs: 2,
  vfioIrqIoctls: true,
};

export const CAPABILITIES: Readonly<Record<ProfileName, Readonly<Capabilities>>> = {
  '6.15': MAINLINE,
  '6.0': {
    ...MAINLINE,
    inUseLog: 'may-not-reassign',
    sharingLog: 'may-not-reassign',
    apConfig: false,
    matrixFeatures: null,
    availableFormat: '%d',
    exhaustedErrno: 'EPERM',
    requestLog: false,
    passableRc: null,
    vfioNumIrqs: 0,
    vfioIrqIoctls: false,
  },
  '5.15': {
    ...MAINLINE,
    inUseCheck: false,
    inUseLog: null,
    sharingLog: null,
    dynamic: false,
    busyWhileAttached: true,
    assignNeedsBinding: true,
    guestMatrix: false,
    apConfig: false,
    matrixFeatures: null,
    queueStatus: false,
    availableFormat: '%d',
    exhaustedErrno: 'EPERM',
    removeWhileAttached: 'EBUSY',
    requestLog: false,
    passableRc: null,
    vfioNumIrqs: 0,
    vfioIrqIoctls: false,
  },
};

export function isProfileName(x: unknown): x is ProfileName {
  return typeof x === 'string' && (PROFILE_NAMES as readonly string[]).includes(x);
}
