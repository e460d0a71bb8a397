// What the SDK does when the host refuses a read: it reports the errno, never guesses a value.
// A wrapper around the simulated host fails chosen reads and readlinks (EIO, as a dying device
// gives) or answers a readlink differently — cases a kernel can produce but the model has no event for.
import t from 'tap';
import { ApHost } from '../../src/ap/host.js';
import { planMaskChange } from '../../src/ap/bus.js';
import { readMatrixDevice } from '../../src/ap/matrix-device.js';
import { readMdev } from '../../src/ap/mdev-read.js';
import { checkPlan, parsePlan } from '../../src/plan/check.js';
import { createHost, type ProfileName } from '../../src/sim/index.js';
import { SysfsError, type SysfsIO } from '../../src/sysfs/sysfs-io.js';

const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';

class FaultyIO implements SysfsIO {
  failRead = new Set<string>();
  failReadlink = new Set<string>();
  links = new Map<string, string>();
  missing = new Set<string>();
  constructor(readonly inner: SysfsIO) {}
  #fail(path: string, syscall: 'read' | 'readlink'): never {
    throw new SysfsError({ code: 'EIO', syscall, path });
  }
  read(p: string): string {
    if (this.failRead.has(p)) this.#fail(p, 'read');
    return this.inner.read(p);
  }
  readMany(ps: readonly string[]): Array<string | SysfsError> {
    return ps.map((p) => (this.failRead.has(p) ? new SysfsError({ code: 'EIO', syscall: 'read', path: p }) : this.inner.readMany([p])[0]!));
  }
  write(p: string, d: string | Uint8Array): number { return this.inner.write(p, d); }
  list(p: string): string[] { return this.inner.list(p); }
  exists(p: string): boolean { return !this.missing.has(p) && this.inner.exists(p); }
  stat(p: string) { return this.inner.stat(p); }
  readlink(p: string): string {
    if (this.failReadlink.has(p)) this.#fail(p, 'readlink');
    return this.links.get(p) ?? this.inner.readlink(p);
  }
}

function host(profile: ProfileName = '6.15'): { io: FaultyIO; ap: ApHost; sim: ReturnType<typeof createHost> } {
  const sim = createHost('seed', profile);
  const io = new FaultyIO(sim.sysfs);
  const ap = new ApHost(io, { lock: false });
  ap.setMasks({ apmask: '-0,-10', aqmask: '-1-2,-4' });
  return { io, ap, sim };
}

t.test('a mask plan needs every queue\'s driver and card type', async (t) => {
  const { io } = host();
  io.failReadlink.add('devices/ap/card01/01.0002/driver');
  t.throws(() => planMaskChange(io, { apmask: '+0' }), { code: 'EIO', syscall: 'readlink' });
  io.failReadlink.clear();
  io.failRead.add('devices/ap/card0a/hwtype');
  t.throws(() => planMaskChange(io, { apmask: '+0' }), { code: 'EIO', path: 'devices/ap/card0a/hwtype' });
});

t.test('a plan check needs the card types', async (t) => {
  const { io } = host();
  io.failRead.add('devices/ap/card01/hwtype');
  const plan = parsePlan({ guests: [{ name: 'G', adapters: [1], domains: [2] }] });
  t.throws(() => checkPlan(plan, io), { code: 'EIO' });
});

t.test('the matrix device: features and available_instances', async (t) => {
  const { io } = host();
  t.equal(readMatrixDevice(io).availableInstances, 65536);
  io.failRead.add('devices/vfio_ap/matrix/features');
  t.throws(() => readMatrixDevice(io), { code: 'EIO' }, 'a features file that cannot be read is not a missing one');
  io.failRead.clear();
  io.failRead.add('devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/available_instances');
  t.throws(() => readMatrixDevice(io), { code: 'EIO' });
});

t.test('reading an mdev: matrix and control domains where there is no ap_config (6.0)', async (t) => {
  const { io, ap } = host('6.0');
  ap.createMdev({ uuid: U, adapters: [1], domains: [2], controlDomains: [2] });
  t.same(readMdev(io, U).controlDomains.ids(), [2]);
  io.failRead.add(`devices/vfio_ap/matrix/${U}/matrix`);
  t.throws(() => readMdev(io, U), { code: 'EIO' });
  io.failRead.clear();
  io.failRead.add(`devices/vfio_ap/matrix/${U}/control_domains`);
  t.throws(() => readMdev(io, U), { code: 'EIO' });
  io.failRead.clear();
  io.failRead.add(`devices/vfio_ap/matrix/${U}/guest_matrix`);
  t.throws(() => readMdev(io, U), { code: 'EIO' }, 'only a missing guest_matrix means an old kernel');
  io.failRead.clear();
  io.failRead.add('bus/ap/ap_adapter_mask');
  t.throws(() => readMdev(io, U), { code: 'EIO' });
});

t.test('guest-matrix explanations: a queue bound elsewhere, a queue with no device, no QCI', async (t) => {
  const { io, ap, sim } = host();
  ap.createMdev({ uuid: U, adapters: [1, 10], domains: [2] });
  // A driver other than vfio_ap holds 0a.0002 (a kernel lets root bind it there by hand).
  sim.sysfs.write('bus/ap/drivers/vfio_ap/unbind', '0a.0002');
  io.links.set('devices/ap/card0a/0a.0002/driver', '../../../../bus/ap/drivers/cex4queue');
  const info = readMdev(io, U);
  t.match(info.filtered, [{ kind: 'adapter', id: 10, queue: { adapter: 10, domain: 2 }, reason: /0a\.0002 is bound to cex4queue, not vfio_ap/ }]);
  io.failReadlink.add('devices/ap/card0a/0a.0002/driver');
  t.throws(() => readMdev(io, U), { code: 'EIO', syscall: 'readlink' });
  io.failReadlink.clear();
  io.links.clear();
  t.match(readMdev(io, U).filtered, [{ reason: /0a\.0002 is not bound to any driver/ }]);

  // A queue the bus has no device for (its APQN answers no TAPQ) filters its adapter too.
  io.missing.add('devices/ap/card0a/0a.0002');
  t.match(readMdev(io, U).filtered, [{ reason: /0a\.0002 has no queue device/ }]);
  io.missing.clear();

  // Without QCI the host's configuration is unknown: only what the queues say counts.
  sim.host.state.host.qci = false;
  const noQci = readMdev(io, U);
  t.equal(noQci.filtered.length, 1);
  t.match(noQci.filtered[0]!.reason, /0a\.0002 is not bound to any driver/);
});

t.test('masks and the ID maxima must be readable', async (t) => {
  const { io, ap } = host();
  io.failRead.add('bus/ap/aqmask');
  t.throws(() => ap.masks(), { code: 'EIO', path: 'bus/ap/aqmask' });
  io.failRead.clear();
  io.failRead.add('bus/ap/ap_max_domain_id');
  t.throws(() => ap.maxIds(), { code: 'EIO' });
});

t.test('a mask change that would take APQNs from two mdevs names both', async (t) => {
  const { ap } = host();
  ap.createMdev({ uuid: U, adapters: [1], domains: [2] });
  ap.createMdev({ uuid: '62177883-f1bb-47f0-914d-32a22e3a8804', adapters: [10], domains: [2] });
  t.throws(() => ap.setMasks({ apmask: '+10', aqmask: '+2' }), {
    code: 'EBUSY',
    message: /APQNs 01\.0002, 0a\.0002 back to the host, but mdev .* \(and 1 more\) holds them; unassign them/,
  });
});

t.test('the default lock is /run/lock/s390apconfig.lock, as chzdev and ap-check take it', async (t) => {
  const { acquireApConfigLock, AP_CONFIG_LOCK } = await import('../../src/ap/lock.js');
  const { existsSync, readFileSync } = await import('node:fs');
  const release = acquireApConfigLock({ timeoutMs: 5000 });
  t.equal(readFileSync(AP_CONFIG_LOCK, 'latin1'), `${process.pid}\n`);
  release();
  t.notOk(existsSync(AP_CONFIG_LOCK));
});
