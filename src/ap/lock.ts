// The configuration lock that chzdev and ap-check (s390-tools) take around AP changes:
// /run/lock/s390apconfig.lock holds the owner's PID; it is made by linking a fully written
// temporary file into place, so it is either absent or complete. zmdev follows the same protocol,
// so zmdev and the s390 tools never interleave their changes.
import { closeSync, fstatSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { ZmdevError } from '../errors.js';

export const AP_CONFIG_LOCK = '/run/lock/s390apconfig.lock';

export interface LockOptions {
  /** The lock file (default /run/lock/s390apconfig.lock). */
  path?: string;
  /** How long to keep trying while another live process holds it (default 90 s, as s390-tools). */
  timeoutMs?: number;
  /** Pause between attempts (default 30 ms). */
  retryMs?: number;
}

/** A lock file without a PID this long after it was written is left over from a crash. */
const PID_GRACE_MS = 120_000;

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

/** Removes the lock if its owner is gone (or never wrote its PID); true when the lock may be retried now. */
function clearStale(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return true; // gone already
  }
  try {
    const text = readFileSync(fd, 'latin1');
    const pid = parseInt(text, 10);
    if (pid > 0) {
      if (alive(pid)) return false;
    } else if (Date.now() - fstatSync(fd).mtimeMs < PID_GRACE_MS) {
      return false;
    }
  } finally {
    closeSync(fd);
  }
  try {
    unlinkSync(path);
    /* c8 ignore next 3 -- a race: another process removed the stale lock between our read and unlink */
  } catch {
    // another process cleared it first
  }
  return true;
}

/** Takes the lock (waiting while a live process holds it) and returns the function that releases it. */
export function acquireApConfigLock(opts: LockOptions = {}): () => void {
  const path = opts.path ?? AP_CONFIG_LOCK;
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  const tmp = `${path}${String(process.pid).padStart(5, '0')}${(Date.now() & 255).toString(16).padStart(2, '0')}`;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    // One immediate retry after clearing a stale lock; if the path still cannot be linked (say, a
    // dangling symlink that open() calls gone), wait and time out like any held lock.
    let cleared = false;
    for (;;) {
      try {
        linkSync(tmp, path);
        break;
      } catch (e) {
        /* c8 ignore next -- link(2) of a file just made beside the target fails otherwise only on a broken file system */
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if (!cleared && clearStale(path)) {
        cleared = true;
        continue;
      }
      cleared = false;
      if (Date.now() >= deadline) {
        let owner = '?';
        try {
          owner = readFileSync(path, 'latin1').trim();
        } catch {
          // released meanwhile
        }
        throw new ZmdevError({
          code: 'EBUSY',
          message: `the AP configuration lock ${path} is held by process ${owner} (chzdev, ap-check or another zmdev); try again when it is done`,
        });
      }
      sleep(opts.retryMs ?? 30);
    }
  } finally {
    unlinkSync(tmp);
  }
  return () => {
    try {
      if (parseInt(readFileSync(path, 'latin1'), 10) === process.pid) unlinkSync(path);
    } catch {
      // already gone
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
