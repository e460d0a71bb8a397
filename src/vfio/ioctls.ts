// The VFIO device ioctls vfio_ap answers (docs/kernel.md §7): request numbers, flags,
// the structs in the host's native byte order, and VfioDevice, a typed interface over them.
// The real device (real-device.ts) and the simulator (../sim/vfio-device.ts) both implement the one
// raw `ioctl(request, argument)` and share everything above it, so that both see the same bytes.
import { constants, endianness } from 'node:os';
import { sysfsErrorFromErrno } from '../sysfs/errno.js';
import type { SysfsError } from '../sysfs/sysfs-io.js';

// _IO(';', 100 + n): no size or direction bits; the kernel sizes the argument from argsz.
export const VFIO_DEVICE_GET_INFO = 0x3b6b;
export const VFIO_DEVICE_GET_IRQ_INFO = 0x3b6d;
export const VFIO_DEVICE_SET_IRQS = 0x3b6e;
export const VFIO_DEVICE_RESET = 0x3b6f;

export const VFIO_DEVICE_FLAGS_RESET = 0x01;
export const VFIO_DEVICE_FLAGS_AP = 0x20;

export const VFIO_IRQ_INFO_EVENTFD = 0x1;
export const VFIO_IRQ_INFO_MASKABLE = 0x2;
export const VFIO_IRQ_INFO_AUTOMASKED = 0x4;
export const VFIO_IRQ_INFO_NORESIZE = 0x8;

export const VFIO_IRQ_SET_DATA_NONE = 0x01;
export const VFIO_IRQ_SET_DATA_BOOL = 0x02;
export const VFIO_IRQ_SET_DATA_EVENTFD = 0x04;
export const VFIO_IRQ_SET_ACTION_MASK = 0x08;
export const VFIO_IRQ_SET_ACTION_UNMASK = 0x10;
export const VFIO_IRQ_SET_ACTION_TRIGGER = 0x20;
export const VFIO_IRQ_SET_DATA_TYPE_MASK = 0x07;
export const VFIO_IRQ_SET_ACTION_TYPE_MASK = 0x38;

/** The device-release request (6.5+). */
export const VFIO_AP_REQ_IRQ_INDEX = 0;
/** Signalled whenever the guest's AP configuration is rewritten, and on removal (6.15+). */
export const VFIO_AP_CFG_CHG_IRQ_INDEX = 1;

/** struct vfio_device_info as newer headers define it (argsz … cap_offset, pad). */
export const VFIO_DEVICE_INFO_SIZE = 24;
/** The part of vfio_device_info vfio_ap reads and writes (argsz, flags, num_regions, num_irqs). */
export const VFIO_DEVICE_INFO_MINSZ = 16;
export const VFIO_IRQ_INFO_SIZE = 16;
/** struct vfio_irq_set without data[]. */
export const VFIO_IRQ_SET_HEADER_SIZE = 20;
/** A vfio_irq_set carrying one eventfd. */
export const VFIO_IRQ_SET_EVENTFD_SIZE = 24;

/**
 * Every field is a __u32 (the eventfd an __s32) in the host's native byte order: big-endian on
 * s390x, where vfio_ap runs; little-endian on an x86 development machine.
 */
export const NATIVE_LITTLE_ENDIAN = endianness() === 'LE';

export interface VfioDeviceInfo {
  flags: number;
  numRegions: number;
  numIrqs: number;
}

export interface VfioIrqInfo {
  flags: number;
  count: number;
}

export type VfioIrqAction = 'trigger' | 'mask' | 'unmask';

export interface VfioIrqSet {
  index: number;
  /** vfio_ap accepts 'trigger' only; the others are encodable to see it refuse them. */
  action: VfioIrqAction;
  /** An eventfd to register, or -1 to release the registered one. */
  eventfd: number;
}

const ACTION_FLAGS: Record<VfioIrqAction, number> = {
  trigger: VFIO_IRQ_SET_ACTION_TRIGGER,
  mask: VFIO_IRQ_SET_ACTION_MASK,
  unmask: VFIO_IRQ_SET_ACTION_UNMASK,
};

/** The u32 at a byte offset. */
export function readU32(buf: Uint8Array, offset: number, littleEndian = NATIVE_LITTLE_ENDIAN): number {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(offset, littleEndian);
}

/** The s32 at a byte offset. */
export function readS32(buf: Uint8Array, offset: number, littleEndian = NATIVE_LITTLE_ENDIAN): number {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getInt32(offset, littleEndian);
}

/** Lays u32 fields (s32 when negative) back to back from offset 0. */
export function writeFields(buf: Uint8Array, fields: readonly number[], littleEndian = NATIVE_LITTLE_ENDIAN): Uint8Array {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  fields.forEach((v, i) => (v < 0 ? view.setInt32(i * 4, v, littleEndian) : view.setUint32(i * 4, v, littleEndian)));
  return buf;
}

/** A vfio_device_info to pass to GET_INFO: argsz = 24, the rest zero. */
export function encodeDeviceInfo(littleEndian = NATIVE_LITTLE_ENDIAN): Uint8Array {
  return writeFields(new Uint8Array(VFIO_DEVICE_INFO_SIZE), [VFIO_DEVICE_INFO_SIZE], littleEndian);
}

export function decodeDeviceInfo(buf: Uint8Array, littleEndian = NATIVE_LITTLE_ENDIAN): VfioDeviceInfo {
  return { flags: readU32(buf, 4, littleEndian), numRegions: readU32(buf, 8, littleEndian), numIrqs: readU32(buf, 12, littleEndian) };
}

/** A vfio_irq_info to pass to GET_IRQ_INFO: argsz = 16 and the index. */
export function encodeIrqInfo(index: number, littleEndian = NATIVE_LITTLE_ENDIAN): Uint8Array {
  return writeFields(new Uint8Array(VFIO_IRQ_INFO_SIZE), [VFIO_IRQ_INFO_SIZE, 0, index], littleEndian);
}

export function decodeIrqInfo(buf: Uint8Array, littleEndian = NATIVE_LITTLE_ENDIAN): VfioIrqInfo {
  return { flags: readU32(buf, 4, littleEndian), count: readU32(buf, 12, littleEndian) };
}

/** A vfio_irq_set with one eventfd: argsz = 24, DATA_EVENTFD | the action, start 0, count 1. */
export function encodeIrqSet(set: VfioIrqSet, littleEndian = NATIVE_LITTLE_ENDIAN): Uint8Array {
  const flags = VFIO_IRQ_SET_DATA_EVENTFD | ACTION_FLAGS[set.action];
  return writeFields(new Uint8Array(VFIO_IRQ_SET_EVENTFD_SIZE), [VFIO_IRQ_SET_EVENTFD_SIZE, flags, set.index, 0, 1, set.eventfd], littleEndian);
}

/** The vfio_irq_set header fields and the s32 at offset 20 (the first eventfd). */
export function decodeIrqSet(buf: Uint8Array, littleEndian = NATIVE_LITTLE_ENDIAN): {
  argsz: number; flags: number; index: number; start: number; count: number; eventfd: number;
} {
  const u = (o: number) => readU32(buf, o, littleEndian);
  return { argsz: u(0), flags: u(4), index: u(8), start: u(12), count: u(16), eventfd: readS32(buf, 20, littleEndian) };
}

/**
 * A refused ioctl as the rest of zmdev sees failures: a SysfsError with syscall 'ioctl', Node's
 * code name (EINVAL, ENOTTY …), `errno` negative as in Node, and the device's path. A kernel code
 * name is accepted too; errno 95 (the kernel's EOPNOTSUPP) carries Node's name for it, ENOTSUP,
 * on both the real device and the simulator.
 */
export function vfioError(errnoOrCode: number | string, path: string): SysfsError {
  const errno = typeof errnoOrCode === 'number' ? errnoOrCode : constants.errno[errnoOrCode as keyof typeof constants.errno];
  return sysfsErrorFromErrno(errno, 'ioctl', path);
}

/** The ioctls a vfio_ap device fd answers, typed. Every failure throws vfioError(). */
export interface VfioDevice {
  /** The device's path (the real device node, or the simulated mdev's sysfs directory). */
  readonly path: string;
  /** One raw ioctl with `arg` as the argument, read and written in place (RESET ignores it). */
  ioctl(request: number, arg: Uint8Array): void;
  /** VFIO_DEVICE_GET_INFO. */
  getInfo(): VfioDeviceInfo;
  /** VFIO_DEVICE_GET_IRQ_INFO for one index. */
  getIrqInfo(index: number): VfioIrqInfo;
  /** VFIO_DEVICE_SET_IRQS with one eventfd (or -1 to release). */
  setIrqs(set: VfioIrqSet): void;
  /** VFIO_DEVICE_RESET: every queue linked to the mdev is reset. */
  reset(): void;
  /** Closes the device fd; later ioctls fail with EBADF. */
  close(): void;
}

/** The typed calls over a raw ioctl, with the structs in one byte order (native by default). */
export abstract class VfioDeviceBase implements VfioDevice {
  abstract readonly path: string;
  abstract ioctl(request: number, arg: Uint8Array): void;
  abstract close(): void;

  constructor(readonly littleEndian: boolean = NATIVE_LITTLE_ENDIAN) {}

  getInfo(): VfioDeviceInfo {
    const buf = encodeDeviceInfo(this.littleEndian);
    this.ioctl(VFIO_DEVICE_GET_INFO, buf);
    return decodeDeviceInfo(buf, this.littleEndian);
  }

  getIrqInfo(index: number): VfioIrqInfo {
    const buf = encodeIrqInfo(index, this.littleEndian);
    this.ioctl(VFIO_DEVICE_GET_IRQ_INFO, buf);
    return decodeIrqInfo(buf, this.littleEndian);
  }

  setIrqs(set: VfioIrqSet): void {
    this.ioctl(VFIO_DEVICE_SET_IRQS, encodeIrqSet(set, this.littleEndian));
  }

  reset(): void {
    this.ioctl(VFIO_DEVICE_RESET, new Uint8Array(0));
  }
}
