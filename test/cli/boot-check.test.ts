// zmdev boot-check names every reason an autostart definition would not start at the next boot:
// APQNs the persistent masks keep, an overlap with another autostart definition, vfio_ap loaded by
// nothing, IDs above the host's maximum, a wrong type, a definition file mdevctl cannot read. The
// definitions that ap-check (and zmdev mdev define) would refuse are written as files here, as
// another tool may have left them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { zmdev } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-boot-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const V = '62177883-f1bb-47f0-914d-32a22e3a8804';
const W = '0f1e2d3c-4b5a-4697-8877-665544332211';

let n = 0;
async function host(): Promise<{ file: string; defs: string }> {
  const file = path.join(dir, `h${n++}.json`);
  t.equal((await zmdev('sim', 'init', file)).code, 0);
  const defs = path.join(`${file}.root`, 'etc/mdevctl.d/matrix');
  mkdirSync(defs, { recursive: true });
  return { file, defs };
}
const def = (start: string, attrs: Array<[string, string]>, type = 'vfio_ap-passthrough') =>
  JSON.stringify({ mdev_type: type, start, attrs: attrs.map(([k, v]) => ({ [k]: v })) }, null, 2);

t.test('no autostart definitions; one that starts', async (t) => {
  const { file, defs } = await host();
  t.same(await zmdev('boot-check', '--sim', file), { code: 0, stdout: 'no autostart definitions\n', stderr: '' });
  t.equal((await zmdev('masks', 'set', 'apmask=-1', '-p', '--sim', file)).code, 0);
  t.same(await zmdev('mdev', 'define', '--uuid', U, '--auto', '--adapter', '1', '--domain', '2', '--sim', file), { code: 0, stdout: `${U}\n`, stderr: '' });
  writeFileSync(path.join(defs, V), def('manual', [['assign_adapter', '0'], ['assign_domain', '1']]));
  t.same(await zmdev('boot-check', '--sim', file), { code: 0, stdout: `${U}: starts at boot\n`, stderr: '' }, 'a manual definition is not checked');
});

t.test('every reason, named, with exit 1', async (t) => {
  const { file, defs } = await host();
  const state = JSON.parse(readFileSync(file, 'utf8'));
  state.host.na = 15;
  writeFileSync(file, JSON.stringify(state));
  writeFileSync(path.join(defs, U), def('auto', [['assign_adapter', '1'], ['assign_domain', '2']]));
  writeFileSync(path.join(defs, V), def('auto', [['assign_adapter', '0x01'], ['assign_adapter', '0x20'], ['assign_domain', '0x0002']], 'vfio_ap-other'));
  const r = await zmdev('boot-check', '--json', '--sim', file);
  t.equal(r.code, 1);
  const byUuid = Object.fromEntries(JSON.parse(r.stdout).definitions.map((v: any) => [v.uuid, v]));
  t.same(byUuid[U].reasons.map((x: any) => x.kind), ['no-vfio-ap', 'reserved', 'overlap']);
  t.same(byUuid[V].reasons.map((x: any) => x.kind), ['type', 'no-vfio-ap', 'reserved', 'overlap', 'above-max']);
  t.match(byUuid[U].reasons[1], { apqns: ['01.0002'], message: 'the persistent masks keep 01.0002 for the host' });
  t.match(byUuid[U].reasons[2], { apqns: ['01.0002'], message: `autostart definition ${V} holds 01.0002 too` });
  t.match(byUuid[V].reasons[4].message, 'adapter 0x20 is above this host\'s maximum 0x0f');
  const text = await zmdev('boot-check', '--sim', file);
  t.match(text.stdout, `${U}: will not start at boot:\n  - nothing loads vfio_ap at boot`);
});

t.test('vfio_ap from modules-load.d; an unreadable definition file', async (t) => {
  const { file, defs } = await host();
  const load = path.join(`${file}.root`, 'etc/modules-load.d');
  mkdirSync(load, { recursive: true });
  writeFileSync(path.join(load, 'vfio.conf'), '# for passthrough\nvfio_ap  # crypto\n');
  writeFileSync(path.join(load, 'README'), 'vfio_ap\n');
  t.equal((await zmdev('masks', 'set', 'apmask=-1', '-a', '--sim', file)).code, 0);
  writeFileSync(path.join(defs, U), def('auto', [['assign_adapter', '5'], ['assign_domain', '6']]));
  t.equal((await zmdev('masks', 'set', 'apmask=-5', '-p', '--sim', file)).code, 0);
  rmSync(path.join(`${file}.root`, 'etc/udev/rules.d/41-ap.rules'));
  t.same((await zmdev('boot-check', '--sim', file)).stdout.split('\n')[0], `${U}: will not start at boot:`, 'without the rule file the masks are the boot default');
  writeFileSync(path.join(defs, W), '{"start": "auto"}');
  const r = await zmdev('boot-check', '--sim', file);
  t.equal(r.code, 1);
  t.match(r.stdout, `${defs}/${W}: cannot be read (`);
  t.match(r.stdout, 'mdevctl starts no definition of its parent');
  writeFileSync(path.join(load, 'vfio.conf'), 'vfio_ccw\n');
  rmSync(path.join(defs, W));
  const none = JSON.parse((await zmdev('boot-check', '--json', '--sim', file)).stdout);
  t.match(none, { rulesLoadVfioAp: false, definitions: [{ uuid: U, reasons: [{ kind: 'no-vfio-ap' }, { kind: 'reserved' }] }] });
  mkdirSync(path.join(load, 'x.conf'));
  t.match((await zmdev('boot-check', '--sim', file)).stderr, /EISDIR: .*x\.conf/, 'an unreadable modules-load.d entry is an error');
});

t.test('ap-check\'s refusals on define and modify of an autostart definition', async (t) => {
  const { file } = await host();
  t.equal((await zmdev('masks', 'set', 'apmask=-1', '--sim', file)).code, 0);
  t.equal((await zmdev('mdev', 'define', '--uuid', U, '--auto', '--adapter', '1', '--domain', '2', '--sim', file)).code, 0);
  const overlap = await zmdev('mdev', 'define', '--uuid', V, '--auto', '--adapter', '1', '--domain', '2', '--control-domain', '2', '--sim', file);
  t.equal(overlap.code, 1);
  t.match(overlap.stderr, `EADDRINUSE: autostart mdev definitions share APQNs: ${V} and ${U} (01.0002)`);
  t.equal((await zmdev('mdev', 'define', '--uuid', V, '--adapter', '1', '--domain', '2', '--sim', file)).code, 0, 'a manual one is not checked');
  const auto = await zmdev('mdev', 'modify', V, '--auto', '--sim', file);
  t.match(auto.stderr, 'EADDRINUSE: autostart mdev definitions share APQNs');
  const reserved = await zmdev('mdev', 'modify', V, '--auto', '--remove-adapter', '1', '--adapter', '0', '--sim', file);
  t.match(reserved.stderr, `EBUSY: the persistent AP masks would keep APQNs of autostart mdev definitions for the host: ${V} (00.0002)`);
});

t.test('an image root without a host: no maximum to check, the boot masks only; a modules-load.d that is no directory', async (t) => {
  const root = path.join(dir, 'image');
  const empty = path.join(dir, 'no-sysfs');
  mkdirSync(empty);
  const d = await zmdev('mdev', 'define', '--uuid', U, '--auto', '--adapter', '1', '--domain', '2', '--sysfs', empty, '--root', root);
  t.equal(d.code, 1, 'without a host the masks are the boot default: every ID the host\'s');
  t.match(d.stderr, 'EBUSY: the persistent AP masks would keep APQNs');
  t.equal((await zmdev('masks', 'set', 'apmask=-1', '-p', '--sim', path.join(dir, 'unused.json'))).code, 1, 'masks set needs a host');
  mkdirSync(path.join(root, 'etc/udev/rules.d'), { recursive: true });
  writeFileSync(path.join(root, 'etc/udev/rules.d/41-ap.rules'), `# Generated by chzdev\nATTR{../../bus/ap/apmask}="0xbf${'f'.repeat(62)}"\n`);
  t.same(await zmdev('mdev', 'define', '--uuid', U, '--auto', '--adapter', '1', '--domain', '2', '--sysfs', empty, '--root', root), { code: 0, stdout: `${U}\n`, stderr: '' });
  t.same(await zmdev('boot-check', '--sysfs', empty, '--root', root), { code: 0, stdout: `${U}: starts at boot\n`, stderr: '' });
  writeFileSync(path.join(root, 'etc/modules-load.d'), 'not a directory\n');
  rmSync(path.join(root, 'etc/udev/rules.d/41-ap.rules'));
  const r = await zmdev('boot-check', '--sysfs', empty, '--root', root);
  t.equal(r.code, 1);
  t.match(r.stderr, `ENOTDIR: cannot list ${root}/etc/modules-load.d`);
});
