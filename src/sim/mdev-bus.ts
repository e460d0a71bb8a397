// The mediated-device core, whatever the vendor driver (§3, §5): bus/mdev with every parent's
// mdevs, class/mdev_bus with every parent, a parent's mdev_supported_types, and the attributes
// the core gives each mdev (remove, mdev_type, driver). A vendor driver (vfio_ap today) plugs in
// through MdevParent: where its parent device is, which types it offers, which mdevs exist and
// what else an mdev directory holds.
import type { GrammarError } from '../errors.js';
import { parseKernelId } from '../mask/index.js';
import { refuse } from './refusal.js';
import { dir, link, ro, wo, type Entries } from './vfs.js';

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
  /** The vendor's attributes of one mdev (the core adds remove, mdev_type and driver). */
  mdevEntries(uuid: string): Entries;
  /** The vendor's part of a remove: refuses or lets the mdev go. */
  remove(uuid: string): void;
}

const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The path up from a directory to the root, for relative link targets. */
const up = (from: string): string => '../'.repeat(from.split('/').length);

export class MdevBus {
  /** `parents`: the parents registered right now (a vendor module may come and go). */
  constructor(private readonly parents: () => readonly MdevParent[]) {}

  /** bus/mdev: devices (every parent's mdevs) and drivers (each vendor driver's mdevs). */
  busEntries(): Entries {
    const all = this.parents();
    const links = (from: string, p: MdevParent): Entries =>
      Object.fromEntries(p.mdevs().map((m) => [m.uuid, () => link(`${up(from)}${p.path}/${m.uuid}`)]));
    const drivers: Record<string, MdevParent[]> = {};
    for (const p of all) (drivers[p.driver] ??= []).push(p);
    return {
      devices: () => dir(() => Object.assign({}, ...all.map((p) => links('bus/mdev/devices', p)))),
      drivers: () => dir(() => Object.fromEntries(Object.entries(drivers).map(([d, ps]) => [d,
        () => dir(() => Object.assign({}, ...ps.map((p) => links(`bus/mdev/drivers/${d}`, p))))]))),
    };
  }

  /** class/mdev_bus: one link per parent device. */
  classEntries(): Entries {
    return Object.fromEntries(this.parents().map((p) => [p.path.split('/').pop()!, () => link(`${up('class/mdev_bus')}${p.path}`)]));
  }

  /** What the core puts in a parent's directory: mdev_supported_types and one directory per mdev. */
  parentEntries(p: MdevParent): Entries {
    return {
      mdev_supported_types: () => dir(() => Object.fromEntries(p.types().map((t) => [t.id, () => dir(() => ({
        name: () => ro(() => `${t.name}\n`),
        device_api: () => ro(() => `${t.deviceApi}\n`),
        available_instances: () => ro(() => t.availableInstances()),
        create: () => wo((b) => this.create(t, b)),
        devices: () => dir(() => Object.fromEntries(p.mdevs().filter((m) => m.type === t.id)
          .map((m) => [m.uuid, () => link(`../../../${m.uuid}`)]))),
      }))]))),
      ...Object.fromEntries(p.mdevs().map((m) => [m.uuid, () => dir(() => ({
        ...p.mdevEntries(m.uuid),
        remove: () => wo((b) => removeStore(p, m.uuid, b)),
        mdev_type: () => link(`../mdev_supported_types/${m.type}`),
        driver: () => link(`${up(`${p.path}/${m.uuid}`)}bus/mdev/drivers/${p.driver}`),
      }))])),
    };
  }

  /** A type's create attribute: a UUID (one newline may follow), new across every parent. */
  private create(t: MdevType, bytes: Uint8Array): void {
    if (bytes.length !== 36 && bytes.length !== 37) {
      refuse('EINVAL', `a UUID is 36 characters (37 with a newline); ${bytes.length} bytes were written`);
    }
    const text = Buffer.from(bytes.subarray(0, 36)).toString('latin1');
    if (!UUID_TEXT.test(text)) refuse('EINVAL', `${JSON.stringify(text)} is not a UUID (8-4-4-4-12 hex digits)`);
    const uuid = text.toLowerCase();
    if (this.parents().some((p) => p.mdevs().some((m) => m.uuid === uuid))) refuse('EEXIST', `mdev ${uuid} already exists`);
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
