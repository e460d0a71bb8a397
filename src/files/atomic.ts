// Files zmdev writes as root (the simulated host's state, configuration files): replaced in one
// rename(2) from a temporary file nobody could plant — an unguessable name beside the target,
// opened O_CREAT|O_EXCL|O_NOFOLLOW — with the target's mode and owner kept. A symlinked target is
// written through only when the link belongs to this user (or root), as fs.protected_symlinks
// would allow; special files are refused for reading and writing alike.
import { randomBytes } from 'node:crypto';
import {
  closeSync, constants, fchmodSync, fchownSync, fstatSync, fsyncSync, lstatSync, openSync, readFileSync, realpathSync, renameSync,
  rmSync, writeSync, type Stats,
} from 'node:fs';
import path from 'node:path';
import { ZmdevError } from '../errors.js';

function fileError(e: unknown, file: string, doing: string): ZmdevError {
  const err = e as NodeJS.ErrnoException;
  // Only fs calls land here, and their errors always carry an errno code.
  return new ZmdevError({ code: err.code!, message: `${doing} ${file} failed: ${err.message}`, cause: e });
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  // What else lstat or fstat can show here (links are resolved first): a socket.
  return 'a socket';
}

function notRegular(file: string, st: Stats): ZmdevError {
  return new ZmdevError({
    code: st.isDirectory() ? 'EISDIR' : 'EINVAL',
    message: `${file} is ${kindOf(st)}, not a regular file; give the path of a file`,
  });
}

/** Where a write of `file` lands: itself, or the file its link points to when the link is ours. */
function writeTarget(file: string): { target: string; existing: Stats | null } {
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { target: file, existing: null };
    throw fileError(e, file, 'looking up');
  }
  if (st.isSymbolicLink()) {
    const uid = process.geteuid!();
    if (st.uid !== uid && st.uid !== 0) {
      throw new ZmdevError({
        code: 'EPERM',
        message: `${file} is a symbolic link owned by uid ${st.uid}; zmdev writes through links of its own user or root only — give the real path`,
      });
    }
    let real: string;
    try {
      real = realpathSync(file);
    } catch (e) {
      throw fileError(e, file, 'following the link');
    }
    return writeTarget(real);
  }
  if (!st.isFile()) throw notRegular(file, st);
  return { target: file, existing: st };
}

/**
 * Replaces `file` with `data` atomically (a reader sees the old or the new content, never half).
 * Returns what fstat(2) says of the new file.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Stats {
  const { target, existing } = writeTarget(file);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(8).toString('hex')}.tmp`);
  let fd: number;
  let written: Stats;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    throw fileError(e, target, 'creating a temporary file beside');
  }
  try {
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off);
      if (existing) {
        fchownSync(fd, existing.uid, existing.gid);
        fchmodSync(fd, existing.mode & 0o7777);
      } else {
        fchmodSync(fd, mode);
      }
      fsyncSync(fd);
      written = fstatSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
    /* c8 ignore next 4 -- a write, fsync or rename that fails after the temporary file was made (ENOSPC, EIO) */
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e instanceof ZmdevError ? e : fileError(e, target, 'writing');
  }
  return written;
}

export interface ReadOptions {
  /** Refuse a symlink (ELOOP) instead of following it: for files that tell root what to do. */
  noFollow?: boolean;
}

/** Reads a regular file (following links unless told not to); FIFOs, devices and directories are refused without blocking. */
export function readRegularFile(file: string, opts: ReadOptions = {}): string {
  return readRegularFileAndStat(file, opts).text;
}

/** The same, with what fstat(2) said of the file read. */
export function readRegularFileAndStat(file: string, opts: ReadOptions = {}): { text: string; stat: Stats } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code!;
    if (code === 'ELOOP' && opts.noFollow) {
      throw new ZmdevError({ code, message: `${file} is a symbolic link, which zmdev does not follow here: remove it (or replace it with the file itself)`, cause: e });
    }
    // Node's message already names the syscall and the path.
    throw new ZmdevError({ code, message: (e as Error).message, cause: e });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular(file, st);
    return { text: readFileSync(fd, 'utf8'), stat: st };
  } finally {
    closeSync(fd);
  }
}
