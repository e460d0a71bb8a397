// The lock's corners: the wait notice, guards that are not ours, a stale lock replaced before it is
// taken over, a lock path that is a directory, a planted symlink or a FIFO.
import { spawnSync } from 'node:child_process';
import { chownSync, lchownSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, unlinkSync, existsSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { acquireApConfigLock, inspectLock, takeOverStaleLock, type LockHolder } from '../../src/ap/lock.js';
import { cleanup, lockPath } from './fixtures/sdk-host.js';

t.teardown(cleanup);

t.test('a wait says once, after noticeMs, which process it waits for', (t) => {
  const lock = lockPath();
  writeFileSync(lock, `${process.ppid}\n`);
  const seen: Array<[LockHolder, string]> = [];
  t.throws(() => acquireApConfigLock({ path: lock, timeoutMs: 150, retryMs: 5, noticeMs: 20, onWait: (h, p) => seen.push([h, p]) }), { code: 'EBUSY' });
  t.equal(seen.length, 1, 'told once');
  const comm = readFileSync(`/proc/${process.ppid}/comm`, 'latin1').trim();
  t.same(seen[0], [{ pid: process.ppid, command: comm, shown: String(process.ppid) }, lock]);
  t.end();
});

t.test('a guard that is not a regular file of this user is refused', (t) => {
  const lock = lockPath();
  writeFileSync(`${lock}.guard`, '');
  chownSync(`${lock}.guard`, 12345, 12345);
  t.throws(() => acquireApConfigLock({ path: lock }), { code: 'EPERM', message: `the lock guard ${lock}.guard is not a regular file owned by this user` });
  const fifo = lockPath();
  t.equal(spawnSync('mkfifo', [`${fifo}.guard`]).status, 0);
  t.throws(() => acquireApConfigLock({ path: fifo }), { code: 'EPERM' });
  const dir = lockPath();
  mkdirSync(`${dir}.guard`);
  t.throws(() => acquireApConfigLock({ path: dir }), { code: 'EISDIR', message: 'cannot open the lock guard' });
  t.end();
});

t.test('a stale lock replaced before the takeover is given back; a vanished one is fine', (t) => {
  const lock = lockPath();
  writeFileSync(lock, '999999999\n');
  const seen = inspectLock(lock);
  t.ok(seen.stale, 'a dead PID is stale');
  unlinkSync(lock);
  writeFileSync(lock, `${process.ppid}\n`);
  const live = lstatSync(lock).ino;
  takeOverStaleLock(lock, seen.stale!);
  t.equal(readFileSync(lock, 'latin1'), `${process.ppid}\n`, 'the live lock is back in place');
  t.equal(lstatSync(lock).ino, live, 'the very same file (the stale one was held open, so its inode was not reused)');
  unlinkSync(lock);
  writeFileSync(lock, '999999999\n');
  const again = inspectLock(lock);
  unlinkSync(lock);
  takeOverStaleLock(lock, again.stale!);
  t.notOk(existsSync(lock), 'gone before the takeover: nothing to do');
  t.end();
});

t.test('a lock path that no tool makes (directory, symlink, FIFO) is waited for, named, never removed', (t) => {
  const lock = lockPath();
  mkdirSync(lock);
  t.match(inspectLock(lock), { stale: null, gone: false, holder: { pid: null, shown: `? (${lock} is a directory owned by uid 0, which no lock-taking tool makes: if none is running, remove it)` } });
  t.throws(() => acquireApConfigLock({ path: lock, timeoutMs: 50, retryMs: 5 }), { code: 'EBUSY', message: 'held by process ? (' });
  t.ok(lstatSync(lock).isDirectory());
  const link = lockPath();
  const victim = path.join(path.dirname(link), 'victim');
  writeFileSync(victim, 'precious');
  symlinkSync(victim, link);
  lchownSync(link, 65534, 65534);
  t.throws(() => acquireApConfigLock({ path: link, timeoutMs: 50, retryMs: 5 }), { code: 'EBUSY', message: `held by process ? (${link} is a symbolic link owned by uid 65534, which no lock-taking tool makes` });
  t.equal(readFileSync(victim, 'latin1'), 'precious', 'the file behind a planted link is untouched');
  t.ok(lstatSync(link).isSymbolicLink(), 'and the link is left');
  const fifo = lockPath();
  t.equal(spawnSync('mkfifo', [fifo]).status, 0);
  t.match(inspectLock(fifo), { stale: null, holder: { pid: null, shown: /is a special file owned by uid 0/ } });
  t.end();
});
