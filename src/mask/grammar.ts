// Typed entry points to the grammars of the native core (native/mask_core.cc): the kernel's
// apmask/aqmask and ap_config stores, kstrtoul for assign_*, and chzdev's mask lists.
import { GrammarError, type Grammar } from '../errors.js';
import { native, type NativeStatus } from '../native/addon.js';
import { ApMask, MASK_BYTES } from './ap-mask.js';
import type { ApMatrix } from './matrix.js';

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

/** Parses an ap_config write: `0x<apm>,0x<aqm>,0x<adm>\n` (adapters, domains, control domains). Throws GrammarError (EINVAL). */
export function parseApConfig(input: WriteInput): ApMatrix {
  const bytes = toBytes(input);
  const out = new Uint8Array(3 * MASK_BYTES);
  const st = native().parseApConfig(bytes, out);
  if (st) refuse('ap_config', input, bytes, st);
  return { adapters: ApMask.fromBytes(out, 0), domains: ApMask.fromBytes(out, 32), controlDomains: ApMask.fromBytes(out, 64) };
}

/** The ap_config text the kernel prints and accepts: three read-format masks, `,`-separated, `\n`. */
export function formatApConfig(m: ApMatrix): string {
  return `${m.adapters},${m.domains},${m.controlDomains}\n`;
}

/** What a write(2) of `input` to apmask/aqmask does to `current`. */
export interface KernelMaskWrite {
  mask: ApMask;
  /** False for an empty write: kernfs never calls the driver, write(2) returns 0 and nothing changes. */
  reachesDriver: boolean;
}

/**
 * The one reading of a kernel mask write, for every caller: an empty write changes nothing (it
 * never reaches the driver; a lone newline is the empty mask), anything else is what the driver
 * makes of the page it gets. Throws GrammarError (EINVAL).
 */
export function applyKernelMaskWrite(input: WriteInput, current: ApMask): KernelMaskWrite {
  const view = sysfsStoreView(input);
  if (view === null) return { mask: current, reachesDriver: false };
  // The whole input reaches the driver unless it is longer than a page: quote it as given then.
  const whole = view.length === toBytes(input).length;
  return { mask: parseKernelMask(whole ? input : view, current), reachesDriver: true };
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
