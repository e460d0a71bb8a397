// The state file's lock: every command that changes a simulated host holds `${file}.lock` from
// loading the host to saving it; commands that only read neither wait for it nor save.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { main } from '../../src/cli/main.js';
import { zmdev, zmdevWith } from './helpers.js';

const run = promisify(execFile);
const U = '62177883-f1bb-47f0-914d-32a22e3a8804';
const SHORT = { lock: { timeoutMs: 200 } };

async function heldHost(t: Test): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'host.json');
  t.equal((await zmdev('sim', 'init', file, '--preset', 'kernel-doc')).code, 0);
  // Our own PID holds the lock: a live owner, so the command waits and then gives up.
  writeFileSync(`${file}.lock`, `${process.pid}\n`);
  return file;
}

t.test('a held lock makes sysfs write --sim wait, then refuse with EBUSY naming the holder', async (t) => {
  const file = await heldHost(t);
  const before = readFileSync(file, 'utf8');
  const started = Date.now();
  const r = await zmdevWith(SHORT, 'sysfs', 'write', 'bus/ap/apmask', '--sim', file, '--', '-5');
  t.ok(Date.now() - started >= 150, 'it waited for the lock');
  t.equal(r.code, 1);
  t.match(r.stderr, new RegExp(`^zmdev: EBUSY: the AP configuration lock ${file}\\.lock is held by process ${process.pid}`));
  t.equal(readFileSync(file, 'utf8'), before, 'nothing written, nothing saved');
  const j = await zmdevWith(SHORT, 'sysfs', 'write', 'bus/ap/apmask', '0x0\n', '--json', '--sim', file);
  t.equal(j.code, 1);
  t.match(JSON.parse(j.stdout), { error: { code: 'EBUSY', message: new RegExp(`held by process ${process.pid}`) } });
  rmSync(`${file}.lock`);
  t.equal((await zmdev('sysfs', 'write', 'bus/ap/apmask', '0x0\n', '--sim', file)).code, 0);
  t.notOk(existsSync(`${file}.lock`), 'released after the write');
  t.equal((await zmdev('sysfs', 'cat', 'bus/ap/apmask', '--sim', file)).stdout, `0x${'0'.repeat(64)}\n`);
});

t.test('every command that changes a simulated host waits for its lock; reads do not', async (t) => {
  const file = await heldHost(t);
  for (const argv of [
    ['masks', 'set', 'apmask=-5'],
    ['mdev', 'create', '--uuid', U],
    ['mdev', 'assign', U, '--adapter', '5'],
    ['mdev', 'unassign', U, '--adapter', '5'],
    ['mdev', 'remove', U],
    ['sysfs', 'write', 'bus/ap/poll_thread', '1'],
  ]) {
    const r = await zmdevWith(SHORT, ...argv, '--sim', file);
    t.equal(r.code, 1, argv.join(' '));
    t.match(r.stderr, /EBUSY: the AP configuration lock .* is held by process/, argv.join(' '));
  }
  for (const argv of [['list'], ['masks'], ['mdev', 'list'], ['sysfs', 'cat', 'bus/ap/apmask'], ['sysfs', 'ls', 'bus'],
    ['masks', 'set', 'apmask=-5', '--dry-run'], ['mdev', 'create', '--dry-run']]) {
    t.equal((await zmdevWith(SHORT, ...argv, '--sim', file)).code, 0, `${argv.join(' ')} only reads`);
  }
  t.equal(readFileSync(`${file}.lock`, 'utf8'), `${process.pid}\n`, 'the holder keeps its lock');
  const nowhere = await zmdev('sysfs', 'write', 'bus/ap/apmask', '0x0\n', '--sim', '/nonexistent/host.json');
  t.equal(nowhere.code, 1, 'no folder for the lock: a refusal, not a crash');
  t.match(nowhere.stderr, /^zmdev: ENOENT/);
  const missing = await zmdev('sysfs', 'write', 'bus/ap/apmask', '0x0\n', '--json', '--sim', `${file}.missing`);
  t.equal(missing.code, 1, 'no state file: a refusal');
  t.equal(JSON.parse(missing.stdout).error.code, 'ENOENT');
  t.notOk(existsSync(`${file}.missing.lock`), 'and the lock is released');
});

t.test('sim mount holds the lock while it serves and says so on stderr', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-lock-mount-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'host.json');
  const mnt = path.join(dir, 'mnt');
  mkdirSync(mnt);
  await zmdev('sim', 'init', file, '--preset', 'kernel-doc');
  let out = '';
  let err = '';
  const done = main(['sim', 'mount', file, mnt], { stdout: (x) => void (out += x), stderr: (x) => void (err += x) });
  t.teardown(() => void spawnSync('fusermount3', ['-uz', mnt]));
  for (let i = 0; i < 100 && !out.includes('serving'); i++) await new Promise((r) => setTimeout(r, 50));
  t.match(out, `serving ${file} at ${mnt}`);
  t.match(err, `holding ${file}.lock while serving`);
  t.equal(readFileSync(`${file}.lock`, 'utf8'), `${process.pid}\n`);
  const busy = await zmdevWith(SHORT, 'sysfs', 'write', 'bus/ap/apmask', '0x0\n', '--sim', file);
  t.equal(busy.code, 1);
  t.match(busy.stderr, /EBUSY: .* is held by process/);
  const second = await zmdevWith(SHORT, 'sim', 'mount', file, mnt);
  t.equal(second.code, 1, 'a second server of the same file waits and gives up');
  t.match(second.stderr, /EBUSY/);
  const missing = await zmdev('sim', 'mount', path.join(dir, 'missing.json'), mnt);
  t.equal(missing.code, 1, 'no state file to serve');
  t.match(missing.stderr, /ENOENT/);
  // Writes through the mount still reach the file: the server is the lock's holder.
  await run('bash', ['-c', 'echo -5 > "$1/bus/ap/apmask"', 'bash', mnt]);
  t.match(JSON.parse(readFileSync(file, 'utf8')).apmask, /^0xfb/);
  process.emit('SIGTERM', 'SIGTERM');
  t.equal(await done, 0);
  t.notOk(existsSync(`${file}.lock`), 'released once unmounted');
});

t.test('a wait longer than noticeMs says on stderr which file and which process it waits for', async (t) => {
  const file = await heldHost(t);
  const r = await zmdevWith({ lock: { timeoutMs: 300, noticeMs: 20, retryMs: 5 } }, 'mdev', 'remove', U, '--sim', file);
  t.equal(r.code, 1);
  const comm = readFileSync(`/proc/${process.pid}/comm`, 'latin1').trim();
  t.match(r.stderr, `zmdev: waiting for ${file}.lock, held by process ${process.pid} (${comm})\n`);
  t.match(r.stderr, /EBUSY: the AP configuration lock/);
});
