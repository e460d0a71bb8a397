// libvirt's side of a vfio-ap passthrough in a guest: the domain <hostdev> element, and the
// node-device XML (persist/) of an mdev as the host has it now.
import type { ApHost } from '../ap/host.js';
import { parseUuid } from '../mask/ids.js';
import { nodeDeviceXml, type NodeDeviceXmlOptions } from '../persist/nodedev-xml.js';
import { escapeXml } from '../persist/xml-text.js';

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
    `    <address uuid='${escapeXml(parseUuid(uuid))}'/>`,
    '  </source>',
    '</hostdev>',
    '',
  ].join('\n');
}

/** Node-device XML of an mdev as the host has it now (ENOENT when it does not exist). */
export function nodeDeviceXmlOf(ap: ApHost, uuid: string, opts: NodeDeviceXmlOptions = {}): string {
  return nodeDeviceXml(ap.mdev(uuid), opts);
}
