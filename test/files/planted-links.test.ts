// Every file zmdev writes, with a symlink planted in its place by another user (uid 65534) and
// pointing at a file of root's: the command refuses or waits, and the file behind the link is
// never written. The files: a state file (sim init, and a change saved to it), the state file's
// lock and the lock's guard, and the change record with its directory (the s390-tools lock path
// takes the same code: ap/lock-corners.test.ts plants a link there too). (The temporary files beside them have unguessable names and are opened with O_EXCL |
// O_NOFOLLOW: files/atomic.test.ts and the lock race tests.)
import { execFileSync, spawnSync } from 'node:child_process';
import { lchownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { ApHost } from '../../src/ap/host.js';
import { SimHost, SimSysfs, presetState } from '../../src/sim/index.js';
import { zmdevWith } from '../cli/helpers.js';

const BIN = new URL('../../bin/zmdev.js', import.meta.url).pathname;
const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-planted-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A fresh directory with a precious root file and a symlink to it at `name`, owned by nobody. */
function planted(name: string): { d: string; victim: string; link: string } {
  const d = path.join(dir, `case${n++}`);
  mkdirSync(d);
  const victim = path.join(d, 'victim');
  writeFileSync(victim, 'precious\n', { mode: 0o600 });
  const link = path.join(d, name);
  mkdirSync(path.dirname(link), { recursive: true });
  symlinkSync(victim, link);
  lchownSync(link, 65534, 65534);
  return { d, victim, link };
}

function untouched(t: Test, p: { victim: string; link: string }): void {
  t.equal(readFileSync(p.victim, 'latin1'), 'precious\n', 'the file behind the link is untouched');
  t.ok(lstatSync(p.link).isSymbolicLink(), 'the planted link is left as it is');
}

function zmdev(...argv: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr };
}

t.test('the state file of `sim init`', (t) => {
  const p = planted('host.json');
  const r = zmdev('sim', 'init', p.link);
  t.equal(r.code, 1);
  t.match(r.stderr, /^zmdev: EEXIST: \S+host\.json already exists/);
  untouched(t, p);
  t.end();
});

t.test('the state file a change is saved to', (t) => {
  const p = planted('host.json');
  // The victim is a valid state, so the change gets as far as saving it.
  execFileSync(process.execPath, [BIN, 'sim', 'init', path.join(p.d, 'real.json')]);
  const state = readFileSync(path.join(p.d, 'real.json'), 'latin1');
  writeFileSync(p.victim, state);
  const r = zmdev('masks', 'set', 'apmask=-1', '--sim', p.link);
  t.equal(r.code, 1);
  t.match(r.stderr, /^zmdev: EPERM: .*host\.json is a symbolic link owned by uid 65534/);
  t.equal(readFileSync(p.victim, 'latin1'), state, 'the state behind the link is untouched');
  t.end();
});

t.test('the state file, when the kernel refused the change and its log line is to be saved', (t) => {
  const p = planted('host.json');
  const real = path.join(p.d, 'real.json');
  execFileSync(process.execPath, [BIN, 'sim', 'init', real]);
  execFileSync(process.execPath, [BIN, 'masks', 'set', 'apmask=-1', '--sim', real]);
  execFileSync(process.execPath, [BIN, 'mdev', 'create', '--adapter', '1', '--domain', '2', '--sim', real]);
  const state = readFileSync(real, 'latin1');
  writeFileSync(p.victim, state);
  const r = zmdev('sysfs', 'write', 'bus/ap/apmask', '+1', '--sim', p.link);
  t.equal(r.code, 1);
  t.match(r.stderr, /^zmdev: EBUSY: write of "\+1" bus\/ap\/apmask failed.*\nzmdev: and the state could not be saved: \S+host\.json is a symbolic link owned by uid 65534/s,
    'the refusal, then why its log line was not saved');
  t.equal(readFileSync(p.victim, 'latin1'), state, 'the state behind the link is untouched');
  t.end();
});

t.test("the state file's lock and its guard", async (t) => {
  const state = path.join(dir, 'state.json');
  execFileSync(process.execPath, [BIN, 'sim', 'init', state]);
  const lock = planted('host.json.lock');
  writeFileSync(path.join(lock.d, 'host.json'), readFileSync(state));
  const r = await zmdevWith({ lock: { timeoutMs: 200, retryMs: 10, noticeMs: 0 } }, 'masks', 'set', 'apmask=-1', '--sim', path.join(lock.d, 'host.json'));
  t.equal(r.code, 1, 'a lock nobody could have taken is waited for, then refused');
  t.match(r.stderr, /^zmdev: waiting for \S+host\.json\.lock, held by process \? \(\S+ is a symbolic link owned by uid 65534[^\n]*\)\n/, 'the wait names what holds it, with no command to show');
  t.match(r.stderr, /EBUSY: .* held by process \? \(\S+host\.json\.lock is a symbolic link owned by uid 65534, which no lock-taking tool makes: if none is running, remove it\)/);
  untouched(t, lock);
  const guard = planted('host.json.lock.guard');
  writeFileSync(path.join(guard.d, 'host.json'), readFileSync(state));
  const g = zmdev('masks', 'set', 'apmask=-1', '--sim', path.join(guard.d, 'host.json'));
  t.equal(g.code, 1);
  t.match(g.stderr, /^zmdev: (ELOOP|EPERM): .*lock guard \S+host\.json\.lock\.guard/);
  untouched(t, guard);
});

t.test('the change record, and its directory', (t) => {
  const host = () => new SimHost(presetState('seed', '6.15'));
  const file = planted('run/change.json');
  const h1 = host();
  t.throws(() => new ApHost(new SimSysfs(h1), { lock: false, changeLog: path.join(file.d, 'run') }).setMasks({ apmask: '-0x20', aqmask: '-0x1b' }),
    { code: 'ELOOP', message: `${file.link} is a symbolic link, which zmdev does not follow here: remove it` });
  untouched(t, file);
  t.same(h1.state, host().state, 'and nothing was written to the host');
  const d = path.join(dir, `case${n++}`);
  mkdirSync(path.join(d, 'theirs'), { recursive: true });
  symlinkSync(path.join(d, 'theirs'), path.join(d, 'run'));
  lchownSync(path.join(d, 'run'), 65534, 65534);
  const h2 = host();
  t.throws(() => new ApHost(new SimSysfs(h2), { lock: false, changeLog: path.join(d, 'run') }).setMasks({ apmask: '-0x20', aqmask: '-0x1b' }),
    { code: 'EPERM', message: `the change record directory ${path.join(d, 'run')} is a symbolic link: it must be a directory of uid 0 that only it can write` });
  t.same(h2.state, host().state, 'nothing was written to the host');
  mkdirSync(path.join(d, 'open'), { mode: 0o777 });
  execFileSync('chmod', ['0777', path.join(d, 'open')]);
  t.throws(() => new ApHost(new SimSysfs(host()), { lock: false, changeLog: path.join(d, 'open') }).setMasks({ apmask: '-0x20', aqmask: '-0x1b' }),
    { code: 'EPERM', message: 'is writable by group or others' });
  mkdirSync(path.join(d, 'nobodys'));
  execFileSync('chown', ['65534', path.join(d, 'nobodys')]);
  t.throws(() => new ApHost(new SimSysfs(host()), { lock: false, changeLog: path.join(d, 'nobodys') }).setMasks({ apmask: '-0x20', aqmask: '-0x1b' }),
    { code: 'EPERM', message: 'is owned by uid 65534' });
  t.end();
});
