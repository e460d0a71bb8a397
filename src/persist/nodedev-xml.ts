// libvirt's node-device XML of a mediated device, read and written: the define form that virsh
// nodedev-define and nodedev-create take (no <name>), the forms nodedev-dumpxml prints (active with
// <path> and <driver>, inactive without), libvirt's name for an mdev, and the compact JSON libvirt
// hands to mdevctl for such a document. One formatter writes every form, in libvirt's element order,
// two-space indent, single quotes and a final newline; every value is escaped (libvirt's own formatter
// leaves <attr> values unescaped, which breaks on ' or &).
//
// Reading follows libvirt's parser (virNodeDeviceDefParseXML, virNodeDevCapMdevParseXML): elements it
// does not ask for are ignored, so any document virsh accepts reads the same here (for example the
// <start type='auto'/> of some libvirt test files, which no libvirt reads). What libvirt refuses is
// refused, and also what libvirt 9.0 reads wrongly without a word (each checked against it): a second
// <name>, <parent>, <type>, <uuid>, <parent_addr>, <iommuGroup>, <path> or <driver>, or a second mdev
// capability (libvirt takes the first), an <attr> without name or value (libvirt drops it), a UUID
// with only some of its dashes, type and attribute names that cannot be sysfs names.
import { MDEV_TYPE } from '../ap/paths.js';
import { InputError } from '../errors.js';
import { parseUuid, type Uuid } from '../mask/ids.js';
import type { ApMatrix } from '../mask/matrix.js';
import type { DefinitionAttr } from '../mdev/definition.js';
import { apAttrs } from './mdevctl-files.js';
import { childElements, readXml, textOf, type XmlElement } from './xml-read.js';
import { escapeXml } from './xml-text.js';

/** What a node-device XML of an mdev says. */
export interface NodeDeviceDoc {
  /** <name>; null in the define form (libvirt ignores it there anyway). */
  name: string | null;
  /** <parent>: the parent's node-device name (ap_matrix, css_0_0_0313). */
  parent: string | null;
  /** <type id>. */
  type: string;
  uuid: Uuid | null;
  /** <parent_addr>: the parent as mdevctl names it (matrix, 0.0.0313). */
  parentAddr: string | null;
  iommuGroup: number | null;
  /** <path>: the sysfs directory of an active device. */
  path: string | null;
  /** <driver><name>: the driver of an active device. */
  driver: string | null;
  /** <attr name value> in document order. */
  attrs: DefinitionAttr[];
}

// Type and attribute names become sysfs paths (mdev_supported_types/<type>, <device>/<attr>).
const FILE_NAME = /^[A-Za-z0-9_.:-]+$/;
const UINT32_MAX = 0xffffffff;

function refuse(where: string, message: string): InputError {
  return new InputError({ code: 'EINVAL', input: where, message: `${where}: ${message}` });
}

function checkFileName(field: string, value: string, where: string): void {
  if (!FILE_NAME.test(value) || value === '.' || value === '..') {
    throw refuse(where, `${field} ${JSON.stringify(value)} is not a type or attribute name (letters, digits and _ . : - only)`);
  }
}

function checkAttrs(attrs: readonly DefinitionAttr[], where: string): void {
  attrs.forEach((a, i) => {
    const keys = typeof a === 'object' && a !== null ? Object.keys(a) : [];
    const key = keys[0];
    if (keys.length !== 1 || key === undefined || typeof a[key] !== 'string') {
      throw refuse(where, `attrs[${i}] must be one {"name": "value"} pair with a string value`);
    }
    checkFileName(`attrs[${i}] name`, key, where);
  });
}

function checkIommuGroup(n: number, where: string): void {
  if (!Number.isInteger(n) || n < 0 || n > UINT32_MAX) {
    throw refuse(where, `iommuGroup ${n} is not a group number (an integer 0..${UINT32_MAX})`);
  }
}

interface Parts {
  name?: string | undefined;
  path?: string | undefined;
  parent?: string | undefined;
  driver?: string | undefined;
  type: string;
  uuid?: Uuid | undefined;
  parentAddr?: string | undefined;
  iommuGroup?: number | undefined;
  attrs: readonly DefinitionAttr[];
}

// The one formatter: libvirt's virNodeDeviceDefFormat order for an mdev, absent parts left out.
function formatNodeDevice(p: Parts): string {
  const lines = ['<device>'];
  if (p.name !== undefined) lines.push(`  <name>${escapeXml(p.name)}</name>`);
  if (p.path !== undefined) lines.push(`  <path>${escapeXml(p.path)}</path>`);
  if (p.parent !== undefined) lines.push(`  <parent>${escapeXml(p.parent)}</parent>`);
  if (p.driver !== undefined) lines.push('  <driver>', `    <name>${escapeXml(p.driver)}</name>`, '  </driver>');
  lines.push(`  <capability type='mdev'>`, `    <type id='${escapeXml(p.type)}'/>`);
  if (p.uuid !== undefined) lines.push(`    <uuid>${p.uuid}</uuid>`);
  if (p.parentAddr !== undefined) lines.push(`    <parent_addr>${escapeXml(p.parentAddr)}</parent_addr>`);
  if (p.iommuGroup !== undefined) lines.push(`    <iommuGroup number='${p.iommuGroup}'/>`);
  for (const a of p.attrs) {
    const [name, value] = Object.entries(a)[0]!;
    lines.push(`    <attr name='${escapeXml(name)}' value='${escapeXml(value)}'/>`);
  }
  lines.push('  </capability>', '</device>', '');
  return lines.join('\n');
}

/**
 * libvirt's node-device name of an mdev (newer libvirt, nodeDeviceGenerateName): mdev_<uuid>_<parent
 * address>, every byte that is not an ASCII letter or digit written as `_` (so a non-ASCII character
 * becomes one `_` per UTF-8 byte, as libvirt does it).
 */
export function mdevNodeDeviceName(uuid: Uuid, parentAddr: string): string {
  const u = parseUuid(uuid);
  if (typeof parentAddr !== 'string' || parentAddr === '') {
    throw refuse('parent address', 'an mdev node-device name needs the parent address (matrix, 0.0.0313, 0000:00:02.0)');
  }
  const bytes = Buffer.from(`mdev_${u}_${parentAddr}`, 'utf8');
  let name = '';
  for (const b of bytes) name += (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ? String.fromCharCode(b) : '_';
  return name;
}

/**
 * The define form, for virsh nodedev-define / nodedev-create: no <name> (libvirt names the device
 * itself), no <parent_addr>, no <iommuGroup>. libvirt's schema requires <name>, so virt-xml-validate
 * (and virsh --validate) refuse this form; virsh without --validate reads it. libvirt refuses to
 * define or create an mdev without a parent: leave `parent` out only for a document to be completed.
 */
export function nodeDeviceDefineXml(d: { uuid?: Uuid; parent?: string; type: string; attrs: readonly DefinitionAttr[] }): string {
  checkFileName('type', d.type, 'node-device define XML');
  checkAttrs(d.attrs, 'node-device define XML');
  return formatNodeDevice({ parent: d.parent, type: d.type, uuid: d.uuid === undefined ? undefined : parseUuid(d.uuid), attrs: d.attrs });
}

/**
 * What virsh nodedev-dumpxml prints for an mdev: <name> mdev_<uuid>_<addr>, then <path> and <driver>
 * when it is active (without them: the inactive form, as for a defined device not started, or
 * --inactive), <parent>, and in the capability type, uuid, parent_addr, iommuGroup and the attrs.
 */
export function nodeDeviceDumpXml(d: {
  uuid: Uuid; parent: string; parentAddr: string; type: string; attrs: readonly DefinitionAttr[];
  active?: { path: string; driver: string }; iommuGroup: number;
}): string {
  const where = 'node-device dumpxml';
  checkFileName('type', d.type, where);
  checkAttrs(d.attrs, where);
  checkIommuGroup(d.iommuGroup, where);
  return formatNodeDevice({
    name: mdevNodeDeviceName(d.uuid, d.parentAddr),
    path: d.active?.path,
    parent: d.parent,
    driver: d.active?.driver,
    type: d.type,
    uuid: parseUuid(d.uuid),
    parentAddr: d.parentAddr,
    iommuGroup: d.iommuGroup,
    attrs: d.attrs,
  });
}

/** libvirt's node-device name of a vfio_ap mdev: mdev_<uuid with '_' for '-'>_matrix. */
export function nodeDeviceName(uuid: string): string {
  return mdevNodeDeviceName(parseUuid(uuid), 'matrix');
}

export interface NodeDeviceXmlOptions {
  /** The define form of the product documentation (no <name>, no <parent_addr>): for nodedev-define/create. */
  define?: boolean;
  /** The parent node device (ap_matrix). */
  parent?: string;
}

/**
 * Node-device XML of a vfio_ap mdev from its matrix: adapters, domains and control domains as assign_*
 * attributes in that order. The full form starts with <name> (libvirt's schema requires it first) and
 * names parent_addr; it has no <iommuGroup>, which the matrix does not know.
 */
export function nodeDeviceXml(m: ApMatrix & { uuid: string }, opts: NodeDeviceXmlOptions = {}): string {
  const uuid = parseUuid(m.uuid);
  const attrs = apAttrs(m, 'hex');
  const parent = opts.parent ?? 'ap_matrix';
  if (opts.define) return nodeDeviceDefineXml({ uuid, parent, type: MDEV_TYPE, attrs });
  return formatNodeDevice({ name: nodeDeviceName(uuid), parent, type: MDEV_TYPE, uuid, parentAddr: 'matrix', attrs });
}

// ---- reading ----

/** The only element of `name` among `el`'s children, or undefined; a second one is refused. */
function single(el: XmlElement, name: string, where: string): XmlElement | undefined {
  const found = childElements(el).filter((c) => c.name === name);
  if (found.length > 1) {
    throw refuse(where, `<${el.name}> has ${found.length} <${name}> elements (lines ${found.map((f) => f.line).join(', ')}): libvirt reads only the first; keep one`);
  }
  return found[0];
}

/** The text of a leaf element, which must hold text and be non-empty. */
function leafText(el: XmlElement, where: string): string {
  const text = textOf(el);
  if (text === undefined) throw refuse(where, `<${el.name}> on line ${el.line} holds elements: it holds text only`);
  if (text === '') throw refuse(where, `<${el.name}> on line ${el.line} is empty: give its value or leave the element out`);
  return text;
}

function optionalText(el: XmlElement, name: string, where: string): string | null {
  const found = single(el, name, where);
  return found === undefined ? null : leafText(found, where);
}

function requiredAttr(el: XmlElement, attr: string, where: string, fix: string): string {
  const value = el.attrs.get(attr);
  if (value === undefined || value === '') throw refuse(where, `<${el.name}> on line ${el.line} has no ${attr}: ${fix}`);
  return value;
}

// libvirt's virUUIDParse skips surrounding white space; the schema allows 32 hex digits or 8-4-4-4-12.
function readUuid(el: XmlElement, where: string): Uuid {
  const text = leafText(el, where).trim();
  const m = /^([0-9a-fA-F]{8})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{12})$/.exec(text);
  const dashes = (text.match(/-/g) ?? []).length;
  if (!m || (dashes !== 0 && dashes !== 4)) {
    const hint = text.includes('_') ? ' (underscores belong in the device name, not in the UUID: libvirt refuses them here)' : '';
    throw refuse(where, `<uuid> ${JSON.stringify(text)} on line ${el.line} is not a UUID${hint}: give 8-4-4-4-12 hex digits such as 4b0518fd-9237-493f-93c8-c5597f8006a3`);
  }
  return parseUuid(m.slice(1).join('-'));
}

function readIommuGroup(el: XmlElement, where: string): number {
  const raw = requiredAttr(el, 'number', where, "write <iommuGroup number='N'/> or leave it out");
  const n = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(n <= UINT32_MAX)) throw refuse(where, `<iommuGroup number=${JSON.stringify(raw)}> on line ${el.line} is not a group number (decimal 0..${UINT32_MAX})`);
  return n;
}

/**
 * Reads the node-device XML of an mdev: the define form (as in the product documentation) and the
 * forms nodedev-dumpxml prints, active or inactive, with names old (mdev_<uuid>) or new
 * (mdev_<uuid>_<addr>). Refuses, as an InputError (EINVAL) naming `where`, the element and the fix:
 * a document that is not one <device>, one without an mdev capability or with another kind, no type,
 * a malformed UUID, an <attr> without name or value, a second copy of a single element, and any
 * DOCTYPE (entities are never expanded; see xml-read.ts for the rest).
 */
export function parseNodeDeviceXml(text: string, where: string): NodeDeviceDoc {
  const root = readXml(text, where);
  if (root.name !== 'device') {
    throw refuse(where, `the root element is <${root.name}>, not <device>: a node-device XML is one <device> element`);
  }
  const caps = childElements(root).filter((c) => c.name === 'capability');
  if (caps.length === 0) throw refuse(where, "<device> has no <capability type='mdev'>: an mdev's XML has one, holding its <type id='…'/>");
  for (const c of caps) {
    const type = c.attrs.get('type');
    if (type !== 'mdev') {
      throw refuse(where, `<capability${type === undefined ? '' : ` type=${JSON.stringify(type)}`}> on line ${c.line} is not an mdev's: this reads the XML of mediated devices, whose capability is type='mdev'`);
    }
  }
  if (caps.length > 1) throw refuse(where, `<device> has ${caps.length} mdev capabilities: an mdev has one`);
  const cap = caps[0]!;

  const typeEl = single(cap, 'type', where);
  if (typeEl === undefined) throw refuse(where, `<capability type='mdev'> on line ${cap.line} has no <type id='…'/>: name the mdev type, such as vfio_ap-passthrough`);
  const type = requiredAttr(typeEl, 'id', where, "name the mdev type, as in <type id='vfio_ap-passthrough'/>");
  checkFileName('<type id>', type, where);

  const uuidEl = single(cap, 'uuid', where);
  const iommuEl = single(cap, 'iommuGroup', where);
  const attrs = childElements(cap).filter((c) => c.name === 'attr').map((a): DefinitionAttr => {
    const fix = "write <attr name='assign_adapter' value='0x01'/>";
    const name = requiredAttr(a, 'name', where, fix);
    const value = requiredAttr(a, 'value', where, fix);
    checkFileName(`<attr name> on line ${a.line}`, name, where);
    return Object.freeze({ [name]: value });
  });

  const driverEl = single(root, 'driver', where);
  let driver: string | null = null;
  if (driverEl !== undefined) {
    driver = optionalText(driverEl, 'name', where);
    if (driver === null) throw refuse(where, `<driver> on line ${driverEl.line} has no <name>: write <driver><name>vfio_mdev</name></driver> or leave it out`);
  }

  return {
    name: optionalText(root, 'name', where),
    parent: optionalText(root, 'parent', where),
    type,
    uuid: uuidEl === undefined ? null : readUuid(uuidEl, where),
    parentAddr: optionalText(cap, 'parent_addr', where),
    iommuGroup: iommuEl === undefined ? null : readIommuGroup(iommuEl, where),
    path: optionalText(root, 'path', where),
    driver,
    attrs,
  };
}

/**
 * The JSON libvirt gives mdevctl (--jsonfile) for a node-device XML (nodeDeviceDefToMdevctlConfig):
 * compact, keys mdev_type, start and attrs. start is "manual": a parsed XML never sets autostart
 * (that is virsh nodedev-autostart). attrs keeps document order and is left out when there are none.
 */
export function mdevctlConfigOfNodeDevice(doc: NodeDeviceDoc): string {
  checkFileName('type', doc.type, 'node-device document');
  checkAttrs(doc.attrs, 'node-device document');
  const config: { mdev_type: string; start: 'manual'; attrs?: DefinitionAttr[] } = { mdev_type: doc.type, start: 'manual' };
  if (doc.attrs.length > 0) config.attrs = doc.attrs.map((a) => ({ ...a }));
  return JSON.stringify(config);
}
