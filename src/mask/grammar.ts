// Typed entry points to the grammars of the native core (native/mask_core.cc): the kernel's
// apmask/aqmask and ap_config stores, kstrtoul for assign_*, and chzdev's mask lists.
import { GrammarError, type Grammar } from '../errors.js';
import { native, type NativeStatus } from '../native/addon.js';
import { ApMask, MASK_BYTES } from './ap-mask.js';

/** What a write(2) of these bytes hands a sysfs store (kernfs caps one write at a page). */
export const SYSFS_PAGE_SIZE = 4096;

/** Text or the exact bytes of a write. Strings are sent as UTF-8, as a shell would. */
export type WriteInput = string | Uint8Array;

export function toBytes(input: WriteInput): Uint8Array {
  return typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
}

function asText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/**
 * The bytes a sysfs store sees for a write of `input`: null when the write is empty (kernfs
 * never calls the driver and write(2) returns 0), else at most one page.
 */
export function sysfsStoreView(input: WriteInput): Uint8Array | null {
  const bytes = toBytes(input);
  if (bytes.length === 0) return null;
  return bytes.length > SYSFS_PAGE_SIZE ? bytes.subarray(0, SYSFS_PAGE_SIZE) : bytes;
}

// The error quotes a string input as given (a latin1 reading of its UTF-8 bytes would garble
// non-ASCII text); raw bytes are shown one character per byte. The position is a byte offset.
function refuse(grammar: Grammar, input: WriteInput, bytes: Uint8Array, st: NativeStatus, hint?: string): never {
  throw new GrammarError(grammar, codeName(st[0]), typeof input === 'string' ? input : asText(bytes), st[1], st[2], hint);
}

function codeName(errno: number): string {
  return errno === 34 ? 'ERANGE' : 'EINVAL';
}

/**
 * The new value of /sys/bus/ap/apmask or aqmask after the driver parses `input` (the bytes it
 * receives: see sysfsStoreView), starting from `current`. Throws GrammarError (EINVAL).
 */
export function parseKernelMask(input: WriteInput, current: ApMask = ApMask.FULL): ApMask {
  const bytes = toBytes(input);
  const out = new Uint8Array(MASK_BYTES);
  const st = native().parseKernelMask(bytes, current.toBytes(), out);
  if (st) refuse('kernel-mask', input, bytes, st, 'the kernel takes 0x<hex> (absolute) or +N,-N,+A-B (relative) with no spaces');
  return ApMask.fromBytes(out);
}

/** The three masks of an mdev's ap_config attribute. */
export interface ApConfigMasks {
  apm: ApMask;
  aqm: ApMask;
  adm: ApMask;
}

/** Parses an ap_config write: `0x<apm>,0x<aqm>,0x<adm>\n`. Throws GrammarError (EINVAL). */
export function parseApConfig(input: WriteInput): ApConfigMasks {
  const bytes = toBytes(input);
  const out = new Uint8Array(3 * MASK_BYTES);
  const st = native().parseApConfig(bytes, out);
  if (st) refuse('ap_config', input, bytes, st);
  return { apm: ApMask.fromBytes(out, 0), aqm: ApMask.fromBytes(out, 32), adm: ApMask.fromBytes(out, 64) };
}

/** The ap_config text the kernel prints and accepts: three read-format masks, `,`-separated, `\n`. */
export function formatApConfig(m: ApConfigMasks): string {
  return `${m.apm},${m.aqm},${m.adm}\n`;
}

/**
 * kstrtoul(s, 0) as assign_adapter and friends read a number: decimal, `0x` hex, leading-0 octal,
 * one trailing newline. Throws GrammarError with EINVAL or ERANGE.
 */
export function parseKernelId(input: WriteInput): bigint {
  const bytes = toBytes(input);
  const r = native().parseKstrtoul(bytes);
  if (typeof r !== 'bigint') refuse('kstrtoul', input, bytes, r);
  return r;
}

/**
 * chzdev's apmask=/aqmask= syntax: absolute `3,5-10,0x25` (listed IDs stay with the host, all
 * others go to passthrough) or relative `+0-4,-0xf0` applied to `current`. Throws GrammarError.
 */
export function parseChzdevMask(input: WriteInput, current: ApMask = ApMask.FULL): ApMask {
  const bytes = toBytes(input);
  const out = new Uint8Array(MASK_BYTES);
  const st = native().parseChzdevMask(bytes, current.toBytes(), out);
  if (st) refuse('chzdev', input, bytes, st, 'chzdev takes IDs and ranges such as 3,5-10,0x25, or changes such as +0-4,-0xf0');
  return ApMask.fromBytes(out);
}
