// Files written as root: unguessable temporary names, the old mode and owner kept, links written
// through only when they are ours, special files refused — and nothing left behind on a failure.
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, lchownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import t from 'tap';
import { readRegularFile, writeFileAtomic } from '../../src/files/atomic.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-atomic-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('a new file gets the mode asked for; an existing one keeps its mode and owner', (t) => {
  const f = path.join(dir, 'state.json');
  writeFileAtomic(f, 'one\n');
  t.equal(readFileSync(f, 'utf8'), 'one\n');
  t.equal(statSync(f).mode & 0o777, 0o644);
  chmodSync(f, 0o600);
  chownSync(f, 12345, 23456);
  writeFileAtomic(f, new Uint8Array([0x74, 0x77, 0x6f]));
  const st = statSync(f);
  t.equal(readFileSync(f, 'latin1'), 'two');
  t.same([st.mode & 0o777, st.uid, st.gid], [0o600, 12345, 23456], 'mode and owner kept');
  t.same(readdirSync(dir), ['state.json'], 'no temporary file left');
  t.end();
});

t.test('a link of our own is written through; a foreign one is refused', (t) => {
  const real = path.join(dir, 'real.json');
  const link = path.join(dir, 'link.json');
  writeFileSync(real, 'old');
  symlinkSync(real, link);
  writeFileAtomic(link, 'new');
  t.equal(readFileSync(real, 'utf8'), 'new', 'the file the link points to got the content');
  t.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
  const victim = path.join(dir, 'victim');
  writeFileSync(victim, 'precious');
  const planted = path.join(dir, 'planted.json');
  symlinkSync(victim, planted);
  lchownSync(planted, 12345, 12345);
  t.throws(() => writeFileAtomic(planted, 'overwritten'), { code: 'EPERM', message: 'is a symbolic link owned by uid 12345' });
  t.equal(readFileSync(victim, 'utf8'), 'precious', 'the file a planted link points to is untouched');
  t.end();
});

t.test('special files are refused, for writing and for reading, without blocking', async (t) => {
  t.equal(readRegularFile(path.join(dir, 'real.json')), 'new', 'a regular file reads');
  const sock = path.join(dir, 'sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  t.throws(() => writeFileAtomic(sock, 'x'), { code: 'EINVAL', message: 'is a socket' });
  await new Promise((resolve) => server.close(resolve));
  const fifo = path.join(dir, 'fifo');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0);
  t.throws(() => writeFileAtomic(fifo, 'x'), { code: 'EINVAL', message: `${fifo} is a FIFO, not a regular file` });
  t.throws(() => readRegularFile(fifo), { code: 'EINVAL', message: 'is a FIFO' });
  t.throws(() => readRegularFile('/dev/null'), { code: 'EINVAL', message: 'is a device' });
  const sub = path.join(dir, 'sub');
  mkdirSync(sub);
  t.throws(() => writeFileAtomic(sub, 'x'), { code: 'EISDIR' });
  t.throws(() => readRegularFile(sub), { code: 'EISDIR' });
  t.throws(() => readRegularFile(path.join(dir, 'missing')), { code: 'ENOENT', message: /^ENOENT: no such file or directory, open / });
  t.throws(() => writeFileAtomic(path.join(dir, 'no-dir', 'f'), 'x'), { code: 'ENOENT', message: 'creating a temporary file beside' });
  const dangling = path.join(dir, 'dangling');
  symlinkSync(path.join(dir, 'nowhere', 'x'), dangling);
  t.throws(() => writeFileAtomic(dangling, 'x'), { code: 'ENOENT', message: 'following the link' });
  writeFileSync(path.join(dir, 'plain'), '');
  t.throws(() => writeFileAtomic(path.join(dir, 'plain', 'x'), 'x'), { code: 'ENOTDIR', message: 'looking up' });
});
