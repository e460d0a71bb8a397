// One vfio-ap mdev definition between the formats that carry it: mdevctl's definition file, libvirt's
// node-device XML (the define form virsh nodedev-define takes, and the inactive form nodedev-dumpxml
// prints for a defined device), and a zmdev-desired/1 file holding that one mdev. Nothing is lost
// that the target can hold; what it cannot hold is refused, never dropped.
import { MATRIX_PARENT, MDEV_TYPE } from '../ap/paths.js';
import { InputError } from '../errors.js';
import { formatApId } from '../ap/ids.js';
import { isUuidName, parseUuid, type Uuid } from '../mask/ids.js';
import type { DefinitionAttr, StartPolicy } from '../mdev/definition.js';
import { apAttrs, apMatrixOfAttrs, formatMdevctlConfig, parseMdevctlConfig } from '../persist/mdevctl-files.js';
import { nodeDeviceDefineXml, nodeDeviceDumpXml, parseNodeDeviceXml } from '../persist/nodedev-xml.js';
import { DESIRED_FORMAT, parseDesired, type DesiredFile } from './desired.js';
import { formatDesired } from './export.js';

export const CONVERT_FORMATS = ['mdevctl', 'nodedev', 'nodedev-define', 'state'] as const;
export type ConvertFormat = (typeof CONVERT_FORMATS)[number];

/** What every format says of one definition; the UUID is not in an mdevctl file (its name is). */
export interface Convertible {
  uuid: Uuid | null;
  type: string;
  start: StartPolicy;
  attrs: DefinitionAttr[];
}

function refuse(where: string, message: string): InputError {
  return new InputError({ code: 'EINVAL', input: where, message: `${where}: ${message}` });
}

/** The format of a text: XML is node-device XML, JSON with "format" a desired state, else mdevctl's. */
export function detectFormat(text: string, where: string): 'mdevctl' | 'nodedev' | 'state' {
  const head = text.trimStart();
  if (head.startsWith('<')) return 'nodedev';
  if (!head.startsWith('{')) throw refuse(where, 'is neither JSON (an mdevctl definition or a zmdev-desired/1 file) nor node-device XML; give --from');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw refuse(where, `is not JSON: ${(e as Error).message}`);
  }
  return (json as { format?: unknown }).format === DESIRED_FORMAT ? 'state' : 'mdevctl';
}

/** Reads one definition from a text in the given format (nodedev covers both XML forms). */
export function readConvertible(text: string, from: 'mdevctl' | 'nodedev' | 'state', where: string): Convertible {
  if (from === 'mdevctl') {
    const c = parseMdevctlConfig(text, where);
    return { uuid: null, type: c.type, start: c.start, attrs: [...c.attrs] };
  }
  if (from === 'nodedev') {
    const doc = parseNodeDeviceXml(text, where);
    // libvirt keeps autostart apart from the XML: a node device read from XML starts manually.
    return { uuid: doc.uuid, type: doc.type, start: 'manual', attrs: doc.attrs };
  }
  const state = parseDesired(text, where);
  if (state.mdevs.length !== 1) throw refuse(where, `holds ${state.mdevs.length} mdevs; convert takes a file with exactly one (zmdev apply takes the whole file)`);
  const m = state.mdevs[0]!;
  return { uuid: m.uuid, type: MDEV_TYPE, start: m.autostart ? 'auto' : 'manual', attrs: apAttrs(m.matrix) };
}

/** Writes the definition in the target format. */
export function writeConvertible(c: Convertible, to: ConvertFormat, where: string): string {
  const needUuid = (): Uuid => {
    if (!c.uuid) throw refuse(where, `has no UUID (an mdevctl file keeps it in its name): give --uuid for the ${to} form`);
    return c.uuid;
  };
  switch (to) {
    case 'mdevctl':
      return formatMdevctlConfig(c);
    case 'nodedev-define':
      return nodeDeviceDefineXml({ ...(c.uuid ? { uuid: c.uuid } : {}), parent: 'ap_matrix', type: c.type, attrs: c.attrs });
    case 'nodedev':
      // The form nodedev-dumpxml prints for a defined device that does not run (iommuGroup 0, as libvirt prints it then).
      return nodeDeviceDumpXml({ uuid: needUuid(), parent: 'ap_matrix', parentAddr: MATRIX_PARENT, type: c.type, attrs: c.attrs, iommuGroup: 0 });
    case 'state': {
      if (c.type !== MDEV_TYPE) throw refuse(where, `has type ${c.type}; a zmdev-desired/1 file holds ${MDEV_TYPE} mdevs only`);
      const m = apMatrixOfAttrs(c.attrs, where);
      const file: DesiredFile = {
        format: DESIRED_FORMAT,
        mdevs: [{
          uuid: needUuid(),
          adapters: m.adapters.ids().map((i) => formatApId(i, 'adapter')),
          domains: m.domains.ids().map((i) => formatApId(i, 'domain')),
          controlDomains: m.controlDomains.ids().map((i) => formatApId(i, 'control domain')),
          defined: true, running: false, autostart: c.start === 'auto',
        }],
      };
      return formatDesired(file);
    }
  }
}

/** The UUID given on the command line, or the file's name when it is one (mdevctl names its files so). */
export function uuidFor(given: string | undefined, file: string, inFile: Uuid | null): Uuid | null {
  if (given !== undefined) {
    const u = parseUuid(given);
    if (inFile && inFile !== u) throw new InputError({ code: 'EINVAL', input: given, message: `--uuid ${u} and the UUID ${inFile} in ${file} differ: give one of them` });
    return u;
  }
  if (inFile) return inFile;
  // A name that is no UUID: the target may not need one (writeConvertible says so if it does).
  const base = file.split('/').pop()!;
  return isUuidName(base) ? parseUuid(base) : null;
}
