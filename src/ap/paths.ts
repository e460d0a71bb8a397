// Where the AP bus and the vfio_ap driver live in sysfs (relative to the sysfs root). User input
// becomes a path only as a checked Uuid or a number 0..255.
import { cardName, queueName, type Uuid } from '../mask/ids.js';
import { mdevPath, typeDir } from '../mdev/paths.js';

export { MDEV_BUS_DEVICES } from '../mdev/paths.js';
export { cardName, parseUuid as checkUuid, newUuid } from '../mask/ids.js';

export const AP_BUS = 'bus/ap';
export const AP_DEVICES = 'devices/ap';
/** The vfio_ap matrix device: the parent of every vfio-ap mdev (`matrix` to mdevctl, `ap_matrix` to libvirt). */
export const MATRIX_DEVICE = 'devices/vfio_ap/matrix';
export const MDEV_TYPE = 'vfio_ap-passthrough';
/** The matrix device's name as mdevctl keys its definitions (etc/mdevctl.d/matrix/<uuid>). */
export const MATRIX_PARENT = 'matrix';
export const MDEV_TYPE_DIR = typeDir(MATRIX_DEVICE, MDEV_TYPE);

/** The mdev's directory under the matrix device. */
export function mdevDir(uuid: Uuid): string {
  return mdevPath(MATRIX_DEVICE, uuid);
}

export function cardDir(adapter: number): string {
  return `${AP_DEVICES}/${cardName(adapter)}`;
}

export function queueDir(adapter: number, domain: number): string {
  return `${cardDir(adapter)}/${queueName({ adapter, domain })}`;
}
