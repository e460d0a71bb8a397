// What the kernel shows of mediated devices, whatever the vendor driver: the parents that offer
// mdev types (and each type's name, device_api and available_instances), and the active mdevs on
// the mdev bus with their parent and type.
import { ZmdevError } from '../errors.js';
import { isUuidName, type Uuid } from '../mask/ids.js';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import { isSysfsError } from './errors.js';
import { MDEV_BUS_DEVICES, MDEV_CLASS, typeDir } from './paths.js';

export interface MdevType {
  /** The type's directory name, e.g. `vfio_ap-passthrough` or `vfio_ccw-io`. */
  id: string;
  /** The `name` attribute (human text), or null where the driver has none. */
  name: string | null;
  /** `device_api`: `vfio-ap`, `vfio-ccw` … */
  deviceApi: string;
  availableInstances: number;
}

export interface MdevParent {
  /** The parent device's path relative to the sysfs root, e.g. `devices/vfio_ap/matrix`. */
  path: string;
  /** Its name as mdevctl and libvirt use it: the last path component (`matrix`, `0.0.0313`). */
  name: string;
}

export interface ActiveMdev {
  uuid: Uuid;
  /** The parent device's path relative to the sysfs root. */
  parent: string;
  /** The type's id (from the mdev's `mdev_type` link). */
  type: string;
}

/** `a/b/../c` → `a/c`, for link targets resolved against the directory holding the link. */
function resolve(dir: string, target: string): string {
  const out = dir.split('/').filter(Boolean);
  for (const part of target.split('/')) {
    if (part === '..') out.pop();
    else if (part !== '.' && part !== '') out.push(part);
  }
  return out.join('/');
}

function lastComponent(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** The devices that offer mdev types (class/mdev_bus), by their path. */
export function listParents(io: SysfsIO): MdevParent[] {
  if (!io.exists(MDEV_CLASS)) return [];
  return io.list(MDEV_CLASS).map((name) => ({ path: resolve(MDEV_CLASS, io.readlink(`${MDEV_CLASS}/${name}`)), name }));
}

/** A parent's mdev types with their attributes; a failed read is thrown with its errno. */
export function listTypes(io: SysfsIO, parent: string): MdevType[] {
  const dir = `${parent}/mdev_supported_types`;
  return io.list(dir).map((id) => {
    const base = typeDir(parent, id);
    const [name, api, available] = io.readMany([`${base}/name`, `${base}/device_api`, `${base}/available_instances`]);
    if (typeof api !== 'string') throw api!;
    if (typeof available !== 'string') throw available!;
    if (typeof name !== 'string' && !isSysfsError(name, 'ENOENT')) throw name!;
    return { id, name: typeof name === 'string' ? name.trim() : null, deviceApi: api.trim(), availableInstances: parseCount(available, `${base}/available_instances`) };
  });
}

function parseCount(text: string, path: string): number {
  const n = /^\d+\n?$/.test(text) ? Number(text.trim()) : NaN;
  // Unexpected content is EPROTO, as the inventory reports it: no errno of the kernel's, not a default.
  if (!Number.isSafeInteger(n)) throw new ZmdevError({ code: 'EPROTO', message: `${path} read ${JSON.stringify(text)}, not a count` });
  return n;
}

/** Every active mdev (bus/mdev/devices), sorted by UUID, with its parent and type. */
export function listActiveMdevs(io: SysfsIO): ActiveMdev[] {
  if (!io.exists(MDEV_BUS_DEVICES)) return [];
  return io.list(MDEV_BUS_DEVICES).filter(isUuidName).map((uuid) => {
    const path = resolve(MDEV_BUS_DEVICES, io.readlink(`${MDEV_BUS_DEVICES}/${uuid}`));
    const parent = path.slice(0, path.lastIndexOf('/'));
    return { uuid, parent, type: lastComponent(io.readlink(`${path}/mdev_type`)) };
  });
}

/** The UUIDs of the mdevs under one parent (its lowercase-UUID entries), sorted. */
export function mdevsOfParent(io: SysfsIO, parent: string): Uuid[] {
  if (!io.exists(parent)) return [];
  return io.list(parent).filter(isUuidName);
}
