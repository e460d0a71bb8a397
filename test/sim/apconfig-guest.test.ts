// ap_config (docs/kernel.md §4.6), guests and hot plug (§4.2, §5, §6) on the mainline profile.
import t from 'tap';
import { ApMask, formatApConfig } from '../../src/mask/index.js';
import type { SysfsError } from '../../src/sysfs/sysfs-io.js';
import { createHost, events, kernelLog } from '../../src/sim/index.js';

const A = '11111111-2222-3333-4444-555555555555';
const B = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const TYPE = 'devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough';
const md = (u: string, attr: string) => `devices/vfio_ap/matrix/${u}/${attr}`;
function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as SysfsError).code;
  }
  return 'ok';
}
const cfg = (apm: number[], aqm: number[], adm: number[]) => formatApConfig({ adapters: ApMask.of(apm), domains: ApMask.of(aqm), controlDomains: ApMask.of(adm) });

function setup() {
  const h = createHost('kernel-doc');
  h.sysfs.write('bus/ap/apmask', '-5,-6\n');
  h.sysfs.write(`${TYPE}/create`, A);
  h.sysfs.write(`${TYPE}/create`, B);
  return h;
}

t.test('ap_config: canonical write and read back (§9.3 #58)', async (t) => {
  const { sysfs } = setup();
  const text = cfg([5, 6], [4, 0xab], [4]);
  t.equal(text.length, 201);
  t.equal(sysfs.write(md(A, 'ap_config'), text), 201);
  t.equal(sysfs.read(md(A, 'ap_config')), text);
  t.equal(sysfs.read(md(A, 'matrix')), '05.0004\n05.00ab\n06.0004\n06.00ab\n');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n05.00ab\n06.0004\n06.00ab\n');
  t.equal(sysfs.read(md(A, 'control_domains')), '0004\n');
  // canonical + junk: truncated at 201 characters
  t.equal(sysfs.write(md(A, 'ap_config'), cfg([5], [4], []) + 'junk'), 205);
  t.equal(sysfs.read(md(A, 'matrix')), '05.0004\n');
  // A,B\n: adm = 0
  t.equal(sysfs.write(md(A, 'ap_config'), `${ApMask.of([6])},${ApMask.of([0x47])}\n`), 134);
  t.equal(sysfs.read(md(A, 'ap_config')), cfg([6], [0x47], []));
  for (const bad of [`${ApMask.of([6])}\n`, `${ApMask.of([6])},${ApMask.of([4])}`, '0X1,0x1,0x1\n', 'zz,,\n']) {
    t.equal(code(() => sysfs.write(md(A, 'ap_config'), bad)), 'EINVAL', JSON.stringify(bad));
  }
  t.equal(sysfs.read(md(A, 'ap_config')), cfg([6], [0x47], []));
});

t.test('ap_config: validation order EADDRNOTAVAIL, EADDRINUSE, ENODEV; atomic restore', async (t) => {
  const { host, sysfs } = setup();
  sysfs.write(md(B, 'ap_config'), cfg([5], [4], []));
  sysfs.write(md(A, 'ap_config'), cfg([6], [0x47], []));
  const before = sysfs.read(md(A, 'ap_config'));
  // reserved (adapter 7 is in apmask) beats everything else
  t.equal(code(() => sysfs.write(md(A, 'ap_config'), cfg([5, 7], [4], [0x100 - 1]))), 'EADDRNOTAVAIL');
  // sharing before ENODEV
  host.state.host.na = 0x10;
  host.state.host.nd = 0x10;
  sysfs.write('bus/ap/apmask', '-0x20');
  t.equal(code(() => sysfs.write(md(A, 'ap_config'), cfg([5, 0x20], [4], []))), 'EADDRINUSE');
  t.same(kernelLog(host), [`vfio_ap_mdev ${A}: Userspace may not assign queue 05.0004 to mdev: already assigned to ${B}`]);
  t.equal(code(() => sysfs.write(md(A, 'ap_config'), cfg([0x20], [4], []))), 'ENODEV');
  t.equal(code(() => sysfs.write(md(A, 'ap_config'), cfg([6], [0x30], []))), 'ENODEV');
  t.equal(code(() => sysfs.write(md(A, 'ap_config'), cfg([6], [4], [0x30]))), 'ENODEV');
  t.equal(sysfs.read(md(A, 'ap_config')), before, 'nothing changed');
  t.equal(sysfs.read('bus/ap/ap_max_adapter_id'), '16\n');
  // assign_* check the max first
  t.equal(code(() => sysfs.write(md(A, 'assign_adapter'), '0x11')), 'ENODEV');
  t.equal(code(() => sysfs.write(md(A, 'assign_adapter'), '0x10')), 'EADDRNOTAVAIL');
});

t.test('ap_config: removed IDs are unplugged with resets, added ones linked', async (t) => {
  const { host, sysfs } = setup();
  sysfs.write(md(A, 'ap_config'), cfg([5, 6], [4, 0xab], [4, 0xff]));
  events.attachGuest(host, A, 'g');
  t.equal(sysfs.read('bus/ap/devices/06.00ab/status'), 'in use\n');
  sysfs.write(md(A, 'ap_config'), cfg([5], [0xab, 0xff], [0xff]));
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.00ab\n05.00ff\n');
  t.same([host.queue(5, 4)!.resets, host.queue(6, 4)!.resets, host.queue(6, 0xab)!.resets, host.queue(5, 0xab)!.resets], [1, 1, 1, 0]);
  t.equal(host.mdev(A)!.shadow.adm, `${ApMask.of([0xff])}`);
  t.equal(sysfs.read('bus/ap/devices/06.00ab/status'), 'unassigned\n');
});

t.test('unassign hot-unplugs and resets only what was in S', async (t) => {
  const { host, sysfs } = setup();
  sysfs.write(md(A, 'ap_config'), cfg([5, 6], [4, 0xab], [4]));
  sysfs.write('bus/ap/drivers/vfio_ap/unbind', '06.0004');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n05.00ab\n');
  const r = () => [host.queue(5, 4)!.resets, host.queue(5, 0xab)!.resets, host.queue(6, 4)!.resets, host.queue(6, 0xab)!.resets];
  t.same(r(), [0, 0, 1, 1]);
  sysfs.write(md(A, 'unassign_adapter'), '6');
  t.same(r(), [0, 0, 1, 1], 'adapter 6 was filtered: unlinked, not reset');
  sysfs.write(md(A, 'unassign_domain'), '0xab');
  t.same(r(), [0, 1, 1, 1]);
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n');
  sysfs.write(md(A, 'unassign_domain'), '4');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.\n');
  sysfs.write(md(A, 'unassign_adapter'), '5');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '');
  // control domains: S.adm follows M.adm ∩ H.adm
  sysfs.write(md(A, 'assign_control_domain'), '0x10');
  sysfs.write(md(A, 'assign_control_domain'), '4');
  t.equal(host.mdev(A)!.shadow.adm, `${ApMask.of([4])}`);
  events.addControlDomain(host, 0x10);
  t.equal(host.mdev(A)!.shadow.adm, `${ApMask.of([4, 0x10])}`);
  events.removeControlDomain(host, 4);
  t.equal(host.mdev(A)!.shadow.adm, `${ApMask.of([4, 0x10])}`, 'a removed control domain stays in S.adm');
  sysfs.write(md(A, 'unassign_control_domain'), '4');
  t.equal(host.mdev(A)!.shadow.adm, `${ApMask.of([0x10])}`);
  sysfs.write(md(A, 'unassign_control_domain'), '0x10');
  sysfs.write(md(A, 'unassign_control_domain'), '0x10');
  t.equal(host.mdev(A)!.shadow.adm, `${ApMask.EMPTY}`);
});

t.test('guests: one mdev per guest, release and remove', async (t) => {
  const { host, sysfs } = setup();
  sysfs.write(md(A, 'ap_config'), cfg([5], [4], []));
  sysfs.write(md(B, 'ap_config'), cfg([6], [4], []));
  events.attachGuest(host, A, 'g1');
  t.throws(() => events.attachGuest(host, B, 'g1'), { code: 'EPERM' });
  t.throws(() => events.attachGuest(host, A, 'g2'), { code: 'EBUSY' });
  t.throws(() => events.attachGuest(host, 'ffffffff-2222-3333-4444-555555555555', 'g2'), { code: 'ENOENT' });
  t.throws(() => events.releaseGuest(host, B), { code: 'EINVAL' });
  events.attachGuest(host, B.toUpperCase(), 'g2');
  t.equal(sysfs.read('bus/ap/devices/05.0004/status'), 'in use\n');
  events.releaseGuest(host, A);
  t.equal(sysfs.read('bus/ap/devices/05.0004/status'), 'assigned\n');
  t.equal(host.queue(5, 4)!.resets, 1, 'close resets the linked queues');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n', 'S is kept without a guest');
  // 6.15: remove while held relays the request; the simulated guest lets go
  t.equal(sysfs.write(md(B, 'remove'), '1\n'), 2);
  t.same(kernelLog(host), [`vfio_ap_mdev ${B}: Relaying device request to user (#0)`]);
  t.equal(host.queue(6, 4)!.resets, 2, 'released, then reset again at removal');
  t.equal(sysfs.read('bus/ap/devices/06.0004/status'), 'unassigned\n');
  t.equal(sysfs.readlink('bus/ap/devices/06.0004/driver'), '../../../../bus/ap/drivers/vfio_ap', 'stays with vfio_ap');
});
