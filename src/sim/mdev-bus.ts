// The mediated-device core, whatever the vendor driver (kernel.md §3, §5): bus/mdev with every parent's
// mdevs, class/mdev_bus with every parent, a parent's mdev_supported_types, and the attributes
// the core gives each mdev (remove, mdev_type, driver). A vendor driver (vfio_ap today) plugs in
// through MdevParent: where its parent device is, which types it offers, which mdevs exist and
// what else an mdev directory holds.
import type { GrammarError } from '../errors.js';
import { parseKernelId } from '../mask/index.js';
import { refuse } from './refusal.js';
import { dir, link, ro, tableDir, wo, type Lookup, type SimNode, type Table } from './vfs.js';

/** One type of mdev_supported_types. */
export interface MdevType {
  /** The directory name, e.g. `vfio_ap-passthrough`. */
  readonly id: string;
  /** The `name` attribute without its newline. */
  readonly name: string;
  /** The `device_api` attribute without its newline. */
  readonly deviceApi: string;
  /** The `available_instances` text, as the vendor driver prints it. */
  availableInstances(): string;
  /** The vendor's part of a create, after the core checked the UUID: refuses or makes the mdev. */
  create(uuid: string): void;
}

/** An existing mdev of a parent. */
export interface MdevInstance {
  /** Lowercase, as the kernel names the directory. */
  readonly uuid: string;
  /** The id of its MdevType. */
  readonly type: string;
}

/** A parent device of mdevs, as its vendor driver registers it with the mdev core. */
export interface MdevParent {
  /** The parent device relative to the root, e.g. `devices/vfio_ap/matrix`. */
  readonly path: string;
  /** The vendor's mdev driver, under bus/mdev/drivers (e.g. `vfio_ap_mdev`). */
  readonly driver: string;
  types(): readonly MdevType[];
  /** The parent's mdevs, in creation order. */
  mdevs(): readonly MdevInstance[];
  /** One mdev of the parent by its (lowercase) UUID. */
  mdev(uuid: string): MdevInstance | undefined;
  /** The vendor's attributes of one existing mdev (the core adds remove, mdev_type and driver). */
  mdevEntries(uuid: string): Lookup;
  /** The vendor's part of a remove: refuses or lets the mdev go. */
  remove(uuid: string): void;
}

const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The path up from a directory to the root, for relative link targets. */
const up = (from: string): string => '../'.repeat(from.split('/').length);

interface TypeContext {
  bus: MdevBus;
  parent: MdevParent;
  type: MdevType;
}

const TYPE_DIR: Table<TypeContext> = {
  name: ({ type }) => ro(() => `${type.name}\n`),
  device_api: ({ type }) => ro(() => `${type.deviceApi}\n`),
  available_instances: ({ type }) => ro(() => type.availableInstances()),
  create: ({ bus, type }) => wo((b) => bus.create(type, b)),
  devices: ({ parent, type }) => dir({
    lookup: (uuid) => (parent.mdev(uuid)?.type === type.id ? link(`../../../${uuid}`) : undefined),
    list: () => parent.mdevs().filter((m) => m.type === type.id).map((m) => m.uuid),
  }),
};

interface MdevContext {
  parent: MdevParent;
  mdev: MdevInstance;
}

const MDEV_DIR: Table<MdevContext> = {
  remove: ({ parent, mdev }) => wo((b) => removeStore(parent, mdev.uuid, b)),
  mdev_type: ({ mdev }) => link(`../mdev_supported_types/${mdev.type}`),
  driver: ({ parent, mdev }) => link(`${up(`${parent.path}/${mdev.uuid}`)}bus/mdev/drivers/${parent.driver}`),
};

/** Links to the mdevs of some parents, from a directory `from` (bus/mdev/devices, a driver's). */
function mdevLinks(from: string, parents: readonly MdevParent[]): Lookup {
  return {
    lookup(uuid) {
      const p = parents.find((x) => x.mdev(uuid));
      return p && link(`${up(from)}${p.path}/${uuid}`);
    },
    list: () => parents.flatMap((p) => p.mdevs().map((m) => m.uuid)),
  };
}

export class MdevBus {
  /** `parents`: the parents registered right now (a vendor module may come and go). */
  constructor(private readonly parents: () => readonly MdevParent[]) {}

  /** bus/mdev: devices (every parent's mdevs) and drivers (each vendor driver's mdevs). */
  busDir(): SimNode {
    const drivers = (): string[] => [...new Set(this.parents().map((p) => p.driver))];
    return dir({
      lookup: (name) => {
        if (name === 'devices') return dir(mdevLinks('bus/mdev/devices', this.parents()));
        if (name !== 'drivers') return undefined;
        return dir({
          lookup: (d) => {
            const ps = this.parents().filter((p) => p.driver === d);
            return ps.length ? dir(mdevLinks(`bus/mdev/drivers/${d}`, ps)) : undefined;
          },
          list: drivers,
        });
      },
      list: () => ['devices', 'drivers'],
    });
  }

  /** class/mdev_bus: one link per parent device. */
  classDir(): SimNode {
    const name = (p: MdevParent): string => p.path.split('/').pop()!;
    return dir({
      lookup: (n) => {
        const p = this.parents().find((x) => name(x) === n);
        return p && link(`${up('class/mdev_bus')}${p.path}`);
      },
      list: () => this.parents().map(name),
    });
  }

  /** What the core puts in a parent's directory: mdev_supported_types and one directory per mdev. */
  parentEntries(parent: MdevParent): Lookup {
    return {
      lookup: (name) => {
        if (name === 'mdev_supported_types') {
          return dir({
            lookup: (id) => {
              const type = parent.types().find((t) => t.id === id);
              return type && tableDir(TYPE_DIR, { bus: this, parent, type });
            },
            list: () => parent.types().map((t) => t.id),
          });
        }
        const mdev = parent.mdev(name);
        return mdev && tableDir(MDEV_DIR, { parent, mdev }, parent.mdevEntries(mdev.uuid));
      },
      list: () => ['mdev_supported_types', ...parent.mdevs().map((m) => m.uuid)],
    };
  }

  /** A type's create attribute: a UUID (one newline may follow), new across every parent. */
  create(t: MdevType, bytes: Uint8Array): void {
    if (bytes.length !== 36 && bytes.length !== 37) {
      refuse('EINVAL', `a UUID is 36 characters (37 with a newline); ${bytes.length} bytes were written`);
    }
    const text = Buffer.from(bytes.subarray(0, 36)).toString('latin1');
    if (!UUID_TEXT.test(text)) refuse('EINVAL', `${JSON.stringify(text)} is not a UUID (8-4-4-4-12 hex digits)`);
    const uuid = text.toLowerCase();
    if (this.parents().some((p) => p.mdev(uuid))) refuse('EEXIST', `mdev ${uuid} already exists`);
    t.create(uuid);
  }
}

/** An mdev's remove attribute: a number (kstrtoul); 0 does nothing, anything else removes. */
function removeStore(p: MdevParent, uuid: string, bytes: Uint8Array): void {
  let v: bigint;
  try {
    v = parseKernelId(bytes);
  } catch (e) {
    refuse('EINVAL', (e as GrammarError).message);
  }
  if (v !== 0n) p.remove(uuid);
}
