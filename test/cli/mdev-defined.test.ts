// Defined mdevs through the CLI on a simulated host, whose configuration root lives beside its
// state file: define (from options, an mdevctl file, node-device XML), list --defined, modify,
// start (with create's checks and rollback), stop, undefine — the files are mdevctl's bytes.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { zmdev } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-defined-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const V = '62177883-f1bb-47f0-914d-32a22e3a8804';

async function host(name: string): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  t.equal((await zmdev('sim', 'init', file)).code, 0);
  return file;
}

t.test('define writes mdevctl\'s file under the simulated host\'s own root; list --defined reads it', async (t) => {
  const file = await host('a');
  // An autostart definition must not hold APQNs the host keeps (ap-check's rule): free them first.
  t.equal((await zmdev('masks', 'set', 'apmask=-1,-10', 'aqmask=-2', '-a', '--sim', file)).code, 0);
  const d = await zmdev('mdev', 'define', '--uuid', U, '--auto', '--adapter', '0x01', '--adapter', '0x0a', '--domain', '0x0002', '--control-domain', '0x0002', '--sim', file);
  t.same(d, { code: 0, stdout: `${U}\n`, stderr: '' });
  const stored = path.join(`${file}.root`, 'etc/mdevctl.d/matrix', U);
  t.equal(readFileSync(stored, 'utf8'), [
    '{', '  "mdev_type": "vfio_ap-passthrough",', '  "start": "auto",', '  "attrs": [',
    '    {', '      "assign_adapter": "0x01"', '    },', '    {', '      "assign_adapter": "0x0a"', '    },',
    '    {', '      "assign_domain": "0x0002"', '    },', '    {', '      "assign_control_domain": "0x0002"', '    }',
    '  ]', '}'].join('\n'), 'mdevctl\'s bytes, IDs as xml nodedev spells them');
  const again = await zmdev('mdev', 'define', '--uuid', U, '--sim', file);
  t.equal(again.code, 1);
  t.match(again.stderr, `EEXIST: mdev ${U} is already defined under matrix`);
  const list = await zmdev('mdev', 'list', '--defined', '--sim', file);
  t.match(list.stdout, `${U} matrix vfio_ap-passthrough auto`);
  const json = JSON.parse((await zmdev('mdev', 'list', '--defined', '--json', '--sim', file)).stdout);
  t.match(json, { definitions: [{ uuid: U, start: 'auto', adapters: [1, 10], domains: [2], controlDomains: [2], active: false }], problems: [] });
});

t.test('start creates the defined mdev with create\'s checks; stop removes it and keeps the definition', async (t) => {
  const file = await host('b');
  await zmdev('mdev', 'define', '--uuid', U, '--adapter', '1', '--domain', '2', '--sim', file);
  const refused = await zmdev('mdev', 'start', U, '--sim', file);
  t.equal(refused.code, 1, 'the APQN is still the host\'s');
  t.match(refused.stderr, /EADDRNOTAVAIL: .*01\.0002 is still reserved for the host/);
  t.equal((await zmdev('mdev', 'list', '--sim', file)).stdout, '(no mdevs)\n', 'nothing was created');
  t.equal((await zmdev('masks', 'set', 'apmask=-1', 'aqmask=-2', '--active', '--sim', file)).code, 0);
  t.same(await zmdev('mdev', 'start', U, '--sim', file), { code: 0, stdout: `${U}\n`, stderr: '' });
  t.match((await zmdev('mdev', 'list', '--sim', file)).stdout, `${U}  01.0002`);
  t.match((await zmdev('mdev', 'list', '--defined', '--sim', file)).stdout, `${U} matrix vfio_ap-passthrough manual (active)`);
  const stop = await zmdev('mdev', 'stop', U, '--sim', file);
  t.same(stop, { code: 0, stdout: `stopped ${U} (its definition stays)\n`, stderr: '' });
  t.equal((await zmdev('mdev', 'list', '--sim', file)).stdout, '(no mdevs)\n');
  t.same((await zmdev('mdev', 'undefine', U, '--sim', file)).stdout, `undefined ${U}\n`);
  const gone = await zmdev('mdev', 'start', U, '--sim', file);
  t.match(gone.stderr, `ENOENT: mdev ${U} is not defined`);
});

t.test('modify: start policy, IDs added and taken out, the attrs rewritten in order', async (t) => {
  const file = await host('c');
  await zmdev('masks', 'set', 'apmask=-1,-10', 'aqmask=-2,-4', '-a', '--sim', file);
  await zmdev('mdev', 'define', '--uuid', U, '--adapter', '1', '--domain', '2', '--sim', file);
  const m = await zmdev('mdev', 'modify', U, '--auto', '--domain', '4', '--remove-adapter', '1', '--adapter', '0x0a', '--control-domain', '4', '--json', '--sim', file);
  t.equal(m.code, 0, m.stderr);
  t.match(JSON.parse(m.stdout), { uuid: U, start: 'auto', adapters: [10], domains: [2, 4], controlDomains: [4],
    attrs: [{ assign_adapter: '0x0a' }, { assign_domain: '0x0002' }, { assign_domain: '0x0004' }, { assign_control_domain: '0x0004' }] });
  const both = await zmdev('mdev', 'modify', U, '--auto', '--manual', '--sim', file);
  t.equal(both.code, 2, '--auto and --manual exclude each other');
  const none = await zmdev('mdev', 'modify', V, '--auto', '--sim', file);
  t.match(none.stderr, `ENOENT: mdev ${V} is not defined`);
});

t.test('define from an mdevctl file or from node-device XML (seed 000\'s my_ap_mdev.xml)', async (t) => {
  const file = await host('d');
  await zmdev('masks', 'set', 'apmask=-5', 'aqmask=-6', '-a', '--sim', file);
  const json = path.join(dir, 'def.json');
  writeFileSync(json, '{"mdev_type": "vfio_ap-passthrough", "start": "auto", "attrs": [{"assign_adapter": "5"}, {"assign_domain": "0x0006"}]}\n');
  const fromJson = await zmdev('mdev', 'define', '--uuid', V, '--jsonfile', json, '--json', '--sim', file);
  t.match(JSON.parse(fromJson.stdout), { uuid: V, start: 'auto', adapters: [5], domains: [6], attrs: [{ assign_adapter: '5' }, { assign_domain: '0x0006' }] }, 'values kept as given');
  const xml = path.join(dir, 'my_ap_mdev.xml');
  writeFileSync(xml, `<device>\n  <parent>ap_matrix</parent>\n  <capability type="mdev">\n    <type id="vfio_ap-passthrough"/>\n    <uuid>${U}</uuid>\n` +
    '    <attr name="assign_adapter" value="0x01"/>\n    <attr name="assign_domain" value="0x0002"/>\n  </capability>\n</device>\n');
  const fromXml = await zmdev('mdev', 'define', '--nodedev-xml', xml, '--json', '--sim', file);
  t.match(JSON.parse(fromXml.stdout), { uuid: U, start: 'manual', adapters: [1], domains: [2] });
  const clash = await zmdev('mdev', 'define', '--uuid', V, '--nodedev-xml', xml, '--sim', file);
  t.match(clash.stderr, `--uuid ${V} and the <uuid> ${U} of ${xml} differ`);
  const mixed = await zmdev('mdev', 'define', '--jsonfile', json, '--adapter', '1', '--sim', file);
  t.equal(mixed.code, 2);
  const generated = await zmdev('mdev', 'define', '--adapter', '3', '--sim', file);
  t.match(generated.stdout, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$/, 'a new UUID, printed');
  t.ok(existsSync(path.join(`${file}.root`, 'etc/mdevctl.d/matrix', generated.stdout.trim())));
});

t.test('masks: ACTIVE and PERSISTENT; set -p writes chzdev\'s rule file and refuses to take an autostart definition\'s APQNs', async (t) => {
  const file = await host('e');
  t.match((await zmdev('masks', '--sim', file)).stdout, /^ATTRIBUTE {2}ACTIVE {3}PERSISTENT\napmask {5}"0-255" {2}-\naqmask {5}"0-255" {2}-\n/);
  const p = await zmdev('masks', 'set', 'apmask=-1', '-p', '--sim', file);
  t.equal(p.code, 0, p.stderr);
  t.match(p.stdout, 'persistent apmask: - -> "0,2-255"');
  t.match((await zmdev('masks', '--sim', file)).stdout, /apmask {5}"0-255" {2}"0,2-255"\n/, 'sysfs unchanged, the rule file set');
  const rules = readFileSync(path.join(`${file}.root`, 'etc/udev/rules.d/41-ap.rules'), 'latin1');
  t.match(rules, /^# Generated by chzdev\n/);
  t.match(rules, 'ATTR{../../bus/ap/apmask}="0xbfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"\n');
  t.notMatch(rules, 'aqmask', 'only the mask persisted');
  await zmdev('mdev', 'define', '--uuid', U, '--auto', '--adapter', '1', '--domain', '2', '--sim', file);
  const back = await zmdev('masks', 'set', 'apmask=+1', '--sim', file);
  t.equal(back.code, 1);
  t.match(back.stderr, `EBUSY: the persistent AP masks would keep APQNs of autostart mdev definitions for the host: ${U} (01.0002)`);
  t.match((await zmdev('masks', '--sim', file)).stdout, /apmask {5}"0-255" {2}"0,2-255"\n/, 'nothing written in either scope');
  const both = await zmdev('masks', 'set', 'aqmask=-2', '--json', '--sim', file);
  t.match(JSON.parse(both.stdout), { persistent: { after: { aqmask: /^0xdf/ } }, after: { aqmask: { ids: '0-1,3-255' } } }, 'both scopes by default');
  const same = await zmdev('masks', 'set', 'aqmask=-2', '-p', '--sim', file);
  t.match(same.stdout, /^no change: the rule file already reads so\n$/);
  const rulesFile = path.join(`${file}.root`, 'etc/udev/rules.d/41-ap.rules');
  writeFileSync(rulesFile, `${readFileSync(rulesFile, 'latin1')}# mine\n`);
  const dry = await zmdev('masks', 'set', 'aqmask=-3', '-p', '--dry-run', '--sim', file);
  t.match(dry.stdout, /^\(dry run: nothing written\)\npersistent aqmask: "0-1,3-255" -> "0-1,4-255"\nwould drop from \S+41-ap\.rules \(zdev does not keep them\): "# mine"\n$/);
  const wet = await zmdev('masks', 'set', 'aqmask=-3', '-p', '--sim', file);
  t.match(wet.stdout, /dropped from \S+41-ap\.rules \(zdev does not keep them\): "# mine"\n$/);
  t.notMatch(readFileSync(rulesFile, 'latin1'), '# mine', 'as chzdev, the rewrite drops the line');
  await zmdev('masks', 'set', 'aqmask=+3', '-p', '--sim', file);
  const kernel = await zmdev('masks', 'set', 'aqmask=+2', '--kernel', '--sim', file);
  t.equal(kernel.code, 0, '--kernel changes sysfs only');
  t.match((await zmdev('masks', '--sim', file)).stdout, /aqmask {5}"0-255" {2}"0-1,3-255"\n/);
});

t.test('the corners: --manual, XML without a UUID, a changed type, a dry-run start, stopping an mdev without a definition', async (t) => {
  const file = await host('f');
  const d = JSON.parse((await zmdev('mdev', 'define', '--uuid', U, '--manual', '--adapter', '2', '--domain', '3', '--json', '--sim', file)).stdout);
  t.equal(d.start, 'manual');
  const xml = path.join(dir, 'no-uuid.xml');
  writeFileSync(xml, "<device>\n  <parent>ap_matrix</parent>\n  <capability type='mdev'>\n    <type id='vfio_ap-passthrough'/>\n  </capability>\n</device>\n");
  const x = await zmdev('mdev', 'define', '--nodedev-xml', xml, '--sim', file);
  t.match(x.stdout, /^[0-9a-f-]{36}\n$/, 'no <uuid>: a new one, as libvirt lets mdevctl choose');
  t.equal((await zmdev('masks', 'set', 'apmask=-2', '--active', '--sim', file)).code, 0);
  const dry = await zmdev('mdev', 'start', U, '--dry-run', '--sim', file);
  t.same(dry, { code: 0, stdout: `the checks pass: defined mdev ${U} can be started\n`, stderr: '' });
  t.equal((await zmdev('mdev', 'list', '--sim', file)).stdout, '(no mdevs)\n', 'a dry run creates nothing');
  t.equal((await zmdev('mdev', 'modify', U, '--type', 'i915-GVTg_V5_4', '--sim', file)).code, 0);
  const wrong = await zmdev('mdev', 'start', U, '--sim', file);
  t.match(wrong.stderr, `EINVAL: definition ${U} has type i915-GVTg_V5_4; vfio_ap's matrix device has only vfio_ap-passthrough`);
  t.equal((await zmdev('mdev', 'create', '--uuid', V, '--adapter', '2', '--domain', '3', '--sim', file)).code, 0);
  t.same(await zmdev('mdev', 'stop', V, '--sim', file), { code: 0, stdout: `stopped ${V} (it had no definition)\n`, stderr: '' });
});

t.test('list --defined names a definition file it cannot read and lists the others (exit 1)', async (t) => {
  const file = await host('g');
  await zmdev('mdev', 'define', '--uuid', U, '--sim', file);
  writeFileSync(path.join(`${file}.root`, 'etc/mdevctl.d/matrix', V), '{"start": "auto"}');
  const r = await zmdev('mdev', 'list', '--defined', '--sim', file);
  t.equal(r.code, 1);
  t.match(r.stdout, `${U} matrix vfio_ap-passthrough manual`);
  t.match(r.stderr, `zmdev: skipped ${file}.root/etc/mdevctl.d/matrix/${V}: `);
  const j = JSON.parse((await zmdev('mdev', 'list', '--defined', '--json', '--sim', file)).stdout);
  t.match(j, { definitions: [{ uuid: U }], problems: [{ path: `${file}.root/etc/mdevctl.d/matrix/${V}`, error: { code: 'EINVAL' } }] });
});

t.test('show: defined, running, or both — and where the two part', async (t) => {
  const file = await host('h');
  await zmdev('masks', 'set', 'apmask=-1', 'aqmask=-2,-4', '-a', '--sim', file);
  await zmdev('mdev', 'define', '--uuid', U, '--auto', '--adapter', '1', '--domain', '2', '--sim', file);
  const idle = await zmdev('mdev', 'show', U, '--sim', file);
  t.same(idle.stdout, `mdev ${U} (not running)\n  definition:      start auto, vfio_ap-passthrough; 0x01 x 0x0002 (control -)\n  defined, not running: \`zmdev mdev start\` creates it\n`);
  await zmdev('mdev', 'start', U, '--sim', file);
  await zmdev('mdev', 'assign', U, '--domain', '4', '--control-domain', '4', '--sim', file);
  const j = JSON.parse((await zmdev('mdev', 'show', U, '--json', '--sim', file)).stdout);
  t.match(j, { uuid: U, active: true, domains: [2, 4], definition: { start: 'auto', domains: [2] } });
  t.same(j.differences, ['domains running but not defined: 0x0004', 'control domains running but not defined: 0x0004']);
  await zmdev('mdev', 'modify', U, '--adapter', '0x0a', '--sim', file);
  t.match((await zmdev('mdev', 'show', U, '--sim', file)).stdout, '  adapters defined but not running: 0x0a\n');
  await zmdev('mdev', 'create', '--uuid', V, '--sim', file);
  const bare = JSON.parse((await zmdev('mdev', 'show', V, '--json', '--sim', file)).stdout);
  t.match(bare, { active: true, definition: null, differences: ['running, not defined: it will not be there after a reboot (`zmdev mdev define` keeps it)'] });
  t.match((await zmdev('mdev', 'show', V, '--sim', file)).stdout, '  definition:      none\n');
  await zmdev('mdev', 'undefine', U, '--sim', file);
  await zmdev('mdev', 'remove', U, '--sim', file);
  const none = await zmdev('mdev', 'show', U, '--sim', file);
  t.equal(none.code, 1);
  t.match(none.stderr, `ENOENT: mdev ${U} does not exist`);
  const dj = JSON.parse((await zmdev('mdev', 'define', '--uuid', U, '--sim', file)) && (await zmdev('mdev', 'show', U, '--json', '--sim', file)).stdout);
  t.match(dj, { uuid: U, active: false, adapters: null, matrix: null, definition: { uuid: U } });
});

t.test('modify --jsonfile replaces type, start and attrs, values as given', async (t) => {
  const file = await host('j');
  await zmdev('masks', 'set', 'apmask=-5', 'aqmask=-6', '-a', '--sim', file);
  await zmdev('mdev', 'define', '--uuid', U, '--adapter', '1', '--domain', '2', '--sim', file);
  const json = path.join(dir, 'modify.json');
  writeFileSync(json, '{"mdev_type": "vfio_ap-passthrough", "start": "auto", "attrs": [{"assign_adapter": "5"}, {"assign_domain": "6"}]}');
  const r = await zmdev('mdev', 'modify', U, '--jsonfile', json, '--json', '--sim', file);
  t.equal(r.code, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { start: 'auto', adapters: [5], domains: [6], attrs: [{ assign_adapter: '5' }, { assign_domain: '6' }] });
  t.equal((await zmdev('mdev', 'modify', U, '--jsonfile', json, '--adapter', '1', '--sim', file)).code, 2, 'IDs and a file exclude each other');
  t.equal((await zmdev('mdev', 'modify', U, '--jsonfile', json, '--manual', '--sim', file)).code, 2);
});
