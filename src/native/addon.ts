// Loads the C++ addon on first use. When it is missing or broken, the error lists every path
// tried and how to rebuild, instead of a bare "Cannot find module".
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZmdevError } from '../errors.js';
import { SysfsPathError } from '../sysfs/path.js';

/** The functions the addon exports (see native/addon.cc). */
export interface NativeAddon {
  parseKernelMask(input: Uint8Array, current: Uint8Array, out: Uint8Array): NativeStatus | undefined;
  parseChzdevMask(input: Uint8Array, current: Uint8Array, out: Uint8Array): NativeStatus | undefined;
  parseApConfig(input: Uint8Array, out: Uint8Array): NativeStatus | undefined;
  parseKstrtoul(input: Uint8Array): bigint | NativeStatus;
  parseKernelMasks(joined: Uint8Array, offsets: Uint8Array, current: Uint8Array, out: Uint8Array, errnos: Uint8Array): number;
  formatMasks(table: Uint8Array): string;
  reduceMasks(table: Uint8Array, out: Uint8Array, op: 0 | 1): void;
  popcountMasks(table: Uint8Array, counts: Uint8Array): number;
  /**
   * (a, b, apqn) triples in that order: all of them, or the first `limit` (a whole number up to
   * 2**53). `total`, an 8-byte view of a Float64Array(1), receives how many there are in all.
   */
  findSharedApqns(matrices: Uint8Array, limit?: number, total?: Uint8Array): Uint32Array;
  /**
   * Whole content of a file as latin1, or [errno, syscall] (errno positive, as in every sysfs*
   * failure). More than 16 MiB is [EFBIG, 'read'], here and in sysfsReadMany.
   */
  sysfsRead(path: string): string | [errno: number, syscall: string];
  /**
   * Reads many files in one call. `paths`: NUL-terminated UTF-8 paths back to back; `status`: a
   * Uint8Array view of an Int32Array(2n) that receives, per path, the content length or -errno and
   * the failing syscall (0 none, 1 open, 2 read). Returns every content joined, as latin1.
   */
  sysfsReadMany(paths: Uint8Array, status: Uint8Array): string;
  /** One write(2) of exactly these bytes: the count it returned, or [errno, syscall]. */
  sysfsWrite(path: string, data: Uint8Array): number | [errno: number, syscall: string];
  /** Sorted entries without . and .., or [errno, syscall]. */
  sysfsList(path: string): string[] | [errno: number, syscall: string];
  sysfsReadlink(path: string): string | [errno: number, syscall: string];
  /** kind * 0x10000 + permission bits (kind 0 file, 1 directory, 2 link), or [errno, syscall]. */
  sysfsStat(path: string, follow: boolean): number | [errno: number, syscall: string];
  /**
   * One ioctl(2) on an open fd with `buffer` as the argument, read and written in place: undefined,
   * or [errno]. Refused without reaching the kernel: any request but the four VFIO device ones
   * ([ENOTTY]); a buffer shorter than the bytes the handler copies (16 for GET_INFO and
   * GET_IRQ_INFO, 24 for SET_IRQS) or than the argsz in its first u32 ([EFAULT]); an fd that is not
   * a whole number in [0, 2^31) ([EBADF]); a request that is not one in [0, 2^32) ([EINVAL]).
   */
  vfioIoctl(fd: number, request: number, buffer: Uint8Array): undefined | [errno: number];
  /** flock(fd, LOCK_EX | LOCK_NB): 0, or the errno (EWOULDBLOCK while another process holds it). */
  flockTry(fd: number): number;
  noop(): void;
  /** Registers how the addon builds its typed errors; loadAddon() calls it once per load. */
  setErrorFactory(factory: NativeErrorFactory): void;
}

/**
 * Builds the addon's typed errors: kind 'exception' for a C++ exception caught at the boundary
 * (detail: the export's name), 'path' for a path refused before any syscall (detail: the path).
 */
export type NativeErrorFactory = (kind: string, code: string, message: string, detail: string) => Error;

/**
 * A failure inside the addon itself, not the kernel's: code ENOMEM when C++ ran out of memory
 * (std::bad_alloc, or a size nothing can hold), ENATIVE for any other C++ exception. The process
 * goes on; `operation` names the addon function that failed.
 */
export class NativeError extends ZmdevError {
  readonly operation: string;

  constructor(code: string, operation: string, reason: string) {
    super({ code, message: `native ${operation} failed: ${reason}` });
    this.operation = operation;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), operation: this.operation };
  }
}

export const nativeErrorFactory: NativeErrorFactory = (kind, code, message, detail) =>
  kind === 'path' ? new SysfsPathError(detail, 'no-nul') : new NativeError(code, detail, message);

/** [errno, byte position, reason] as the core reports a refused input. */
export type NativeStatus = [number, number, string];

// The package root is the nearest folder above this module that holds binding.gyp: two levels up
// from src/native or dist/native, three from a compiled copy such as build-bench/src/native.
function findPackageRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'binding.gyp')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

const packageRoot = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** Where the addon is looked for: $ZMDEV_ADDON alone when it is set, else the node-gyp outputs. */
export function addonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = [path.join(packageRoot, 'build/Release/zmdev.node'), path.join(packageRoot, 'build/Debug/zmdev.node')];
  return env.ZMDEV_ADDON ? [path.resolve(env.ZMDEV_ADDON)] : list;
}

let cached: NativeAddon | undefined;

/** Loads (once) and returns the addon; throws a ZmdevError with code 'EADDON' that says how to fix it. */
export function native(): NativeAddon {
  return (cached ??= loadAddon(addonCandidates()));
}

export function loadAddon(candidates: string[]): NativeAddon {
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const file of candidates) {
    if (!existsSync(file)) {
      tried.push(`${file} (missing)`);
      continue;
    }
    let addon: Partial<NativeAddon>;
    try {
      addon = require(file) as Partial<NativeAddon>;
    } catch (err) {
      tried.push(`${file} (${(err as Error).message.split('\n')[0]})`);
      continue;
    }
    // A build from before typed errors would let C++ exceptions end the process: not taken.
    if (typeof addon.setErrorFactory !== 'function') {
      tried.push(`${file} (an older build without setErrorFactory)`);
      continue;
    }
    addon.setErrorFactory(nativeErrorFactory);
    return addon as NativeAddon;
  }
  throw new ZmdevError({
    code: 'EADDON',
    message: 'the zmdev native addon could not be loaded. Tried:\n' +
      tried.map((t) => `  - ${t}`).join('\n') +
      `\nRebuild it with \`npm rebuild zmdev\` (or \`node scripts/build-native.mjs\` in ${packageRoot}); ` +
      'it needs python3, make and a C++17 compiler. Set ZMDEV_ADDON to use a build elsewhere.',
  });
}
