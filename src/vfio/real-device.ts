// A real VFIO device fd (e.g. /dev/vfio/devices/vfio0, or the fd VFIO_GROUP_GET_DEVICE_FD handed
// out) and its ioctls through the native addon. Synchronous: vfio_ap answers without sleeping,
// apart from RESET's queue polling, which a caller that cannot block should move to a worker.
import { closeSync, openSync } from 'node:fs';
import { native, type NativeAddon } from '../native/addon.js';
import { sysfsErrorFromErrno } from '../sysfs/errno.js';
import type { SysfsError, Syscall } from '../sysfs/sysfs-io.js';
import { NATIVE_LITTLE_ENDIAN, VfioDeviceBase, vfioError } from './ioctls.js';

function fromNode(err: unknown, syscall: Syscall, path: string): SysfsError | unknown {
  const e = err as NodeJS.ErrnoException;
  return typeof e.errno === 'number' ? sysfsErrorFromErrno(-e.errno, syscall, path) : err;
}

export class RealVfioDevice extends VfioDeviceBase {
  #fd: number;
  readonly #addon: NativeAddon;

  /** Over an fd the caller opened; close() closes it. */
  constructor(fd: number, readonly path: string, addon: NativeAddon = native()) {
    super(NATIVE_LITTLE_ENDIAN);
    this.#fd = fd;
    this.#addon = addon;
  }

  /** Opens `path` read-write; a failure is a SysfsError with syscall 'open'. */
  static open(path: string, addon: NativeAddon = native()): RealVfioDevice {
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch (err) {
      throw fromNode(err, 'open', path);
    }
    return new RealVfioDevice(fd, path, addon);
  }

  /** The fd, or -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  ioctl(request: number, arg: Uint8Array): void {
    const r = this.#addon.vfioIoctl(this.#fd, request, arg);
    if (r) throw vfioError(r[0], this.path);
  }

  /**
   * Closes the fd. The number is forgotten at once (ioctls after close give EBADF instead of
   * reaching a file that reused the number); a second close is a no-op.
   */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    try {
      closeSync(fd);
    } catch (err) {
      throw fromNode(err, 'close', this.path);
    }
  }
}
