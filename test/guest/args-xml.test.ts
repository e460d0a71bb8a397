// QEMU arguments and libvirt XML of a vfio-ap passthrough; the XML is checked by libvirt's own
// schemas through the real virt-xml-validate.
import t from 'tap';
import { ApMask } from '../../src/mask/ap-mask.js';
import {
  apCpuFeatures, checkDeviceId, mdevSysfsPath, vfioApDeviceArgs, vfioApDeviceJsonArgs, vfioApDeviceProps,
} from '../../src/guest/qemu-args.js';
import { hostdevXml, nodeDeviceXmlOf } from '../../src/guest/xml.js';
import { escapeXml, nodeDeviceName, nodeDeviceXml } from '../../src/persist/index.js';
import { seedWithMdevs, U1, U2, U3 } from './fixtures/hosts.js';
import { domainWith, virtXmlValidate } from './fixtures/validate.js';

t.test('-device arguments in both forms, device_add props, CPU features', async (t) => {
  t.same(vfioApDeviceArgs(U1), ['-device', `vfio-ap,sysfsdev=/sys/bus/mdev/devices/${U1},id=hostdev0`]);
  t.same(vfioApDeviceArgs(U1.toUpperCase(), { id: 'ap_0.x-1' }), ['-device', `vfio-ap,sysfsdev=/sys/bus/mdev/devices/${U1},id=ap_0.x-1`],
    'the UUID is lowercased as the kernel names mdevs');
  t.same(vfioApDeviceJsonArgs(U1), ['-device', `{"driver":"vfio-ap","id":"hostdev0","sysfsdev":"/sys/bus/mdev/devices/${U1}"}`],
    "libvirt's JSON form, in libvirt's key order");
  t.same(vfioApDeviceArgs(U1, { sysfsRoot: '/host/sys,x/' }), ['-device', `vfio-ap,sysfsdev=/host/sys,,x/bus/mdev/devices/${U1},id=hostdev0`],
    'commas are doubled for QEMU option syntax, a trailing slash dropped');
  t.same(vfioApDeviceProps(U2, { id: 'h' }), { driver: 'vfio-ap', id: 'h', sysfsdev: `/sys/bus/mdev/devices/${U2}` });
  t.equal(mdevSysfsPath(U1, '/'), `/bus/mdev/devices/${U1}`);
  t.equal(apCpuFeatures(), 'ap=on,apqci=on,apft=on,apqi=on');
  for (const bad of ['0dev', '', 'a b', 'a,b', 'x=1', "a'", '-a', 'é']) {
    t.throws(() => checkDeviceId(bad), { code: 'EINVAL', message: /is not a QEMU device id: it must start with a letter/ }, JSON.stringify(bad));
  }
  t.throws(() => vfioApDeviceArgs('not-a-uuid'), { code: 'EINVAL', message: /is not a UUID/ });
  t.throws(() => vfioApDeviceArgs(U1, { sysfsRoot: 'sys' }), { code: 'EINVAL', message: /must be an absolute path/ });
  t.throws(() => vfioApDeviceArgs(U1, { sysfsRoot: '/sys\n' }), { code: 'EINVAL' });
});

t.test('hostdev XML validates as part of a domain', async (t) => {
  const plain = hostdevXml(U1);
  t.equal(plain, `<hostdev mode='subsystem' type='mdev' model='vfio-ap'>
  <source>
    <address uuid='${U1}'/>
  </source>
</hostdev>
`);
  t.match(hostdevXml(U1, { managed: false }), /^<hostdev mode='subsystem' type='mdev' managed='no' model='vfio-ap'>/);
  t.match(hostdevXml(U1, { managed: true }), /managed='yes'/);
  for (const xml of [plain, hostdevXml(U1, { managed: false })]) {
    const v = await virtXmlValidate(domainWith(xml), 'domain');
    t.equal(v.code, 0, v.output);
  }
  t.throws(() => hostdevXml(`${U1}'/><evil/>`), { code: 'EINVAL' }, 'no way to inject markup through the UUID');
});

t.test('node-device XML: define form, full form, escaping, virt-xml-validate', async (t) => {
  const ap = seedWithMdevs();
  t.equal(nodeDeviceName(U1.toUpperCase()), 'mdev_4b0518fd_9237_493f_93c8_c5597f8006a3_matrix');
  const full = nodeDeviceXmlOf(ap, U1);
  t.equal(full, `<device>
  <name>mdev_4b0518fd_9237_493f_93c8_c5597f8006a3_matrix</name>
  <parent>ap_matrix</parent>
  <capability type='mdev'>
    <type id='vfio_ap-passthrough'/>
    <uuid>${U1}</uuid>
    <parent_addr>matrix</parent_addr>
    <attr name='assign_adapter' value='0x01'/>
    <attr name='assign_adapter' value='0x0a'/>
    <attr name='assign_domain' value='0x0002'/>
    <attr name='assign_control_domain' value='0x0002'/>
  </capability>
</device>
`);
  const define = nodeDeviceXmlOf(ap, U1, { define: true });
  t.equal(define, `<device>
  <parent>ap_matrix</parent>
  <capability type='mdev'>
    <type id='vfio_ap-passthrough'/>
    <uuid>${U1}</uuid>
    <attr name='assign_adapter' value='0x01'/>
    <attr name='assign_adapter' value='0x0a'/>
    <attr name='assign_domain' value='0x0002'/>
    <attr name='assign_control_domain' value='0x0002'/>
  </capability>
</device>
`, "the product documentation's define form");
  const ok = await virtXmlValidate(full, 'nodedev');
  t.equal(ok.code, 0, ok.output);
  const auto = await virtXmlValidate(full);
  t.equal(auto.code, 0, 'virt-xml-validate recognises the node-device root by itself');
  // libvirt's schema wants <name> first: the define form is for nodedev-define, not for the schema.
  const refused = await virtXmlValidate(define, 'nodedev');
  t.equal(refused.code, 3);
  t.match(refused.output, /parent/);
  const empty = nodeDeviceXmlOf(ap, U3);
  t.notMatch(empty, /<attr/);
  t.equal((await virtXmlValidate(empty, 'nodedev')).code, 0, 'an empty mdev validates too');
  t.match(nodeDeviceXmlOf(ap, U2), /value='0x0004'/);
  // Canonical hex on every ID, also the highest.
  const wide = nodeDeviceXml({ uuid: U1, adapters: ApMask.of([0, 255]), domains: ApMask.of([0, 0xff]), controlDomains: ApMask.of([0xab]) },
    { parent: `a<b&'">` });
  t.match(wide, /value='0x00'\/>\n {4}<attr name='assign_adapter' value='0xff'\/>/);
  t.match(wide, /assign_domain' value='0x00ff'/);
  t.match(wide, /assign_control_domain' value='0x00ab'/);
  t.match(wide, /<parent>a&lt;b&amp;&apos;&quot;&gt;<\/parent>/);
  t.equal((await virtXmlValidate(wide, 'nodedev')).code, 0, 'escaped text stays well-formed');
  t.equal(escapeXml(`<&>"'x`), '&lt;&amp;&gt;&quot;&apos;x');
  t.throws(() => nodeDeviceXmlOf(ap, '11111111-2222-4333-8444-555555555555'), { code: 'ENOENT' });
});
