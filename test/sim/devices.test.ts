// Cards and queues (docs/kernel.md §2), bus attribute writes (§1.1), driver bind/unbind (§5), sysfs mechanics (§0).
import t from 'tap';
import { ApMask } from '../../src/mask/index.js';
import { SysfsError } from '../../src/sysfs/sysfs-io.js';
import { createHost, events, makeAdapter } from '../../src/sim/index.js';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as SysfsError).code;
  }
  return 'ok';
}

t.test('card attributes of the seed host', async (t) => {
  const { sysfs } = createHost('seed');
  const c = 'devices/ap/card01';
  t.same(sysfs.list(c), [
    '01.0001', '01.0002', '01.0004', '01.001b', 'ap_functions', 'chkstop', 'config', 'depth', 'driver', 'hwtype', 'load',
    'max_msg_size', 'modalias', 'online', 'pendingq_count', 'raw_hwtype', 'request_count', 'requestq_count', 'type',
  ]);
  t.equal(sysfs.read(`${c}/hwtype`), '14\n');
  t.equal(sysfs.read(`${c}/raw_hwtype`), '14\n');
  t.equal(sysfs.read(`${c}/depth`), '8\n', 'the queue-depth field plus one');
  t.equal(sysfs.read(`${c}/ap_functions`), '0x92800000\n');
  t.equal(sysfs.read('devices/ap/card00/ap_functions'), '0x6A800000\n', 'uppercase hex');
  t.equal(sysfs.read('devices/ap/card0a/ap_functions'), '0x06800000\n');
  t.equal(sysfs.read(`${c}/modalias`), 'ap:t0E\n');
  t.equal(sysfs.read(`${c}/type`), 'CEX8C\n');
  t.equal(sysfs.read('devices/ap/card00/type'), 'CEX8A\n');
  t.equal(sysfs.read('devices/ap/card0a/type'), 'CEX8P\n');
  t.equal(sysfs.read(`${c}/online`), '1\n');
  t.equal(sysfs.read(`${c}/config`), '1\n');
  t.equal(sysfs.read(`${c}/chkstop`), '0\n');
  t.equal(sysfs.read(`${c}/load`), '0\n');
  t.equal(sysfs.read(`${c}/max_msg_size`), '12288\n');
  t.equal(sysfs.read(`${c}/requestq_count`), '0\n');
  t.equal(sysfs.read(`${c}/pendingq_count`), '0\n');
  t.equal(sysfs.readlink(`${c}/driver`), '../../../bus/ap/drivers/cex4card');
  t.same(sysfs.stat(`${c}/request_count`), { kind: 'file', mode: 0o644 });
  t.same(sysfs.stat(`${c}/hwtype`), { kind: 'file', mode: 0o444 });
});

t.test('queue attributes and counters', async (t) => {
  const { host, sysfs } = createHost('seed');
  const q = 'devices/ap/card01/01.001b';
  t.same(sysfs.list(q), [
    'ap_functions', 'chkstop', 'config', 'driver', 'interrupt', 'load', 'online', 'pendingq_count', 'request_count', 'requestq_count', 'reset',
  ]);
  t.equal(sysfs.read(`${q}/reset`), 'No Reset Timer set.\n');
  t.equal(sysfs.read(`${q}/interrupt`), 'Interrupts enabled.\n');
  t.equal(sysfs.read(`${q}/ap_functions`), '0x92800000\n');
  t.equal(sysfs.read(`${q}/config`), '1\n');
  t.equal(sysfs.read(`${q}/chkstop`), '0\n');
  t.equal(sysfs.read(`${q}/load`), '0\n');
  t.equal(sysfs.read(`${q}/requestq_count`), '0\n');
  t.equal(sysfs.read(`${q}/pendingq_count`), '0\n');
  events.processRequests(host, 1, 0x1b, 5);
  events.processRequests(host, 1, 2, 3);
  t.equal(sysfs.read(`${q}/request_count`), '5\n');
  t.equal(sysfs.read('devices/ap/card01/request_count'), '8\n');
  t.equal(sysfs.write(`${q}/request_count`, 'anything'), 8);
  t.equal(sysfs.read(`${q}/request_count`), '0\n');
  t.equal(sysfs.read('devices/ap/card01/01.0002/request_count'), '3\n');
  sysfs.write('devices/ap/card01/request_count', '0');
  t.equal(sysfs.read('devices/ap/card01/request_count'), '0\n');
  t.equal(sysfs.read('devices/ap/card01/01.0002/request_count'), '0\n');
  t.equal(sysfs.write(`${q}/reset`, '1'), 1);
  t.equal(host.queue(1, 0x1b)!.resets, 1);
  t.throws(() => events.processRequests(host, 1, 0x30, 1), { code: 'ENOENT' });
  // interrupts off on the bus
  host.state.bus.interrupts = false;
  t.equal(sysfs.read(`${q}/interrupt`), 'Interrupts disabled.\n');
  t.equal(sysfs.read('bus/ap/ap_interrupts'), '0\n');
});

t.test('online and config switches', async (t) => {
  const { host, sysfs } = createHost('seed');
  const c = 'devices/ap/card01';
  const q = `${c}/01.0002`;
  t.equal(code(() => sysfs.write(`${c}/online`, '2')), 'EINVAL');
  t.equal(code(() => sysfs.write(`${c}/online`, 'x')), 'EINVAL');
  t.equal(sysfs.write(`${c}/online`, '0\n'), 2);
  t.equal(sysfs.read(`${c}/online`), '0\n');
  t.equal(sysfs.read(`${q}/online`), '0\n', 'cascades to the queues');
  t.equal(code(() => sysfs.write(`${q}/online`, '1')), 'EINVAL', 'card offline');
  t.equal(sysfs.write(`${c}/online`, ' 1'), 2);
  t.equal(sysfs.write(`${q}/online`, '0'), 1);
  t.equal(sysfs.write(`${q}/online`, '1'), 1);
  t.equal(code(() => sysfs.write(`${q}/online`, '5')), 'EINVAL');
  // deconfigure through the card's config attribute
  t.equal(code(() => sysfs.write(`${c}/config`, '3')), 'EINVAL');
  t.equal(sysfs.write(`${c}/config`, '0'), 1);
  t.equal(sysfs.read(`${c}/config`), '0\n');
  t.equal(sysfs.read(`${q}/config`), '0\n');
  t.equal(sysfs.read(`${c}/online`), '0\n');
  t.equal(sysfs.read(`${q}/online`), '0\n');
  t.equal(code(() => sysfs.write(`${c}/online`, '1')), 'ENODEV');
  t.equal(code(() => sysfs.write(`${q}/online`, '1')), 'ENODEV');
  t.equal(sysfs.write(`${c}/config`, '0'), 1, 'no change');
  t.ok(host.state.uevents.includes('devices/ap/card01 CONFIG=0'));
  t.ok(host.state.uevents.includes('devices/ap/card01/01.0002 CONFIG=0'));
  t.equal(host.queue(1, 2)!.resetRc, 3);
  sysfs.write(`${c}/config`, '1');
  t.equal(host.queue(1, 2)!.resetRc, 0);
  // checkstop of a whole adapter
  events.setCheckstop(host, 1, undefined, true);
  t.equal(sysfs.read(`${c}/chkstop`), '1\n');
  t.equal(sysfs.read(`${q}/chkstop`), '1\n');
  t.equal(sysfs.read(`${c}/online`), '0\n');
  t.equal(sysfs.read(`${q}/online`), '0\n');
  events.setAdapterConfig(host, 1, false);
  t.equal(host.queue(1, 2)!.resetRc, 4, 'checkstop wins');
  events.setCheckstop(host, 1, 2, false);
  t.equal(host.queue(1, 2)!.resetRc, 3);
  t.throws(() => events.setCheckstop(host, 9, undefined, true), { code: 'ENOENT' });
  t.throws(() => events.setAdapterConfig(host, 9, true), { code: 'ENOENT' });
  t.throws(() => events.setResetResponse(host, 1, 9, 1), { code: 'ENOENT' });
  events.resetQueueEvent(host, 1, 2);
  t.equal(host.queue(1, 2)!.resets, 1);
});

t.test('driver bind/unbind files', async (t) => {
  const { host, sysfs } = createHost('seed');
  const d = 'bus/ap/drivers';
  t.same(sysfs.stat(`${d}/vfio_ap/bind`), { kind: 'file', mode: 0o200 });
  t.equal(code(() => sysfs.write(`${d}/vfio_ap/unbind`, '01.0002')), 'ENODEV', 'not bound to vfio_ap');
  t.equal(code(() => sysfs.write(`${d}/cex4queue/unbind`, '01.0099')), 'ENODEV', 'no such device');
  t.equal(code(() => sysfs.write(`${d}/cex4queue/bind`, '01.0002')), 'EBUSY', 'already bound');
  t.equal(sysfs.write(`${d}/cex4queue/unbind`, '01.0002\n'), 8);
  t.equal(sysfs.read('bus/ap/bindings'), '11/12\n');
  t.equal(sysfs.read('devices/ap/card01/01.0002/request_count'), '-\n');
  t.equal(code(() => sysfs.write(`${d}/vfio_ap/bind`, '01.0002')), 'ENODEV', 'reserved: vfio_ap refuses it');
  t.equal(code(() => sysfs.write(`${d}/cex4card/bind`, '01.0002')), 'ENODEV', 'a card driver takes no queue');
  // a mask change reprobes the unbound reserved queue
  sysfs.write('bus/ap/apmask', '-0');
  t.equal(sysfs.readlink('devices/ap/card01/01.0002/driver'), '../../../../bus/ap/drivers/cex4queue');
  // an unreserved unbound queue is not reprobed by mask changes
  sysfs.write(`${d}/vfio_ap/unbind`, '00.0002');
  sysfs.write('bus/ap/aqmask', '-4');
  t.notOk(sysfs.exists('devices/ap/card00/00.0002/driver'));
  t.equal(code(() => sysfs.write(`${d}/cex4queue/bind`, '00.0002')), 'ENODEV', 'not reserved: cex4queue refuses it');
  t.equal(sysfs.write(`${d}/vfio_ap/bind`, '00.0002'), 7);
  // cards
  t.equal(code(() => sysfs.write(`${d}/cex4card/bind`, 'card01')), 'EBUSY');
  t.equal(code(() => sysfs.write(`${d}/vfio_ap/bind`, 'card01')), 'ENODEV');
  t.equal(code(() => sysfs.write(`${d}/cex4card/bind`, 'card02')), 'ENODEV');
  t.equal(code(() => sysfs.write(`${d}/cex4queue/unbind`, 'card01')), 'ENODEV');
  t.same(sysfs.list(`${d}/cex4card`), ['bind', 'card00', 'card01', 'card0a', 'unbind']);
  t.equal(sysfs.readlink(`${d}/cex4card/card01`), '../../../../devices/ap/card01');
  t.equal(sysfs.write(`${d}/cex4card/unbind`, 'card01\n'), 7);
  t.notOk(sysfs.exists('devices/ap/card01/type'));
  t.notOk(sysfs.exists('devices/ap/card01/driver'));
  t.ok(sysfs.exists('devices/ap/card01/hwtype'));
  t.equal(code(() => sysfs.write(`${d}/cex4card/unbind`, 'card01')), 'ENODEV');
  t.equal(sysfs.write(`${d}/cex4card/bind`, 'card01'), 6);
  t.equal(sysfs.read('devices/ap/card01/type'), 'CEX8C\n');
  t.equal(host.state.host.adapters[1]!.bound, true);
});

t.test('bus attribute writes', async (t) => {
  const { host, sysfs } = createHost('kernel-doc');
  const b = 'bus/ap';
  t.equal(sysfs.write(`${b}/ap_domain`, ' 0x47 trailing'), 14);
  t.equal(sysfs.read(`${b}/ap_domain`), '71\n');
  t.equal(sysfs.write(`${b}/ap_domain`, '0253'), 4);
  t.equal(sysfs.read(`${b}/ap_domain`), '171\n');
  t.equal(sysfs.write(`${b}/ap_domain`, '+4'), 2);
  t.equal(sysfs.write(`${b}/ap_domain`, '0'), 1);
  for (const bad of ['-1', 'x', '256']) t.equal(code(() => sysfs.write(`${b}/ap_domain`, bad)), 'EINVAL', bad);
  sysfs.write(`${b}/aqmask`, '-4');
  t.equal(code(() => sysfs.write(`${b}/ap_domain`, '4')), 'EINVAL', 'aqmask bit clear');
  t.equal(sysfs.write(`${b}/config_time`, '60s'), 3);
  t.equal(sysfs.read(`${b}/config_time`), '60\n');
  for (const bad of ['4', '121', 'x', '0x10']) t.equal(code(() => sysfs.write(`${b}/config_time`, bad)), 'EINVAL', bad);
  for (const [w, v] of [['1', '1'], ['n', '0'], ['Yes', '1'], ['off', '0'], ['on\n', '1'], ['F', '0'], ['t', '1']]) {
    sysfs.write(`${b}/poll_thread`, w!);
    t.equal(sysfs.read(`${b}/poll_thread`), `${v}\n`, String(w));
  }
  for (const bad of ['2', 'o', 'ox', 'x']) t.equal(code(() => sysfs.write(`${b}/poll_thread`, bad)), 'EINVAL', bad);
  t.equal(sysfs.write(`${b}/poll_timeout`, '0x10\n'), 5);
  t.equal(sysfs.read(`${b}/poll_timeout`), '16\n');
  t.equal(sysfs.write(`${b}/poll_timeout`, '120000000000'), 12);
  t.equal(code(() => sysfs.write(`${b}/poll_timeout`, '120000000001')), 'EINVAL');
  t.equal(code(() => sysfs.write(`${b}/poll_timeout`, '-1')), 'EINVAL');
  t.equal(code(() => sysfs.write(`${b}/poll_timeout`, '99999999999999999999')), 'ERANGE');
  t.equal(sysfs.write(`${b}/scans`, 'x'), 1);
  t.equal(sysfs.read(`${b}/scans`), '2\n');
  // QCI facilities and maxima
  host.state.host.facilities = ['APSC', 'APSB'];
  t.equal(sysfs.read(`${b}/features`), 'APSC APSB\n');
  t.equal(sysfs.read(`${b}/ap_max_adapter_id`), '63\n');
  t.equal(sysfs.read(`${b}/ap_max_domain_id`), '15\n');
  host.state.host.facilities = [];
  t.equal(sysfs.read(`${b}/features`), '', 'no bits set: 0 bytes');
  host.state.host.facilities = ['APXA'];
  host.state.host.na = 0;
  t.equal(sysfs.read(`${b}/ap_max_adapter_id`), '63\n', 'Na = 0 falls back to 63');
  host.state.host.qci = false;
  t.equal(sysfs.read(`${b}/features`), '-\n');
  t.equal(sysfs.read(`${b}/ap_adapter_mask`), 'not supported\n');
});

t.test('sysfs mechanics: open errors, links, listing', async (t) => {
  const { sysfs } = createHost('seed');
  const e = t.throws(() => sysfs.write('bus/ap/bindings', '1')) as SysfsError;
  t.equal(e.code, 'EACCES');
  t.equal(e.syscall, 'open');
  t.equal(code(() => sysfs.write('bus/ap/bindings', '')), 'EACCES', 'the open fails before the empty write');
  t.equal(code(() => sysfs.read('bus/ap/drivers/vfio_ap/bind')), 'EACCES');
  t.equal(code(() => sysfs.read('bus/ap/nope')), 'ENOENT');
  t.equal(code(() => sysfs.read('bus/ap/toString')), 'ENOENT', 'no prototype names');
  t.equal(code(() => sysfs.read('bus/ap')), 'EISDIR');
  t.equal(code(() => sysfs.write('bus/ap', 'x')), 'EISDIR');
  t.equal(code(() => sysfs.list('bus/ap/apmask')), 'ENOTDIR');
  t.equal(code(() => sysfs.read('bus/ap/apmask/x')), 'ENOTDIR');
  t.equal(code(() => sysfs.readlink('bus/ap/apmask')), 'EINVAL');
  t.equal(code(() => sysfs.stat('bus/ap/nope')), 'ENOENT');
  t.same(sysfs.list(''), ['bus', 'class', 'devices']);
  t.same(sysfs.list('/devices/'), ['ap', 'vfio_ap']);
  t.equal(sysfs.read('bus/ap/../ap/./apmask'), `${ApMask.FULL}\n`);
  t.equal(sysfs.read('bus/ap/devices/01.0002/../../../../bus/ap/bindings'), '12/12 (complete)\n', '.. after a link is taken in its target');
  t.same(sysfs.stat('bus/ap/devices/01.0002'), { kind: 'link', mode: 0o777 });
  t.same(sysfs.stat('bus/ap/devices/01.0002/'), { kind: 'link', mode: 0o777 });
  t.same(sysfs.stat('bus/ap/devices/01.0002/config'), { kind: 'file', mode: 0o444 });
  t.equal(sysfs.node('bus/ap/devices/01.0002').kind, 'dir');
  t.equal(sysfs.node('bus/ap/devices/01.0002', false).kind, 'link');
  t.same(sysfs.list('bus/ap/devices/card01').slice(0, 2), ['01.0001', '01.0002']);
  t.notOk(sysfs.exists('bus/ap/devices/card02'));
  const many = sysfs.readMany(['bus/ap/apmask', 'bus/ap/nope', 'bus/ap/drivers/cex4queue/bind']);
  t.equal(many[0], `${ApMask.FULL}\n`);
  t.ok(many[1] instanceof SysfsError);
  t.equal((many[2] as SysfsError).code, 'EACCES');
});

t.test('presets', async (t) => {
  const large = createHost('large');
  t.equal(large.host.state.queues.length, 64 * 85);
  t.equal(large.sysfs.read('bus/ap/bindings'), '5440/5440 (complete)\n');
  t.equal(large.sysfs.read('devices/ap/card00/type'), 'CEX5A\n');
  t.equal(large.sysfs.read('devices/ap/card3f/type'), 'CEX8A\n');
  t.equal(large.sysfs.read('devices/ap/card01/hwtype'), '12\n');
  t.equal(large.sysfs.read('bus/ap/ap_usage_domain_mask'), `${ApMask.range(0, 0x54)}\n`);
  const empty = createHost('empty');
  t.equal(empty.sysfs.read('bus/ap/bindings'), '0/0 (complete)\n');
  t.equal(empty.sysfs.read('bus/ap/ap_domain'), '-1\n');
  t.same(empty.sysfs.list('devices/ap'), []);
  const def = createHost();
  t.equal(def.host.state.profile, '6.15');
  t.ok(def.sysfs.exists('devices/ap/card0a'));
  t.equal(makeAdapter(3, 4, 'A').hwtype, 10);
});
