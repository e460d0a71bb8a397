// Where things live in sysfs (relative to the sysfs root), and the checks that keep user input
// from becoming an arbitrary path: a UUID or an ID is validated before it is joined in.
import { randomUUID } from 'node:crypto';
import { ZmdevError } from '../errors.js';

export const AP_BUS = 'bus/ap';
export const AP_DEVICES = 'devices/ap';
export const MATRIX_DEVICE = 'devices/vfio_ap/matrix';
export const MDEV_TYPE = 'vfio_ap-passthrough';
export const MDEV_TYPE_DIR = `${MATRIX_DEVICE}/mdev_supported_types/${MDEV_TYPE}`;
export const MDEV_BUS_DEVICES = 'bus/mdev/devices';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Checks a UUID (8-4-4-4-12 hex digits) and returns it in lowercase, as the kernel names mdevs. */
export function checkUuid(uuid: string): string {
  if (!UUID.test(uuid)) {
    throw new ZmdevError({
      code: 'EINVAL',
      message: `${JSON.stringify(uuid)} is not a UUID: give 8-4-4-4-12 hex digits such as 4b0518fd-9237-493f-93c8-c5597f8006a3 (uuidgen makes one)`,
    });
  }
  return uuid.toLowerCase();
}

export function newUuid(): string {
  return randomUUID();
}

/** The mdev's directory under the matrix device (validated UUID). */
export function mdevDir(uuid: string): string {
  return `${MATRIX_DEVICE}/${checkUuid(uuid)}`;
}

/** An AP ID as it appears in device names: two hex digits for adapters, four for domains. */
export function cardName(adapter: number): string {
  return `card${adapter.toString(16).padStart(2, '0')}`;
}

export function queueName(adapter: number, domain: number): string {
  return `${adapter.toString(16).padStart(2, '0')}.${domain.toString(16).padStart(4, '0')}`;
}

export function cardDir(adapter: number): string {
  return `${AP_DEVICES}/${cardName(adapter)}`;
}

export function queueDir(adapter: number, domain: number): string {
  return `${cardDir(adapter)}/${queueName(adapter, domain)}`;
}
