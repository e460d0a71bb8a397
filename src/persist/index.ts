// What survives a reboot, in the formats the tools write: libvirt node-device XML (and, to come,
// mdevctl definitions, driverctl overrides), and zdev's persistent AP masks (41-ap.rules).
export { escapeXml } from './xml-text.js';
export { nodeDeviceName, nodeDeviceXml, type NodeDeviceXmlOptions } from './nodedev-xml.js';
export {
  ZDEV_AP_RULES, formatApRules, parseApRules, readApRules, writeApRules, persistentMaskAfter, persistentMaskConflicts,
  autostartOverlaps, persistentConflictError, autostartOverlapError,
  type PersistentMasks, type ApRulesRead, type ApRulesFormatOptions, type DefinedMatrix, type PersistentConflictOptions,
} from './zdev-ap-rules.js';
