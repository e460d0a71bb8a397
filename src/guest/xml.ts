// libvirt's side of a vfio-ap passthrough: the domain <hostdev> element and the node-device XML of
// the mdev, in the define form of the product documentation and in the full form libvirt dumps (and
// its schema accepts). IDs are written canonically: 0x%02x adapters, 0x%04x domains.
import type { ApHost } from '../ap/host.js';
import { formatApId } from '../ap/ids.js';
import { MDEV_TYPE, checkUuid } from '../ap/paths.js';
import type { ApMatrix } from '../mask/matrix.js';

/** Escapes text for XML content and for attribute values in either kind of quotes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

export interface HostdevXmlOptions {
  /** false writes managed='no' (the kernel document's form); absent leaves libvirt's default. */
  managed?: boolean;
}

/** `<hostdev mode='subsystem' type='mdev' model='vfio-ap'>…<address uuid='…'/>…</hostdev>` */
export function hostdevXml(uuid: string, opts: HostdevXmlOptions = {}): string {
  const managed = opts.managed === undefined ? '' : ` managed='${opts.managed ? 'yes' : 'no'}'`;
  return [
    `<hostdev mode='subsystem' type='mdev'${managed} model='vfio-ap'>`,
    '  <source>',
    `    <address uuid='${escapeXml(checkUuid(uuid))}'/>`,
    '  </source>',
    '</hostdev>',
    '',
  ].join('\n');
}

/** libvirt's node-device name: mdev_<uuid with '_' for '-'>_matrix. */
export function nodeDeviceName(uuid: string): string {
  return `mdev_${checkUuid(uuid).replace(/[^A-Za-z0-9]/g, '_')}_matrix`;
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
  const uuid = checkUuid(m.uuid);
  const attr = (name: string, value: string) => `    <attr name='${name}' value='${escapeXml(value)}'/>`;
  return [
    '<device>',
    ...(opts.define ? [] : [`  <name>${escapeXml(nodeDeviceName(uuid))}</name>`]),
    `  <parent>${escapeXml(opts.parent ?? 'ap_matrix')}</parent>`,
    `  <capability type='mdev'>`,
    `    <type id='${MDEV_TYPE}'/>`,
    `    <uuid>${uuid}</uuid>`,
    ...(opts.define ? [] : ['    <parent_addr>matrix</parent_addr>']),
    ...m.adapters.ids().map((a) => attr('assign_adapter', formatApId(a, 'adapter'))),
    ...m.domains.ids().map((d) => attr('assign_domain', formatApId(d, 'domain'))),
    ...m.controlDomains.ids().map((d) => attr('assign_control_domain', formatApId(d, 'control domain'))),
    '  </capability>',
    '</device>',
    '',
  ].join('\n');
}

/** Node-device XML of an mdev as the host has it now (ENOENT when it does not exist). */
export function nodeDeviceXmlOf(ap: ApHost, uuid: string, opts: NodeDeviceXmlOptions = {}): string {
  return nodeDeviceXml(ap.mdev(uuid), opts);
}
