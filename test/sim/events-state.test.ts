// Host events (argument checks, module load/unload) and the state file.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import {
  checkState, cloneState, createHost, events, kernelLog, loadState, presetState, saveState, SimHost, SimSysfs,
} from '../../src/sim/index.js';

const A = '11111111-2222-3333-4444-555555555555';
const TYPE = 'devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough';

t.test('host events refuse what makes no sense', async (t) => {
  const { host, sysfs } = createHost('seed');
  t.throws(() => events.addAdapter(host, { id: 256 }), { code: 'EINVAL' });
  t.throws(() => events.addAdapter(host, { id: 1 }), { code: 'EEXIST' });
  t.throws(() => events.removeAdapter(host, 2), { code: 'ENOENT' });
  t.throws(() => events.addDomain(host, -1), { code: 'EINVAL' });
  t.throws(() => events.addDomain(host, 1), { code: 'EEXIST' });
  t.throws(() => events.removeDomain(host, 3), { code: 'ENOENT' });
  t.throws(() => events.addControlDomain(host, 1.5), { code: 'EINVAL' });
  t.throws(() => events.addControlDomain(host, 1), { code: 'EEXIST' });
  t.throws(() => events.removeControlDomain(host, 3), { code: 'ENOENT' });
  t.throws(() => events.loadVfioAp(host), { code: 'EEXIST' });
  sysfs.write(`${TYPE}/create`, A);
  t.throws(() => events.unloadVfioAp(host), { code: 'EBUSY' });
  sysfs.write(`devices/vfio_ap/matrix/${A}/remove`, '1');
  events.unloadVfioAp(host);
  t.throws(() => events.unloadVfioAp(host), { code: 'ENOENT' });
  t.notOk(sysfs.exists('bus/matrix'));
  t.same(sysfs.list('bus/mdev/drivers'), []);
  // a reserved queue unbound by hand is not taken by vfio_ap when it loads
  sysfs.write('bus/ap/drivers/cex4queue/unbind', '01.0002');
  events.loadVfioAp(host);
  t.notOk(sysfs.exists('devices/ap/card01/01.0002/driver'));
  t.equal(sysfs.readlink('bus/matrix/drivers/vfio_ap/matrix'), '../../../../devices/vfio_ap/matrix');
  sysfs.write('bus/ap/drivers/cex4queue/bind', '01.0002');
  events.unloadVfioAp(host);
  // an adapter added with overrides, while vfio_ap is away and masks are default: cex4queue
  events.addAdapter(host, { id: 2, generation: 6, mode: 'A', overrides: { depth: 3 } });
  t.equal(sysfs.read('devices/ap/card02/depth'), '3\n');
  t.equal(sysfs.read('devices/ap/card02/type'), 'CEX6A\n');
  t.equal(sysfs.readlink('devices/ap/card02/02.0001/driver'), '../../../../bus/ap/drivers/cex4queue');
  t.equal(sysfs.read('bus/ap/scans'), '2\n');
  events.addAdapter(host, { id: 3 });
  t.equal(sysfs.read('devices/ap/card03/type'), 'CEX8C\n');
  events.removeAdapter(host, 3);
  events.addDomain(host, 0x30);
  t.ok(sysfs.exists('devices/ap/card02/02.0030'));
  events.removeDomain(host, 0x30);
  t.notOk(sysfs.exists('devices/ap/card02/02.0030'));
  t.equal(sysfs.read('bus/ap/bindings'), '16/16 (complete)\n');
  t.same(kernelLog(host), []);
});

t.test('5.15: host removal leaves no shadow to update', async (t) => {
  const { host, sysfs } = createHost('kernel-doc', '5.15');
  sysfs.write('bus/ap/apmask', '-5');
  sysfs.write(`${TYPE}/create`, A);
  sysfs.write(`devices/vfio_ap/matrix/${A}/assign_adapter`, '5');
  sysfs.write(`devices/vfio_ap/matrix/${A}/assign_domain`, '4');
  events.removeAdapter(host, 5);
  t.equal(sysfs.read(`devices/vfio_ap/matrix/${A}/matrix`), '05.0004\n');
  sysfs.write(`devices/vfio_ap/matrix/${A}/assign_control_domain`, '4');
  t.equal(host.mdev(A)!.shadow.adm, `0x${'0'.repeat(64)}`, 'no S.adm before dynamic configuration');
});

t.test('state file: atomic save, load, validation', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-sim-'));
  const file = path.join(dir, 'state.json');
  const { host, sysfs } = createHost('kernel-doc', '6.0');
  sysfs.write('bus/ap/apmask', '-5');
  sysfs.write(`${TYPE}/create`, A);
  saveState(file, host.state);
  t.same(readdirSync(dir), ['state.json'], 'no temporary file left');
  const loaded = loadState(file);
  t.same(loaded, host.state);
  const again = new SimSysfs(new SimHost(loaded));
  t.equal(again.read('bus/ap/apmask'), sysfs.read('bus/ap/apmask'));
  t.ok(again.exists(`devices/vfio_ap/matrix/${A}/guest_matrix`));
  t.notOk(again.exists(`devices/vfio_ap/matrix/${A}/ap_config`));
  saveState(file, presetState('empty'));
  t.equal(loadState(file).host.adapters.length, 0);
  t.match(readFileSync(file, 'utf8'), /^\{\n {2}"format": "zmdev-sim\/1"/);
  // refusals
  writeFileSync(file, '{nope');
  t.throws(() => loadState(file), { code: 'EBADSTATE', message: /not JSON/ });
  writeFileSync(file, JSON.stringify({ ...presetState('seed'), apmask: '0xff' }));
  t.throws(() => loadState(file), { code: 'EBADSTATE', message: /apmask: expected 0x and 64 lowercase hex digits/ });
  const bad = cloneState(host.state) as unknown as Record<string, unknown>;
  bad.profile = '4.20';
  t.throws(() => saveState(file, bad as never), { message: /profile: expected/ });
  t.throws(() => saveState(path.join(dir, 'missing', 'x.json'), host.state), { code: 'ENOENT' });
  t.same(readdirSync(dir), ['state.json']);
  t.throws(() => saveState(dir, host.state), /EISDIR|EEXIST|ENOTEMPTY|directory/);
  t.same(readdirSync(dir), ['state.json'], 'the temporary file is removed when the rename fails');
});

t.test('checkState says what is wrong', async (t) => {
  t.same(checkState(presetState('large')), []);
  t.same(checkState(null), ['state: expected an object']);
  t.same(checkState([]), ['state: expected an object']);
  const s = cloneState(presetState('seed')) as unknown as Record<string, any>;
  s.format = 'x';
  s.host.facilities.push('NOPE');
  s.host.na = 300;
  s.host.adapters[1].id = 0;
  s.host.adapters[0].mode = 'Q';
  s.host.adapters[0].config = 'yes';
  s.host.domains = 'x';
  s.bus = [];
  s.queues[0].driver = 'zcrypt';
  s.queues[1] = 5;
  s.mdevs = [
    { uuid: A, apm: '0x', aqm: s.apmask, adm: s.apmask, shadow: { apm: s.apmask, aqm: s.apmask, adm: s.apmask }, guest: '' },
    { uuid: A, apm: s.apmask, aqm: s.apmask, adm: s.apmask, shadow: null, guest: null },
    { uuid: 'NOT', apm: s.apmask, aqm: s.apmask, adm: s.apmask, shadow: { apm: s.apmask, aqm: s.apmask, adm: s.apmask }, guest: 'g' },
  ];
  s.log = [1];
  const errs = checkState(s);
  for (const want of [
    /^format: expected "zmdev-sim\/1"/, /^host\.facilities\[4\]: expected one of/, /^host\.na: expected an integer from 0 to 255, got 300/,
    /^host\.adapters\[1\]\.id: adapter 0 is listed twice/, /^host\.adapters\[0\]\.mode/, /^host\.adapters\[0\]\.config: expected true or false/,
    /^host\.domains: expected an array/, /^bus: expected an object/, /^bus\.apDomain/, /^queues\[0\]\.driver/, /^queues\[1\]: expected an object/,
    /^mdevs\[0\]\.apm: expected 0x/, /^mdevs\[0\]\.guest/, /^mdevs\[1\]\.uuid: .* is listed twice/, /^mdevs\[1\]\.shadow: expected an object/,
    /^mdevs\[2\]\.uuid: expected a lowercase UUID/, /^log\[0\]: expected a string/,
  ]) t.ok(errs.some((e) => want.test(e)), String(want));
});

t.test('unloading vfio_ap leaves its queues unbound', async (t) => {
  const { host, sysfs } = createHost('seed');
  sysfs.write('bus/ap/apmask', '-0x0a');
  t.equal(host.queue(10, 1)!.driver, 'vfio_ap');
  events.unloadVfioAp(host);
  t.equal(sysfs.read('bus/ap/bindings'), '8/12\n');
  t.equal(host.queue(10, 1)!.resets, 1, 'each leaves vfio_ap with a reset');
});
