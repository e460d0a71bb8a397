import t from 'tap';
import { createHost, events } from '../../src/sim/index.js';

t.test('a card with no usage domains has a directory without queues', async (t) => {
  const { host, sysfs } = createHost('empty');
  events.addAdapter(host, { id: 3 });
  const entries = sysfs.list('devices/ap/card03');
  t.ok(entries.includes('hwtype'));
  t.notOk(entries.some((e) => e.includes('.')), 'no queue directories');
  t.equal(sysfs.read('devices/ap/card03/requestq_count'), '0\n');
});
