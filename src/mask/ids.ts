// Every text form of an AP ID and of an mdev UUID, in one place: the hex widths the kernel and
// lszcrypt use (two digits for adapters, four for domains), the device names `card0a` and
// `0a.001b` and their parsers, and the UUID form the kernel names mdev directories with.
import { randomUUID } from 'node:crypto';
import { GrammarError, InputError } from '../errors.js';
import type { Apqn } from './apqn.js';

export type IdKind = 'adapter' | 'domain' | 'control domain';

/** `0a` for an adapter, `001b` for a domain or control domain: the digits of device names. */
export function idDigits(id: number, kind: IdKind): string {
  return id.toString(16).padStart(kind === 'adapter' ? 2 : 4, '0');
}

/** `0x0a` / `0x001b`: how zmdev shows an ID and writes it to assign_* (kstrtoul reads `0x`). */
export function idHex(id: number, kind: IdKind): string {
  return `0x${idDigits(id, kind)}`;
}

/** `card0a`: the AP card device of an adapter. */
export function cardName(adapter: number): string {
  return `card${idDigits(adapter, 'adapter')}`;
}

/** `01.0002`: the name the kernel and lszcrypt give a queue. */
export function queueName(q: Apqn): string {
  return `${idDigits(q.adapter, 'adapter')}.${idDigits(q.domain, 'domain')}`;
}

const CARD_NAME = /^card([0-9a-f]{2})$/;
// Domains are 0..255, so the kernel's four digits always start with 00.
const QUEUE_NAME = /^([0-9a-f]{2})\.(00[0-9a-f]{2})$/;

/** The adapter of a device name such as `card0a`, or undefined for any other name. */
export function parseCardName(name: string): number | undefined {
  const m = CARD_NAME.exec(name);
  return m ? parseInt(m[1]!, 16) : undefined;
}

/** The APQN of a device name such as `0a.001b`, or undefined for any other name. */
export function parseQueueName(name: string): Apqn | undefined {
  const m = QUEUE_NAME.exec(name);
  return m ? { adapter: parseInt(m[1]!, 16), domain: parseInt(m[2]!, 16) } : undefined;
}

/** Reads a queue name such as `0a.001b`; anything else is a GrammarError. */
export function parseApqn(text: string): Apqn {
  const q = parseQueueName(text);
  if (!q) throw new GrammarError('id', 'EINVAL', text, 0, 'an APQN is two hex digits, a dot and four hex digits, e.g. 01.001b');
  return q;
}

declare const uuidBrand: unique symbol;
/** A checked UUID in lowercase, as the kernel names an mdev's directory: safe to join into a path. */
export type Uuid = string & { readonly [uuidBrand]: true };

const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const UUID_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for the text of a UUID in any case (8-4-4-4-12 hex digits). */
export function isUuidText(text: string): boolean {
  return UUID_TEXT.test(text);
}

/** True for a directory name the kernel gives an mdev (a lowercase UUID). */
export function isUuidName(name: string): name is Uuid {
  return UUID_NAME.test(name);
}

/** Checks a UUID and returns it in lowercase; an InputError (EINVAL) names the input and the fix. */
export function parseUuid(text: string): Uuid {
  if (!UUID_TEXT.test(text)) {
    throw new InputError({
      code: 'EINVAL',
      input: text,
      message: `${JSON.stringify(text)} is not a UUID: give 8-4-4-4-12 hex digits such as 4b0518fd-9237-493f-93c8-c5597f8006a3 (uuidgen makes one)`,
    });
  }
  return text.toLowerCase() as Uuid;
}

/** A new random UUID. */
export function newUuid(): Uuid {
  return randomUUID() as Uuid;
}
