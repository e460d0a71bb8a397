// The configuration lock that chzdev and ap-check (s390-tools) take around AP changes:
// /run/lock/s390apconfig.lock holds the owner's PID; it is made by linking a fully written
// temporary file into place, so it is either absent or complete (kernel.md §11.4). zmdev follows
// the same protocol, so zmdev and the s390 tools never interleave their changes.
//
// Two things the protocol alone cannot do, and how zmdev does them:
// - Exclusive under every interleaving among zmdev processes, stale takeover included: each zmdev
//   first takes flock(2) on a guard file beside the lock (`<lock>.guard`) and holds it until it
//   releases. The kernel drops a flock when its holder dies, so the guard is never stale, and only
//   one zmdev at a time ever links, inspects or takes over the lock file.
// - Never deleting what was not verified: a stale lock is moved aside with rename(2) — one atomic
//   step — and the moved file is removed only if it is the very file (device and inode) whose dead
//   PID was read; otherwise it is linked back.
import { closeSync, constants, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync, ftruncateSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { ZmdevError } from '../errors.js';
import { native } from '../native/addon.js';

export const AP_CONFIG_LOCK = '/run/lock/s390apconfig.lock';

/** Who holds the lock, as far as can be told. */
export interface LockHolder {
  /** The PID in the lock file, or null when it holds none (or cannot be read). */
  pid: number | null;
  /** The holder's command name (/proc/PID/comm), when it runs. */
  command: string | null;
  /** The lock file's text as shown in messages ('?' when it cannot be read). */
  shown: string;
}

export interface LockOptions {
  /** The lock file (default /run/lock/s390apconfig.lock). */
  path?: string;
  /** How long to keep trying while another live process holds it (default 90 s, as s390-tools). */
  timeoutMs?: number;
  /** Pause between attempts (default 30 ms). */
  retryMs?: number;
  /** Called once when the lock has been waited for `noticeMs` (default 1 s): say what is waited for. */
  onWait?: (holder: LockHolder, lockPath: string) => void;
  noticeMs?: number;
  /** Create the lock's directory when it is missing (a re-rooted image has no /run/lock yet). */
  makeDir?: boolean;
}

/** A lock file without a PID this long after it was written is left over from a crash. */
const PID_GRACE_MS = 120_000;
// libuv opens every file O_CLOEXEC, so neither the guard nor a lock fd leaks into a child.
const EWOULDBLOCK = osConstants.errno.EWOULDBLOCK;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'latin1').trim();
  } catch {
    return null;
  }
}

function lockError(e: unknown, what: string, lockPath?: string): ZmdevError {
  const err = e as NodeJS.ErrnoException;
  const dir = lockPath === undefined ? undefined : path.dirname(lockPath);
  // What to do about the usual ones: the directory is missing, read-only, or not ours to write.
  const fix = dir === undefined ? '' : {
    ENOENT: ` (the lock's directory ${dir} does not exist: create it, or check the path)`,
    EROFS: ` (${dir} is on a read-only file system: the lock needs a writable directory)`,
    EACCES: ` (this user may not create files in ${dir}: run as root, or as the owner of ${dir})`,
  // Only fs calls land here, and their errors always carry an errno code.
  }[err.code!] ?? '';
  return new ZmdevError({ code: err.code!, message: `${what}: ${err.message}${fix}`, cause: e });
}

/** A name beside `p` that nobody can guess, so nothing can be planted there first. */
function hiddenBeside(p: string, tag: string): string {
  return path.join(path.dirname(p), `.${path.basename(p)}.${tag}.${randomBytes(8).toString('hex')}`);
}

const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** One attempt of the s390-tools protocol: a complete file with our PID, linked into place. */
function tryLink(lockPath: string): boolean {
  const tmp = hiddenBeside(lockPath, 'new');
  let fd: number;
  try {
    fd = openSync(tmp, NEW_FILE, 0o644);
    /* c8 ignore next 3 -- the guard beside it was just opened: only a directory made unwritable meanwhile fails here */
  } catch (e) {
    throw lockError(e, `cannot create a file beside the lock ${lockPath}`);
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  let failure: NodeJS.ErrnoException | undefined;
  try {
    linkSync(tmp, lockPath);
  } catch (e) {
    failure = e as NodeJS.ErrnoException;
  }
  unlinkSync(tmp);
  if (!failure) return true;
  if (failure.code === 'EEXIST') return false;
  /* c8 ignore start -- link(2) of a file just made beside the target fails otherwise only on a broken file system */
  throw lockError(failure, `cannot link the lock ${lockPath}`);
}
/* c8 ignore stop */

export interface StaleLock {
  fd: number;
  dev: number;
  ino: number;
}

export interface Inspected {
  holder: LockHolder;
  /**
   * A stale lock (its owner is gone), still open: while the descriptor is held its inode cannot be
   * freed and given to a new file, so device and inode name this very file. takeOverStaleLock
   * closes it.
   */
  stale: StaleLock | null;
  /** The lock file is gone. */
  gone: boolean;
}

/** Reads the lock through one open file: its PID, and whether it is stale. Symlinks are not followed. */
export function inspectLock(lockPath: string): Inspected {
  let fd: number;
  try {
    fd = openSync(lockPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    /* c8 ignore next -- released between a failed link and this look: a race the lock-race writers meet */
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { holder: { pid: null, command: null, shown: '?' }, stale: null, gone: true };
    // A symlink or an unreadable file is nobody's lock we could judge: wait for it like a held
    // one (never remove what was not verified), and say what it is.
    return { holder: { pid: null, command: null, shown: `? (${oddLock(lockPath)})` }, stale: null, gone: false };
  }
  let keep = false;
  try {
    const st = fstatSync(fd);
    const buf = Buffer.alloc(32);
    const n = st.isFile() ? readSync(fd, buf, 0, buf.length, 0) : 0;
    const text = buf.subarray(0, n).toString('latin1');
    const pid = /^\d+/.test(text) ? parseInt(text, 10) : null;
    const holder = { pid, command: pid !== null && pid > 0 ? commandOf(pid) : null, shown: st.isFile() ? text.trim() : `? (${oddLock(lockPath)})` };
    const dead = pid !== null && pid > 0 ? !alive(pid) : st.isFile() && Date.now() - st.mtimeMs >= PID_GRACE_MS;
    keep = dead;
    return { holder, stale: dead ? { fd, dev: st.dev, ino: st.ino } : null, gone: false };
  } finally {
    if (!keep) closeSync(fd);
  }
}

/** What a lock path holds that no lock-taking tool makes (they all write a regular file). */
function oddLock(lockPath: string): string {
  const st = lstatSync(lockPath, { throwIfNoEntry: false });
  /* c8 ignore next -- removed between the failed open and this look */
  if (!st) return `${lockPath}: gone`;
  const kind = st.isSymbolicLink() ? 'a symbolic link' : st.isDirectory() ? 'a directory' : 'a special file';
  return `${lockPath} is ${kind} owned by uid ${st.uid}, which no lock-taking tool makes: if none is running, remove it`;
}

/** Moves a stale lock aside and removes it if it is the one inspected; otherwise puts it back. */
export function takeOverStaleLock(lockPath: string, stale: StaleLock): void {
  try {
    takeOver(lockPath, stale);
  } finally {
    closeSync(stale.fd);
  }
}

function takeOver(lockPath: string, stale: StaleLock): void {
  const moved = hiddenBeside(lockPath, 'stale');
  try {
    renameSync(lockPath, moved);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    /* c8 ignore start -- rename(2) beside the lock, in a directory just written to, fails otherwise only on a broken file system */
    throw lockError(e, `cannot take over the stale lock ${lockPath}`);
  }
  /* c8 ignore stop */
  const st = lstatSync(moved);
  if (st.dev !== stale.dev || st.ino !== stale.ino) {
    // Someone replaced the stale lock after it was read: give theirs back.
    try {
      linkSync(moved, lockPath);
      /* c8 ignore next 3 -- only a foreign tool linking in the microseconds between two syscalls gets here */
    } catch {
      // The path was taken meanwhile; the moved lock's owner will find its lock gone on release.
    }
  }
  unlinkSync(moved);
}

/** The guard: a permanent file beside the lock that zmdev processes flock. */
function openGuard(lockPath: string): number {
  const guard = `${lockPath}.guard`;
  let fd: number;
  try {
    fd = openSync(guard, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    throw lockError(e, `cannot open the lock guard ${guard}`, lockPath);
  }
  const st = fstatSync(fd);
  const uid = process.geteuid!();
  if (!st.isFile() || st.uid !== uid) {
    closeSync(fd);
    throw new ZmdevError({
      code: 'EPERM',
      message: `the lock guard ${guard} is not a regular file owned by this user (uid ${uid}); remove it, it is recreated`,
    });
  }
  return fd;
}

function guardHolder(fd: number): LockHolder {
  const buf = Buffer.alloc(32);
  const n = readSync(fd, buf, 0, buf.length, 0);
  const text = buf.subarray(0, n).toString('latin1');
  const digits = /^\d+/.exec(text);
  /* c8 ignore next -- an empty guard: read between its holder's flock and its PID write */
  if (!digits) return { pid: null, command: null, shown: '?' };
  const pid = parseInt(digits[0], 10);
  return { pid, command: commandOf(pid), shown: String(pid) };
}

function busy(lockPath: string, holder: LockHolder): ZmdevError {
  return new ZmdevError({
    code: 'EBUSY',
    message: `the AP configuration lock ${lockPath} is held by process ${holder.shown} (chzdev, ap-check or another zmdev); try again when it is done`,
  });
}

/** Takes the lock (waiting while a live process holds it) and returns the function that releases it. */
export function acquireApConfigLock(opts: LockOptions = {}): () => void {
  const lockPath = opts.path ?? AP_CONFIG_LOCK;
  const start = Date.now();
  const deadline = start + (opts.timeoutMs ?? 90_000);
  const noticeAt = start + (opts.noticeMs ?? 1000);
  let noticed = false;
  const wait = (holder: LockHolder) => {
    if (Date.now() >= deadline) throw busy(lockPath, holder);
    if (!noticed && opts.onWait && Date.now() >= noticeAt) {
      noticed = true;
      opts.onWait(holder, lockPath);
    }
    sleep(opts.retryMs ?? 30);
  };

  if (opts.makeDir) {
    try {
      mkdirSync(path.dirname(lockPath), { recursive: true, mode: 0o755 });
    } catch (e) {
      throw lockError(e, `cannot make the lock's directory ${path.dirname(lockPath)}`);
    }
  }
  const guard = openGuard(lockPath);
  try {
    for (;;) {
      const r = native().flockTry(guard);
      if (r === 0) break;
      /* c8 ignore next -- flock on a file just opened fails otherwise only on a broken file system */
      if (r !== EWOULDBLOCK) throw new ZmdevError({ code: 'EIO', message: `flock of ${lockPath}.guard failed (errno ${r})` });
      wait(guardHolder(guard));
    }
    ftruncateSync(guard, 0);
    writeSync(guard, `${process.pid}\n`, 0);
    for (;;) {
      if (tryLink(lockPath)) break;
      const seen = inspectLock(lockPath);
      /* c8 ignore next -- released between our link and our look: a race the lock-race test's writers meet */
      if (seen.gone) continue;
      if (seen.stale) {
        takeOverStaleLock(lockPath, seen.stale);
        continue;
      }
      wait(seen.holder);
    }
  } catch (e) {
    closeSync(guard);
    throw e;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    try {
      const seen = inspectLock(lockPath);
      /* c8 ignore next -- our own lock is never stale while we run; a dead process's lock put in its place is */
      if (seen.stale) closeSync(seen.stale.fd);
      if (seen.holder.pid === process.pid) unlinkSync(lockPath);
      /* c8 ignore next 2 -- removed by hand between the look and the unlink */
    } catch {
      // already gone
    } finally {
      closeSync(guard);
    }
  };
}

/** Runs `fn` while holding the lock. */
export function withApConfigLock<T>(opts: LockOptions | false, fn: () => T): T {
  if (opts === false) return fn();
  const release = acquireApConfigLock(opts);
  try {
    return fn();
  } finally {
    release();
  }
}
