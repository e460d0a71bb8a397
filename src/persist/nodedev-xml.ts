// libvirt's node-device XML of a vfio-ap mdev, in the define form of the product documentation
// and in the full form libvirt dumps (and its schema accepts). The attributes are those of the
// mdevctl definition (apAttrs, canonical 0x%02x adapters, 0x%04x domains), escaped (libvirt's own
// formatter does not escape them).
import { MDEV_TYPE } from '../ap/paths.js';
import { parseUuid } from '../mask/ids.js';
import type { ApMatrix } from '../mask/matrix.js';
import { apAttrs } from './mdevctl-files.js';
import { escapeXml } from './xml-text.js';

/** libvirt's node-device name: mdev_<uuid with '_' for '-'>_matrix. */
export function nodeDeviceName(uuid: string): string {
  return `mdev_${parseUuid(uuid).replace(/[^A-Za-z0-9]/g, '_')}_matrix`;
}

export interface NodeDeviceXmlOptions {
  /** The define form of the product documentation (no <name>, no <parent_addr>): for nodedev-define/create. */
  define?: boolean;
  /** The parent node device (ap_matrix). */
  parent?: string;
}

/**
 * Node-device XML of an mdev: its adapters, domains and control domains as assign_* attributes in that
 * order. The full form starts with <name> (libvirt's schema requires it first) and names parent_addr.
 */
export function nodeDeviceXml(m: ApMatrix & { uuid: string }, opts: NodeDeviceXmlOptions = {}): string {
  const uuid = parseUuid(m.uuid);
  const attr = (name: string, value: string) => `    <attr name='${name}' value='${escapeXml(value)}'/>`;
  return [
    '<device>',
    ...(opts.define ? [] : [`  <name>${escapeXml(nodeDeviceName(uuid))}</name>`]),
    `  <parent>${escapeXml(opts.parent ?? 'ap_matrix')}</parent>`,
    `  <capability type='mdev'>`,
    `    <type id='${MDEV_TYPE}'/>`,
    `    <uuid>${uuid}</uuid>`,
    ...(opts.define ? [] : ['    <parent_addr>matrix</parent_addr>']),
    ...apAttrs(m, 'hex').flatMap((a) => Object.entries(a).map(([name, value]) => attr(name, value))),
    '  </capability>',
    '</device>',
    '',
  ].join('\n');
}
