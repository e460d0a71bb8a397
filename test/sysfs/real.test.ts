// RealSysfs over a temporary tree of plain files, links and directories, plus a few special files
// (/dev/full, /proc) for errnos a plain tree cannot produce when the tests run as root.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { native } from '../../src/native/addon.js';
import { sysfsErrorFromErrno } from '../../src/sysfs/errno.js';
import { checkRelativePath, joinUnder, SysfsPathError } from '../../src/sysfs/path.js';
import { RealSysfs } from '../../src/sysfs/real.js';
import { SysfsError } from '../../src/sysfs/sysfs-io.js';

const root = mkdtempSync(path.join(tmpdir(), 'zmdev-real-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

mkdirSync(path.join(root, 'bus/ap/drivers/vfio_ap'), { recursive: true });
writeFileSync(path.join(root, 'bus/ap/apmask'), '0x' + 'f'.repeat(64) + '\n');
writeFileSync(path.join(root, 'bus/ap/ap_domain'), '6\n');
writeFileSync(path.join(root, 'bus/ap/empty'), '');
writeFileSync(path.join(root, 'bus/ap/big'), 'x'.repeat(10000));
writeFileSync(path.join(root, 'bus/ap/assign_adapter'), '');
chmodSync(path.join(root, 'bus/ap/assign_adapter'), 0o200);
writeFileSync(path.join(root, 'bus/ap/binary'), Buffer.from([0, 0xff, 0x80, 0x0a, 0x41]));
symlinkSync('../../../../devices/matrix', path.join(root, 'bus/ap/drivers/vfio_ap/matrix'));
symlinkSync('loop', path.join(root, 'loop'));
mkdirSync(path.join(root, 'devices/matrix'), { recursive: true });

const io = new RealSysfs(root);

t.test('root and path rules', async (t) => {
  t.equal(new RealSysfs().root, '/sys');
  t.equal(new RealSysfs('/').resolve('bus'), '/bus');
  t.equal(new RealSysfs('/tmp/x/').root, '/tmp/x', 'trailing slash dropped');
  t.equal(io.resolve(''), root);
  t.equal(io.resolve('bus/ap/apmask'), `${root}/bus/ap/apmask`);
  t.equal(joinUnder('/', ''), '/');
  t.throws(() => new RealSysfs('/tmp\0x'), { name: 'SysfsPathError', rule: 'no-nul', code: 'EINVAL' });
  t.throws(() => io.read('/etc/passwd'), { name: 'SysfsPathError', rule: 'relative', path: '/etc/passwd' });
  t.throws(() => io.read('bus/../../etc/passwd'), { rule: 'no-dotdot', message: /"\.\." segment/ });
  t.throws(() => io.write('..', '1'), { name: 'SysfsPathError', rule: 'no-dotdot' });
  t.throws(() => io.list('bus\0ap'), { rule: 'no-nul', message: /NUL/ });
  t.throws(() => io.readMany(['bus/ap/apmask', '../x']), SysfsPathError);
  t.doesNotThrow(() => checkRelativePath('bus/./ap/..x/'), 'dots inside names and "." are fine');
});

t.test('a NUL in a root or a path is refused before any syscall, by TypeScript and by the addon', async (t) => {
  t.throws(() => joinUnder('/sys\0/x', 'bus'), { name: 'SysfsPathError', rule: 'no-nul', path: '/sys\0/x', code: 'EINVAL' });
  const moved = new RealSysfs(root);
  (moved as { root: string }).root = `${root}/bus\0`;
  t.throws(() => moved.read('ap/apmask'), { name: 'SysfsPathError', rule: 'no-nul' }, 'a root changed after the constructor');

  // The addon used to open the path up to the NUL: '<root>/bus/ap/apmask\0junk' read apmask.
  const addon = native();
  const apmask = path.join(root, 'bus/ap/apmask');
  const bad = [`${apmask}\0junk`, `${root}\0/bus/ap/apmask`, '\0', `${apmask}\0`];
  for (const p of bad) {
    const calls: Array<[string, () => unknown]> = [
      ['sysfsRead', () => addon.sysfsRead(p)],
      ['sysfsWrite', () => addon.sysfsWrite(p, new Uint8Array([0x31]))],
      ['sysfsList', () => addon.sysfsList(p)],
      ['sysfsReadlink', () => addon.sysfsReadlink(p)],
      ['sysfsStat', () => addon.sysfsStat(p, true)],
      ['sysfsStat (lstat)', () => addon.sysfsStat(p, false)],
    ];
    for (const [name, call] of calls) {
      const e = t.throws(call, `${name}(${JSON.stringify(p)})`) as SysfsPathError;
      t.ok(e instanceof SysfsPathError, `${name}: a SysfsPathError`);
      t.match(e, { code: 'EINVAL', errno: -22, rule: 'no-nul', path: p, message: /must not contain a NUL byte/ });
    }
  }
  t.equal(readFileSync(apmask, 'latin1'), '0x' + 'f'.repeat(64) + '\n', 'the write never reached apmask');
  t.equal(addon.sysfsRead(apmask), '0x' + 'f'.repeat(64) + '\n', 'the same path without the NUL is read');
});

t.test('read: whole content, exact bytes, latin1', async (t) => {
  t.equal(io.read('bus/ap/apmask'), '0x' + 'f'.repeat(64) + '\n');
  t.equal(io.read('bus/ap/empty'), '');
  t.equal(io.read('bus/ap/big'), 'x'.repeat(10000), 'more than one 4 KiB step');
  t.equal(io.read('bus/ap/binary'), '\u0000\u00ff\u0080\n\u0041');
});

t.test('read failures carry the errno and the syscall', async (t) => {
  const e = t.throws(() => io.read('bus/ap/missing')) as SysfsError;
  t.ok(e instanceof SysfsError);
  t.match(e, { code: 'ENOENT', errno: -2, syscall: 'open', path: `${root}/bus/ap/missing`, written: undefined });
  t.match(e.message, /^ENOENT: open \/.*\/bus\/ap\/missing failed: no such file or directory$/);
  t.match(t.throws(() => io.read('bus/ap')), { code: 'EISDIR', errno: -21, syscall: 'read' }, 'open works, read(2) refuses');
  t.match(t.throws(() => io.read('bus/ap/apmask/x')), { code: 'ENOTDIR', syscall: 'open' });
  t.match(t.throws(() => io.read('loop')), { code: 'ELOOP', errno: -40, syscall: 'open' });
  const proc = new RealSysfs('/proc/self');
  t.match(t.throws(() => proc.read('mem')), { code: 'EIO', syscall: 'read' }, 'a read at offset 0 of /proc/self/mem');
});

t.test('readMany: one call, results in place', async (t) => {
  const got = io.readMany(['bus/ap/apmask', 'bus/ap/missing', 'bus/ap/empty', 'bus/ap', 'bus/ap/binary', 'bus/ap/ap_domain']);
  t.equal(got.length, 6);
  t.equal(got[0], '0x' + 'f'.repeat(64) + '\n');
  t.match(got[1], { code: 'ENOENT', errno: -2, syscall: 'open', path: `${root}/bus/ap/missing` });
  t.equal(got[2], '');
  t.match(got[3], { code: 'EISDIR', syscall: 'read' });
  t.ok(got[1] instanceof SysfsError && got[3] instanceof SysfsError);
  t.equal(got[4], '\u0000\u00ff\u0080\nA');
  t.equal(got[5], '6\n');
  t.same(io.readMany([]), []);
  const many = Array.from({ length: 300 }, (_, i) => (i % 3 === 1 ? 'nope' : 'bus/ap/ap_domain'));
  t.same(io.readMany(many).map((r) => (typeof r === 'string' ? r : r.code)), many.map((p) => (p === 'nope' ? 'ENOENT' : '6\n')));
});

t.test('a file without an end is EFBIG past 16 MiB, not a string that grows until memory runs out', async (t) => {
  const dev = new RealSysfs('/dev');
  t.match(t.throws(() => dev.read('zero')), { name: 'SysfsError', code: 'EFBIG', errno: -27, syscall: 'read', path: '/dev/zero' });
  const [zero, nul] = dev.readMany(['zero', 'null']);
  t.match(zero, { code: 'EFBIG', syscall: 'read', path: '/dev/zero' });
  t.equal(nul, '');
});

t.test('readMany: the native call checks its buffers', async (t) => {
  const addon = native();
  t.throws(() => addon.sysfsReadMany(new Uint8Array([0x61, 0]), new Uint8Array(7)), RangeError);
  t.throws(() => addon.sysfsReadMany(new Uint8Array([0x61]), new Uint8Array(8)), RangeError, 'no terminator');
  t.throws(() => addon.sysfsReadMany(new Uint8Array([0x61, 0, 0x62, 0]), new Uint8Array(8)), RangeError, 'two paths, one slot');
  t.throws(() => addon.sysfsRead(5 as unknown as string), TypeError);
});

t.test('write: one write(2), exact bytes, count returned', async (t) => {
  const f = path.join(root, 'bus/ap/ap_domain');
  writeFileSync(f, '');
  t.equal(io.write('bus/ap/ap_domain', '7'), 1);
  t.same(readFileSync(f), Buffer.from('7'), 'no newline added');
  writeFileSync(f, 'abcdef');
  t.equal(io.write('bus/ap/ap_domain', 'XY\n'), 3);
  t.same(readFileSync(f), Buffer.from('XY\ndef'), 'no O_TRUNC: like sysfs, the store sees only what was written');
  const bin = new Uint8Array([0, 1, 0xfe, 0xff, 0x0a]);
  writeFileSync(f, '');
  t.equal(io.write('bus/ap/ap_domain', bin), 5);
  t.same(readFileSync(f), Buffer.from(bin));
  writeFileSync(f, '');
  t.equal(io.write('bus/ap/ap_domain', '\u00ff\u0080'), 2, 'latin1 characters are single bytes');
  t.same(readFileSync(f), Buffer.from([0xff, 0x80]));
  t.equal(io.write('bus/ap/ap_domain', ''), 0, 'an empty write is one write(2) of 0 bytes');
  t.throws(() => io.write('bus/ap/ap_domain', 'A\u0100'), { name: 'InputError', code: 'EINVAL', message: 'has a character above U+00FF' }, 'user input, not a bug: a refusal the CLI reports with exit 1');
  t.equal(io.write('bus/ap/assign_adapter', '0x1f\n'), 5, 'a write-only attribute');
  writeFileSync(f, '6\n');
});

t.test('write failures: errno, syscall, bytes', async (t) => {
  const e = t.throws(() => io.write('bus/ap/nope', '1\n')) as SysfsError;
  t.match(e, { code: 'ENOENT', syscall: 'open', written: '1\n' }, 'no O_CREAT: attributes cannot be created');
  t.match(e.message, /^ENOENT: open of "1\\n" \//);
  t.match(e.toJSON(), { code: 'ENOENT', syscall: 'open', written: '1\n', path: `${root}/bus/ap/nope` });
  t.match(t.throws(() => io.write('bus/ap', 'x')), { code: 'EISDIR', syscall: 'open' });
  const dev = new RealSysfs('/dev');
  t.match(t.throws(() => dev.write('full', '1')), { code: 'ENOSPC', errno: -28, syscall: 'write', written: '1', path: '/dev/full' });
  t.equal(dev.write('null', new Uint8Array(5000)), 5000, 'a 5000-byte store reaches the file in one call');
  const bin = t.throws(() => dev.write('full', new Uint8Array([0xff, 0]))) as SysfsError;
  t.equal(bin.written, '\u00ff\u0000');
});

t.test('list, readlink, stat, exists', async (t) => {
  t.same(io.list('bus/ap'), ['ap_domain', 'apmask', 'assign_adapter', 'big', 'binary', 'drivers', 'empty']);
  t.same(io.list(''), ['bus', 'devices', 'loop']);
  t.same(io.list('devices/matrix'), []);
  t.same(io.list('bus/ap/drivers/vfio_ap/matrix'), [], 'a link to a directory lists the directory');
  t.match(t.throws(() => io.list('bus/ap/apmask')), { code: 'ENOTDIR', syscall: 'readdir' });
  t.match(t.throws(() => io.list('none')), { code: 'ENOENT', syscall: 'readdir' });

  t.equal(io.readlink('bus/ap/drivers/vfio_ap/matrix'), '../../../../devices/matrix');
  const long = 'a/'.repeat(400) + 'end';
  symlinkSync(long, path.join(root, 'long-link'));
  t.equal(io.readlink('long-link'), long, 'targets longer than the first buffer');
  rmSync(path.join(root, 'long-link'));
  t.match(t.throws(() => io.readlink('bus/ap/apmask')), { code: 'EINVAL', errno: -22, syscall: 'readlink' });

  t.same(io.stat('bus/ap/apmask'), { kind: 'file', mode: 0o644 });
  t.same(io.stat('bus/ap/assign_adapter'), { kind: 'file', mode: 0o200 });
  t.same(io.stat('bus/ap/drivers/vfio_ap/matrix'), { kind: 'link', mode: 0o777 });
  t.match(io.stat('bus'), { kind: 'dir' });
  t.same(new RealSysfs('/dev').stat('null'), { kind: 'file', mode: 0o666 }, 'devices count as files');
  t.match(t.throws(() => io.stat('gone')), { code: 'ENOENT', syscall: 'stat' });

  t.equal(io.exists('bus/ap/apmask'), true);
  t.equal(io.exists('bus/ap/drivers/vfio_ap/matrix'), true, 'follows the link');
  t.equal(io.exists(''), true);
  t.equal(io.exists('gone'), false);
  t.equal(io.exists('bus/ap/apmask/x'), false, 'ENOTDIR means no');
  t.match(t.throws(() => io.exists('loop')), { code: 'ELOOP' }, 'other errors are not hidden');
});

t.test('errno mapping', async (t) => {
  const e = sysfsErrorFromErrno(16, 'write', '/sys/x', '5\n');
  t.match(e, { code: 'EBUSY', errno: -16, message: 'EBUSY: write of "5\\n" /sys/x failed: resource busy or locked' });
  const unknown = sysfsErrorFromErrno(129, 'write', '/sys/x');
  t.match(unknown, { code: 'ERRNO_129', errno: -129, written: undefined, message: /errno 129/ }, 'an errno Node has no name for keeps its number');
  t.equal(new SysfsError({ code: 'EBUSY', syscall: 'write', path: 'x' }).message, 'EBUSY: write x failed', 'no explanation');
  t.same(unknown.toJSON(), { code: 'ERRNO_129', message: unknown.message, syscall: 'write', path: '/sys/x' });
});
