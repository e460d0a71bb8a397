// libvirt node-device XML of mdevs: every written form checked by the real virt-xml-validate and read
// by libvirt's own parser (virsh's in-process test driver), write → parse → write round trips, the shapes libvirt's own test data and the product documentation show
// (vectors written here), the JSON libvirt hands mdevctl, and hostile or broken XML refused.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parseUuid, type Uuid } from '../../src/mask/ids.js';
import {
  MAX_XML_CHARS, MAX_XML_DEPTH, mdevctlConfigOfNodeDevice, mdevNodeDeviceName, nodeDeviceDefineXml, nodeDeviceDumpXml,
  nodeDeviceXml, parseNodeDeviceXml, readXml, type NodeDeviceDoc,
} from '../../src/persist/index.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import type { DefinitionAttr } from '../../src/mdev/definition.js';
import { virtXmlValidate } from '../guest/fixtures/validate.js';

const U = parseUuid('4b0518fd-9237-493f-93c8-c5597f8006a3');
const V = parseUuid('0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5');
const AP_ATTRS: DefinitionAttr[] = [{ assign_adapter: '0x01' }, { assign_adapter: '0x0a' }, { assign_domain: '0x0002' }, { assign_control_domain: '0x0002' }];

async function validates(t: Test, xml: string, what: string): Promise<void> {
  const v = await virtXmlValidate(xml, 'nodedev');
  t.equal(v.code, 0, `virt-xml-validate accepts ${what}: ${v.output}`);
}

// libvirt 9.0's node-device parser, run for real: the test driver's nodedev-create parses the whole
// document, then refuses every device that is not a fibre-channel vHBA. That last refusal means "parsed".
const PARSED = 'Device is not a fibre channel HBA';
async function libvirtParse(xml: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'zmdev-nodedev-'));
  try {
    const file = join(dir, 'dev.xml');
    writeFileSync(file, xml);
    const child = spawn('virsh', ['-q', '-c', 'test:///default', 'nodedev-create', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    await new Promise((resolve) => child.once('close', resolve));
    return output;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t.test('mdevNodeDeviceName: libvirt names, every non-alphanumeric byte as _', async (t) => {
  t.equal(mdevNodeDeviceName(U, 'matrix'), 'mdev_4b0518fd_9237_493f_93c8_c5597f8006a3_matrix');
  t.equal(mdevNodeDeviceName(V, '0.0.0052'), 'mdev_0c1d2e3f_4a5b_4c6d_8e7f_8091a2b3c4d5_0_0_0052');
  t.equal(mdevNodeDeviceName(V, '0000:00:02.0'), 'mdev_0c1d2e3f_4a5b_4c6d_8e7f_8091a2b3c4d5_0000_00_02_0');
  t.equal(mdevNodeDeviceName(U.toUpperCase() as Uuid, 'matrix'), 'mdev_4b0518fd_9237_493f_93c8_c5597f8006a3_matrix', 'the UUID lowercased');
  t.equal(mdevNodeDeviceName(V, 'é'), 'mdev_0c1d2e3f_4a5b_4c6d_8e7f_8091a2b3c4d5___', 'é is two UTF-8 bytes, so two _');
  t.throws(() => mdevNodeDeviceName(V, ''), { code: 'EINVAL', message: /needs the parent address/ });
  t.throws(() => mdevNodeDeviceName('x' as Uuid, 'matrix'), { code: 'EINVAL', message: /is not a UUID/ });
});

t.test('nodeDeviceDumpXml: the active and inactive forms, byte for byte, accepted by the schema', async (t) => {
  const active = nodeDeviceDumpXml({
    uuid: U, parent: 'ap_matrix', parentAddr: 'matrix', type: 'vfio_ap-passthrough', attrs: AP_ATTRS, iommuGroup: 0,
    active: { path: `/sys/devices/vfio_ap/matrix/${U}`, driver: 'vfio_mdev' },
  });
  t.equal(active, `<device>
  <name>mdev_4b0518fd_9237_493f_93c8_c5597f8006a3_matrix</name>
  <path>/sys/devices/vfio_ap/matrix/4b0518fd-9237-493f-93c8-c5597f8006a3</path>
  <parent>ap_matrix</parent>
  <driver>
    <name>vfio_mdev</name>
  </driver>
  <capability type='mdev'>
    <type id='vfio_ap-passthrough'/>
    <uuid>4b0518fd-9237-493f-93c8-c5597f8006a3</uuid>
    <parent_addr>matrix</parent_addr>
    <iommuGroup number='0'/>
    <attr name='assign_adapter' value='0x01'/>
    <attr name='assign_adapter' value='0x0a'/>
    <attr name='assign_domain' value='0x0002'/>
    <attr name='assign_control_domain' value='0x0002'/>
  </capability>
</device>
`);
  await validates(t, active, 'the active dumpxml form');
  const inactive = nodeDeviceDumpXml({ uuid: V, parent: 'css_0_0_0052', parentAddr: '0.0.0052', type: 'vfio_ccw-io', attrs: [], iommuGroup: 4 });
  t.equal(inactive, `<device>
  <name>mdev_0c1d2e3f_4a5b_4c6d_8e7f_8091a2b3c4d5_0_0_0052</name>
  <parent>css_0_0_0052</parent>
  <capability type='mdev'>
    <type id='vfio_ccw-io'/>
    <uuid>0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5</uuid>
    <parent_addr>0.0.0052</parent_addr>
    <iommuGroup number='4'/>
  </capability>
</device>
`);
  await validates(t, inactive, 'the inactive dumpxml form of a ccw mdev without attrs');
  const hostile = nodeDeviceDumpXml({
    uuid: U, parent: `p<&'">`, parentAddr: 'matrix', type: 'vfio_ap-passthrough', iommuGroup: 4294967295,
    attrs: [{ assign_adapter: `0x01'/><evil a='&` }], active: { path: '/sys/x&y', driver: 'd<r>' },
  });
  t.match(hostile, /<attr name='assign_adapter' value='0x01&apos;\/&gt;&lt;evil a=&apos;&amp;'\/>/, 'libvirt leaves attr values raw; here they are escaped');
  t.match(hostile, /<iommuGroup number='4294967295'\/>/);
  await validates(t, hostile, 'escaped values');
  const back = parseNodeDeviceXml(hostile, 'hostile.xml');
  t.same(back.attrs, [{ assign_adapter: `0x01'/><evil a='&` }]);
  t.equal(back.parent, `p<&'">`);
  t.equal(back.path, '/sys/x&y');
  t.equal(back.driver, 'd<r>');
  const base = { uuid: U, parent: 'ap_matrix', parentAddr: 'matrix', type: 'vfio_ap-passthrough', attrs: [] };
  for (const bad of [-1, 1.5, 4294967296, NaN]) {
    t.throws(() => nodeDeviceDumpXml({ ...base, iommuGroup: bad }), { code: 'EINVAL', message: /is not a group number/ }, String(bad));
  }
  t.throws(() => nodeDeviceDumpXml({ ...base, type: 'vfio_ap/../x', iommuGroup: 0 }), { code: 'EINVAL', message: /type "vfio_ap\/..\/x" is not a type or attribute name/ });
  t.throws(() => nodeDeviceDumpXml({ ...base, type: '..', iommuGroup: 0 }), { code: 'EINVAL' });
  t.throws(() => nodeDeviceDumpXml({ ...base, uuid: 'nope' as Uuid, iommuGroup: 0 }), { code: 'EINVAL', message: /is not a UUID/ });
});

t.test('nodeDeviceDefineXml: no <name>, so the schema refuses it; with a <name> first it validates', async (t) => {
  const define = nodeDeviceDefineXml({ uuid: U, parent: 'ap_matrix', type: 'vfio_ap-passthrough', attrs: AP_ATTRS.slice(0, 3) });
  t.equal(define, `<device>
  <parent>ap_matrix</parent>
  <capability type='mdev'>
    <type id='vfio_ap-passthrough'/>
    <uuid>4b0518fd-9237-493f-93c8-c5597f8006a3</uuid>
    <attr name='assign_adapter' value='0x01'/>
    <attr name='assign_adapter' value='0x0a'/>
    <attr name='assign_domain' value='0x0002'/>
  </capability>
</device>
`);
  const refused = await virtXmlValidate(define, 'nodedev');
  t.equal(refused.code, 3, 'libvirt 9.0 schema: <name> must come first');
  t.match(refused.output, /parent/);
  await validates(t, define.replace('<device>\n', '<device>\n  <name>x</name>\n'), 'the define form once a <name> leads it');
  t.equal(nodeDeviceDefineXml({ type: 'vfio_ccw-io', attrs: [] }), `<device>
  <capability type='mdev'>
    <type id='vfio_ccw-io'/>
  </capability>
</device>
`, 'no uuid (libvirt takes the one mdevctl makes), no parent');
  t.match(nodeDeviceDefineXml({ uuid: U.toUpperCase() as Uuid, type: 't', attrs: [] }), `<uuid>${U}</uuid>`);
  const bad: Array<[unknown, RegExp]> = [
    [[{ a: '1', b: '2' }], /attrs\[0\] must be one \{"name": "value"\} pair/],
    [[{}], /attrs\[0\] must be one/],
    [[null], /attrs\[0\] must be one/],
    [[{ a: 1 }], /attrs\[0\] must be one/],
    [[{ ok: '1' }, { 'a/b': '1' }], /attrs\[1\] name "a\/b" is not a type or attribute name/],
  ];
  for (const [attrs, message] of bad) {
    t.throws(() => nodeDeviceDefineXml({ type: 't', attrs: attrs as never }), { code: 'EINVAL', message }, JSON.stringify(attrs));
  }
  t.throws(() => nodeDeviceDefineXml({ type: '', attrs: [] }), { code: 'EINVAL', message: /type "" is not/ });
});

t.test('nodeDeviceXml (zmdev xml nodedev) keeps its bytes and reads back', async (t) => {
  const m = { uuid: U, adapters: ApMask.of([1, 10]), domains: ApMask.of([2]), controlDomains: ApMask.of([2]) };
  const full = nodeDeviceXml(m);
  t.equal(full, `<device>
  <name>mdev_4b0518fd_9237_493f_93c8_c5597f8006a3_matrix</name>
  <parent>ap_matrix</parent>
  <capability type='mdev'>
    <type id='vfio_ap-passthrough'/>
    <uuid>${U}</uuid>
    <parent_addr>matrix</parent_addr>
    <attr name='assign_adapter' value='0x01'/>
    <attr name='assign_adapter' value='0x0a'/>
    <attr name='assign_domain' value='0x0002'/>
    <attr name='assign_control_domain' value='0x0002'/>
  </capability>
</device>
`);
  const doc = parseNodeDeviceXml(full, 'full.xml');
  t.same(doc, { name: 'mdev_4b0518fd_9237_493f_93c8_c5597f8006a3_matrix', parent: 'ap_matrix', type: 'vfio_ap-passthrough', uuid: U,
    parentAddr: 'matrix', iommuGroup: null, path: null, driver: null, attrs: AP_ATTRS });
  const define = nodeDeviceXml(m, { define: true, parent: 'ap_matrix' });
  t.equal(define, nodeDeviceDefineXml({ uuid: U, parent: 'ap_matrix', type: 'vfio_ap-passthrough', attrs: AP_ATTRS }), 'one writer for both');
  t.same(parseNodeDeviceXml(define, 'define.xml').attrs, AP_ATTRS);
});

t.test('round trips: write → parse → write is byte-identical for every form', async (t) => {
  const again = (xml: string, doc: NodeDeviceDoc): string => {
    if (doc.name === null) {
      return nodeDeviceDefineXml({ ...(doc.uuid ? { uuid: doc.uuid } : {}), ...(doc.parent ? { parent: doc.parent } : {}), type: doc.type, attrs: doc.attrs });
    }
    return nodeDeviceDumpXml({
      uuid: doc.uuid!, parent: doc.parent!, parentAddr: doc.parentAddr!, type: doc.type, attrs: doc.attrs, iommuGroup: doc.iommuGroup!,
      ...(doc.path !== null ? { active: { path: doc.path, driver: doc.driver! } } : {}),
    });
  };
  const forms = [
    nodeDeviceDefineXml({ uuid: U, parent: 'ap_matrix', type: 'vfio_ap-passthrough', attrs: AP_ATTRS }),
    nodeDeviceDefineXml({ parent: 'css_0_0_0313', type: 'vfio_ccw-io', attrs: [] }),
    nodeDeviceDefineXml({ type: 'i915-GVTg_V5_8', attrs: [{ 'example-1': 'v & 1' }] }),
    nodeDeviceDumpXml({ uuid: U, parent: 'ap_matrix', parentAddr: 'matrix', type: 'vfio_ap-passthrough', attrs: AP_ATTRS, iommuGroup: 7,
      active: { path: `/sys/devices/vfio_ap/matrix/${U}`, driver: 'vfio_mdev' } }),
    nodeDeviceDumpXml({ uuid: V, parent: 'css_0_0_0313', parentAddr: '0.0.0313', type: 'vfio_ccw-io', attrs: [], iommuGroup: 0 }),
  ];
  for (const xml of forms) {
    const doc = parseNodeDeviceXml(xml, 'form.xml');
    t.equal(again(xml, doc), xml, xml.split('\n')[1]!);
  }
  for (const xml of forms.slice(3)) await validates(t, xml, 'a round-tripped dumpxml form');
});

// The product documentation's my_ap_mdev.xml (seed 000): double quotes, <uuid> after the attrs.
const SEED_DEFINE = `<device>
    <parent>ap_matrix</parent>
    <capability type="mdev">
        <type id="vfio_ap-passthrough"/>
        <attr name="assign_adapter" value="0x01"/>
        <attr name="assign_adapter" value="0x0a"/>
        <attr name="assign_domain" value="0x0002"/>
        <uuid>4b0518fd-9237-493f-93c8-c5597f8006a3</uuid>
    </capability>
</device>
`;

t.test("the product documentation's define file and its dumpxml example", async (t) => {
  const doc = parseNodeDeviceXml(SEED_DEFINE, 'my_ap_mdev.xml');
  t.same(doc, { name: null, parent: 'ap_matrix', type: 'vfio_ap-passthrough', uuid: U, parentAddr: null, iommuGroup: null, path: null, driver: null,
    attrs: AP_ATTRS.slice(0, 3) });
  t.equal(mdevctlConfigOfNodeDevice(doc),
    '{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"0x01"},{"assign_adapter":"0x0a"},{"assign_domain":"0x0002"}]}');
  t.equal(mdevNodeDeviceName(doc.uuid!, 'matrix'), 'mdev_4b0518fd_9237_493f_93c8_c5597f8006a3_matrix', "the name virsh prints for it");
  // Its dumpxml example writes the UUID with underscores, which libvirt's parser refuses.
  const example = `<device>
  <name>mdev_4b0518fd_9237_493f_93c8_c5597f8006a3_matrix</name>
  <parent>ap_matrix</parent>
  <capability type='mdev'>
    <type id='vfio_ap-passthrough'/>
    <uuid>4b0518fd_9237_493f_93c8_c5597f8006a3</uuid>
    <parent_addr>matrix</parent_addr>
    <iommuGroup number='0'/>
    <attr name="assign_adapter" value="0x01"/>
  </capability>
</device>
`;
  t.throws(() => parseNodeDeviceXml(example, 'dumpxml.txt'), { code: 'EINVAL', input: 'dumpxml.txt', message: /<uuid> "4b0518fd_9237_493f_93c8_c5597f8006a3" on line 6 is not a UUID \(underscores belong in the device name/ });
  const fixed = parseNodeDeviceXml(example.replace(/(<uuid>[^<]*)/, (s) => s.replace(/_/g, '-')), 'dumpxml.txt');
  t.equal(fixed.uuid, U);
  t.equal(fixed.iommuGroup, 0);
  t.equal(fixed.parentAddr, 'matrix');
});

t.test("the shapes libvirt's test data shows, read", async (t) => {
  // An older libvirt's name (no parent suffix), a PCI parent, no attrs: mdevctl gets no attrs key.
  const old = parseNodeDeviceXml(`<device>
  <name>mdev_${V.replace(/-/g, '_')}</name>
  <parent>pci_0000_00_02_0</parent>
  <capability type='mdev'>
    <type id='i915-GVTg_V5_8'/>
    <uuid>${V}</uuid>
  </capability>
</device>
`, 'old.xml');
  t.equal(old.name, `mdev_${V.replace(/-/g, '_')}`);
  t.equal(mdevctlConfigOfNodeDevice(old), '{"mdev_type":"i915-GVTg_V5_8","start":"manual"}');
  // An active ccw mdev, with the attrs after <iommuGroup> (as an update file orders them).
  const ccw = parseNodeDeviceXml(`<device>
  <name>mdev_${V.replace(/-/g, '_')}_0_0_0052</name>
  <path>/sys/devices/css0/0.0.0052/${V}</path>
  <parent>css_0_0_0052</parent>
  <driver>
    <name>vfio_ccw_mdev</name>
  </driver>
  <capability type='mdev'>
    <type id='vfio_ccw-io'/>
    <uuid>${V}</uuid>
    <parent_addr>0.0.0052</parent_addr>
    <attr name='first_attr' value='one'/>
    <iommuGroup number='4'/>
    <attr name='second_attr' value='two'/>
  </capability>
</device>
`, 'ccw.xml');
  t.same(ccw, { name: `mdev_${V.replace(/-/g, '_')}_0_0_0052`, parent: 'css_0_0_0052', type: 'vfio_ccw-io', uuid: V, parentAddr: '0.0.0052',
    iommuGroup: 4, path: `/sys/devices/css0/0.0.0052/${V}`, driver: 'vfio_ccw_mdev', attrs: [{ first_attr: 'one' }, { second_attr: 'two' }] });
  t.equal(mdevctlConfigOfNodeDevice(ccw), '{"mdev_type":"vfio_ccw-io","start":"manual","attrs":[{"first_attr":"one"},{"second_attr":"two"}]}');
  // A hand-written fixture: dashes in the name, no uuid; <start> (in some test files, in no schema) is ignored as libvirt ignores it.
  const hand = parseNodeDeviceXml(`<device>
  <name>mdev_${V}</name>
  <path>/sys/devices/vfio_ap/matrix/mdev_${V}</path>
  <parent>ap_matrix</parent>
  <capability type='mdev'>
    <type id='vfio_ap-passthrough'/>
    <start type='auto'/>
    <iommuGroup number='0'/>
  </capability>
</device>`, 'hand.xml');
  t.equal(hand.uuid, null);
  t.equal(hand.name, `mdev_${V}`);
  t.equal(hand.driver, null);
  // The UUID forms libvirt's schema allows, in any case, with surrounding white space (virUUIDParse skips it).
  for (const form of [V.replace(/-/g, '').toUpperCase(), `\n      ${V.toUpperCase()}  \n`]) {
    t.equal(parseNodeDeviceXml(`<device><capability type='mdev'><type id='t'/><uuid>${form}</uuid></capability></device>`, 'u.xml').uuid, V, JSON.stringify(form));
  }
  // A declaration, comments, CDATA and references are read as XML reads them.
  const dressed = parseNodeDeviceXml(`\ufeff<?xml version="1.0" encoding="UTF-8"?>
<!-- made by hand -->
<device a="1">
  <parent><![CDATA[ap_]]>m&#97;&#x74;rix</parent>
  <capability type='mdev'><type id='vfio_ap-passthrough'/>
    <attr name='assign_domain' value='0x&#9;1&#10;2'/><attr name='assign_adapter' value='a\tb\r\nc'/><!-- end -->
  </capability>
</device>
<!-- trailing -->
`, 'dressed.xml');
  t.equal(dressed.parent, 'ap_matrix');
  t.same(dressed.attrs, [{ assign_domain: '0x\t1\n2' }, { assign_adapter: 'a b c' }], 'character references kept, literal white space normalised');
  // Each libvirt-shaped document, written again through the dumpxml writer, validates.
  await validates(t, nodeDeviceDumpXml({ uuid: ccw.uuid!, parent: ccw.parent!, parentAddr: ccw.parentAddr!, type: ccw.type, attrs: ccw.attrs,
    iommuGroup: ccw.iommuGroup!, active: { path: ccw.path!, driver: ccw.driver! } }), 'the ccw document rewritten');
});

t.test('node-device documents refused, naming the file, the element and the fix', async (t) => {
  const cap = (inner: string, outer = '') => `<device>${outer}<capability type='mdev'>${inner}</capability></device>`;
  const T = "<type id='vfio_ap-passthrough'/>";
  const cases: Array<[string, RegExp]> = [
    ['<domain/>', /the root element is <domain>, not <device>/],
    ['<device><name>x</name></device>', /<device> has no <capability type='mdev'>/],
    ["<device><capability type='pci'/></device>", /<capability type="pci"> on line 1 is not an mdev's/],
    ['<device><capability/></device>', /<capability> on line 1 is not an mdev's/],
    [`<device><capability type='mdev'>${T}</capability><capability type='mdev'>${T}</capability></device>`, /has 2 mdev capabilities/],
    [cap('<uuid>' + U + '</uuid>'), /has no <type id='…'\/>: name the mdev type/],
    [cap('<type/>'), /<type> on line 1 has no id/],
    [cap("<type id=''/>"), /<type> on line 1 has no id/],
    [cap("<type id='a b'/>"), /<type id> "a b" is not a type or attribute name/],
    [cap(`${T}${T}`), /<capability> has 2 <type> elements \(lines 1, 1\): libvirt reads only the first; keep one/],
    [cap(`${T}<uuid>not-a-uuid</uuid>`), /<uuid> "not-a-uuid" on line 1 is not a UUID: give 8-4-4-4-12/],
    [cap(`${T}<uuid>4b0518fd-9237493f93c8c5597f8006a3</uuid>`), /is not a UUID/],
    [cap(`${T}<uuid>${U}</uuid><uuid>${V}</uuid>`), /2 <uuid> elements/],
    [cap(`${T}<uuid></uuid>`), /<uuid> on line 1 is empty: give its value or leave the element out/],
    [cap(`${T}<uuid><x/></uuid>`), /<uuid> on line 1 holds elements: it holds text only/],
    [cap(`${T}<attr value='1'/>`), /<attr> on line 1 has no name: write <attr name='assign_adapter' value='0x01'\/>/],
    [cap(`${T}<attr name='assign_adapter'/>`), /<attr> on line 1 has no value/],
    [cap(`${T}<attr name='assign_adapter' value=''/>`), /has no value/],
    [cap(`${T}<attr name='../remove' value='1'/>`), /<attr name> on line 1 "..\/remove" is not a type or attribute name/],
    [cap(`${T}<iommuGroup/>`), /<iommuGroup> on line 1 has no number/],
    [cap(`${T}<iommuGroup number='x'/>`), /<iommuGroup number="x"> on line 1 is not a group number/],
    [cap(`${T}<iommuGroup number='-1'/>`), /is not a group number/],
    [cap(`${T}<iommuGroup number='4294967296'/>`), /is not a group number/],
    [cap(`${T}<parent_addr/>`), /<parent_addr> on line 1 is empty/],
    [cap(T, '<name>a</name><name>b</name>'), /<device> has 2 <name> elements/],
    [cap(T, '<parent></parent>'), /<parent> on line 1 is empty/],
    [cap(T, '<driver/>'), /<driver> on line 1 has no <name>: write <driver><name>vfio_mdev<\/name><\/driver>/],
    [cap(T, '<driver><name>a</name><name>b</name></driver>'), /<driver> has 2 <name> elements/],
  ];
  for (const [xml, message] of cases) {
    t.throws(() => parseNodeDeviceXml(xml, 'in.xml'), { code: 'EINVAL', input: 'in.xml', message }, xml);
  }
  t.equal(parseNodeDeviceXml(cap(`${T}<iommuGroup number='4294967295'/>`), 'in.xml').iommuGroup, 4294967295, 'the largest group number');
  t.throws(() => mdevctlConfigOfNodeDevice({ ...parseNodeDeviceXml(cap(T), 'x'), attrs: [{ a: '1', b: '2' }] }), { code: 'EINVAL', message: /attrs\[0\]/ });
  t.throws(() => mdevctlConfigOfNodeDevice({ ...parseNodeDeviceXml(cap(T), 'x'), type: 'a/b' }), { code: 'EINVAL', message: /type "a\/b"/ });
});

t.test('hostile and broken XML refused clearly, never expanded', async (t) => {
  const laughs = `<?xml version="1.0"?>
<!DOCTYPE device [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<device><parent>&lol2;</parent><capability type='mdev'><type id='t'/></capability></device>`;
  t.throws(() => parseNodeDeviceXml(laughs, 'laughs.xml'), { code: 'EINVAL', input: 'laughs.xml',
    message: 'laughs.xml: line 2, column 1: a DOCTYPE is refused: zmdev never reads a DTD nor expands entities; remove the <!DOCTYPE …> (libvirt writes none)' });
  const external = `<device><parent>&xxe;</parent><capability type='mdev'><type id='t'/></capability></device>`;
  t.throws(() => parseNodeDeviceXml(external, 'xxe.xml'), { code: 'EINVAL', message: /line 1, column 17: entity &xxe; is not defined: only &lt; &gt; &amp; &apos; &quot; and character references/ });
  const huge = `<device><parent>${'a'.repeat(MAX_XML_CHARS)}</parent></device>`;
  const started = Date.now();
  t.throws(() => parseNodeDeviceXml(huge, 'huge.xml'), { code: 'EINVAL', message: /huge.xml: \d+ characters is more than the 1048576 a node-device XML may have/ });
  t.ok(Date.now() - started < 1000, 'refused before any parsing');
  const deep = (n: number) => `<device><capability type='mdev'><type id='t'/>${'<x>'.repeat(n)}${'</x>'.repeat(n)}</capability></device>`;
  t.equal(parseNodeDeviceXml(deep(MAX_XML_DEPTH - 2), 'deep.xml').type, 't', `${MAX_XML_DEPTH} levels are read`);
  t.throws(() => parseNodeDeviceXml(deep(MAX_XML_DEPTH - 1), 'deep.xml'), { code: 'EINVAL', message: /elements nested deeper than 32 levels/ });
  t.throws(() => readXml(`${'<x>'.repeat(MAX_XML_DEPTH)}<y/>${'</x>'.repeat(MAX_XML_DEPTH)}`, 'deep.xml'), { code: 'EINVAL', message: /nested deeper than 32/ }, 'also an empty element');
  t.throws(() => readXml('<x>'.repeat(200_000), 'deeper.xml'), { code: 'EINVAL', message: /nested deeper/ }, 'no stack to exhaust');

  const broken: Array<[string, RegExp]> = [
    ['', /line 1, column 1: no element: the document is empty/],
    ['<!ENTITY x "y"><a/>', /a DOCTYPE is refused/],
    ['<?xml version="1.0" encoding="ISO-8859-1"?><a/>', /encoding "ISO-8859-1" is not read: give the document in UTF-8/],
    ['<?xml version="1.0"', /the XML declaration has no closing "\?>"/],
    ['<?xml', /a processing instruction is not read here/],
    ['<?xml-stylesheet href="x"?><a/>', /a processing instruction is not read here/],
    ['<a><?php x ?></a>', /a processing instruction/],
    ['<a>\u0001</a>', /line 1, column 4: character U\+0001 is not allowed in XML/],
    ['<a>\ud800</a>', /character U\+d800 is not allowed/],
    ['<a>&#0;</a>', /character reference &#0; names a character XML does not allow/],
    ['<a>&#x110000;</a>', /character reference/],
    ['<a>a & b</a>', /"&" starts a reference that has no ";": write &amp; for a literal "&"/],
    ['<a>&amp</a>', /has no ";"/],
    ['<a>]]></a>', /"]]>" may not appear in text/],
    ['<a><!-- x', /a comment has no closing "-->"/],
    ['<a><!-- a -- b --></a>', /"--" may not appear inside a comment/],
    ['<a><![CDATA[x</a>', /a CDATA section has no closing "]]>"/],
    ['<![CDATA[x]]><a/>', /a CDATA section outside the root element/],
    ['<a><!ELEMENT a ANY></a>', /markup "<!ELEMENT a " is not read: only elements, text, CDATA and comments/],
    ['<a></b>', /<\/b> closes <a> \(opened on line 1\): the tags must match/],
    ['</a>', /<\/a> closes an element that was never opened/],
    ['<a>\n<b>', /line 2, column 4: <b> \(opened on line 2\) is never closed/],
    ['<a/><b/>', /a second root element/],
    ['x<a/>', /text outside the root element/],
    ['<a/>x', /text outside the root element/],
    ['<a b></a>', /attribute b of <a> needs ="value"/],
    ['<a b=c></a>', /the value of b must be quoted with ' or "/],
    ["<a b='c></a>", /the value of b has no closing '/],
    ['<a b="<"/>', /"<" may not appear in an attribute value: write &lt;/],
    ["<a b='1' b='2'/>", /attribute b appears twice on <a>/],
    ["<a b='1'c='2'/>", /expected a space before the next attribute of <a>, found "c"/],
    ['<a', /<a is never closed with ">"/],
    ['<1a/>', /expected a name, found "1"/],
    ['<a></', /expected a name, found the end of the document/],
    ['<a></a', /expected ">" to close <\/a, found the end of the document/],
  ];
  for (const [xml, message] of broken) {
    t.throws(() => readXml(xml, 'bad.xml'), { code: 'EINVAL', input: 'bad.xml', message }, JSON.stringify(xml));
  }
  t.equal(readXml('<a>\r\nb\rc</a>', 'x').children[0]!.kind === 'text' && (readXml('<a>\r\nb\rc</a>', 'x').children[0] as { text: string }).text, '\nb\nc', 'line ends normalised');
  t.equal(readXml('<a >&lt;&gt;&amp;&apos;&quot;&#x1F600;</a >', 'x').children.map((c) => (c as { text: string }).text).join(''), `<>&'"\u{1F600}`);
});

t.test("libvirt's own parser agrees: what zmdev writes and reads, libvirt reads; what both refuse", async (t) => {
  const T = "<type id='vfio_ap-passthrough'/>";
  const cap = (inner: string) => `<device><capability type='mdev'>${inner}</capability></device>`;
  const written = [
    nodeDeviceDefineXml({ uuid: U, parent: 'ap_matrix', type: 'vfio_ap-passthrough', attrs: AP_ATTRS }),
    nodeDeviceDumpXml({ uuid: U, parent: 'ap_matrix', parentAddr: 'matrix', type: 'vfio_ap-passthrough', attrs: [{ assign_adapter: `'&<"` }],
      iommuGroup: 3, active: { path: '/sys/x', driver: 'vfio_mdev' } }),
    SEED_DEFINE,
  ];
  for (const xml of written) t.match(await libvirtParse(xml), PARSED, xml.split('\n')[1]!);
  // Both refuse these (libvirt's words in the comment column).
  const bothRefuse: Array<[string, string]> = [
    [cap(`<uuid>${U}</uuid>`), 'missing type id attribute'],
    [cap("<type id=''/>"), 'missing type id attribute'],
    ['<device><name>x</name></device>', 'no device capabilities'],
    [`<domain><capability type='mdev'>${T}</capability></domain>`, "expecting root element of 'device', not 'domain'"],
    [cap(`${T}<uuid>4b0518fd_9237_493f_93c8_c5597f8006a3</uuid>`), "Invalid uuid '4b0518fd_9237_493f_93c8_c5597f8006a3' for new mdev device"],
    [cap(`${T}<iommuGroup number='x'/>`), 'invalid iommuGroup number attribute'],
    [cap(`${T}<iommuGroup number='-1'/>`), 'invalid iommuGroup number attribute'],
    [cap(`${T}<iommuGroup number='4294967296'/>`), 'invalid iommuGroup number attribute'],
    [`<device><parent>&p;</parent><capability type='mdev'>${T}</capability></device>`, "Entity 'p' not defined"],
  ];
  for (const [xml, words] of bothRefuse) {
    t.match(await libvirtParse(xml), words, `libvirt: ${words}`);
    t.throws(() => parseNodeDeviceXml(xml, 'both.xml'), { code: 'EINVAL' }, `zmdev too: ${words}`);
  }
  // Both read these the same way.
  for (const [xml, uuid] of [[cap(`${T}<uuid>${V.replace(/-/g, '').toUpperCase()}</uuid>`), V], [cap(`${T}<uuid>  ${U}  </uuid><start type='auto'/><bogus/>`), U]] as const) {
    t.match(await libvirtParse(xml), PARSED);
    t.equal(parseNodeDeviceXml(xml, 'same.xml').uuid, uuid);
  }
  // zmdev is stricter here, on purpose: libvirt takes the first of two, drops an <attr> without a value
  // (it reports the error and goes on), accepts a UUID with some dashes missing, and expands entities a DOCTYPE defines.
  const stricter = [
    cap(`${T}<uuid>${U}</uuid><uuid>not-one</uuid>`),
    cap(`${T}<attr name='assign_adapter'/>`),
    cap(`${T}<attr name='assign_adapter' value=''/>`),
    cap(`${T}<uuid>4b0518fd-9237493f93c8c5597f8006a3</uuid>`),
    `<device><capability type='mdev'>${T}</capability><capability type='mdev'>${T}</capability></device>`,
    `<?xml version='1.0'?><!DOCTYPE device [<!ENTITY p 'ap_matrix'>]><device><parent>&p;</parent><capability type='mdev'>${T}</capability></device>`,
    `<?xml version='1.0' encoding='ISO-8859-1'?>${cap(T)}`,
    `<device><?pi x?><capability type='mdev'>${T}</capability></device>`,
  ];
  for (const xml of stricter) {
    t.match(await libvirtParse(xml), PARSED, 'libvirt reads it');
    t.throws(() => parseNodeDeviceXml(xml, 'strict.xml'), { code: 'EINVAL' }, 'zmdev refuses it');
  }
});
