// What survives a reboot, in the formats the tools write: libvirt node-device XML, mdevctl
// definitions, driverctl overrides (and, to come, zdev's persistent masks).
export { escapeXml } from './xml-text.js';
export { nodeDeviceName, nodeDeviceXml, type NodeDeviceXmlOptions } from './nodedev-xml.js';
export {
  MDEVCTL_DIR, apAttrs, apMatrixOfAttrs, formatMdevctlConfig, mdevctlDumpJson, mdevctlListText, parseMdevctlConfig, readDefinition,
  readDefinitions, removeDefinition, writeDefinition, type DefinitionProblem,
} from './mdevctl-files.js';
export { DRIVERCTL_DIR, readDriverOverrides, removeDriverOverride, writeDriverOverride, type DriverOverride } from './driverctl-files.js';
