// A multi-guest plan as the user writes it (JSON), validated into IDs.
import { ApError } from '../ap/errors.js';
import { parseApId, type IdKind } from '../ap/ids.js';
import { parseUuid as checkUuid, type Uuid } from '../mask/ids.js';
import type { ApMatrix } from '../mask/matrix.js';
import { ApMask } from '../mask/ap-mask.js';

/** A guest of a plan: its name, the matrix it asks for, and (optionally) the mdev it already has. */
export interface PlanGuest extends ApMatrix {
  name: string;
  /** The guest's mdev, when the plan names it: the APQNs that mdev holds are the guest's own. */
  uuid?: Uuid;
}

export interface Plan {
  guests: PlanGuest[];
}

function planError(message: string): ApError {
  return new ApError({ code: 'EINVAL', message: `plan: ${message}`, precheck: true });
}

function idList(value: unknown, where: string, kind: IdKind, optional: boolean): ApMask {
  if (value === undefined && optional) return ApMask.EMPTY;
  if (!Array.isArray(value)) throw planError(`${where} must be a list of IDs, e.g. [1, "0x0a", "012"]`);
  return ApMask.of(value.map((v, i) => {
    if (typeof v !== 'number' && typeof v !== 'string') throw planError(`${where}[${i}] must be a number or a string`);
    try {
      return parseApId(v, kind);
    } catch (e) {
      throw planError(`${where}[${i}]: ${(e as Error).message}`);
    }
  }));
}

function mdevUuid(value: unknown, guest: string): Uuid {
  if (typeof value !== 'string') throw planError(`${guest}.uuid must be a string, the UUID of the guest's mdev`);
  try {
    return checkUuid(value);
  } catch (e) {
    throw planError(`${guest}.uuid: ${(e as Error).message}`);
  }
}

/** Reads and validates a plan: `{"guests": [{"name", "uuid"?, "adapters", "domains", "controlDomains"?}]}`. */
export function parsePlan(data: unknown): Plan {
  if (typeof data !== 'object' || data === null || !Array.isArray((data as { guests?: unknown }).guests)) {
    throw planError('expected {"guests": [{"name": "Guest1", "adapters": [1, 2], "domains": [5, 6]}]}');
  }
  const seen = new Set<string>();
  const uuids = new Map<string, string>();
  const guests = (data as { guests: unknown[] }).guests.map((g, i): PlanGuest => {
    if (typeof g !== 'object' || g === null) throw planError(`guests[${i}] must be an object`);
    const o = g as Record<string, unknown>;
    if (typeof o.name !== 'string' || o.name === '') throw planError(`guests[${i}].name must be a non-empty string`);
    if (seen.has(o.name)) throw planError(`guest name ${JSON.stringify(o.name)} is used twice; names must be unique`);
    seen.add(o.name);
    for (const k of Object.keys(o)) {
      if (!['name', 'uuid', 'adapters', 'domains', 'controlDomains'].includes(k)) throw planError(`guests[${i}] (${o.name}) has an unknown field ${JSON.stringify(k)}`);
    }
    const uuid = o.uuid === undefined ? undefined : mdevUuid(o.uuid, o.name);
    if (uuid !== undefined) {
      const other = uuids.get(uuid);
      if (other !== undefined) throw planError(`${other} and ${o.name} both name mdev ${uuid}; an mdev is given to one guest only`);
      uuids.set(uuid, o.name);
    }
    return {
      name: o.name,
      ...(uuid === undefined ? {} : { uuid }),
      adapters: idList(o.adapters, `${o.name}.adapters`, 'adapter', false),
      domains: idList(o.domains, `${o.name}.domains`, 'domain', false),
      controlDomains: idList(o.controlDomains, `${o.name}.controlDomains`, 'control domain', true),
    };
  });
  return { guests };
}
