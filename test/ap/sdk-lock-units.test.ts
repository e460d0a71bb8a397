// The AP configuration lock (s390-tools protocol) between two ApHosts, stale locks, release;
// ids.ts, errors.ts and the matrix device's capabilities per profile; vfio_ap not loaded.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { ApError, apqnList, kernelRefusal } from '../../src/ap/errors.js';
import { ApHost } from '../../src/ap/host.js';
import { formatApId, parseApId } from '../../src/ap/ids.js';
import { acquireApConfigLock } from '../../src/ap/lock.js';
import { SimHost, SimSysfs, events, presetState } from '../../src/sim/index.js';
import { SysfsError } from '../../src/sysfs/sysfs-io.js';
import { cleanup, lockPath } from './fixtures/sdk-host.js';

t.teardown(cleanup);

const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

t.test('two ApHosts with one lock: the second waits, then EBUSY naming the owner', (t) => {
  const lock = lockPath();
  const io = new SimSysfs(new SimHost(presetState('seed')));
  const a = new ApHost(io, { lock: { path: lock } });
  const b = new ApHost(io, { lock: { path: lock, timeoutMs: 150, retryMs: 10 } });
  const release = acquireApConfigLock({ path: lock });
  t.equal(readFileSync(lock, 'latin1'), `${process.pid}\n`, 'the lock holds our PID');
  const started = Date.now();
  t.throws(() => b.setMasks({ apmask: '-0' }), {
    code: 'EBUSY', message: `the AP configuration lock ${lock} is held by process ${process.pid} (chzdev, ap-check or another zmdev); try again when it is done`,
  });
  t.ok(Date.now() - started >= 140, 'it waited for the timeout');
  t.equal(io.read('bus/ap/apmask'), `0x${'f'.repeat(64)}\n`, 'nothing written');
  release();
  t.notOk(existsSync(lock), 'released');
  a.setMasks({ apmask: '-0' });
  t.notOk(existsSync(lock), 'the ApHost released it after the change');
  t.equal(io.read('bus/ap/apmask'), `0x7f${'f'.repeat(62)}\n`);
  // The lock of another live process.
  const sleeper = spawnSync('sh', ['-c', 'sleep 5 & echo $!'], { encoding: 'utf8' });
  const live = Number(sleeper.stdout.trim());
  writeFileSync(lock, `${live}\n`);
  t.throws(() => b.masks() && b.setMasks({ apmask: '-1' }), { code: 'EBUSY', message: `held by process ${live} ` });
  process.kill(live);
  t.end();
});

t.test('stale locks: a dead PID, or no PID after 120 s, are removed and taken', (t) => {
  const lock = lockPath();
  const io = new SimSysfs(new SimHost(presetState('seed')));
  const h = new ApHost(io, { lock: { path: lock, timeoutMs: 100, retryMs: 10 } });
  writeFileSync(lock, `${deadPid()}\n`);
  h.setMasks({ apmask: '-0' });
  t.notOk(existsSync(lock), 'a dead owner\'s lock was taken and released');
  writeFileSync(lock, '');
  t.throws(() => h.setMasks({ apmask: '-1' }), { code: 'EBUSY', message: 'held by process  (' }, 'a fresh lock without PID is respected');
  const old = (Date.now() - 121_000) / 1000;
  utimesSync(lock, old, old);
  h.setMasks({ apmask: '-1' });
  t.notOk(existsSync(lock), 'a lock without PID older than 120 s is stale');
  t.equal(io.read('bus/ap/apmask'), `0x3f${'f'.repeat(62)}\n`);
  t.end();
});

t.test('release removes only our own lock; lock: false takes none', (t) => {
  const lock = lockPath();
  const release = acquireApConfigLock({ path: lock });
  writeFileSync(lock, '1\n');
  release();
  t.equal(readFileSync(lock, 'latin1'), '1\n', 'another owner\'s lock stays');
  const gone = lockPath();
  const r2 = acquireApConfigLock({ path: gone });
  r2();
  r2();
  t.notOk(existsSync(gone), 'a second release is harmless');
  const h = new ApHost(new SimSysfs(new SimHost(presetState('seed'))), { lock: false });
  h.setMasks({ apmask: '-0' });
  t.equal(readFileSync(lock, 'latin1'), '1\n');
  t.throws(() => acquireApConfigLock({ path: '/nonexistent-dir/x.lock' }), { code: 'ENOENT' });
  t.end();
});

t.test('parseApId and formatApId', (t) => {
  t.equal(parseApId(10, 'adapter'), 10);
  t.equal(parseApId('10', 'adapter'), 10);
  t.equal(parseApId('0x0a', 'adapter'), 10);
  t.equal(parseApId('012', 'domain'), 10, 'a leading 0 is octal, as the kernel reads it');
  t.equal(parseApId('255', 'domain'), 255);
  t.throws(() => parseApId(1.5, 'adapter'), { code: 'EINVAL', precheck: true, message: 'adapter 1.5 is not an ID: IDs are whole numbers from 0 to 255' });
  t.throws(() => parseApId(-1, 'domain'), { code: 'EINVAL', message: 'domain -1 is not an ID' });
  t.throws(() => parseApId(256, 'domain'), { code: 'ENODEV', message: 'domain 256 is above 255, the highest AP ID there is' });
  t.throws(() => parseApId('0x100', 'control domain'), { code: 'ENODEV', message: 'control domain 0x100 is above 255' });
  const bad = t.throws(() => parseApId('08', 'adapter')) as ApError;
  t.match(bad, { code: 'EINVAL', message: /^adapter "08" is not an ID: .*; write it in decimal \(10\), hex \(0x0a\) or octal \(012\)$/ });
  t.ok(bad.cause, 'the grammar error is kept as the cause');
  t.throws(() => parseApId('', 'adapter'), { code: 'EINVAL' });
  t.throws(() => parseApId('99999999999999999999999', 'adapter'), { code: 'ERANGE' });
  t.equal(formatApId(10, 'adapter'), '0x0a');
  t.equal(formatApId(0x1b, 'domain'), '0x001b');
  t.equal(formatApId(2, 'control domain'), '0x0002');
  t.end();
});

t.test('ApError.toJSON and kernelRefusal sentences', (t) => {
  const e = new ApError({ code: 'EADDRINUSE', message: 'm', apqns: [{ adapter: 1, domain: 6 }], mdev: U, path: 'p', written: '', precheck: true });
  t.same(e.toJSON(), { code: 'EADDRINUSE', message: 'm', apqns: ['01.0006'], mdev: U, path: 'p', written: '', precheck: true });
  t.same(new ApError({ code: 'EINVAL', message: 'x', precheck: false }).toJSON(), { code: 'EINVAL', message: 'x', apqns: [], precheck: false });
  t.equal(e.errno, -98, 'the errno number of the code');
  t.equal(e.name, 'ApError');
  const qs = Array.from({ length: 10 }, (_, i) => ({ adapter: 1, domain: i }));
  t.equal(apqnList(qs), '01.0000, 01.0001, 01.0002, 01.0003, 01.0004, 01.0005, 01.0006, 01.0007 and 2 more');
  t.equal(apqnList(qs.slice(0, 2)), '01.0000, 01.0001');
  const sentences: Record<string, string> = {
    ENODEV: 'the ID is above the highest the host allows (ap_max_adapter_id / ap_max_domain_id)',
    EADDRNOTAVAIL: 'an APQN is still reserved for the host by apmask/aqmask; free it with `zmdev masks set` first',
    EADDRINUSE: 'an APQN already belongs to another mdev; unassign it there first (`zmdev mdev show` lists the owners)',
    EBUSY: 'the device is busy (a guest may hold the mdev, or an APQN is in use by an mdev)',
    EINVAL: 'the kernel did not accept the value written',
    EEXIST: 'it already exists',
    ENOENT: 'the attribute does not exist on this host (is vfio_ap loaded? does the mdev exist?)',
    EACCES: 'the attribute cannot be opened that way',
    EUSERS: 'no more mdevs can be created; remove one first',
    EPERM: 'the operation is not permitted',
    EIO: 'the kernel refused it (EIO)',
  };
  for (const [code, meaning] of Object.entries(sentences)) {
    const k = kernelRefusal(new SysfsError({ code, syscall: 'write', path: 'bus/ap/apmask', written: '+5' }), 'ctx');
    t.same(k.toJSON(), { code, message: `ctx: ${meaning} [write of "+5" to bus/ap/apmask]`, apqns: [], path: 'bus/ap/apmask', written: '+5', precheck: false }, code);
  }
  const open = kernelRefusal(new SysfsError({ code: 'EBUSY', syscall: 'open', path: 'x' }), 'ctx', { EBUSY: 'special' });
  t.equal(open.message, 'ctx: special [open of "" to x]');
  t.equal(open.written, undefined);
  t.end();
});

t.test('the matrix device per profile; vfio_ap not loaded', (t) => {
  const caps = { '6.15': [true, true, true], '6.0': [false, true, true], '5.15': [false, false, false] } as const;
  for (const profile of ['6.15', '6.0', '5.15'] as const) {
    const host = new SimHost(presetState('seed', profile));
    const h = new ApHost(new SimSysfs(host), { lock: false });
    const empty = h.matrixDevice();
    t.same(empty.features, profile === '6.15' ? ['guest_matrix', 'hotplug', 'ap_config'] : null);
    t.equal(empty.availableInstances, 65536);
    h.setMasks({ apmask: '-0' });
    h.createMdev({ uuid: U, adapters: [0], domains: [1] });
    const [apConfig, guestMatrix, hotplug] = caps[profile];
    t.same(h.matrixDevice().capabilities, { apConfig, guestMatrix, hotplug }, profile);
    h.removeMdev(U);
    h.setMasks({ apmask: '+0' });
    events.unloadVfioAp(host);
    t.same(h.matrixDevice(), { loaded: false, features: null, availableInstances: null, capabilities: { apConfig: null, guestMatrix: null, hotplug: null }, mdevs: [] });
    t.same(h.mdevs(), []);
    const path = 'devices/vfio_ap/matrix';
    for (const [name, run] of [
      ['create', () => h.createMdev({ uuid: U, adapters: [0], domains: [1] })],
      ['dry create', () => h.createMdev({ adapters: [0], domains: [1], dryRun: true })],
      ['assign', () => h.assign(U, { adapters: [0] })],
      ['show', () => h.mdev(U)],
      ['remove', () => h.removeMdev(U)],
    ] as Array<[string, () => unknown]>) {
      t.throws(run, { code: 'ENOENT', precheck: true, path, message: `${path} does not exist: the vfio_ap module is not loaded; load it with \`modprobe vfio_ap\`` }, `${profile} ${name}`);
    }
    // Without vfio_ap, freed queues stay unbound.
    const plan = h.planMasks({ apmask: '-0' });
    t.ok(plan.moves.length > 0 && plan.moves.every((m) => m.to === null), 'freed queues would stay unbound');
  }
  t.end();
});

t.test('a lock path that cannot be opened (dangling symlink) times out instead of spinning', async (t) => {
  const { symlinkSync } = await import('node:fs');
  const lock = lockPath();
  symlinkSync(`${lock}.nowhere`, lock);
  const started = Date.now();
  t.throws(() => acquireApConfigLock({ path: lock, timeoutMs: 100, retryMs: 10 }), { code: 'EBUSY', message: `the AP configuration lock ${lock} is held by process ? ` });
  t.ok(Date.now() - started < 5000, 'it gave up at the timeout');
  t.end();
});

t.test('odd corners: the default lock option, plural messages, createMdev without a UUID', async (t) => {
  const { createMdev } = await import('../../src/ap/mdev.js');
  const host = new SimHost(presetState('seed'));
  const io = new SimSysfs(host);
  t.same(new ApHost(io).masks().apmask.toString(), `0x${'f'.repeat(64)}`, 'reads take no lock');
  const h = new ApHost(io, { lock: false });
  t.throws(() => h.createMdev({ uuid: U, adapters: [0, 1], domains: [1, 2] }), {
    code: 'EADDRNOTAVAIL', message: 'free them first with `zmdev masks set apmask=-0x00,-0x01` (the whole adapters) or `zmdev masks set aqmask=-0x0001,-0x0002` (the whole domains)',
  });
  h.setMasks({ apmask: '-0,-1' });
  h.createMdev({ uuid: U, adapters: [0, 1], domains: [1, 2] });
  t.throws(() => h.createMdev({ adapters: [0], domains: [1, 2] }), { code: 'EADDRINUSE', message: 'APQNs 00.0001, 00.0002 already belong to mdev' });
  t.throws(() => h.createMdev({ adapters: [0], domains: [1, 2] }), { message: 'unassign them there' });
  const id = createMdev(io);
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.same(h.mdevs().sort(), [U, id].sort());
  t.end();
});
