// zmdev qemu-args, xml hostdev|nodedev, guest cpu-check|attach|detach: text, --json, exit codes,
// against a simulated host state file and real QEMU (TCG).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { zmdev } from '../cli/helpers.js';
import { U1, U3 } from './fixtures/hosts.js';
import { LONG, startGuest, type GuestQemu } from './fixtures/qemu.js';
import type { QmpClient } from '../../src/qmp/index.js';
import { bootImage } from '../qmp/fixtures/qemu.js';
import { fakeQmp, handshake } from '../qmp/fixtures/fake-qmp.js';
import { domainWith, virtXmlValidate } from './fixtures/validate.js';

type T = Test;

async function simHost(t: T): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-guest-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'host.json');
  for (const argv of [
    ['sim', 'init', file, '--preset', 'seed'],
    ['masks', 'set', 'apmask=-1,-10', 'aqmask=-1-2,-4', '--sim', file],
    ['mdev', 'create', '--uuid', U1, '--adapter', '1', '--adapter', '0x0a', '--domain', '2', '--control-domain', '2', '--sim', file],
    ['mdev', 'create', '--uuid', U3, '--sim', file],
  ]) t.equal((await zmdev(...argv)).code, 0, argv.join(' '));
  return file;
}

t.test('qemu-args', async (t) => {
  const file = await simHost(t);
  const r = await zmdev('qemu-args', U1, '--sim', file);
  t.equal(r.code, 0);
  t.equal(r.stdout, `-device vfio-ap,sysfsdev=/sys/bus/mdev/devices/${U1},id=hostdev0
-device '{"driver":"vfio-ap","id":"hostdev0","sysfsdev":"/sys/bus/mdev/devices/${U1}"}'
-cpu MODEL,ap=on,apqci=on,apft=on,apqi=on
`);
  const j = await zmdev('--sim', file, 'qemu-args', U1, '--id', 'ap0', '--json');
  t.same(JSON.parse(j.stdout), {
    uuid: U1,
    args: ['-device', `vfio-ap,sysfsdev=/sys/bus/mdev/devices/${U1},id=ap0`],
    jsonArgs: ['-device', `{"driver":"vfio-ap","id":"ap0","sysfsdev":"/sys/bus/mdev/devices/${U1}"}`],
    cpuFeatures: 'ap=on,apqci=on,apft=on,apqi=on',
    apqns: ['01.0002', '0a.0002'],
  });
  const bad = await zmdev('qemu-args', U1, '--id', '0x', '--json', '--sim', file);
  t.equal(bad.code, 1);
  t.match(JSON.parse(bad.stdout), { error: { code: 'EINVAL', message: /not a QEMU device id/ } });
  const missing = await zmdev('qemu-args', '11111111-2222-4333-8444-555555555555', '--sim', file);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /^zmdev: ENOENT: mdev 11111111-2222-4333-8444-555555555555 does not exist/);
  t.equal((await zmdev('qemu-args', '--sim', file)).code, 2);
});

t.test('xml hostdev and xml nodedev validate with virt-xml-validate', async (t) => {
  const file = await simHost(t);
  const h = await zmdev('xml', 'hostdev', U1, '--sim', file);
  t.equal(h.code, 0);
  t.match(h.stdout, new RegExp(`^<hostdev mode='subsystem' type='mdev' model='vfio-ap'>\\n  <source>\\n    <address uuid='${U1}'/>`));
  t.equal((await virtXmlValidate(domainWith(h.stdout), 'domain')).code, 0);
  const hu = await zmdev('xml', 'hostdev', U1, '--unmanaged', '--sim', file);
  t.match(hu.stdout, /managed='no'/);
  const n = await zmdev('xml', 'nodedev', U1, '--sim', file);
  t.equal(n.code, 0);
  t.match(n.stdout, /^<device>\n  <name>mdev_4b0518fd_9237_493f_93c8_c5597f8006a3_matrix<\/name>/);
  t.match(n.stdout, /<attr name='assign_adapter' value='0x0a'\/>/);
  t.equal((await virtXmlValidate(n.stdout, 'nodedev')).code, 0);
  const d = await zmdev('xml', 'nodedev', U1, '--define', '--sim', file);
  t.match(d.stdout, /^<device>\n  <parent>ap_matrix<\/parent>/);
  const gone = await zmdev('xml', 'nodedev', '11111111-2222-4333-8444-555555555555', '--json', '--sim', file);
  t.equal(gone.code, 1);
  t.match(JSON.parse(gone.stdout), { error: { code: 'ENOENT' } });
  t.equal((await zmdev('xml', 'hostdev', '--sim', file)).code, 2);
  t.equal((await zmdev('xml', 'hostdev', 'x', '--sim', file)).code, 2, 'a malformed UUID is a usage error');
  t.equal((await zmdev('xml', 'nodedev', '--sim', file)).code, 2);
});

// QEMU's QMP socket serves one client at a time: the fixture's own client steps aside for the CLI's.
async function viaFixture(g: GuestQemu, fn: (qmp: QmpClient) => Promise<unknown>): Promise<void> {
  await g.qmp.connect(g.address, LONG);
  try {
    await fn(g.qmp);
  } finally {
    await g.qmp.disconnect();
  }
}

async function guest(t: T, opts: { running?: boolean } = {}): Promise<GuestQemu> {
  const g = await startGuest(t, opts);
  await g.qmp.disconnect();
  return g;
}

t.test('guest cpu-check against real QEMU', async (t) => {
  const { address } = await guest(t);
  const r = await zmdev('guest', 'cpu-check', '--qmp', address);
  t.equal(r.code, 1, 'ap is off: exit 1');
  t.match(r.stdout, /^running CPU \/machine\/unattached\/device\[0\] \(model qemu\)\n ! ap {5}off {4}no AP instructions/);
  t.match(r.stdout, /\n - appv {3}absent /);
  t.match(r.stdout, /a vfio-ap device cannot be attached \(ap is not on\)\n$/);
  const on = await zmdev('guest', 'cpu-check', '--qmp', address, '--model', 'z13,ap=on,apqci=on,apft=on,apqi=on', '--timeout', '20');
  t.equal(on.code, 0);
  t.match(on.stdout, /^CPU model z13 \(expanded to z13-base\)\n {3}ap {5}on {5}AP instructions are installed/);
  t.match(on.stdout, /a vfio-ap device can be attached\n$/);
  const j = await zmdev('guest', 'cpu-check', '--qmp', address, '--model', 'max', '--json');
  t.equal(j.code, 1);
  t.match(JSON.parse(j.stdout), { source: 'expansion', model: 'max', features: { ap: 'off' }, canAttach: false });
  const host = await zmdev('guest', 'cpu-check', '--qmp', address, '--model', 'host', '--json');
  t.equal(host.code, 1);
  t.match(JSON.parse(host.stdout), { error: { code: 'GenericError', class: 'GenericError', message: /'host' is unknown/ } });
  const text = await zmdev('guest', 'cpu-check', '--qmp', address, '--model', 'host');
  t.match(text.stderr, /^zmdev: GenericError: QEMU refused query-cpu-model-expansion/);
  for (const argv of [['guest', 'cpu-check'], ['guest', 'cpu-check', '--qmp', address, 'extra'], ['guest', 'cpu-check', '--qmp', address, '--timeout', '0'],
    ['guest', 'cpu-check', '--qmp', address, '--timeout', 'x']]) {
    t.equal((await zmdev(...argv)).code, 2, argv.join(' '));
  }
  // Node's timers hold at most 2^31-1 ms: a longer wait is a usage error, not a timer that fires at once.
  const long = await zmdev('guest', 'detach', '--qmp', address, '--id', 'x', '--timeout', '3000000');
  t.equal(long.code, 2);
  t.match(long.stderr, /--timeout takes a number \(SECONDS\) above 0 and at most 2147483, not "3000000"/);
  const nowhere = await zmdev('guest', 'cpu-check', '--qmp', path.join(tmpdir(), 'zmdev-no-such.sock'), '--json');
  t.equal(nowhere.code, 1);
  t.match(JSON.parse(nowhere.stdout), { error: { code: 'ENOENT', message: /QMP connect to/ } });
});

t.test('guest attach against real QEMU: the CPU check, then QEMU\'s refusal with its class', async (t) => {
  const file = await simHost(t);
  const { address } = await guest(t);
  const r = await zmdev('guest', 'attach', '--qmp', address, U1, '--sim', file);
  t.equal(r.code, 1);
  t.match(r.stderr, /^zmdev: ENOTSUP: the guest's CPU \(model qemu\) has no AP instructions/);
  const q = await zmdev('guest', 'attach', '--qmp', address, U1, '--no-cpu-check', '--id', 'ap0', '--json', '--sim', file);
  t.equal(q.code, 1);
  t.match(JSON.parse(q.stdout), { error: { code: 'GenericError', class: 'GenericError', command: 'device_add', desc: "No 'ap-bus' bus found for device 'vfio-ap'" } });
  const empty = await zmdev('guest', 'attach', '--qmp', address, U3, '--json', '--sim', file);
  t.match(JSON.parse(empty.stdout), { error: { code: 'ENODEV' } });
  t.equal((await zmdev('guest', 'attach', '--qmp', address, '--sim', file)).code, 2);
  t.equal((await zmdev('guest', 'attach', U1, '--sim', file)).code, 2, 'no --qmp');
  const noBus = await zmdev('guest', 'attach', '--qmp', address, U1, '--sysfs', path.join(tmpdir(), 'zmdev-no-sysfs'), '--json');
  t.equal(noBus.code, 1);
  t.match(JSON.parse(noBus.stdout), { error: { code: 'ENOENT', message: /has no AP bus/ } });
});

t.test('guest detach against real QEMU: progress on stderr, DeviceNotFound, timeout', async (t) => {
  const g = await guest(t, { running: true });
  const { address } = g;
  await viaFixture(g, (qmp) => qmp.execute('device_add', { driver: 'virtio-rng-ccw', id: 'rng0' }));
  const r = await zmdev('guest', 'detach', '--qmp', address, '--id', 'rng0', '--timeout', '30');
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'detached rng0\n');
  t.match(r.stderr, /device_del rng0 accepted; waiting for the guest to release it\n/);
  t.match(r.stderr, /DEVICE_DELETED after \d+ ms\n$/);
  await viaFixture(g, (qmp) => qmp.execute('device_add', { driver: 'virtio-rng-ccw', id: 'rng1' }));
  const j = await zmdev('guest', 'detach', '--qmp', address, '--id', 'rng1', '--json');
  t.match(JSON.parse(j.stdout), { id: 'rng1', path: '/machine/peripheral/rng1' });
  const nf = await zmdev('guest', 'detach', '--qmp', address, '--id', 'rng0', '--json');
  t.equal(nf.code, 1);
  t.match(JSON.parse(nf.stdout), { error: { code: 'DeviceNotFound', class: 'DeviceNotFound', command: 'device_del' } });
  t.equal((await zmdev('guest', 'detach', '--qmp', address)).code, 2, 'no --id');
  t.equal((await zmdev('guest', 'detach', '--qmp', address, '--id', 'x', 'extra')).code, 2);
});

t.test('detach on a guest that spins with interrupts off: still-waiting lines, then ETIMEDOUT', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-spin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const img = bootImage();
  Buffer.from([0xa7, 0xf4, 0x00, 0x00]).copy(img, 0x200);
  writeFileSync(path.join(dir, 'spin.img'), img);
  const g = await guest(t, { running: false });
  const spin = await startGuest(t, { args: ['-kernel', path.join(dir, 'spin.img')] });
  await spin.qmp.execute('device_add', { driver: 'virtio-rng-ccw', id: 'rng5' });
  await spin.qmp.execute('cont');
  await spin.qmp.disconnect();
  const r = await zmdev('guest', 'detach', '--qmp', spin.address, '--id', 'rng5', '--timeout', '1.5', '--json');
  t.equal(r.code, 1);
  t.match(r.stderr, /still waiting after 1\.0 s\n/);
  t.match(JSON.parse(r.stdout), { error: { code: 'ETIMEDOUT', step: 'detach', id: 'rng5', seen: Array } });
  // The paused guest's unplug: the inner object's DEVICE_DELETED is shown as it passes.
  await viaFixture(g, (qmp) => qmp.execute('device_add', { driver: 'virtio-rng-ccw', id: 'rng6' }));
  const p = await zmdev('guest', 'detach', '--qmp', g.address, '--id', 'rng6');
  t.match(p.stderr, /\(DEVICE_DELETED of \/machine\/peripheral\/rng6\/virtio-backend\)/);
});

// Scripted peer: a successful vfio-ap plug needs KVM and an AP bus, which TCG cannot give. The
// script answers the commands attach sends the way QEMU 7.2 on KVM does (a gen16a CPU with the AP
// features on, no appv/appvi properties, an empty peripheral container, device_add returning {}).
t.test('guest attach that succeeds (scripted KVM-like peer)', async (t) => {
  const file = await simHost(t);
  const received: Array<Record<string, unknown>> = [];
  const socket = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    for (;;) {
      const msg = await peer.recv();
      received.push(msg);
      const args = (msg['arguments'] ?? {}) as Record<string, unknown>;
      const reply = (value: unknown) => peer.send({ return: value, id: msg['id'] });
      switch (msg['execute']) {
        case 'query-cpus-fast':
          reply([{ 'thread-id': 4242, props: { 'core-id': 0 }, 'cpu-state': 'operating', 'qom-path': '/machine/unattached/device[0]', 'cpu-index': 0, target: 's390x' }]);
          break;
        case 'qom-get':
          if (args['property'] === 'type') reply('gen16a-s390x-cpu');
          else if (args['property'] === 'appv' || args['property'] === 'appvi') {
            peer.send({ error: { class: 'GenericError', desc: `Property 'gen16a-s390x-cpu.${String(args['property'])}' not found` }, id: msg['id'] });
          } else reply(true);
          break;
        case 'qom-list':
          reply([{ name: 'type', type: 'string' }]);
          break;
        default:
          reply({});
      }
    }
  });
  const r = await zmdev('guest', 'attach', '--qmp', socket, U1, '--sim', file);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `attached mdev ${U1} as hostdev0: the guest gets 01.0002 0a.0002\n`);
  t.match(received.find((m) => m['execute'] === 'device_add'), { arguments: { driver: 'vfio-ap', id: 'hostdev0', sysfsdev: `/sys/bus/mdev/devices/${U1}` } });
  const j = await zmdev('guest', 'attach', '--qmp', socket, U1, '--id', 'ap1', '--json', '--sim', file);
  t.same(JSON.parse(j.stdout), { id: 'ap1', uuid: U1, sysfsdev: `/sys/bus/mdev/devices/${U1}`, apqns: ['01.0002', '0a.0002'], cpuChecked: true });
  const c = await zmdev('guest', 'cpu-check', '--qmp', socket);
  t.equal(c.code, 0);
  t.match(c.stdout, /model gen16a\)\n {3}ap {5}on/);
});
