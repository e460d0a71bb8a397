import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { asRefusal } from '../../src/cli/report.js';
import { hoistHostOptions } from '../../src/cli/host.js';
import { main } from '../../src/cli/main.js';
import { zmdev } from './helpers.js';

const run = promisify(execFile);

const U = '62177883-f1bb-47f0-914d-32a22e3a8804';
const MATRIX = 'devices/vfio_ap/matrix';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('sim init writes a state file; refuses to overwrite without --force', async (t) => {
  const file = path.join(tempDir(t), 'host.json');
  const r = await zmdev('sim', 'init', file, '--preset', 'kernel-doc', '--kernel', '6.0');
  t.equal(r.code, 0);
  t.equal(r.stdout, `created ${file}: preset kernel-doc, kernel 6.0, 2 adapters, 4 domains\n`);
  t.equal(JSON.parse(readFileSync(file, 'utf8')).profile, '6.0');
  const again = await zmdev('sim', 'init', file);
  t.equal(again.code, 1);
  t.match(again.stderr, /EEXIST: .* already exists; give --force/);
  const forced = await zmdev('sim', 'init', file, '--force', '--json');
  t.same(JSON.parse(forced.stdout), { file, preset: 'seed', kernel: '6.15', adapters: 3, domains: 4 });
});

t.test('sim init usage errors', async (t) => {
  for (const [argv, re] of [
    [['sim', 'init'], /give exactly one FILE/],
    [['sim', 'init', 'x.json', '--preset', 'huge'], /--preset "huge" is not one of seed, kernel-doc, empty, large/],
    [['sim', 'init', 'x.json', '--kernel', '4.19'], /--kernel "4.19" is not one of 6.15, 6.0, 5.15/],
  ] as Array<[string[], RegExp]>) {
    const r = await zmdev(...argv);
    t.equal(r.code, 2);
    t.match(r.stderr, re);
  }
});

t.test('sysfs cat/write/ls on a simulated host, saved back; the kernel log', async (t) => {
  const file = path.join(tempDir(t), 'host.json');
  await zmdev('sim', 'init', file, '--preset', 'kernel-doc');
  t.equal((await zmdev('--sim', file, 'sysfs', 'write', 'bus/ap/apmask', '--', '-5,-6')).code, 0);
  t.equal((await zmdev('sysfs', 'cat', 'bus/ap/apmask', '--sim', file)).stdout, `0xf9${'f'.repeat(62)}\n`);
  const create = await zmdev('sysfs', 'write', `${MATRIX}/mdev_supported_types/vfio_ap-passthrough/create`, U, `--sim=${file}`, '--json');
  t.same(JSON.parse(create.stdout), { path: `${MATRIX}/mdev_supported_types/vfio_ap-passthrough/create`, written: 36 });
  await zmdev('--sim', file, 'sysfs', 'write', `${MATRIX}/${U}/assign_adapter`, '5\n');
  await zmdev('--sim', file, 'sysfs', 'write', `${MATRIX}/${U}/assign_domain`, '0x4\n');
  t.equal((await zmdev('--sim', file, 'sysfs', 'cat', `${MATRIX}/${U}/matrix`)).stdout, '05.0004\n');
  const ls = await zmdev('--sim', file, 'sysfs', 'ls', MATRIX);
  t.match(ls.stdout, new RegExp(`^${U}\n`));
  const lsj = await zmdev('--sim', file, 'sysfs', 'ls', '--json');
  t.ok(JSON.parse(lsj.stdout).entries.includes('bus'));

  const busy = await zmdev('--sim', file, 'sysfs', 'write', 'bus/ap/apmask', '+5');
  t.equal(busy.code, 1);
  t.match(busy.stderr, /^zmdev: EBUSY: write of "\+5" bus\/ap\/apmask failed/);
  const busyJson = await zmdev('--sim', file, 'sysfs', 'write', 'bus/ap/apmask', '+5', '--json');
  t.match(JSON.parse(busyJson.stdout).error, { code: 'EBUSY', syscall: 'write', path: 'bus/ap/apmask', written: '+5' });
  t.equal((await zmdev('--sim', file, 'sysfs', 'cat', 'bus/ap/apmask')).stdout, `0xf9${'f'.repeat(62)}\n`, 'refused: unchanged');

  const log = await zmdev('sim', 'log', file);
  t.match(log.stdout, `vfio_ap_mdev ${U}: Can not reserve queue 05.0004 for host driver: in use by mdev\n`);
  const logj = await zmdev('sim', 'log', file, '--json');
  t.ok(JSON.parse(logj.stdout).log.length >= 2, 'both refusals logged');

  const missing = await zmdev('--sim', file, 'sysfs', 'cat', 'bus/ap/nope');
  t.equal(missing.code, 1);
  t.match(missing.stderr, /ENOENT/);
  const missingJson = await zmdev('--sim', file, 'sysfs', 'ls', 'bus/nope', '--json');
  t.equal(JSON.parse(missingJson.stdout).error.code, 'ENOENT');
  const catJson = await zmdev('--sim', file, 'sysfs', 'cat', 'bus/ap/ap_max_domain_id', '--json');
  t.same(JSON.parse(catJson.stdout), { path: 'bus/ap/ap_max_domain_id', content: '255\n' });
});

t.test('sysfs commands on a plain directory tree (--sysfs)', async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'bus/ap'), { recursive: true });
  writeFileSync(path.join(dir, 'bus/ap/apmask'), 'old!\n');
  t.equal((await zmdev('sysfs', 'write', 'bus/ap/apmask', 'new', '--sysfs', dir)).code, 0);
  // One write(2) at offset 0 without O_TRUNC, as on sysfs: the plain file keeps its tail.
  t.equal(readFileSync(path.join(dir, 'bus/ap/apmask'), 'utf8'), 'new!\n', 'exactly the bytes given, nothing added');
  t.equal((await zmdev('--sysfs', dir, 'sysfs', 'cat', 'bus/ap/apmask')).stdout, 'new!\n');
  t.equal((await zmdev('--sysfs', dir, 'sysfs', 'ls', 'bus')).stdout, 'ap\n');
});

t.test('host option and argument mistakes', async (t) => {
  const both = await zmdev('sysfs', 'cat', 'x', '--sim', 'a', '--sysfs', 'b');
  t.equal(both.code, 2);
  t.match(both.stderr, /--sim and --sysfs exclude each other/);
  for (const argv of [['sysfs', 'cat'], ['sysfs', 'write', 'x'], ['sysfs', 'ls', 'a', 'b'], ['sim', 'log'], ['sim', 'mount', 'x']]) {
    t.equal((await zmdev(...argv)).code, 2, argv.join(' '));
  }
  const unreadable = await zmdev('sim', 'log', '/nonexistent/host.json');
  t.equal(unreadable.code, 1);
  t.match(unreadable.stderr, /ENOENT/);
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'bad.json'), '{"not": "a host"}');
  const bad = await zmdev('sim', 'log', path.join(dir, 'bad.json'), '--json');
  t.equal(bad.code, 1);
  t.ok(JSON.parse(bad.stdout).error.message.includes('bad.json'));
  const noMount = await zmdev('sim', 'mount', '/nonexistent/host.json', dir);
  t.equal(noMount.code, 1);
  const good = path.join(dir, 'good.json');
  await zmdev('sim', 'init', good);
  const noDir = await zmdev('sim', 'mount', good, path.join(dir, 'nope'));
  t.equal(noDir.code, 1);
  t.match(noDir.stderr, /ENOENT/);
  const notDir = await zmdev('sim', 'mount', good, good);
  t.match(notDir.stderr, /ENOTDIR: mountpoint .* is not a directory/);
  // /proc is a directory FUSE cannot mount over (it is not empty and not ours): fuse reports it.
  const refused = await zmdev('sim', 'mount', good, '/proc/self/fd');
  t.equal(refused.code, 1);
  t.match(refused.stderr, /zmdev: (EMOUNT|E[A-Z]+):/);
  const plain = new Error('plain');
  t.equal(asRefusal(plain), plain, 'only errors with an errno become refusals');
});

t.test('without --sim or --sysfs the real /sys is used', async (t) => {
  const r = await zmdev('sysfs', 'ls', 'bus');
  t.equal(r.code, 0);
  t.match(r.stdout, /^(.+\n)+$/);
});

t.test('host options before the command are moved after it', async (t) => {
  t.same(hoistHostOptions(['--sim', 'f', 'sysfs', 'cat', 'p']), ['sysfs', 'cat', 'p', '--sim', 'f']);
  t.same(hoistHostOptions(['--sysfs=/d', 'sysfs', 'write', 'p', '--', '-5']), ['sysfs', 'write', 'p', '--sysfs=/d', '--', '-5']);
  t.same(hoistHostOptions(['--sim']), ['--sim']);
  t.same(hoistHostOptions(['mask', 'eval', '1']), ['mask', 'eval', '1']);
});

t.test('sim mount serves the host over FUSE; a shell sees the kernel errno; SIGTERM unmounts', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'host.json');
  const mnt = path.join(dir, 'mnt');
  mkdirSync(mnt);
  await zmdev('sim', 'init', file, '--preset', 'kernel-doc');
  const bin = new URL('../../bin/zmdev.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, 'sim', 'mount', file, mnt], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    child.kill('SIGKILL');
    spawnSync('fusermount3', ['-uz', mnt]);
  });
  for (let i = 0; i < 100 && !out.includes('serving'); i++) await new Promise((r) => setTimeout(r, 50));
  t.match(out, `serving ${file} at ${mnt}`);

  const sh = (script: string) => spawnSync('bash', ['-c', script, 'bash', mnt], { encoding: 'utf8' });
  t.equal(sh('echo -5,-6 > "$1/bus/ap/apmask"').status, 0);
  t.equal(sh('cat "$1/bus/ap/apmask"').stdout, `0xf9${'f'.repeat(62)}\n`);
  t.equal(sh(`echo ${U} > "$1/${MATRIX}/mdev_supported_types/vfio_ap-passthrough/create"`).status, 0);
  t.equal(sh(`echo 5 > "$1/${MATRIX}/${U}/assign_adapter" && echo 4 > "$1/${MATRIX}/${U}/assign_domain"`).status, 0);
  const busy = sh('echo +5 > "$1/bus/ap/apmask"');
  t.equal(busy.status, 1);
  t.match(busy.stderr, /write error: Device or resource busy/);
  t.equal(JSON.parse(readFileSync(file, 'utf8')).apmask, `0xf9${'f'.repeat(62)}`, 'accepted writes are saved at once');

  child.kill('SIGTERM');
  t.equal(await exited, 0);
  t.match(out, `unmounted ${mnt} (SIGTERM)`);
  t.notMatch(readFileSync('/proc/mounts', 'utf8'), mnt, 'no mount left behind');
  t.equal((await zmdev('--sim', file, 'sysfs', 'cat', `${MATRIX}/${U}/matrix`)).stdout, '05.0004\n', 'the mdev was saved');
});

t.test('sim mount in process: FUSE answers while the event loop runs; a SIGTERM ends it cleanly', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'host.json');
  const mnt = path.join(dir, 'mnt');
  mkdirSync(mnt);
  await zmdev('sim', 'init', file, '--preset', 'seed');
  let out = '';
  const done = main(['sim', 'mount', file, mnt], { stdout: (x) => void (out += x), stderr: (x) => void (out += x) });
  t.teardown(() => void spawnSync('fusermount3', ['-uz', mnt]));
  for (let i = 0; i < 100 && !out.includes('serving'); i++) await new Promise((r) => setTimeout(r, 50));
  // The FUSE server runs on this process's event loop: only asynchronous children may use it.
  const apmask = await run('cat', [path.join(mnt, 'bus/ap/apmask')], { encoding: 'utf8' });
  t.equal(apmask.stdout, `0x${'f'.repeat(64)}\n`);
  await run('bash', ['-c', 'echo -0,-0xa > "$1/bus/ap/apmask"', 'bash', mnt]);
  t.equal(JSON.parse(readFileSync(file, 'utf8')).apmask, `0x7fdf${'f'.repeat(60)}`);
  process.emit('SIGTERM', 'SIGTERM');
  t.equal(await done, 0);
  t.match(out, `unmounted ${mnt} (SIGTERM)`);
});
