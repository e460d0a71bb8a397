// What survives a reboot, in the formats the tools write: libvirt node-device XML (and, to come,
// mdevctl definitions, zdev's persistent masks, driverctl overrides).
export { escapeXml } from './xml-text.js';
export { nodeDeviceName, nodeDeviceXml, type NodeDeviceXmlOptions } from './nodedev-xml.js';
