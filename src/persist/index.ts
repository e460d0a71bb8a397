// What survives a reboot, in the formats the tools write: libvirt node-device XML, read and written,
// and zdev's persistent AP masks (41-ap.rules); mdevctl definitions and driverctl overrides.
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
export {
  ZDEV_AP_RULES, formatApRules, parseApRules, readApRules, writeApRules, persistentMaskAfter, persistentMaskConflicts,
  autostartOverlaps, persistentConflictError, autostartOverlapError,
  type PersistentMasks, type ApRulesRead, type ApRulesFormatOptions, type DefinedMatrix, type PersistentConflictOptions,
} from './zdev-ap-rules.js';
