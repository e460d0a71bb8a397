// The definition of an mdev as mdevctl keeps it, whatever its vendor driver: which parent, which
// type, whether it starts at boot, and the attribute writes that configure it, in order. vfio_ap
// uses assign_adapter/assign_domain/assign_control_domain; vfio_ccw has none.
import { InputError } from '../errors.js';
import { parseUuid, type Uuid } from '../mask/ids.js';

export type StartPolicy = 'auto' | 'manual';

/** One attribute write of a definition: `{name: value}`, a single key, the value as a string. */
export type DefinitionAttr = Readonly<Record<string, string>>;

export interface MdevDefinition {
  uuid: Uuid;
  /** The parent's name as mdevctl uses it: `matrix`, or a subchannel such as `0.0.0313`. */
  parent: string;
  type: string;
  start: StartPolicy;
  attrs: readonly DefinitionAttr[];
}

const NAME = /^[A-Za-z0-9_.:-]+$/;

function badDefinition(input: unknown, message: string): InputError {
  return new InputError({ code: 'EINVAL', input: typeof input === 'string' ? input : JSON.stringify(input), message: `mdev definition: ${message}` });
}

/**
 * A checked definition: a UUID, a parent and type made of the characters device and type names
 * have (they become paths), start auto or manual, attrs single-key objects of strings.
 */
export function makeDefinition(d: { uuid: string; parent: string; type: string; start?: StartPolicy; attrs?: readonly DefinitionAttr[] }): MdevDefinition {
  const uuid = parseUuid(d.uuid);
  for (const [field, value] of [['parent', d.parent], ['type', d.type]] as const) {
    if (typeof value !== 'string' || !NAME.test(value) || value === '.' || value === '..') {
      throw badDefinition(value, `${field} ${JSON.stringify(value)} is not a device or type name (letters, digits and _ . : - only)`);
    }
  }
  const start = d.start ?? 'manual';
  if (start !== 'auto' && start !== 'manual') throw badDefinition(start, `start must be "auto" or "manual", not ${JSON.stringify(start)}`);
  const attrs = (d.attrs ?? []).map((a, i) => {
    const keys = typeof a === 'object' && a !== null ? Object.keys(a) : [];
    const key = keys[0];
    if (keys.length !== 1 || key === undefined || !NAME.test(key) || typeof a[key] !== 'string') {
      throw badDefinition(a, `attrs[${i}] must be one {"name": "value"} pair with a string value`);
    }
    return Object.freeze({ [key]: a[key]! });
  });
  return { uuid, parent: d.parent, type: d.type, start, attrs };
}
