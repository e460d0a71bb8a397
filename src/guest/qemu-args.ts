// QEMU's side of a vfio-ap passthrough: the -device argument (key=value and libvirt's JSON form),
// the device_add arguments, and the CPU features a guest needs. Everything is returned as argv
// elements, so nothing here is ever parsed by a shell.
import { checkUuid } from '../ap/paths.js';
import { GuestError } from './errors.js';

/** The id libvirt gives the first hostdev, and zmdev's default. */
export const DEFAULT_DEVICE_ID = 'hostdev0';

/** The AP CPU features a vfio-ap guest wants, in the order the kernel document writes them. */
export const AP_CPU_FEATURES = ['ap', 'apqci', 'apft', 'apqi'] as const;

// QEMU's id rule (id_wellformed): a letter first, then letters, digits, '-', '.', '_'.
const QEMU_ID = /^[A-Za-z][A-Za-z0-9._-]*$/;

/** Checks a QEMU device id and returns it. */
export function checkDeviceId(id: string): string {
  if (!QEMU_ID.test(id)) {
    throw new GuestError({
      code: 'EINVAL',
      step: 'args',
      message: `${JSON.stringify(id)} is not a QEMU device id: it must start with a letter and hold only letters, digits, '-', '.' and '_' (e.g. ${DEFAULT_DEVICE_ID})`,
    });
  }
  return id;
}

export interface VfioApDeviceOptions {
  /** The device id (default hostdev0). */
  id?: string;
  /** Where QEMU sees sysfs (default /sys). */
  sysfsRoot?: string;
}

/** The mdev's path as QEMU opens it: <sysfsRoot>/bus/mdev/devices/<uuid>. */
export function mdevSysfsPath(uuid: string, sysfsRoot = '/sys'): string {
  if (!sysfsRoot.startsWith('/') || /[\0\n]/.test(sysfsRoot)) {
    throw new GuestError({
      code: 'EINVAL',
      step: 'args',
      message: `sysfs root ${JSON.stringify(sysfsRoot)} must be an absolute path without newlines (QEMU opens it as given)`,
    });
  }
  return `${sysfsRoot.replace(/\/+$/, '')}/bus/mdev/devices/${checkUuid(uuid)}`;
}

/** The properties of the device, as `device_add` takes them and libvirt's JSON form orders them. */
export function vfioApDeviceProps(uuid: string, opts: VfioApDeviceOptions = {}): { driver: 'vfio-ap'; id: string; sysfsdev: string } {
  const sysfsdev = mdevSysfsPath(uuid, opts.sysfsRoot);
  return { driver: 'vfio-ap', id: checkDeviceId(opts.id ?? DEFAULT_DEVICE_ID), sysfsdev };
}

/** ['-device', 'vfio-ap,sysfsdev=/sys/bus/mdev/devices/<uuid>,id=hostdev0']. Commas in the path are doubled, as QEMU's option syntax wants. */
export function vfioApDeviceArgs(uuid: string, opts: VfioApDeviceOptions = {}): [string, string] {
  const p = vfioApDeviceProps(uuid, opts);
  return ['-device', `vfio-ap,sysfsdev=${p.sysfsdev.replaceAll(',', ',,')},id=${p.id}`];
}

/** libvirt's form: ['-device', '{"driver":"vfio-ap","id":"hostdev0","sysfsdev":"…"}']. */
export function vfioApDeviceJsonArgs(uuid: string, opts: VfioApDeviceOptions = {}): [string, string] {
  return ['-device', JSON.stringify(vfioApDeviceProps(uuid, opts))];
}

/** 'ap=on,apqci=on,apft=on,apqi=on': append to the -cpu model (`-cpu host,` + this). */
export function apCpuFeatures(): string {
  return AP_CPU_FEATURES.map((f) => `${f}=on`).join(',');
}
