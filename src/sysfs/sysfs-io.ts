// The one interface between zmdev's domain code and a host: the kernel's sysfs tree. The real
// backend (real.ts) and the simulator (../sim) implement it with the same paths, bytes and errno.
import { ZmdevError } from '../errors.js';

/**
 * Synchronous sysfs access under a root. Paths are relative to that root and use the kernel's
 * names (`bus/ap/apmask`, `devices/vfio_ap/matrix/<uuid>/assign_adapter`). Every failure throws a
 * SysfsError carrying the kernel's errno code.
 */
export interface SysfsIO {
  /** The whole content of an attribute, as the kernel formats it (latin1 text). */
  read(path: string): string;
  /** Many attributes in one go; a failed read yields its SysfsError in place of the text. */
  readMany(paths: readonly string[]): Array<string | SysfsError>;
  /** One write(2) of exactly these bytes; returns the count the kernel reported. */
  write(path: string, data: string | Uint8Array): number;
  /** Directory entries, sorted, without `.` and `..`. */
  list(path: string): string[];
  exists(path: string): boolean;
  /** The target of a symbolic link, as readlink(2) returns it. */
  readlink(path: string): string;
  /** What lstat(2) tells of a path: its kind and permission bits (e.g. 0o200 for assign_adapter). */
  stat(path: string): SysfsStat;
}

export interface SysfsStat {
  kind: 'file' | 'dir' | 'link';
  /** Permission bits only (0o444, 0o200, 0o644, 0o755 ...). */
  mode: number;
}

export type Syscall = 'open' | 'read' | 'write' | 'readdir' | 'readlink' | 'stat' | 'ioctl' | 'close';

export interface SysfsErrorOptions {
  code: string;
  syscall: Syscall;
  path: string;
  /** The bytes of a refused write, as text. */
  written?: string;
  /** A sentence for the user: what the refusal means and what to do. */
  explanation?: string;
}

/** A refusal by the kernel (or the simulator), with the errno code, syscall, path and bytes. */
export class SysfsError extends ZmdevError {
  readonly syscall: Syscall;
  readonly path: string;
  readonly written: string | undefined;

  constructor(opts: SysfsErrorOptions) {
    const what = opts.written === undefined ? '' : ` of ${JSON.stringify(opts.written)}`;
    super({
      code: opts.code,
      message: `${opts.code}: ${opts.syscall}${what} ${opts.path} failed` + (opts.explanation ? `: ${opts.explanation}` : ''),
    });
    this.syscall = opts.syscall;
    this.path = opts.path;
    this.written = opts.written;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), syscall: this.syscall, path: this.path, ...(this.written === undefined ? {} : { written: this.written }) };
  }
}
