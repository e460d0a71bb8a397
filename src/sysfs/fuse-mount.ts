// Serves any SysfsIO as a FUSE filesystem laid out like /sys, so that shells, mdevctl and the
// real-host backend (RealSysfs) reach it through real syscalls and see the same bytes and errno.
//
// How it behaves, and why:
// - Attributes report size 4096 (as sysfs does); directories size 0; links their lstat bits.
// - The content is produced when a file is opened for reading: one io.read per open handle, and
//   reads at any offset are served from that snapshot. A failed io.read is reported by the first
//   read(2), as the kernel reports a failing show().
// - Every FUSE write is one store: its bytes go to io.write as they are, whatever the offset (sysfs
//   ignores the offset too), and the count io.write returns is what write(2) returns. A refusal
//   becomes -errno, so `echo 5 > attr` prints "write error: Device or resource busy".
//   Limitation: the kernel cuts a write(2) larger than max_write (128 KiB) into several FUSE
//   writes, which then arrive as several stores; sysfs would have stored only the first 4096 bytes.
// - Opening for reading a file without read bits, or for writing one without write bits, fails
//   with EACCES at open, as kernfs does. O_TRUNC and truncate(2) are accepted and change nothing.
//   Creating a file fails with EACCES.
// - Zero entry, attribute and negative timeouts and direct_io: the kernel caches neither names,
//   attributes nor pages, so a removed entry gives ENOENT at once and every read reaches io.
//
// The handlers run on the JavaScript thread that called mountSysfs. Anything that touches the
// mount synchronously from that same thread (fs.*Sync, RealSysfs, child_process.spawnSync)
// waits for an answer only that thread could give: it hangs. Use the mount from another process
// or a worker thread, or with asynchronous calls.
import { createRequire } from 'node:module';
import path from 'node:path';
import { ZmdevError } from '../errors.js';
import type { SysfsIO } from './sysfs-io.js';

/** What mountSysfs accepts besides the SysfsIO and the mountpoint. */
export interface MountSysfsOptions {
  /** Called after every successful write, with the relative path and the bytes stored. */
  onChange?: (path: string, data: Uint8Array) => void;
  /**
   * Called with errors that are not refusals: an io method that throws something without an errno,
   * or an onChange that throws. The FUSE call then fails with EIO (or, for onChange, still succeeds).
   * Default: a process warning.
   */
  onError?: (err: unknown, op: string, path: string) => void;
  /** The name shown in /proc/mounts (default `zmdev-sysfs`). Letters, digits, `_.-` only. */
  fsname?: string;
  /** Print libfuse's trace of every request. */
  debug?: boolean;
}

/** A mounted SysfsIO. */
export interface SysfsMount {
  readonly mountpoint: string;
  /** Unmounts (once; later calls resolve at once). */
  unmount(): Promise<void>;
}

type Cb = (code: number, result?: unknown) => void;

interface FuseInstance {
  mount(cb: (err: Error | null) => void): void;
  unmount(cb: (err: Error | null) => void): void;
  /** fuse-native's per-mount native state (internal to fuse-native 2.2). */
  _thread: Buffer;
}
type FuseCtor = new (mnt: string, ops: Record<string, unknown>, opts: Record<string, unknown>) => FuseInstance;

const requireHere = createRequire(import.meta.url);

/** fuse-native's own native binding (the same loaded module), for the one release it can skip. */
function fuseBinding(): { fuse_native_unmount(mnt: string, thread: Buffer): void } {
  const main = requireHere.resolve('fuse-native');
  return createRequire(main)('node-gyp-build')(path.dirname(main));
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const EACCES = -13;
const EIO = -5;

/** One open attribute: the content read at open (or the errno that read gave). */
interface Handle {
  rel: string;
  snapshot?: Buffer;
  readErrno?: number;
}

// fuse-native runs `fusermount -uz "<mountpoint>"` through a shell when it unmounts; inside double
// quotes the shell still expands $, ` and \, so such mountpoints are refused up front.
const SHELL_UNSAFE = /[$`"\\\n]/;

function toRelative(fusePath: string): string {
  return fusePath.slice(1);
}

/** Serves `io` at `mountpoint` (an existing, empty directory) until unmount(). */
export async function mountSysfs(io: SysfsIO, mountpoint: string, opts: MountSysfsOptions = {}): Promise<SysfsMount> {
  const mnt = path.resolve(mountpoint);
  if (SHELL_UNSAFE.test(mnt)) {
    throw new ZmdevError({ code: 'EINVAL', message: `mountpoint ${JSON.stringify(mnt)} refused: it must not contain $, \`, ", \\ or a newline` });
  }
  const fsname = opts.fsname ?? 'zmdev-sysfs';
  if (!/^[\w.-]+$/.test(fsname)) {
    throw new ZmdevError({ code: 'EINVAL', message: `fsname ${JSON.stringify(fsname)} refused: letters, digits, "_", "." and "-" only` });
  }
  const report = opts.onError ?? ((err: unknown, op: string, p: string) => {
    process.emitWarning(`zmdev FUSE ${op} ${p}: ${String(err)}`, { code: 'ZMDEV_FUSE' });
  });

  // A refusal (an error with an errno) is passed on; anything else is a bug worth reporting.
  const errnoOf = (err: unknown, op: string, p: string): number => {
    if (err instanceof ZmdevError && err.errno !== undefined) return err.errno;
    report(err, op, p);
    return EIO;
  };

  const born = new Date();
  const handles = new Map<number, Handle>();
  let nextHandle = 1;

  /** Runs one handler; whatever it throws becomes the errno of the FUSE call. */
  const guard = (op: string, p: string, cb: Cb, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      cb(errnoOf(err, op, p));
    }
  };

  const ops = {
    getattr(p: string, cb: Cb): void {
      const common = { uid: 0, gid: 0, atime: born, mtime: born, ctime: born };
      if (p === '/') return cb(0, { ...common, mode: S_IFDIR | 0o755, size: 0, nlink: 2 });
      guard('getattr', p, cb, () => {
        const st = io.stat(toRelative(p));
        const type = st.kind === 'dir' ? S_IFDIR : st.kind === 'link' ? S_IFLNK : S_IFREG;
        cb(0, { ...common, mode: type | st.mode, size: st.kind === 'file' ? 4096 : 0, nlink: st.kind === 'dir' ? 2 : 1 });
      });
    },
    readdir(p: string, cb: Cb): void {
      guard('readdir', p, cb, () => cb(0, ['.', '..', ...io.list(toRelative(p))]));
    },
    readlink(p: string, cb: Cb): void {
      guard('readlink', p, cb, () => cb(0, io.readlink(toRelative(p))));
    },
    open(p: string, flags: number, cb: Cb): void {
      guard('open', p, cb, () => {
        const rel = toRelative(p);
        const access = flags & 3;
        const wantRead = access !== 1;
        const wantWrite = access !== 0;
        const { mode } = io.stat(rel);
        if ((wantRead && !(mode & 0o444)) || (wantWrite && !(mode & 0o222))) return cb(EACCES);
        const h: Handle = { rel };
        if (wantRead) {
          try {
            h.snapshot = Buffer.from(io.read(rel), 'latin1');
          } catch (err) {
            h.readErrno = errnoOf(err, 'read', p);
          }
        }
        const id = nextHandle++;
        handles.set(id, h);
        cb(0, id);
      });
    },
    // The kernel sends reads only on handles opened for reading and writes only on handles
    // opened for writing, so the handle is always there.
    read(_p: string, fd: number, buf: Buffer, len: number, pos: number, cb: Cb): void {
      const h = handles.get(fd) as Handle;
      if (h.readErrno !== undefined) return cb(h.readErrno);
      cb((h.snapshot as Buffer).subarray(pos, pos + len).copy(buf));
    },
    write(p: string, fd: number, buf: Buffer, len: number, _pos: number, cb: Cb): void {
      const h = handles.get(fd) as Handle;
      // fuse-native reuses buf after the callback: keep a copy of what this write(2) carried.
      const data = Uint8Array.prototype.slice.call(buf, 0, len);
      guard('write', p, cb, () => {
        const count = io.write(h.rel, data);
        try {
          opts.onChange?.(h.rel, data);
        } catch (err) {
          report(err, 'onChange', p);
        }
        cb(count);
      });
    },
    release(_p: string, fd: number, cb: Cb): void {
      handles.delete(fd);
      cb(0);
    },
    truncate(_p: string, _size: number, cb: Cb): void {
      cb(0);
    },
    ftruncate(_p: string, _fd: number, _size: number, cb: Cb): void {
      cb(0);
    },
    create(_p: string, _mode: number, cb: Cb): void {
      cb(EACCES);
    },
  };

  const Fuse = requireHere('fuse-native') as FuseCtor;
  const fuse = new Fuse(mnt, ops, {
    // fuse-native has no switch for direct_io; its options are joined with commas after fsname.
    fsname: `${fsname},direct_io,negative_timeout=0`,
    entryTimeout: '0',
    attrTimeout: '0',
    autoUnmount: true,
    debug: opts.debug === true,
  });
  await new Promise<void>((resolve, reject) => fuse.mount((err) => (err ? reject(err) : resolve())));

  let unmounting: Promise<void> | undefined;
  return {
    mountpoint: mnt,
    unmount(): Promise<void> {
      return (unmounting ??= new Promise<void>((resolve, reject) => fuse.unmount((err) => {
        if (!err) return resolve();
        // fusermount failed (most often: the mount was removed behind our back). fuse-native then
        // keeps its event-loop handle, which would hold the process alive for ever: release it.
        fuseBinding().fuse_native_unmount(mnt, fuse._thread);
        reject(new ZmdevError({ code: 'EUNMOUNT', message: `unmounting ${mnt} failed: ${err.message.trim()}`, cause: err }));
      })));
    },
  };
}

/** What unmountOnSignals accepts. */
export interface SignalOptions {
  /** Default SIGINT and SIGTERM. */
  signals?: readonly NodeJS.Signals[];
  /**
   * Called once the mount is gone (or failed to go, with the error). Without it the signal is
   * raised again with our listener removed: the process then ends the way the signal meant, unless
   * another listener keeps it alive (other listeners see the signal a second time).
   */
  onUnmounted?: (signal: NodeJS.Signals, err?: unknown) => void;
}

/**
 * Unmounts `mount` when one of the signals arrives, then lets the signal take its course.
 * Returns a function that removes the listeners again (call it after a normal unmount).
 */
export function unmountOnSignals(mount: SysfsMount, opts: SignalOptions = {}): () => void {
  const signals = opts.signals ?? ['SIGINT', 'SIGTERM'];
  const dispose = (): void => {
    for (const s of signals) process.off(s, onSignal);
  };
  function onSignal(signal: NodeJS.Signals): void {
    dispose();
    const done = (err?: unknown): void => {
      if (opts.onUnmounted) opts.onUnmounted(signal, err);
      else process.kill(process.pid, signal);
    };
    mount.unmount().then(() => done(), done);
  }
  for (const s of signals) process.on(s, onSignal);
  return dispose;
}
