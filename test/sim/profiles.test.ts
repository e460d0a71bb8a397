// What changes with the kernel profile (docs/kernel.md §10): 6.0 and 5.15 against mainline.
import t from 'tap';
import { ApMask } from '../../src/mask/index.js';
import type { SysfsError } from '../../src/sysfs/sysfs-io.js';
import { CAPABILITIES, createHost, events, kernelLog, PROFILE_NAMES } from '../../src/sim/index.js';

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

function stateP(profile: '6.15' | '6.0' | '5.15') {
  const h = createHost('kernel-doc', profile);
  h.sysfs.write('bus/ap/apmask', '-5,-6\n');
  for (const u of [A]) h.sysfs.write(`${TYPE}/create`, u);
  return h;
}

t.test('one capabilities table per profile', async (t) => {
  t.same(PROFILE_NAMES, ['6.15', '6.0', '5.15']);
  t.equal(CAPABILITIES['6.15'].exhaustedErrno, 'EUSERS');
  t.equal(CAPABILITIES['6.0'].exhaustedErrno, 'EPERM');
  t.equal(CAPABILITIES['5.15'].inUseCheck, false);
});

t.test('files per profile', async (t) => {
  for (const p of PROFILE_NAMES) {
    const { sysfs } = stateP(p);
    t.equal(sysfs.exists('devices/vfio_ap/matrix/features'), p === '6.15', `${p} features`);
    t.equal(sysfs.exists(md(A, 'ap_config')), p === '6.15', `${p} ap_config`);
    t.equal(sysfs.exists(md(A, 'guest_matrix')), p !== '5.15', `${p} guest_matrix`);
    t.equal(sysfs.exists('bus/ap/devices/05.0004/status'), p !== '5.15', `${p} status`);
    t.ok(sysfs.exists(md(A, 'matrix')));
    t.ok(sysfs.exists(md(A, 'control_domains')));
  }
});

t.test('6.0: log texts, EPERM on exhaustion, %d instances', async (t) => {
  const { host, sysfs } = stateP('6.0');
  sysfs.write(md(A, 'assign_adapter'), '5');
  sysfs.write(md(A, 'assign_domain'), '4');
  t.equal(code(() => sysfs.write('bus/ap/apmask', '+5')), 'EBUSY');
  t.same(kernelLog(host), [`vfio_ap_mdev ${A}: Userspace may not re-assign queue 05.0004 already assigned to ${A}`]);
  sysfs.write(`${TYPE}/create`, B);
  sysfs.write(md(B, 'assign_domain'), '4');
  host.state.log.length = 0;
  t.equal(code(() => sysfs.write(md(B, 'assign_adapter'), '5')), 'EADDRINUSE');
  t.same(kernelLog(host), [`vfio_ap_mdev ${A}: Userspace may not re-assign queue 05.0004 already assigned to ${A}`]);
  t.equal(sysfs.read(`${TYPE}/available_instances`), '65534\n');
  host.state.availableInstances = 0;
  t.equal(code(() => sysfs.write(`${TYPE}/create`, '00000000-0000-0000-0000-000000000000')), 'EPERM');
  // before ~6.9 a checkstopped queue stays passable
  events.setCheckstop(host, 5, 4, true);
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n');
  // a remove while a guest holds the mdev: the request goes out silently before 6.5
  events.attachGuest(host, A, 'g');
  host.state.log.length = 0;
  sysfs.write(md(A, 'remove'), '1');
  t.same(kernelLog(host), []);
  t.notOk(sysfs.exists(md(A, 'matrix')));
});

t.test('6.15: a checkstopped or deconfigured queue stays passable, another reset code filters', async (t) => {
  const { host, sysfs } = stateP('6.15');
  sysfs.write(md(A, 'assign_adapter'), '5');
  sysfs.write(md(A, 'assign_adapter'), '6');
  sysfs.write(md(A, 'assign_domain'), '4');
  events.setCheckstop(host, 5, 4, true);
  t.equal(sysfs.read('devices/ap/card05/05.0004/chkstop'), '1\n');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n06.0004\n');
  events.setCheckstop(host, 5, 4, false);
  events.setAdapterConfig(host, 6, false);
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n06.0004\n');
  events.setAdapterConfig(host, 6, true);
  events.setResetResponse(host, 6, 4, 1);
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n');
  t.equal(host.queue(6, 4)!.resets, 1, 'the filtered adapter is reset');
  t.equal(host.queue(6, 4)!.resetRc, 0, 'and answers normally again');
  // the filter runs on the next assign
  sysfs.write(md(A, 'assign_domain'), '0x47');
  t.equal(sysfs.read(md(A, 'guest_matrix')), '05.0004\n05.0047\n06.0004\n06.0047\n');
});

t.test('5.15: classic rules', async (t) => {
  const { host, sysfs } = stateP('5.15');
  t.equal(sysfs.read(`${TYPE}/available_instances`), '65535\n');
  // assign needs bound queues: adapter 7 is not in the host, so no queue of it is bound
  t.equal(code(() => sysfs.write(md(A, 'assign_adapter'), '7')), 'EADDRNOTAVAIL');
  t.equal(code(() => sysfs.write(md(A, 'assign_adapter'), '256')), 'ENODEV');
  t.equal(code(() => sysfs.write(md(A, 'assign_adapter'), 'x')), 'EINVAL');
  t.equal(sysfs.write(md(A, 'assign_adapter'), '5'), 1);
  t.equal(sysfs.write(md(A, 'assign_domain'), '4'), 1);
  t.equal(code(() => sysfs.write(md(A, 'assign_domain'), '0x30')), 'EADDRNOTAVAIL', '05.0030 does not exist');
  // re-assign re-runs the binding check
  sysfs.write('bus/ap/drivers/vfio_ap/unbind', '05.0004');
  t.equal(code(() => sysfs.write(md(A, 'assign_adapter'), '5')), 'EADDRNOTAVAIL');
  sysfs.write('bus/ap/drivers/vfio_ap/bind', '05.0004');
  t.equal(sysfs.write(md(A, 'assign_adapter'), '5'), 1);
  // a domain with no adapters: some queue of the domain must be bound to vfio_ap
  sysfs.write(`${TYPE}/create`, B);
  t.equal(sysfs.write(md(B, 'assign_domain'), '0x47'), 4);
  t.equal(code(() => sysfs.write(md(B, 'assign_adapter'), '5')), 'ok', 'B: 05.0047');
  t.equal(code(() => sysfs.write(md(B, 'assign_domain'), '4')), 'EADDRINUSE');
  t.same(kernelLog(host), [], 'no sharing log before 6.0');
  t.equal(sysfs.read(md(B, 'matrix')), '05.0047\n');
  // a guest holds A: every assign/unassign is EBUSY, before parsing
  events.attachGuest(host, A, 'g1');
  for (const f of ['assign_adapter', 'unassign_adapter', 'assign_domain', 'unassign_domain', 'assign_control_domain', 'unassign_control_domain']) {
    t.equal(code(() => sysfs.write(md(A, f), 'garbage')), 'EBUSY', f);
  }
  t.equal(host.mdev(A)!.shadow.apm, host.mdev(A)!.apm, 'the guest gets M as it is');
  // mask changes are never refused; the queues leave vfio_ap
  t.equal(sysfs.write('bus/ap/apmask', '+5'), 2);
  t.equal(sysfs.readlink('bus/ap/devices/05.0004/driver'), '../../../../bus/ap/drivers/cex4queue');
  t.equal(sysfs.read(md(A, 'matrix')), '05.0004\n');
  t.equal(host.queue(5, 4)!.resets, 2, 'once at the manual unbind, once leaving vfio_ap now');
  // remove while in use: EBUSY
  t.equal(code(() => sysfs.write(md(A, 'remove'), '1')), 'EBUSY');
  events.releaseGuest(host, A);
  t.equal(host.mdev(A)!.shadow.apm, `${ApMask.EMPTY}`);
  t.equal(sysfs.write(md(A, 'unassign_adapter'), '5'), 1);
  t.equal(sysfs.write(md(A, 'remove'), '1'), 1);
  host.state.availableInstances = 0;
  t.equal(code(() => sysfs.write(`${TYPE}/create`, A)), 'EPERM');
});
