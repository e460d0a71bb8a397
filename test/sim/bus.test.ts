// AP bus attributes (docs/kernel.md §1.1), mask writes (§1.2-§1.3) and bindings (§1.4) through SimSysfs.
import t from 'tap';
import { ApMask } from '../../src/mask/index.js';
import { SysfsError } from '../../src/sysfs/sysfs-io.js';
import { createHost, events, kernelLog } from '../../src/sim/index.js';

const FULL = `${ApMask.FULL}\n`;
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as SysfsError).code;
  }
  return 'ok';
};

t.test('fresh seed host: bus attribute reads, byte for byte', async (t) => {
  const { sysfs } = createHost('seed');
  t.equal(sysfs.read('bus/ap/apmask'), FULL);
  t.equal(sysfs.read('bus/ap/apmask').length, 67);
  t.equal(sysfs.read('bus/ap/aqmask'), FULL);
  t.equal(sysfs.read('bus/ap/ap_max_adapter_id'), '255\n');
  t.equal(sysfs.read('bus/ap/ap_max_domain_id'), '255\n');
  t.equal(sysfs.read('bus/ap/ap_adapter_mask'), `${ApMask.of([0, 1, 10])}\n`);
  t.equal(sysfs.read('bus/ap/ap_usage_domain_mask'), `${ApMask.of([1, 2, 4, 0x1b])}\n`);
  t.equal(sysfs.read('bus/ap/ap_control_domain_mask'), `${ApMask.of([1, 2, 4, 0x1b])}\n`);
  t.equal(sysfs.read('bus/ap/ap_interrupts'), '1\n');
  t.equal(sysfs.read('bus/ap/ap_domain'), '1\n');
  t.equal(sysfs.read('bus/ap/config_time'), '30\n');
  t.equal(sysfs.read('bus/ap/poll_thread'), '0\n');
  t.equal(sysfs.read('bus/ap/poll_timeout'), '250000\n');
  t.equal(sysfs.read('bus/ap/scans'), '1\n');
  t.equal(sysfs.read('bus/ap/bindings'), '12/12 (complete)\n');
  t.equal(sysfs.read('bus/ap/features'), 'APSC APXA QACT RC8A\n');
  t.same(sysfs.list('bus/ap/drivers'), ['cex4card', 'cex4queue', 'vfio_ap']);
  t.same(sysfs.list('bus/ap/devices').slice(0, 6), ['00.0001', '00.0002', '00.0004', '00.001b', '01.0001', '01.0002']);
  t.equal(sysfs.readlink('bus/ap/devices/01.001b'), '../../../devices/ap/card01/01.001b');
  t.equal(sysfs.readlink('bus/ap/devices/card0a'), '../../../devices/ap/card0a');
  t.equal(sysfs.readlink('devices/ap/card01/01.001b/driver'), '../../../../bus/ap/drivers/cex4queue');
  t.equal(sysfs.read('bus/ap/devices/01.001b/online'), '1\n');
});

t.test('absolute and relative mask writes (§9.1)', async (t) => {
  const { sysfs } = createHost('kernel-doc');
  const cases: Array<[string, string, string]> = [
    ['0x41', 'apmask', `${ApMask.of([1, 7])}\n`],
    ['41\n', 'apmask', `${ApMask.of([1, 7])}\n`],
    ['0x', 'apmask', `${ApMask.EMPTY}\n`],
    ['\n', 'aqmask', `${ApMask.EMPTY}\n`],
    ['+0-15', 'aqmask', `${ApMask.range(0, 15)}\n`],
  ];
  for (const [input, file, want] of cases) {
    t.equal(sysfs.write(`bus/ap/${file}`, input), input.length, `write ${JSON.stringify(input)}`);
    t.equal(sysfs.read(`bus/ap/${file}`), want, `${file} after ${JSON.stringify(input)}`);
  }
  sysfs.write('bus/ap/apmask', 'f'.repeat(64));
  t.equal(sysfs.write('bus/ap/apmask', '-5,-6'), 5);
  t.equal(sysfs.read('bus/ap/apmask'), '0xf9ff' + 'f'.repeat(60) + '\n');
  for (const bad of ['0X41', '0x41 ', '+0x128', '-0-255,+1-16,+0x128', '+08', '0x41\n\n']) {
    const before = sysfs.read('bus/ap/apmask');
    const err = t.throws(() => sysfs.write('bus/ap/apmask', bad)) as SysfsError;
    t.equal(err.code, 'EINVAL', JSON.stringify(bad));
    t.equal(err.syscall, 'write');
    t.equal(err.path, 'bus/ap/apmask');
    t.equal(err.written, bad);
    t.equal(sysfs.read('bus/ap/apmask'), before, 'a refused write changes nothing');
  }
});

t.test('an empty write never reaches the store; a write is cut to one page', async (t) => {
  const { host, sysfs } = createHost('kernel-doc');
  t.equal(sysfs.write('bus/ap/apmask', ''), 0);
  t.equal(sysfs.write('bus/ap/apmask', new Uint8Array(0)), 0);
  t.equal(sysfs.read('bus/ap/apmask'), FULL);
  t.equal(host.state.uevents.length, 0);
  // 4095 commas after a term are separators; the page ends before the bad tail.
  const long = '-5' + ','.repeat(4094) + 'X';
  t.equal(sysfs.write('bus/ap/apmask', long), 4096);
  t.equal(sysfs.read('bus/ap/apmask'), `${ApMask.FULL.without(5)}\n`);
});

t.test('masks decide bindings: reserved → cex4queue, else vfio_ap', async (t) => {
  const { host, sysfs } = createHost('seed');
  sysfs.write('bus/ap/apmask', '-0x00,-0x0a');
  sysfs.write('bus/ap/aqmask', '-1,-2,-4');
  t.equal(sysfs.readlink('devices/ap/card01/01.001b/driver'), '../../../../bus/ap/drivers/cex4queue');
  for (const q of ['00.0001', '00.001b', '01.0001', '01.0004', '0a.001b']) {
    t.equal(sysfs.readlink(`bus/ap/devices/${q}/driver`), '../../../../bus/ap/drivers/vfio_ap', q);
    t.equal(sysfs.read(`bus/ap/devices/${q}/request_count`), '-\n', `${q} moved to vfio_ap is uninitiated`);
    t.equal(sysfs.read(`bus/ap/devices/${q}/status`), 'unassigned\n');
    t.notOk(sysfs.exists(`bus/ap/devices/${q}/online`));
  }
  t.same(sysfs.list('bus/ap/drivers/cex4queue'), ['01.001b', 'bind', 'unbind']);
  t.equal(sysfs.list('bus/ap/drivers/vfio_ap').length, 13);
  t.equal(sysfs.read('bus/ap/bindings'), '12/12 (complete)\n');
  t.same(host.state.uevents, [
    `devices/ap APMASK=${ApMask.FULL.without(0, 10)}\n`,
    `devices/ap AQMASK=${ApMask.FULL.without(1, 2, 4)}\n`,
  ]);
  // each queue leaving cex4queue for vfio_ap is not reset (only vfio_ap resets on leaving)
  t.equal(host.queue(0, 1)!.resets, 0);
  // giving adapter 0x0a back: its queues leave vfio_ap, each with a reset, and rebind to cex4queue
  sysfs.write('bus/ap/apmask', '+10');
  t.equal(sysfs.read('bus/ap/devices/0a.001b/request_count'), '0\n');
  t.equal(sysfs.readlink('bus/ap/devices/0a.001b/driver'), '../../../../bus/ap/drivers/cex4queue');
  t.equal(host.queue(10, 0x1b)!.resets, 1);
  t.equal(host.queue(10, 1)!.resets, 0, '0a.0001 stays with vfio_ap (domain 1 is not in aqmask)');
  // a no-op write: no rebind, no uevent
  const n = host.state.uevents.length;
  sysfs.write('bus/ap/apmask', '+10');
  t.equal(host.state.uevents.length, n);
  t.same(kernelLog(host), []);
});

t.test('without vfio_ap, unreserved queues stay unbound', async (t) => {
  const { host, sysfs } = createHost('seed');
  events.unloadVfioAp(host);
  t.notOk(sysfs.exists('bus/ap/drivers/vfio_ap'));
  t.notOk(sysfs.exists('devices/vfio_ap'));
  t.notOk(sysfs.exists('class/mdev_bus/matrix'));
  t.same(sysfs.list('bus/mdev/devices'), []);
  sysfs.write('bus/ap/apmask', '-0');
  t.equal(sysfs.read('bus/ap/bindings'), '8/12\n');
  t.notOk(sysfs.exists('bus/ap/devices/00.0001/driver'));
  t.equal(code(() => sysfs.readlink('bus/ap/devices/00.0001/driver')), 'ENOENT');
  events.loadVfioAp(host);
  t.equal(sysfs.read('bus/ap/bindings'), '12/12 (complete)\n');
  t.equal(sysfs.readlink('bus/ap/devices/00.0001/driver'), '../../../../bus/ap/drivers/vfio_ap');
});
