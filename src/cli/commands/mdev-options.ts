// The options and JSON shapes the mdev commands share (active and defined ones alike).
import type { ApDefinition } from '../../ap/defined.js';
import { formatApId, parseApId, type IdKind } from '../../ap/ids.js';
import type { MatrixChange } from '../../ap/mdev.js';
import { ApMask } from '../../mask/ap-mask.js';
import type { ApMatrix } from '../../mask/matrix.js';

export const idOptions = {
  adapter: { type: 'list', value: 'ID', help: 'an adapter (repeat for more); decimal, 0x hex or leading-0 octal' },
  domain: { type: 'list', value: 'ID', help: 'a usage domain (repeat for more)' },
  'control-domain': { type: 'list', value: 'ID', help: 'a control domain (repeat for more)' },
} as const;

export const uuidArg = { name: 'UUID', type: 'uuid', help: "the mdev's UUID (8-4-4-4-12 hex digits)" } as const;

type IdLists = { adapter: string[]; domain: string[]; 'control-domain': string[] };
const read = (list: string[], kind: IdKind) => list.map((t) => parseApId(t, kind));

export function idsOf(opts: IdLists): MatrixChange {
  return { adapters: read(opts.adapter, 'adapter'), domains: read(opts.domain, 'domain'), controlDomains: read(opts['control-domain'], 'control domain') };
}

/** The same IDs as a matrix (for definitions). */
export function matrixOf(opts: IdLists): ApMatrix {
  return { adapters: ApMask.of(read(opts.adapter, 'adapter')), domains: ApMask.of(read(opts.domain, 'domain')), controlDomains: ApMask.of(read(opts['control-domain'], 'control domain')) };
}

export const ids = (m: ApMask, kind: IdKind) => m.ids().map((i) => formatApId(i, kind));

export function definitionJson(d: ApDefinition, active?: boolean): Record<string, unknown> {
  const { definition: x, matrix } = d;
  return {
    uuid: x.uuid, parent: x.parent, type: x.type, start: x.start, attrs: x.attrs,
    adapters: matrix.adapters.ids(), domains: matrix.domains.ids(), controlDomains: matrix.controlDomains.ids(),
    ...(active === undefined ? {} : { active }),
  };
}

