// Hot unplug with a running guest: the enabled-wait boot image idles in a wait state, so QEMU can
// deliver the unplug request and DEVICE_DELETED arrives after device_del returned.
import t from 'tap';
import { QmpClient } from '../../src/qmp/index.js';
import { startQemu } from './fixtures/qemu.js';

const LONG = { timeoutMs: 60_000 };

t.test('device_add / device_del of virtio-rng-ccw on a running guest', async (t) => {
  const qemu = await startQemu(t, { paused: false, boot: true });
  const qmp = new QmpClient();
  await qmp.connect(qemu.address, LONG);
  t.teardown(() => qmp.disconnect());
  t.match(await qmp.execute('query-status'), { status: 'running', running: true });
  for (const round of [1, 2, 3]) {
    const id = `rng${round}`;
    t.same(await qmp.execute('device_add', { driver: 'virtio-rng-ccw', id }, LONG), {});
    const gone = qmp.waitForEvent('DEVICE_DELETED', (d) => d['device'] === id, LONG);
    t.same(await qmp.execute('device_del', { id }, LONG), {});
    const ev = await gone;
    t.same(ev.data, { device: id, path: `/machine/peripheral/${id}` }, `round ${round}`);
  }
  const still = await qmp.execute('query-status');
  t.match(still, { status: 'running', running: true }, 'the guest is still idling in its wait state');
  const refused = await qmp.execute('device_del', { id: 'rng1' }).catch((e: unknown) => e);
  t.match(refused, { code: 'DeviceNotFound' });
});
