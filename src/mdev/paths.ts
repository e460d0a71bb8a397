// Where the mdev core lives in sysfs, whatever the parent's driver: the mdev bus lists every
// active mdev, each parent device has mdev_supported_types/<type>/{create,…}, and each mdev is a
// directory <parent>/<uuid> with `remove` and an `mdev_type` link.
import type { Uuid } from '../mask/ids.js';

export const MDEV_BUS_DEVICES = 'bus/mdev/devices';
/** Every parent device that offers mdev types has a link here (named like the device). */
export const MDEV_CLASS = 'class/mdev_bus';

/** `<parent>/mdev_supported_types/<type>` for a parent device path such as `devices/vfio_ap/matrix`. */
export function typeDir(parent: string, type: string): string {
  return `${parent}/mdev_supported_types/${type}`;
}

/** The mdev's directory under its parent; the UUID type guarantees it is a checked name. */
export function mdevPath(parent: string, uuid: Uuid): string {
  return `${parent}/${uuid}`;
}
