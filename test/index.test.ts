// The package's public entry: what the README shows works as shown.
import t from 'tap';
import * as zmdev from '../src/index.js';

t.test('the README\'s library example', async (t) => {
  const ap = new zmdev.ApHost(zmdev.createHost('seed').sysfs, { lock: false });
  const plan = ap.planMasks({ apmask: '-0,-10', aqmask: '-1-2,-4' });
  t.same(plan.moves[0], { apqn: { adapter: 0, domain: 1 }, from: 'cex4queue', to: 'vfio_ap' });
  ap.setMasks({ apmask: '-0,-10', aqmask: '-1-2,-4' });
  const { uuid } = ap.createMdev({ adapters: [0x01, 0x0a], domains: [0x0002], controlDomains: [0x0002] });
  t.same(ap.mdev(uuid).guestMatrix, [{ adapter: 1, domain: 2 }, { adapter: 10, domain: 2 }]);
  t.throws(() => ap.assign(uuid, { adapters: [0x01], domains: [0x1b] }), { name: 'ApError', code: 'EADDRNOTAVAIL', precheck: true });
  t.equal(zmdev.parseKernelMask('-4,-0x47,-0xab,-0xff').toString(), '0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe');
  t.equal(zmdev.formatRanges(zmdev.parseKernelMask('-5,-6')), '0-4,7-255');
  t.same(zmdev.findSharedApqns([
    { adapters: zmdev.ApMask.of([1, 2]), domains: zmdev.ApMask.of([5, 6]) },
    { adapters: zmdev.ApMask.of([1]), domains: zmdev.ApMask.of([6, 7]) },
  ]), [{ a: 0, b: 1, apqns: [{ adapter: 1, domain: 6 }] }]);
});

t.test('every layer is reachable from the entry', async (t) => {
  for (const name of ['RealSysfs', 'SimSysfs', 'QmpClient', 'checkPlan', 'readInventory', 'formatLszcrypt', 'mountSysfs', 'ZmdevError', 'SysfsError']) {
    t.type((zmdev as Record<string, unknown>)[name], 'function', name);
  }
  t.type(zmdev.guest.attach, 'function');
  t.type(zmdev.guest.hostdevXml, 'function');
  t.type(zmdev.qmp.ExecuteError, 'function');
  t.type(zmdev.simEvents.attachGuest, 'function');
});
