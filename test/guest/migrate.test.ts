// Migration between two real QEMU processes (TCG): a running source guest (the enabled-wait image)
// and a target started with -incoming on a UNIX socket. QMP migrate, query-migrate, device_del and
// both DEVICE_DELETED events are real. The vfio-ap plug on either side is a virtio-rng-ccw stand-in
// (StandInQmp) because under TCG QEMU has no AP bus and refuses every vfio-ap device_add; the CPU
// check is skipped for the same reason (TCG cannot give ap=on), except where its refusal is the test.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { attach, listGuestDevices } from '../../src/guest/hotplug.js';
import { migrate, type MigrateProgress } from '../../src/guest/migrate.js';
import type { GuestQmp } from '../../src/guest/qmp.js';
import { ExecuteError } from '../../src/qmp/index.js';
import { events } from '../../src/sim/index.js';
import { seedHostWithMdevs, seedWithMdevs, U1, U2, U3 } from './fixtures/hosts.js';
import { LONG, startGuest } from './fixtures/qemu.js';
import { ScriptedQmp } from './fixtures/scripted.js';
import { StandInQmp } from './fixtures/stand-in.js';

interface Teardown { teardown(fn: () => unknown): void }

async function pair(t: Teardown) {
  const dir = mkdtempSync(join(tmpdir(), 'zmdev-mig-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const uri = `unix:${join(dir, 'mig.sock')}`;
  const src = await startGuest(t, { running: true });
  const dst = await startGuest(t, { running: true, args: ['-incoming', uri] });
  const source = new StandInQmp(src.qmp);
  const target = new StandInQmp(dst.qmp);
  const srcAp = seedWithMdevs();
  const dstAp = seedWithMdevs();
  await attach(source, srcAp, U1, { checkCpu: false });
  return { uri, src, dst, source, target, srcAp, dstAp };
}

const status = async (q: GuestQmp) => ((await q.execute('query-status')) as { status: string }).status;

t.test('unplug, migrate, plug: the guest moves and the device follows', async (t) => {
  const { uri, source, target, srcAp, dstAp } = await pair(t);
  t.equal(await status(target), 'inmigrate');
  const seen: MigrateProgress[] = [];
  const r = await migrate({
    source: { qmp: source, ap: srcAp, uuid: U1, id: 'hostdev0' }, target: { qmp: target, ap: dstAp, uuid: U1 },
    uri, checkCpu: false, pollMs: 20, timeoutMs: 60_000, onProgress: (p) => seen.push(p),
  });
  t.match(r, { status: 'completed', source: { uuid: U1, id: 'hostdev0' }, target: { id: 'hostdev0', uuid: U1 }, apqns: ['01.0002', '0a.0002'] });
  const steps = [...new Set(seen.map((p) => p.step))];
  t.same(steps, ['check', 'detach', 'migrate', 'attach', 'done']);
  t.match(seen.filter((p) => p.step === 'migrate').at(-1), { status: 'completed' });
  t.ok(seen.some((p) => p.step === 'migrate' && typeof p.total === 'number' && p.total > 0), 'RAM progress is reported');
  t.equal(await status(source), 'postmigrate');
  t.equal(await status(target), 'running');
  t.same(await listGuestDevices(source), [], 'the source guest has no device left');
  t.same(await listGuestDevices(target), [{ id: 'hostdev0', type: 'vfio-ap', path: '/machine/peripheral/hostdev0' }]);
  t.same(target.plugged, [{ driver: 'vfio-ap', id: 'hostdev0', sysfsdev: `/sys/bus/mdev/devices/${U1}` }]);
});

t.test('refusals before anything changes', async (t) => {
  const { uri, source, target, srcAp, dstAp, dst } = await pair(t);
  const base = { uri, checkCpu: false, timeoutMs: 60_000 };
  await t.rejects(migrate({ ...base, source: { qmp: source, ap: srcAp, uuid: U1 }, target: { qmp: target, ap: dstAp, uuid: U2 } }), {
    name: 'MatrixMismatchError', code: 'EINVAL', details: { what: 'matrix', source: ['01.0002', '0a.0002'], target: ['01.0004', '0a.0004'] },
    message: /matrix 01\.0002 0a\.0002 on the source, 01\.0004 0a\.0004 on the target; nothing was changed/,
  });
  await t.rejects(migrate({ uri, source: { qmp: source, ap: srcAp, uuid: U3 }, target: { qmp: target, ap: dstAp, uuid: U1 } }), {
    code: 'EINVAL', message: /matrix \(empty\) on the source, 01\.0002 0a\.0002 on the target/,
  });
  await t.rejects(migrate({ uri, source: { qmp: source, ap: srcAp, uuid: U1 }, target: { qmp: target, ap: dstAp, uuid: U3 } }), {
    code: 'EINVAL', message: /on the source, \(empty\) on the target/,
  });
  // Same matrix, but on the target adapter 0a does not reach the guest.
  const { ap: dstAp2, host } = seedHostWithMdevs();
  events.removeAdapter(host, 0x0a);
  await t.rejects(migrate({ ...base, source: { qmp: source, ap: srcAp, uuid: U1 }, target: { qmp: target, ap: dstAp2, uuid: U1 } }), {
    code: 'EINVAL', details: { what: 'guest matrix', target: ['01.0002'] }, message: /guest matrix 01\.0002 0a\.0002 on the source, 01\.0002 on the target/,
  });
  await t.rejects(migrate({ ...base, source: { qmp: source, ap: srcAp, uuid: U1, id: 'ap9' }, target: { qmp: target, ap: dstAp, uuid: U1 } }), {
    name: 'DeviceMissingError', code: 'ENOENT', message: /has no device ap9/,
  });
  await source.real.execute('device_add', { driver: 'virtio-rng-ccw', id: 'rng0' });
  await t.rejects(migrate({ ...base, source: { qmp: source, ap: srcAp, uuid: U1, id: 'rng0' }, target: { qmp: target, ap: dstAp, uuid: U1 } }), {
    code: 'ENOENT', message: /device rng0 of the source guest is a virtio-rng-ccw, not vfio-ap/,
  });
  await t.rejects(migrate({ uri, timeoutMs: 60_000, source: { qmp: source, ap: srcAp, uuid: U1 }, target: { qmp: target, ap: dstAp, uuid: U1 } }), {
    name: 'CpuFeatureError', code: 'ENOTSUP', message: /target guest's CPU \(model qemu\) has no AP instructions.*nothing was changed/,
  }, 'the real TCG target CPU has no ap');
  await dst.qmp.execute('device_add', { driver: 'virtio-rng-ccw', id: 'hostdev0' });
  await t.rejects(migrate({ ...base, source: { qmp: source, ap: srcAp, uuid: U1 }, target: { qmp: target, ap: dstAp, uuid: U1 } }), {
    name: 'DeviceExistsError', code: 'EEXIST', message: /target guest already has a device with id hostdev0/,
  });
  await target.execute('device_del', { id: 'hostdev0' });
  await attach(target, dstAp, U2, { id: 'other', checkCpu: false });
  await t.rejects(migrate({ ...base, source: { qmp: source, ap: srcAp, uuid: U1 }, target: { qmp: target, ap: dstAp, uuid: U1 } }), {
    code: 'EEXIST', message: /target guest already has a vfio-ap device/,
  });
  t.match((await listGuestDevices(source)).find((d) => d.id === 'hostdev0'), { type: 'vfio-ap' }, 'the source guest kept its device through every refusal');
  t.equal(await status(source), 'running');
});

t.test('a failed migration plugs the device back into the source guest', async (t) => {
  const { source, target, srcAp, dstAp } = await pair(t);
  const seen: MigrateProgress[] = [];
  const err = await migrate({
    uri: 'unix:/nonexistent/zmdev/mig.sock', checkCpu: false, timeoutMs: 60_000, onProgress: (p) => seen.push(p),
    source: { qmp: source, ap: srcAp, uuid: U1 }, target: { qmp: target, ap: dstAp, uuid: U1 },
  }).catch((e: unknown) => e);
  t.match(err, { name: 'MigrationError', rolledBack: true, migrated: false, message: /the migration did not complete .*plugged back in/ });
  t.ok(seen.some((p) => p.step === 'rollback'));
  t.match(await listGuestDevices(source), [{ id: 'hostdev0', type: 'vfio-ap' }]);
  t.equal(await status(source), 'running');
  t.equal(source.plugged.length, 2, 'plugged, then plugged again');
});

t.test('a migration QEMU reports failed (the peer hangs up) is rolled back', async (t) => {
  const { source, target, srcAp, dstAp, uri } = await pair(t);
  const path = `${uri.slice('unix:'.length)}.hangup`;
  const hangup = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => hangup.listen(path, resolve));
  t.teardown(() => { hangup.close(); });
  const seen: MigrateProgress[] = [];
  const err = await migrate({
    uri: `unix:${path}`, checkCpu: false, pollMs: 20, onProgress: (p) => seen.push(p),
    source: { qmp: source, ap: srcAp, uuid: U1 }, target: { qmp: target, ap: dstAp, uuid: U1 },
  }).catch((e: unknown) => e);
  t.match(err, { name: 'MigrationError', code: 'EIO', rolledBack: true, message: /QEMU reports the migration failed/ });
  t.match(seen.filter((p) => p.step === 'migrate').at(-1), { status: 'failed' });
  t.match(await listGuestDevices(source), [{ id: 'hostdev0', type: 'vfio-ap' }]);
});

t.test('a migration that takes too long is cancelled and rolled back', async (t) => {
  const { src, source, target, srcAp, dstAp, uri } = await pair(t);
  // A peer that accepts the migration stream and never reads it: the source's writes stall once the
  // socket buffer is full, so the migration stays active until it is cancelled.
  const stallPath = `${uri.slice('unix:'.length)}.stall`;
  const held: net.Socket[] = [];
  const stall = net.createServer((s) => { s.pause(); held.push(s); });
  await new Promise<void>((resolve) => stall.listen(stallPath, resolve));
  t.teardown(() => { for (const s of held) s.destroy(); stall.close(); });
  const seen: MigrateProgress[] = [];
  const err = await migrate({
    uri: `unix:${stallPath}`, checkCpu: false, timeoutMs: 60_000, migrateTimeoutMs: 500, pollMs: 50, onProgress: (p) => seen.push(p),
    source: { qmp: source, ap: srcAp, uuid: U1 }, target: { qmp: target, ap: dstAp, uuid: U1 },
  }).catch((e: unknown) => e);
  t.match(err, { name: 'MigrationError', code: 'ETIMEDOUT', rolledBack: true, message: /was still \w+ after 0\.5 s and was cancelled/ });
  t.ok(seen.some((p) => p.step === 'migrate' && p.status === 'active'));
  const q = await src.qmp.execute('query-migrate', undefined, LONG) as { status: string };
  t.match(q.status, /^cancel/);
  t.match(await listGuestDevices(source), [{ id: 'hostdev0', type: 'vfio-ap' }]);
  t.equal(await status(source), 'running');
});

// Scripted: a second vfio-ap device_add refused on the source, and one refused on the target after
// the switch-over; under TCG both would be refused for lack of an AP bus before the first succeeds.
t.test('rollback that fails too; plug on the target that fails after the switch-over', async (t) => {
  const { source, target, srcAp, dstAp, uri } = await pair(t);
  const refuse = (c: string, a: Record<string, unknown> | undefined) => (c === 'device_add' && a?.['driver'] === 'vfio-ap'
    ? Promise.reject(new ExecuteError({ execute: c }, {}, 'GenericError', "vfio hostdev0: error getting device from group 0: No such device"))
    : undefined);
  const err = await migrate({
    uri: 'unix:/nonexistent/zmdev/mig.sock', checkCpu: false, timeoutMs: 60_000,
    source: { qmp: new ScriptedQmp(source, refuse), ap: srcAp, uuid: U1 }, target: { qmp: target, ap: dstAp, uuid: U1 },
  }).catch((e: unknown) => e);
  t.match(err, { name: 'MigrationError', rolledBack: false, migrated: false, message: /plugging hostdev0 back into the source guest failed too \(QEMU refused device_add/ });
  await attach(source, srcAp, U1, { checkCpu: false });
  const after = await migrate({
    uri, checkCpu: false, timeoutMs: 60_000, pollMs: 20,
    source: { qmp: source, ap: srcAp, uuid: U1 }, target: { qmp: new ScriptedQmp(target, refuse), ap: dstAp, uuid: U1 },
  }).catch((e: unknown) => e);
  t.match(after, { name: 'MigrationError', code: 'GenericError', migrated: true, rolledBack: false, message: /the guest migrated, but plugging mdev .* failed/ });
  t.equal(await status(target), 'running');
});
