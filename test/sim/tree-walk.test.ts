// Every directory of the simulated tree answers for the names it lists and for no other: each
// listed name can be looked up (links not followed), and a name it does not list is ENOENT.
import t, { type Test } from 'tap';
import { createHost, events } from '../../src/sim/index.js';
import type { SimSysfs } from '../../src/sim/index.js';

const A = '11111111-2222-3333-4444-555555555555';
const ODD = ['nope', 'card99', '05.0100', '05.004g', 'matrix2', A.toUpperCase(), 'constructor', '__proto__', 'drivers0'];

function walk(t: Test, io: SimSysfs, p: string, seen: { dirs: number }): void {
  const st = io.stat(p);
  if (st.kind !== 'dir') return;
  seen.dirs++;
  const names = io.list(p);
  for (const odd of ODD) if (!names.includes(odd)) t.notOk(io.exists(p ? `${p}/${odd}` : odd), `${p}/${odd} is absent`);
  for (const n of names) walk(t, io, p ? `${p}/${n}` : n, seen);
}

t.test('seed host: an mdev, an unbound card, queues on every driver', async (t) => {
  const { host, sysfs } = createHost('seed', '6.15');
  sysfs.write('bus/ap/apmask', '-0x0a');
  sysfs.write('devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create', A);
  sysfs.write(`devices/vfio_ap/matrix/${A}/assign_adapter`, '0x0a');
  sysfs.write('bus/ap/drivers/cex4card/unbind', 'card01');
  sysfs.write('bus/ap/drivers/cex4queue/unbind', '00.0001');
  events.attachGuest(host, A, 'g1');
  const seen = { dirs: 0 };
  walk(t, sysfs, '', seen);
  t.ok(seen.dirs > 40, `${seen.dirs} directories walked`);
  t.same(sysfs.list('bus/mdev/drivers'), ['vfio_ap_mdev']);
  t.same(sysfs.list(`devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/devices`), [A]);
  t.same(sysfs.list('class/mdev_bus'), ['matrix']);
});

t.test('vfio_ap unloaded: the mdev core has no parent', async (t) => {
  const { host, sysfs } = createHost('kernel-doc', '5.15');
  events.unloadVfioAp(host);
  const seen = { dirs: 0 };
  walk(t, sysfs, '', seen);
  t.same(sysfs.list('bus/mdev/drivers'), []);
  t.same(sysfs.list('bus/mdev/devices'), []);
  t.same(sysfs.list('class/mdev_bus'), []);
  t.notOk(sysfs.exists('bus/mdev/drivers/vfio_ap_mdev'));
  t.notOk(sysfs.exists('bus/matrix'));
});
