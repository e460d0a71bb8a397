// attach and detach against real QEMU (TCG). A successful vfio-ap plug cannot happen under TCG
// (no AP bus), so those cases run through StandInQmp (see its header); the refusals are QEMU's own.
import t from 'tap';
import { attach, detach, guestApqns, listGuestDevices, type AttachProgress, type DetachProgress } from '../../src/guest/hotplug.js';
import { formatApqn } from '../../src/mask/apqn.js';
import { events } from '../../src/sim/index.js';
import { bootImage } from '../qmp/fixtures/qemu.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LONG, startGuest } from './fixtures/qemu.js';
import { seedHostWithMdevs, seedWithMdevs, U1, U3, U4 } from './fixtures/hosts.js';
import { ScriptedQmp } from './fixtures/scripted.js';
import { StandInQmp } from './fixtures/stand-in.js';

t.test("attach: the CPU check refuses first under TCG; skipped, QEMU's own refusal comes through typed", async (t) => {
  const { qmp } = await startGuest(t);
  const ap = seedWithMdevs();
  const steps: string[] = [];
  await t.rejects(attach(qmp, ap, U1, { onProgress: (p) => steps.push(p.step) }), {
    name: 'CpuFeatureError', code: 'ENOTSUP', step: 'attach',
    message: /CPU \(model qemu\) has no AP instructions \(ap is off\).*-cpu qemu,ap=on,apqci=on,apft=on,apqi=on/,
  });
  t.same(steps, ['check-mdev', 'check-cpu']);
  const err = await attach(qmp, ap, U1, { checkCpu: false, ...LONG }).catch((e: unknown) => e);
  t.match(err, {
    name: 'QemuRefusedError', code: 'GenericError', errorClass: 'GenericError', command: 'device_add',
    desc: "No 'ap-bus' bus found for device 'vfio-ap'",
    message: /No 'ap-bus' bus found for device 'vfio-ap'; this machine has no AP bus: it appears only with KVM and a CPU model with ap=on/,
  });
  t.match((err as { toJSON(): unknown }).toJSON(), { code: 'GenericError', class: 'GenericError', command: 'device_add', step: 'attach' });
  t.same(await listGuestDevices(qmp), [], 'nothing was plugged');
});

t.test('attach refuses an mdev that gives the guest nothing, and unknown mdevs', async (t) => {
  const { qmp } = await startGuest(t);
  const ap = seedWithMdevs();
  await t.rejects(attach(qmp, ap, U3), { name: 'MdevUnusableError', code: 'ENODEV', message: /gives the guest no AP queues \(its guest matrix is empty\); assign/ });
  await t.rejects(attach(qmp, ap, '11111111-2222-4333-8444-555555555555'), { code: 'ENOENT' });
  await t.rejects(attach(qmp, ap, 'nope'), { code: 'EINVAL' });
  await t.rejects(attach(qmp, ap, U1, { id: '9x' }), { code: 'EINVAL', message: /not a QEMU device id/ });
  // An mdev whose only adapter left the host's configuration: the guest matrix is empty and says why.
  const { ap: ap2, host } = seedHostWithMdevs();
  events.removeAdapter(host, 0x0a);
  await t.rejects(attach(qmp, ap2, U4), { code: 'ENODEV', message: /guest matrix is empty: adapter 0a is not in the host's AP configuration/ });
  // Before 6.0 there is no guest_matrix: the matrix counts.
  const old = seedWithMdevs('5.15');
  await t.rejects(attach(qmp, old, U3), { code: 'ENODEV', message: /its matrix is empty\)/ });
  t.same(guestApqns(old, U1).map(formatApqn), ['01.0002', '0a.0002']);
});

t.test('attach through the stand-in: device_add arguments, one vfio-ap per guest, ids', async (t) => {
  const { qmp } = await startGuest(t);
  const ap = seedWithMdevs();
  const guest = new StandInQmp(qmp);
  const seen: AttachProgress[] = [];
  const r = await attach(guest, ap, U1.toUpperCase(), { checkCpu: false, onProgress: (p) => seen.push(p) });
  t.same(r, { id: 'hostdev0', uuid: U1, sysfsdev: `/sys/bus/mdev/devices/${U1}`, apqns: [{ adapter: 1, domain: 2 }, { adapter: 10, domain: 2 }], cpu: null });
  t.same(guest.plugged, [{ driver: 'vfio-ap', id: 'hostdev0', sysfsdev: `/sys/bus/mdev/devices/${U1}` }]);
  t.same(seen.map((p) => p.step), ['check-mdev', 'check-devices', 'device_add', 'attached']);
  t.match(seen[3]!.message, /sees 01\.0002 0a\.0002/);
  t.same(await listGuestDevices(guest), [{ id: 'hostdev0', type: 'vfio-ap', path: '/machine/peripheral/hostdev0' }]);
  await t.rejects(attach(guest, ap, U1, { id: 'other', checkCpu: false }), {
    name: 'DeviceExistsError', code: 'EEXIST', message: /already has a vfio-ap device \(id hostdev0\) and QEMU's AP bus takes only one.*--id hostdev0/,
  });
  // The id of another kind of device.
  const { qmp: qmp2 } = await startGuest(t);
  await qmp2.execute('device_add', { driver: 'virtio-rng-ccw', id: 'hostdev0' });
  await t.rejects(attach(new StandInQmp(qmp2), ap, U1, { checkCpu: false }), {
    code: 'EEXIST', message: /already has a device with id hostdev0 \(a virtio-rng-ccw\); pick another id/,
  });
  t.match(await listGuestDevices(qmp2), [{ id: 'hostdev0', type: 'virtio-rng-ccw' }]);
});

// Scripted: under TCG the CPU never has ap=on, and no vfio-ap device can sit in peripheral-anon.
t.test('attach with the CPU check passing, and a vfio-ap device without id', async (t) => {
  const { qmp } = await startGuest(t);
  const ap = seedWithMdevs();
  const apOn = new ScriptedQmp(new StandInQmp(qmp), (c, a) => (c === 'qom-get' && typeof a?.['property'] === 'string' && a['property'].startsWith('ap')
    ? Promise.resolve(true) : undefined));
  const r = await attach(apOn, ap, U1, { id: 'ap0' });
  t.match(r.cpu, { source: 'running-cpu', canAttach: true, features: { ap: 'on', apft: 'on' } });
  const anon = new ScriptedQmp(qmp, (c, a) => (c === 'qom-list' && a?.['path'] === '/machine/peripheral-anon'
    ? Promise.resolve([{ name: 'type', type: 'string' }, { name: 'device[0]', type: 'child<vfio-ap>' }]) : undefined));
  await t.rejects(attach(anon, ap, U1, { checkCpu: false }), { code: 'EEXIST', message: /\(\/machine\/peripheral-anon\/device\[0\]\).*--id …\)/ });
});

t.test('detach of a virtio-rng-ccw device on a paused guest: the matching DEVICE_DELETED, the other reported', async (t) => {
  const { qmp } = await startGuest(t);
  await qmp.execute('device_add', { driver: 'virtio-rng-ccw', id: 'rng0' });
  const seen: DetachProgress[] = [];
  const r = await detach(qmp, 'rng0', { onProgress: (p) => seen.push(p) });
  t.match(r, { id: 'rng0', path: '/machine/peripheral/rng0' });
  const phases = seen.map((p) => p.phase);
  t.ok(phases.includes('requested'));
  t.equal(phases.at(-1), 'deleted');
  t.match(seen.find((p) => p.phase === 'event'), { event: { event: 'DEVICE_DELETED', data: { path: '/machine/peripheral/rng0/virtio-backend' } } },
    'the inner object\'s DEVICE_DELETED (no device key) is reported, not taken for the device');
  t.same(await listGuestDevices(qmp), []);
  await t.rejects(detach(qmp, 'rng0'), { name: 'QemuRefusedError', code: 'DeviceNotFound', step: 'detach' });
  await t.rejects(detach(qmp, '0rng'), { code: 'EINVAL' });
});

t.test('detach on a running guest idling in an enabled wait', async (t) => {
  const { qmp } = await startGuest(t, { running: true });
  t.match(await qmp.execute('query-status'), { status: 'running' });
  for (const id of ['rng1', 'rng2']) {
    await qmp.execute('device_add', { driver: 'virtio-rng-ccw', id });
    const r = await detach(qmp, id, { timeoutMs: 30_000 });
    t.equal(r.path, `/machine/peripheral/${id}`);
  }
});

t.test('detach times out on a guest that spins with interrupts off, and says what it saw', async (t) => {
  // The enabled-wait image with a branch-to-self at 0x200 instead: the guest never takes the unplug.
  const dir = mkdtempSync(join(tmpdir(), 'zmdev-spin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const img = bootImage();
  Buffer.from([0xa7, 0xf4, 0x00, 0x00]).copy(img, 0x200);
  const spin = join(dir, 'spin.img');
  writeFileSync(spin, img);
  const { qmp: spinning, address: spinAddress } = await startGuest(t, { args: ['-kernel', spin] });
  await spinning.execute('cont');
  await spinning.execute('device_add', { driver: 'virtio-rng-ccw', id: 'rng9' });
  const seen: DetachProgress[] = [];
  const err = await detach(spinning, 'rng9', { timeoutMs: 700, progressIntervalMs: 200, onProgress: (p) => seen.push(p) }).catch((e: unknown) => e);
  t.match(err, { name: 'DetachTimeoutError', code: 'ETIMEDOUT', step: 'detach', message: /sent no DEVICE_DELETED for it within 0\.7 s \(events seen meanwhile: \[.*\]\)/ });
  t.ok(seen.some((p) => p.phase === 'waiting'), 'progress while waiting');
  // A session that ends during the wait is not a timeout: the caller hears that it was interrupted.
  await spinning.execute('device_add', { driver: 'virtio-rng-ccw', id: 'rng10' });
  const cut = detach(spinning, 'rng10', { timeoutMs: 30_000 }).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 100));
  await spinning.disconnect();
  t.match(await cut, { name: 'ExecInterruptedError', code: 'ECONNRESET' });
  await spinning.connect(spinAddress, LONG);
  // Stopping the guest lets QEMU finish the unplug.
  const gone = spinning.waitForEvent('DEVICE_DELETED', (d) => d['device'] === 'rng9', LONG);
  await spinning.execute('stop');
  t.match((await gone).data, { device: 'rng9' });
  t.same(await listGuestDevices(spinning), [], 'both unplugs finish once the guest stops');
});
