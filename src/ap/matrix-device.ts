// The vfio_ap matrix device: is the driver loaded, what does this kernel offer (features,
// ap_config, guest_matrix, hot plug), and how many mdevs can still be created.
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import { isSysfsError } from './errors.js';
import { listMdevs } from './mdev-read.js';
import type { Uuid } from '../mask/ids.js';
import { MATRIX_DEVICE, MDEV_TYPE_DIR, mdevDir } from './paths.js';

export interface MatrixDeviceInfo {
  /** vfio_ap is loaded (the matrix device exists). */
  loaded: boolean;
  /** The features attribute (6.12+), or null where the kernel has none. */
  features: string[] | null;
  availableInstances: number | null;
  /** What the kernel can do; null where neither features nor an existing mdev tells. */
  capabilities: {
    apConfig: boolean | null;
    guestMatrix: boolean | null;
    hotplug: boolean | null;
  };
  mdevs: string[];
}

function readOrThrow(r: string | Error | undefined): string {
  if (typeof r !== 'string') throw r!;
  return r;
}

export function readMatrixDevice(io: SysfsIO): MatrixDeviceInfo {
  if (!io.exists(MATRIX_DEVICE)) {
    return { loaded: false, features: null, availableInstances: null, capabilities: { apConfig: null, guestMatrix: null, hotplug: null }, mdevs: [] };
  }
  const [features, available] = io.readMany([`${MATRIX_DEVICE}/features`, `${MDEV_TYPE_DIR}/available_instances`]);
  // Kernels before 6.12 have no features attribute; any other failure to read it is an error.
  if (features instanceof Error && !isSysfsError(features, 'ENOENT')) throw features;
  const list = typeof features === 'string' ? features.trim().split(/\s+/).filter(Boolean) : null;
  const mdevs = listMdevs(io);
  const probe = mdevs[0];
  const has = (attr: string): boolean | null => (list ? list.includes(attr) : probe ? io.exists(`${mdevDir(probe)}/${attr}`) : null);
  const guestMatrix = has('guest_matrix');
  return {
    loaded: true,
    features: list,
    availableInstances: parseInt(readOrThrow(available), 10),
    // Hot plug came with guest_matrix (6.0); the features list names it from 6.12 on.
    capabilities: { apConfig: has('ap_config'), guestMatrix, hotplug: list ? list.includes('hotplug') : guestMatrix },
    mdevs,
  };
}

/**
 * Whether changes to mdev `uuid` go through ap_config: the mdev's own directory tells where it
 * exists, else what the driver says of itself (features, or another mdev). Unknown means no: a
 * plan of single writes is right on every kernel.
 */
export function usesApConfig(io: SysfsIO, uuid: Uuid): boolean {
  if (io.exists(mdevDir(uuid))) return io.exists(`${mdevDir(uuid)}/ap_config`);
  return readMatrixDevice(io).capabilities.apConfig === true;
}
