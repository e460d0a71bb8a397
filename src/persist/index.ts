// What survives a reboot, in the formats the tools write: libvirt node-device XML, mdevctl
// definitions, driverctl overrides, and zdev's persistent AP masks (41-ap.rules); each read and written.
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
  MDEVCTL_DIR, apAttrs, apMatrixOfAttrs, formatMdevctlConfig, mdevctlDumpJson, mdevctlListText, parseMdevctlConfig, readDefinition,
  readDefinitions, removeDefinition, writeDefinition, type DefinitionProblem,
} from './mdevctl-files.js';
export { DRIVERCTL_DIR, readDriverOverrides, removeDriverOverride, writeDriverOverride, type DriverOverride } from './driverctl-files.js';
export {
  ZDEV_AP_RULES, formatApRules, parseApRules, readApRules, writeApRules, persistentMaskAfter, persistentMaskConflicts,
  autostartOverlaps, persistentConflictError, autostartOverlapError,
  type PersistentMasks, type ApRulesRead, type ApRulesFormatOptions, type DefinedMatrix, type PersistentConflictOptions,
} from './zdev-ap-rules.js';
