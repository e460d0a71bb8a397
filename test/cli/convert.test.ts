// zmdev convert between mdevctl's file, libvirt's node-device XML (both forms) and a zmdev-desired/1
// file: round trips keep every byte that matters, the dumpxml form passes the real virt-xml-validate,
// and what a target cannot hold is refused.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { zmdev } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-convert-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const at = (name: string, text: string) => {
  const f = path.join(dir, name);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, text);
  return f;
};
const SEED_XML = `<device>\n  <parent>ap_matrix</parent>\n  <capability type="mdev">\n    <type id="vfio_ap-passthrough"/>\n    <uuid>${U}</uuid>\n` +
  '    <attr name="assign_adapter" value="0x01"/>\n    <attr name="assign_adapter" value="0x0a"/>\n    <attr name="assign_domain" value="0x0002"/>\n' +
  '    <attr name="assign_control_domain" value="0x0002"/>\n  </capability>\n</device>\n';

t.test('seed 000\'s XML to every format and back', async (t) => {
  const xml = at('my_ap_mdev.xml', SEED_XML);
  const mdevctl = await zmdev('convert', xml, '--to', 'mdevctl');
  t.equal(mdevctl.code, 0, mdevctl.stderr);
  t.match(mdevctl.stdout, /^\{\n {2}"mdev_type": "vfio_ap-passthrough",\n {2}"start": "manual",\n {2}"attrs": \[\n/);
  t.notMatch(mdevctl.stdout, /\n$/, "mdevctl's bytes: no final newline");
  // mdevctl's file carries its UUID in its name.
  const file = at(`etc/mdevctl.d/matrix/${U}`, mdevctl.stdout);
  const dump = await zmdev('convert', file, '--to', 'nodedev');
  t.match(dump.stdout, `<name>mdev_${U.replace(/-/g, '_')}_matrix</name>`);
  const dumpFile = at('dump.xml', dump.stdout);
  t.equal(spawnSync('virt-xml-validate', [dumpFile, 'nodedev'], { encoding: 'utf8' }).status, 0, 'virt-xml-validate accepts it');
  const state = await zmdev('convert', dumpFile, '--to', 'state');
  t.match(JSON.parse(state.stdout), { format: 'zmdev-desired/1', mdevs: [{ uuid: U, adapters: ['0x01', '0x0a'], domains: ['0x0002'], controlDomains: ['0x0002'], defined: true, running: false, autostart: false }] });
  const stateFile = at('state.json', state.stdout);
  const back = await zmdev('convert', stateFile, '--to', 'mdevctl');
  t.equal(back.stdout, mdevctl.stdout, 'XML → mdevctl → XML → state → mdevctl: the same bytes');
  const define = await zmdev('convert', stateFile, '--to', 'nodedev-define', '--json');
  t.match(JSON.parse(define.stdout), { from: 'state', to: 'nodedev-define', uuid: U, output: /^<device>\n {2}<parent>ap_matrix<\/parent>\n/ });
  const again = await zmdev('convert', at('again.xml', JSON.parse(define.stdout).output), '--to', 'mdevctl', '--from', 'nodedev');
  t.equal(again.stdout, mdevctl.stdout);
});

t.test("mdevctl to mdevctl is mdevctl's normalization; the start policy travels with state files", async (t) => {
  const messy = at(`n/${U}`, '{"attrs":[{"assign_adapter":"5"}],"start":"auto","mdev_type":"vfio_ap-passthrough","extra":1}\n');
  const r = await zmdev('convert', messy, '--to', 'mdevctl');
  t.equal(r.stdout, '{\n  "mdev_type": "vfio_ap-passthrough",\n  "start": "auto",\n  "attrs": [\n    {\n      "assign_adapter": "5"\n    }\n  ]\n}');
  const s = JSON.parse((await zmdev('convert', messy, '--to', 'state')).stdout);
  t.match(s.mdevs[0], { uuid: U, adapters: ['0x05'], autostart: true });
  const auto = await zmdev('convert', at('auto.json', JSON.stringify(s)), '--to', 'mdevctl');
  t.match(auto.stdout, '"start": "auto"', 'and back');
  const plain = at('plain.json', '{"mdev_type": "vfio_ap-passthrough", "start": "manual"}');
  const define = await zmdev('convert', plain, '--to', 'nodedev-define');
  t.notMatch(define.stdout, '<uuid>', 'the define form needs no UUID: libvirt lets mdevctl choose one');
});

t.test('what cannot be converted is refused, naming the file and the fix', async (t) => {
  const noName = at('def.json', '{"mdev_type": "vfio_ap-passthrough", "start": "manual"}');
  const r = await zmdev('convert', noName, '--to', 'nodedev');
  t.equal(r.code, 1);
  t.match(r.stderr, `EINVAL: ${noName}: has no UUID (an mdevctl file keeps it in its name): give --uuid for the nodedev form`);
  t.match(JSON.parse((await zmdev('convert', noName, '--to', 'nodedev', '--uuid', U, '--json')).stdout), { uuid: U });
  t.match((await zmdev('convert', at('x.xml', SEED_XML), '--to', 'mdevctl', '--uuid', '62177883-f1bb-47f0-914d-32a22e3a8804')).stderr, `and the UUID ${U} in`);
  t.match((await zmdev('convert', at('other.json', '{"mdev_type": "vfio_ccw-io", "start": "manual"}'), '--to', 'state', '--uuid', U)).stderr, 'has type vfio_ccw-io; a zmdev-desired/1 file holds vfio_ap-passthrough mdevs only');
  const two = at('two.json', JSON.stringify({ format: 'zmdev-desired/1', mdevs: [{ uuid: U }, { uuid: '62177883-f1bb-47f0-914d-32a22e3a8804' }] }));
  t.match((await zmdev('convert', two, '--to', 'mdevctl')).stderr, 'holds 2 mdevs; convert takes a file with exactly one');
  t.match((await zmdev('convert', at('t.txt', 'mdev_type=x'), '--to', 'mdevctl')).stderr, 'is neither JSON (an mdevctl definition or a zmdev-desired/1 file) nor node-device XML; give --from');
  t.match((await zmdev('convert', at('b.json', '{"mdev_type": '), '--to', 'mdevctl')).stderr, 'is not JSON: ');
  t.equal((await zmdev('convert', noName)).code, 2, '--to is required');
  t.equal((await zmdev('convert', noName, '--to', 'yaml')).code, 2);
});
