// vfio_ap mdevs on the mainline profile (docs/kernel.md §3-§5, §9.2-§9.3) through SimSysfs.
import t from 'tap';
import { ApMask, formatApConfig } from '../../src/mask/index.js';
import type { SysfsError } from '../../src/sysfs/sysfs-io.js';
import { createHost, events, kernelLog, type SimSysfs } from '../../src/sim/index.js';

const A = '11111111-2222-3333-4444-555555555555';
const B = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const TYPE = 'devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough';
const md = (u: string, attr: string) => `devices/vfio_ap/matrix/${u}/${attr}`;

function err(f: () => unknown): SysfsError {
  try {
    f();
  } catch (e) {
    return e as SysfsError;
  }
  throw new Error('expected a refusal');
}

/** State P of docs/kernel.md §9.2: apmask = ALL − {5, 6}, aqmask = ALL, kernel-doc host. */
function stateP(profile: '6.15' | '6.0' | '5.15' = '6.15') {
  const h = createHost('kernel-doc', profile);
  h.sysfs.write('bus/ap/apmask', '-5,-6\n');
  return h;
}

function create(sysfs: SimSysfs, uuid: string) {
  return sysfs.write(`${TYPE}/create`, `${uuid}\n`);
}

t.test('the matrix device and the mdev type', async (t) => {
  const { sysfs } = createHost('kernel-doc');
  t.equal(sysfs.read('devices/vfio_ap/matrix/features'), 'guest_matrix hotplug ap_config\n');
  t.equal(sysfs.read(`${TYPE}/name`), 'VFIO AP Passthrough Device\n');
  t.equal(sysfs.read(`${TYPE}/device_api`), 'vfio-ap\n');
  t.equal(sysfs.read(`${TYPE}/available_instances`), '65536\n');
  t.same(sysfs.list(`${TYPE}/devices`), []);
  t.same(sysfs.list('devices/vfio_ap/matrix/mdev_supported_types'), ['vfio_ap-passthrough']);
  t.equal(sysfs.readlink('class/mdev_bus/matrix'), '../../devices/vfio_ap/matrix');
  t.equal(sysfs.readlink('bus/matrix/devices/matrix'), '../../../devices/vfio_ap/matrix');
  t.equal(sysfs.readlink('devices/vfio_ap/matrix/driver'), '../../../bus/matrix/drivers/vfio_ap');
  t.equal(sysfs.read('class/mdev_bus/matrix/mdev_supported_types/vfio_ap-passthrough/name'), 'VFIO AP Passthrough Device\n');
  t.same(sysfs.stat(`${TYPE}/create`), { kind: 'file', mode: 0o200 });
  t.same(sysfs.stat('class/mdev_bus/matrix'), { kind: 'link', mode: 0o777 });
  t.same(sysfs.stat('devices/vfio_ap/matrix'), { kind: 'dir', mode: 0o755 });
});

t.test('create: length, UUID, EEXIST, links and instances', async (t) => {
  const { host, sysfs } = createHost('kernel-doc');
  t.equal(sysfs.write(`${TYPE}/create`, A.toUpperCase()), 36, 'uppercase, no newline');
  t.equal(err(() => create(sysfs, A)).code, 'EEXIST', 'UUIDs compare case-insensitively');
  t.equal(sysfs.write(`${TYPE}/create`, `${B}X`), 37, 'the 37th byte is not examined');
  t.equal(err(() => sysfs.write(`${TYPE}/create`, `${A}\n\n`)).code, 'EINVAL', '38 bytes');
  t.equal(err(() => sysfs.write(`${TYPE}/create`, A.slice(1))).code, 'EINVAL', '35 bytes');
  t.equal(err(() => sysfs.write(`${TYPE}/create`, `${A.slice(0, 8)}_${A.slice(9)}`)).code, 'EINVAL', 'malformed');
  t.equal(sysfs.read(`${TYPE}/available_instances`), '65534\n');
  t.same(sysfs.list('devices/vfio_ap/matrix').filter((x) => x.includes('-')), [A, B]);
  t.same(sysfs.list(`${TYPE}/devices`), [A, B]);
  t.equal(sysfs.readlink(`${TYPE}/devices/${A}`), `../../../${A}`);
  t.equal(sysfs.readlink(`bus/mdev/devices/${A}`), `../../../devices/vfio_ap/matrix/${A}`);
  t.equal(sysfs.readlink(`bus/mdev/drivers/vfio_ap_mdev/${A}`), `../../../../devices/vfio_ap/matrix/${A}`);
  t.equal(sysfs.readlink(md(A, 'mdev_type')), '../mdev_supported_types/vfio_ap-passthrough');
  t.equal(sysfs.readlink(md(A, 'driver')), '../../../../bus/mdev/drivers/vfio_ap_mdev');
  t.equal(sysfs.read(`bus/mdev/devices/${A}/mdev_type/name`), 'VFIO AP Passthrough Device\n');
  t.same(sysfs.list(md(A, '')), [
    'ap_config', 'assign_adapter', 'assign_control_domain', 'assign_domain', 'control_domains', 'driver', 'guest_matrix',
    'matrix', 'mdev_type', 'remove', 'unassign_adapter', 'unassign_control_domain', 'unassign_domain',
  ]);
  for (const a of ['assign_adapter', 'unassign_domain', 'assign_control_domain', 'remove']) t.same(sysfs.stat(md(A, a)), { kind: 'file', mode: 0o200 });
  for (const a of ['matrix', 'guest_matrix', 'control_domains']) t.same(sysfs.stat(md(A, a)), { kind: 'file', mode: 0o444 });
  t.same(sysfs.stat(md(A, 'ap_config')), { kind: 'file', mode: 0o644 });
  // exhaustion
  host.state.availableInstances = 0;
  t.equal(err(() => create(sysfs, '00000000-0000-0000-0000-000000000001')).code, 'EUSERS');
  t.equal(err(() => create(sysfs, A)).code, 'EEXIST', 'EEXIST is checked before the instance count');
});

t.test('remove: kstrtoul, 0 is a no-op, instances come back', async (t) => {
  const { sysfs } = createHost('kernel-doc');
  create(sysfs, A);
  t.equal(err(() => sysfs.write(md(A, 'remove'), 'yes')).code, 'EINVAL');
  t.equal(err(() => sysfs.write(md(A, 'remove'), '99999999999999999999999')).code, 'EINVAL', 'overflow is EINVAL here');
  t.equal(sysfs.write(md(A, 'remove'), '0\n'), 2);
  t.ok(sysfs.exists(md(A, 'matrix')));
  t.equal(sysfs.write(md(A, 'remove'), '1\n'), 2);
  t.notOk(sysfs.exists(md(A, 'matrix')));
  t.notOk(sysfs.exists(`bus/mdev/devices/${A}`));
  t.equal(sysfs.read(`${TYPE}/available_instances`), '65536\n');
});

t.test('§9.3 #40-#47: building an mdev', async (t) => {
  const { sysfs } = stateP();
  create(sysfs, A);
  t.equal(sysfs.read(md(A, 'matrix')), '');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '');
  t.equal(sysfs.read(md(A, 'control_domains')), '');
  t.equal(sysfs.read(md(A, 'ap_config')), formatApConfig({ adapters: ApMask.EMPTY, domains: ApMask.EMPTY, controlDomains: ApMask.EMPTY }));
  t.equal(sysfs.write(md(A, 'assign_adapter'), '5\n'), 2);
  t.equal(sysfs.read(md(A, 'matrix')), '05.\n');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.\n');
  sysfs.write(md(A, 'assign_domain'), '0x4');
  sysfs.write(md(A, 'assign_domain'), '0253');
  t.equal(sysfs.read(md(A, 'matrix')), '05.0004\n05.00ab\n');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n05.00ab\n');
  t.equal(sysfs.read('bus/ap/devices/05.0004/status'), 'assigned\n');
  t.equal(sysfs.read('bus/ap/devices/05.0047/status'), 'unassigned\n');
  t.equal(sysfs.read('bus/ap/devices/06.0004/status'), 'unassigned\n');
  // the order of checks of assign_*: parse, then max, then no-op
  t.equal(err(() => sysfs.write(md(A, 'assign_adapter'), '-1')).code, 'EINVAL');
  t.equal(err(() => sysfs.write(md(A, 'assign_adapter'), ' 5')).code, 'EINVAL');
  t.equal(err(() => sysfs.write(md(A, 'assign_adapter'), '08')).code, 'EINVAL');
  t.equal(err(() => sysfs.write(md(A, 'assign_adapter'), '0x')).code, 'EINVAL');
  t.equal(err(() => sysfs.write(md(A, 'assign_adapter'), '\n')).code, 'EINVAL');
  t.equal(err(() => sysfs.write(md(A, 'assign_adapter'), '18446744073709551616')).code, 'ERANGE');
  t.equal(err(() => sysfs.write(md(A, 'assign_adapter'), '256')).code, 'ENODEV');
  t.equal(err(() => sysfs.write(md(A, 'assign_domain'), '0x100')).code, 'ENODEV');
  t.equal(err(() => sysfs.write(md(A, 'assign_control_domain'), '256')).code, 'ENODEV');
  t.equal(sysfs.write(md(A, 'assign_adapter'), '+5\n'), 3, 're-assign is a no-op');
  // control domains: no reservation or sharing check
  sysfs.write(md(A, 'assign_control_domain'), '0xab');
  sysfs.write(md(A, 'assign_control_domain'), '4');
  sysfs.write(md(A, 'assign_control_domain'), '4');
  t.equal(sysfs.read(md(A, 'control_domains')), '0004\n00ab\n');
  t.equal(sysfs.read(md(A, 'ap_config')), formatApConfig({ adapters: ApMask.of([5]), domains: ApMask.of([4, 0xab]), controlDomains: ApMask.of([4, 0xab]) }));
  // unassign: parse, max, no-op
  t.equal(err(() => sysfs.write(md(A, 'unassign_adapter'), 'x')).code, 'EINVAL');
  t.equal(err(() => sysfs.write(md(A, 'unassign_adapter'), '300')).code, 'ENODEV');
  t.equal(sysfs.write(md(A, 'unassign_adapter'), '6'), 1, 'unassigning a clear bit is a no-op');
  t.equal(sysfs.write(md(A, 'unassign_control_domain'), '0x47'), 4);
  sysfs.write(md(A, 'unassign_control_domain'), '4');
  t.equal(sysfs.read(md(A, 'control_domains')), '00ab\n');
});

t.test('§9.3 #48-#49: reservation is checked on the whole matrix, with rollback', async (t) => {
  const { sysfs } = createHost('kernel-doc');
  create(sysfs, A);
  t.equal(sysfs.write(md(A, 'assign_adapter'), '5'), 1, 'no domains yet: nothing to check');
  const e = err(() => sysfs.write(md(A, 'assign_domain'), '4'));
  t.equal(e.code, 'EADDRNOTAVAIL');
  t.match(e.message, /05\.0004 is still reserved/);
  t.equal(sysfs.read(md(A, 'matrix')), '05.\n', 'the domain bit is rolled back');
  // unreserve only the domain: reservation needs both bits
  sysfs.write('bus/ap/aqmask', '-4');
  t.equal(sysfs.write(md(A, 'assign_domain'), '4'), 1);
  t.equal(sysfs.write(md(A, 'assign_adapter'), '6'), 1, '06.0004: aqmask bit 4 is clear');
  t.equal(sysfs.read(md(A, 'matrix')), '05.0004\n06.0004\n');
});

t.test('§9.3 #50-#51: exclusivity between mdevs', async (t) => {
  const { host, sysfs } = stateP();
  create(sysfs, A);
  sysfs.write(md(A, 'assign_adapter'), '5');
  sysfs.write(md(A, 'assign_domain'), '4');
  sysfs.write(md(A, 'assign_domain'), '0xab');
  create(sysfs, B);
  t.equal(sysfs.write(md(B, 'assign_domain'), '4'), 1, 'no adapters yet');
  const e = err(() => sysfs.write(md(B, 'assign_adapter'), '5'));
  t.equal(e.code, 'EADDRINUSE');
  t.equal(sysfs.read(md(B, 'matrix')), '.0004\n', 'rolled back');
  t.same(kernelLog(host), [`vfio_ap_mdev ${B}: Userspace may not assign queue 05.0004 to mdev: already assigned to ${A}`]);
  sysfs.write(md(B, 'unassign_domain'), '4');
  t.equal(sysfs.write(md(B, 'assign_adapter'), '5'), 1);
  t.equal(sysfs.write(md(B, 'assign_domain'), '0x47'), 4, 'adapter sharing with disjoint domains');
  t.equal(sysfs.read(md(B, 'matrix')), '05.0047\n');
  // control domains may be shared
  sysfs.write(md(A, 'assign_control_domain'), '4');
  t.equal(sysfs.write(md(B, 'assign_control_domain'), '4'), 1);
  // adding a second shared APQN logs one line per APQN
  sysfs.write(md(B, 'unassign_domain'), '0x47');
  sysfs.write(md(B, 'unassign_adapter'), '5');
  sysfs.write(md(B, 'assign_domain'), '4');
  sysfs.write(md(B, 'assign_domain'), '0xab');
  host.state.log.length = 0;
  t.equal(err(() => sysfs.write(md(B, 'assign_adapter'), '5')).code, 'EADDRINUSE');
  t.same(kernelLog(host), [
    `vfio_ap_mdev ${B}: Userspace may not assign queue 05.0004 to mdev: already assigned to ${A}`,
    `vfio_ap_mdev ${B}: Userspace may not assign queue 05.00ab to mdev: already assigned to ${A}`,
  ]);
});

t.test('§9.2 #35-#36: the EBUSY mask refusal and its log lines', async (t) => {
  const { host, sysfs } = stateP();
  create(sysfs, B);
  create(sysfs, A);
  sysfs.write(md(A, 'assign_adapter'), '5');
  sysfs.write(md(A, 'assign_domain'), '4');
  sysfs.write(md(A, 'assign_domain'), '0xab');
  const before = sysfs.read('bus/ap/apmask');
  const e = err(() => sysfs.write('bus/ap/apmask', '+5\n'));
  t.equal(e.code, 'EBUSY');
  t.equal(e.written, '+5\n');
  t.equal(sysfs.read('bus/ap/apmask'), before);
  t.same(kernelLog(host), [
    `vfio_ap_mdev ${A}: Can not reserve queue 05.0004 for host driver: in use by mdev`,
    `vfio_ap_mdev ${A}: Can not reserve queue 05.00ab for host driver: in use by mdev`,
  ]);
  t.equal(sysfs.readlink('bus/ap/devices/05.0004/driver'), '../../../../bus/ap/drivers/vfio_ap');
  // the whole write is rejected, including its harmless parts
  t.equal(err(() => sysfs.write('bus/ap/apmask', '+6,+5')).code, 'EBUSY');
  t.equal(sysfs.read('bus/ap/apmask'), before);
  // #36: adapter 6 is free
  t.equal(sysfs.write('bus/ap/apmask', '+6'), 2);
  t.equal(sysfs.readlink('bus/ap/devices/06.00ff/driver'), '../../../../bus/ap/drivers/cex4queue');
  t.equal(host.queue(6, 0xff)!.resets, 1, 'leaving vfio_ap resets the queue');
  // aqmask: clearing never checks; setting checks current apmask × new domains
  sysfs.write('bus/ap/aqmask', '-4');
  t.equal(sysfs.write('bus/ap/aqmask', '+4'), 2, '05.0004: adapter 5 is not in apmask, so not reserved');
  sysfs.write('bus/ap/apmask', '-6');
  // relative: clearing bits never triggers the check
  t.equal(sysfs.write('bus/ap/apmask', '-7'), 2);
  // the check uses the current aqmask: with domain 0xab out of aqmask, only 05.0004 conflicts
  sysfs.write('bus/ap/aqmask', '-0xab');
  host.state.log.length = 0;
  t.equal(err(() => sysfs.write('bus/ap/apmask', '+5')).code, 'EBUSY');
  t.same(kernelLog(host), [`vfio_ap_mdev ${A}: Can not reserve queue 05.0004 for host driver: in use by mdev`]);
  t.equal(host.state.uevents.filter((u) => u.startsWith('devices/ap APMASK')).length, 4);
});

t.test('over-provisioning and filtering (§4.5, §9.3 #56-#57)', async (t) => {
  const { host, sysfs } = stateP();
  create(sysfs, A);
  sysfs.write(md(A, 'assign_adapter'), '5');
  sysfs.write(md(A, 'assign_domain'), '4');
  sysfs.write(md(A, 'assign_domain'), '0xab');
  // #56: 06.00ab unbound by hand; adapter 6 is filtered
  t.equal(sysfs.write('bus/ap/drivers/vfio_ap/unbind', '06.00ab\n'), 8);
  t.notOk(sysfs.exists('bus/ap/devices/06.00ab/driver'));
  t.equal(sysfs.read('bus/ap/bindings'), '7/8\n');
  sysfs.write(md(A, 'assign_adapter'), '6');
  t.equal(sysfs.read(md(A, 'matrix')), '05.0004\n05.00ab\n06.0004\n06.00ab\n');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n05.00ab\n');
  // binding it again puts adapter 6 into S
  t.equal(sysfs.write('bus/ap/drivers/vfio_ap/bind', '06.00ab'), 7);
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n05.00ab\n06.0004\n06.00ab\n');
  // #57: an adapter not in the host configuration, apmask bit clear
  sysfs.write('bus/ap/apmask', '-0x20');
  t.equal(sysfs.write(md(A, 'assign_adapter'), '0x20'), 4);
  t.match(sysfs.read(md(A, 'matrix')), /20\.0004\n20\.00ab\n$/);
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n05.00ab\n06.0004\n06.00ab\n');
  // a domain not in the host configuration: in M, not in S
  sysfs.write('bus/ap/aqmask', '-0x30');
  sysfs.write(md(A, 'assign_domain'), '0x30');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n05.00ab\n06.0004\n06.00ab\n');
  // the host gains adapter 0x20 and domain 0x30: they go live
  events.addAdapter(host, { id: 0x20, mode: 'P' });
  t.equal(sysfs.readlink('bus/ap/devices/20.0004/driver'), '../../../../bus/ap/drivers/vfio_ap');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n05.00ab\n06.0004\n06.00ab\n20.0004\n20.00ab\n');
  events.addDomain(host, 0x30);
  t.equal(sysfs.read(md(A, 'guest_matrix')),
    '05.0004\n05.0030\n05.00ab\n06.0004\n06.0030\n06.00ab\n20.0004\n20.0030\n20.00ab\n');
  t.equal(sysfs.read('bus/ap/devices/05.0030/status'), 'assigned\n');
  t.equal(sysfs.read('bus/ap/devices/05.0047/status'), 'unassigned\n');
  // a guest: status in use only for APQNs in S
  events.attachGuest(host, A, 'guest1');
  t.equal(sysfs.read('bus/ap/devices/05.0030/status'), 'in use\n');
  sysfs.write('bus/ap/drivers/vfio_ap/unbind', '06.0030');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n05.0030\n05.00ab\n20.0004\n20.0030\n20.00ab\n',
    'an unbind of a queue in S takes its whole adapter away');
  t.equal(host.queue(6, 4)!.resets, 1);
  t.equal(host.queue(6, 0x30)!.resets, 1);
  t.equal(sysfs.read('bus/ap/devices/06.0004/status'), 'assigned\n');
  // only domains left: S shows .dddd lines when every adapter is filtered
  for (const q of ['05.0004', '20.0004']) sysfs.write('bus/ap/drivers/vfio_ap/unbind', q);
  t.equal(sysfs.read(md(A, 'guest_matrix')), '.0004\n.0030\n.00ab\n');
  // the host loses domain 0x30 and adapter 0x20
  events.removeDomain(host, 0x30);
  events.removeAdapter(host, 0x20);
  t.notOk(sysfs.exists('bus/ap/devices/20.0004'));
  t.notOk(sysfs.exists('devices/ap/card20'));
  t.equal(sysfs.read(md(A, 'guest_matrix')), '.0004\n.00ab\n');
  t.match(sysfs.read(md(A, 'matrix')), /20\.0030\n20\.00ab\n$/, 'M keeps over-provisioned IDs');
});
