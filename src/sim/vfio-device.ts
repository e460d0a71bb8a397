// An open VFIO device fd of a simulated mdev: the ioctls vfio_ap answers (kernel.md §7),
// checked in the kernel's order on the raw bytes, per kernel profile. The registered
// eventfds live in the mdev's state (`eventfds`, declared and checked with the state), so a state
// file and a clone keep them.
import { ApMask } from '../mask/index.js';
import {
  NATIVE_LITTLE_ENDIAN, readS32, readU32, VFIO_DEVICE_FLAGS_AP, VFIO_DEVICE_FLAGS_RESET, VFIO_DEVICE_GET_INFO,
  VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_RESET, VFIO_DEVICE_SET_IRQS, VFIO_IRQ_INFO_EVENTFD, VFIO_IRQ_SET_ACTION_TRIGGER,
  VFIO_IRQ_SET_ACTION_TYPE_MASK, VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_NONE,
  VFIO_IRQ_SET_DATA_TYPE_MASK, VFIO_IRQ_SET_HEADER_SIZE, VfioDeviceBase, vfioError,
} from '../vfio/ioctls.js';
import { resetQueue } from './ap/filter.js';
import type { SimHost } from './host.js';
import type { MdevState, QueueState } from './state.js';

/** What vfio_device_info and vfio_irq_info occupy up to `count` (offsetofend). */
const INFO_MINSZ = 16;
const U32_MAX = 0xffffffff;

/** An mdev's state; its `eventfds` field holds what SET_IRQS registered. */
export type VfioMdevState = MdevState;

/** The eventfd registered for an IRQ index of the mdev, or null. */
export function registeredEventfd(mdev: MdevState, index: number): number | null {
  return mdev.eventfds?.[String(index)] ?? null;
}

class Refused extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

function refuse(code: string): never {
  throw new Refused(code);
}

/**
 * The device fd a VMM holds for one mdev of a SimHost. `littleEndian` is the byte order of the
 * structs (the host's native order by default, as for a real device; false models s390x).
 * Not modelled: whether an fd ≥ 0 is really an eventfd (any such fd is registered), the
 * signalling of the eventfds, and the ioctls the vfio core answers before vfio_ap sees them.
 */
export class SimVfioDevice extends VfioDeviceBase {
  readonly path: string;
  #closed = false;

  constructor(readonly host: SimHost, readonly uuid: string, littleEndian = NATIVE_LITTLE_ENDIAN) {
    super(littleEndian);
    this.path = `devices/vfio_ap/matrix/${uuid}`;
  }

  /** Later ioctls fail with EBADF. The guest and the eventfds are left as they are. */
  close(): void {
    this.#closed = true;
  }

  ioctl(request: number, arg: Uint8Array): void {
    try {
      if (this.#closed) refuse('EBADF');
      // A removed mdev cannot be reached through a stale handle of the simulator.
      const mdev = this.host.mdev(this.uuid) ?? refuse('ENODEV');
      switch (request) {
        case VFIO_DEVICE_GET_INFO:
          return this.#getInfo(arg);
        case VFIO_DEVICE_GET_IRQ_INFO:
          return this.#getIrqInfo(arg);
        case VFIO_DEVICE_SET_IRQS:
          return this.#setIrqs(mdev, arg);
        case VFIO_DEVICE_RESET:
          return this.#reset(mdev);
        default:
          refuse('EOPNOTSUPP');
      }
    } catch (e) {
      /* c8 ignore next -- the handlers throw only Refused; anything else is a simulator bug to surface */
      if (!(e instanceof Refused)) throw e;
      throw vfioError(e.code, this.path);
    }
  }

  /** copy_from_user of the first n bytes: EFAULT when the buffer is shorter. */
  #u32(arg: Uint8Array, offset: number): number {
    if (arg.byteLength < offset + 4) refuse('EFAULT');
    return readU32(arg, offset, this.littleEndian);
  }

  /** copy_to_user of the 16 bytes the handler read before, so they fit. */
  #write(arg: Uint8Array, fields: readonly number[]): void {
    const view = new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
    fields.forEach((v, i) => view.setUint32(i * 4, v, this.littleEndian));
  }

  #getInfo(arg: Uint8Array): void {
    this.#u32(arg, 12);
    const argsz = readU32(arg, 0, this.littleEndian);
    if (argsz < INFO_MINSZ) refuse('EINVAL');
    this.#write(arg, [argsz, VFIO_DEVICE_FLAGS_AP | VFIO_DEVICE_FLAGS_RESET, 0, this.host.caps.vfioNumIrqs]);
  }

  #getIrqInfo(arg: Uint8Array): void {
    if (!this.host.caps.vfioIrqIoctls) refuse('EOPNOTSUPP');
    this.#u32(arg, 12);
    const argsz = readU32(arg, 0, this.littleEndian);
    const index = readU32(arg, 8, this.littleEndian);
    if (argsz < INFO_MINSZ || index >= this.host.caps.vfioNumIrqs) refuse('EINVAL');
    this.#write(arg, [argsz, VFIO_IRQ_INFO_EVENTFD, index, 1]);
  }

  #setIrqs(mdev: MdevState, arg: Uint8Array): void {
    const caps = this.host.caps;
    if (!caps.vfioIrqIoctls) refuse('EOPNOTSUPP');
    this.#u32(arg, 16);
    const [argsz, flags, index, start, count] = [0, 4, 8, 12, 16].map((o) => readU32(arg, o, this.littleEndian)) as
      [number, number, number, number, number];
    // 1. vfio_set_irqs_validate_and_prepare(hdr, num_irqs = 1, max = VFIO_AP_NUM_IRQS).
    if (argsz < VFIO_IRQ_SET_HEADER_SIZE || index >= caps.vfioNumIrqs || count >= U32_MAX - start ||
      (flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)) !== 0) refuse('EINVAL');
    if (start >= 1 || start + count > 1) refuse('EINVAL');
    const size = { [VFIO_IRQ_SET_DATA_NONE]: 0, [VFIO_IRQ_SET_DATA_BOOL]: 1, [VFIO_IRQ_SET_DATA_EVENTFD]: 4 }[flags & VFIO_IRQ_SET_DATA_TYPE_MASK];
    if (size === undefined) refuse('EINVAL');
    if (size > 0 && argsz - VFIO_IRQ_SET_HEADER_SIZE < count * size) refuse('EINVAL');
    // 2. and 3. vfio_ap itself.
    if ((flags & VFIO_IRQ_SET_ACTION_TRIGGER) === 0) refuse('EINVAL');
    if ((flags & VFIO_IRQ_SET_DATA_TYPE_MASK) !== VFIO_IRQ_SET_DATA_EVENTFD) refuse('EINVAL');
    // 4. The s32 at offset 20, read even when count is 0.
    this.#u32(arg, VFIO_IRQ_SET_HEADER_SIZE);
    const fd = readS32(arg, VFIO_IRQ_SET_HEADER_SIZE, this.littleEndian);
    if (fd < -1) refuse('EINVAL');
    const fds = { ...mdev.eventfds };
    if (fd === -1) delete fds[String(index)];
    else fds[String(index)] = fd;
    if (Object.keys(fds).length === 0) delete mdev.eventfds;
    else mdev.eventfds = fds;
  }

  /** Every queue linked to the mdev (assigned and bound to vfio_ap, filtered ones included). */
  #reset(mdev: MdevState): void {
    const linked: QueueState[] = this.host
      .queuesOf(ApMask.fromReadFormat(mdev.apm), ApMask.fromReadFormat(mdev.aqm))
      .filter((q) => q.driver === 'vfio_ap');
    for (const q of linked) resetQueue(q);
    if (linked.some((q) => q.resetRc !== 0)) refuse('EIO');
  }
}
