// The real host: SysfsIO over the native addon's open/read/write/readdir/readlink/lstat, rooted
// at /sys or at any other directory (a test tree, a FUSE mount of the simulator). Synchronous on
// purpose: a sysfs read costs well under a microsecond, a thread hop about thirty.
import path from 'node:path';
import { InputError } from '../errors.js';
import { native, type NativeAddon } from '../native/addon.js';
import { sysfsErrorFromErrno } from './errno.js';
import { joinUnder, SysfsPathError } from './path.js';
import type { SysfsError, SysfsIO, SysfsStat, Syscall } from './sysfs-io.js';

type Failure = [errno: number, syscall: string];

function failed(r: unknown): r is Failure {
  return Array.isArray(r) && typeof r[0] === 'number';
}

const KINDS = ['file', 'dir', 'link'] as const;
const BATCH_SYSCALLS: Record<number, Syscall> = { 1: 'open', 2: 'read' };

/** Bytes of a write: strings go out one byte per character (latin1, the mapping `read` uses). */
function toBytes(data: string | Uint8Array): Uint8Array {
  if (typeof data !== 'string') return data;
  if (/[^\x00-\xff]/.test(data)) {
    throw new InputError({
      code: 'EINVAL',
      input: data,
      message: `sysfs write data ${JSON.stringify(data)} has a character above U+00FF: each character of a sysfs write is one byte (U+0000 to U+00FF); for other bytes the library takes a Uint8Array`,
    });
  }
  return Buffer.from(data, 'latin1');
}

/**
 * SysfsIO on a real directory tree. Paths are relative to `root` ('' is the root itself) and are
 * checked first: no NUL, no leading '/', no '..' segment (a SysfsPathError names the rule).
 * Failures throw SysfsError with the errno of the syscall that failed and the absolute path.
 */
export class RealSysfs implements SysfsIO {
  readonly root: string;
  readonly #addon: NativeAddon;

  constructor(root = '/sys', addon: NativeAddon = native()) {
    if (root.includes('\0')) throw new SysfsPathError(root, 'no-nul');
    this.root = path.resolve(root);
    this.#addon = addon;
  }

  /** The absolute path a relative one stands for. */
  resolve(rel: string): string {
    return joinUnder(this.root, rel);
  }

  read(rel: string): string {
    const full = this.resolve(rel);
    const r = this.#addon.sysfsRead(full);
    if (failed(r)) throw sysfsErrorFromErrno(r[0], r[1] as Syscall, full);
    return r;
  }

  readMany(rels: readonly string[]): Array<string | SysfsError> {
    const fulls = rels.map((rel) => this.resolve(rel));
    const status = new Int32Array(fulls.length * 2);
    const joined = Buffer.from(fulls.map((f) => `${f}\0`).join(''), 'utf8');
    const contents = this.#addon.sysfsReadMany(joined, new Uint8Array(status.buffer));
    const out: Array<string | SysfsError> = new Array(fulls.length);
    let at = 0;
    for (let i = 0; i < fulls.length; i++) {
      const len = status[2 * i]!;
      if (len < 0) {
        out[i] = sysfsErrorFromErrno(-len, BATCH_SYSCALLS[status[2 * i + 1]!]!, fulls[i]!);
      } else {
        out[i] = contents.slice(at, at + len);
        at += len;
      }
    }
    return out;
  }

  write(rel: string, data: string | Uint8Array): number {
    const full = this.resolve(rel);
    const bytes = toBytes(data);
    const r = this.#addon.sysfsWrite(full, bytes);
    if (failed(r)) throw sysfsErrorFromErrno(r[0], r[1] as Syscall, full, Buffer.from(bytes).toString('latin1'));
    return r;
  }

  list(rel: string): string[] {
    const full = this.resolve(rel);
    const r = this.#addon.sysfsList(full);
    if (failed(r)) throw sysfsErrorFromErrno(r[0], r[1] as Syscall, full);
    return r;
  }

  /** Whether the path names something, following links like `test -e`; ENOENT/ENOTDIR mean no, other errors throw. */
  exists(rel: string): boolean {
    const full = this.resolve(rel);
    const r = this.#addon.sysfsStat(full, true);
    if (!failed(r)) return true;
    const err = sysfsErrorFromErrno(r[0], r[1] as Syscall, full);
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return false;
    throw err;
  }

  readlink(rel: string): string {
    const full = this.resolve(rel);
    const r = this.#addon.sysfsReadlink(full);
    if (failed(r)) throw sysfsErrorFromErrno(r[0], r[1] as Syscall, full);
    return r;
  }

  /** lstat(2): the link itself, not its target. Devices, FIFOs and sockets count as files. */
  stat(rel: string): SysfsStat {
    const full = this.resolve(rel);
    const r = this.#addon.sysfsStat(full, false);
    if (failed(r)) throw sysfsErrorFromErrno(r[0], r[1] as Syscall, full);
    return { kind: KINDS[r >>> 16]!, mode: r & 0o7777 };
  }
}
