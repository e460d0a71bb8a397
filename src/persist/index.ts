// What survives a reboot, in the formats the tools write: libvirt node-device XML, read and written
// (and, to come, mdevctl definitions, zdev's persistent masks, driverctl overrides).
export { escapeXml } from './xml-text.js';
export {
  mdevctlConfigOfNodeDevice,
  mdevNodeDeviceName,
  nodeDeviceDefineXml,
  nodeDeviceDumpXml,
  nodeDeviceName,
  nodeDeviceXml,
  parseNodeDeviceXml,
  type NodeDeviceDoc,
  type NodeDeviceXmlOptions,
} from './nodedev-xml.js';
export { MAX_XML_CHARS, MAX_XML_DEPTH, readXml, type XmlElement, type XmlNode, type XmlText } from './xml-read.js';
