// The FUSE server over a tiny in-memory SysfsIO, seen through real syscalls: bash, cat, ls, stat,
// readlink, and RealSysfs in a child process. The server answers on this thread, so every client
// runs asynchronously in another process (a synchronous call here would wait on itself).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { mountSysfs, unmountOnSignals, type SysfsMount } from '../../src/sysfs/fuse-mount.js';
import { TinySysfs } from './fixtures/tiny-sysfs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const base = mkdtempSync(path.join(tmpdir(), 'zmdev-fuse-'));
const mounted = new Set<string>();

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program with an argument array (no shell string is ever built from data). */
function run(cmd: string, args: readonly string[], onStdout?: (chunk: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      onStdout?.(c, child);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** bash -c SCRIPT with the mountpoint as $1 and further data as $2…; the script is a constant. */
const sh = (mnt: string, script: string, ...args: string[]) => run('bash', ['-c', script, 'bash', mnt, ...args]);

/** RealSysfs rooted at the mountpoint, in a child process. */
async function real(mnt: string, calls: unknown[]): Promise<unknown[]> {
  const r = await run(process.execPath, [...process.execArgv, path.join(here, 'fixtures/real-client.ts'), mnt, JSON.stringify(calls)]);
  if (r.code !== 0) throw new Error(`real-client failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown[];
}

function isMounted(mnt: string): boolean {
  return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mnt);
}

function newMountpoint(name: string): string {
  const dir = path.join(base, name);
  spawnSync('mkdir', ['-p', dir]);
  mounted.add(dir);
  return dir;
}

// Whatever happened, leave no mount behind: fusermount -uz needs no answer from this process.
t.teardown(() => {
  for (const dir of mounted) if (isMounted(dir)) spawnSync('fusermount', ['-uz', dir]);
  rmSync(base, { recursive: true, force: true });
});

t.test('a tiny SysfsIO through the kernel', async (t) => {
  const io = new TinySysfs();
  const changes: Array<[string, string]> = [];
  const errors: Array<[string, string, string]> = [];
  const mnt = newMountpoint('main');
  const mount = await mountSysfs(io, mnt, {
    onChange: (p, data) => {
      changes.push([p, Buffer.from(data).toString('latin1')]);
      if (p === 'remove') throw new Error('saving state failed');
    },
    onError: (err, op, p) => errors.push([String(err), op, p]),
  });
  t.teardown(() => mount.unmount());
  t.equal(mount.mountpoint, mnt);
  t.ok(isMounted(mnt));

  t.test('cat, ls, stat, readlink', async (t) => {
    t.same(await sh(mnt, 'cat "$1/rw_attr" "$1/ro_attr" "$1/dir/inner" "$1/link/inner"'),
      { code: 0, signal: null, stdout: '5\nhello\ninner\ninner\n', stderr: '' });
    t.equal((await sh(mnt, 'ls "$1"')).stdout, 'broken\nbuggy\ndir\nlink\nremove\nro_attr\nrw_attr\nvictim\nwo_attr\n');
    t.equal((await sh(mnt, 'ls -a "$1/dir"')).stdout, '.\n..\ninner\n');
    t.equal((await sh(mnt, 'cd "$1" && stat -c "%n %A %s" rw_attr wo_attr ro_attr dir link .')).stdout,
      'rw_attr -rw-r--r-- 4096\nwo_attr --w------- 4096\nro_attr -r--r--r-- 4096\ndir drwxr-xr-x 0\nlink lrwxrwxrwx 0\n. drwxr-xr-x 0\n');
    t.equal((await sh(mnt, 'readlink "$1/link"')).stdout, 'dir\n');
    const missing = await sh(mnt, 'cat "$1/nope"');
    t.equal(missing.code, 1);
    t.match(missing.stderr, 'No such file or directory');
    t.match((await sh(mnt, 'ls "$1/rw_attr/x"')).stderr, 'Not a directory');
    t.match((await sh(mnt, 'readlink -v "$1/rw_attr"')).stderr, 'Invalid argument');
    t.match((await sh(mnt, 'ls "$1/link/"')).stdout, 'inner');
  });

  t.test('reads: one snapshot per open, errors at read', async (t) => {
    t.match(await sh(mnt, 'cat "$1/wo_attr"'), { code: 1, stderr: /Permission denied/ }, 'no read bits: EACCES at open');
    t.match(await sh(mnt, 'cat "$1/broken"'), { code: 1, stderr: /No such device/ }, "the model's errno, from read(2)");
    t.match(await sh(mnt, 'cat "$1/buggy"'), { code: 1, stderr: /Input\/output error/ }, 'a bug becomes EIO');
    t.match(errors.pop(), ['TypeError: the model tripped over itself', 'read', '/buggy']);
    // One open, a write through the same handle, then reads at offsets: the snapshot stays.
    const same = await sh(mnt, 'exec 3<>"$1/rw_attr"; printf 9 >&3; cat <&3; cat "$1/rw_attr"');
    t.equal(same.stdout, '\n9', 'offset 1 of the snapshot "5\\n", then a fresh open sees the store');
    t.same(io.stores.pop(), { path: 'rw_attr', bytes: '9' });
    t.same(changes.pop(), ['rw_attr', '9']);
    io.write('rw_attr', '5\n');
  });

  t.test('writes from the shell: one store, errno back to the shell', async (t) => {
    t.same(await sh(mnt, 'echo 6 > "$1/rw_attr"'), { code: 0, signal: null, stdout: '', stderr: '' });
    t.same(io.stores.at(-1), { path: 'rw_attr', bytes: '6\n' });
    t.same(changes.at(-1), ['rw_attr', '6\n']);
    t.equal((await sh(mnt, 'cat "$1/rw_attr"')).stdout, '6\n');

    const n = io.stores.length;
    const c = changes.length;
    const busy = await sh(mnt, 'echo 7 > "$1/wo_attr"');
    t.equal(busy.code, 1);
    t.match(busy.stderr, 'write error: Device or resource busy');
    t.equal(io.stores.length, n, 'nothing stored');
    t.equal(changes.length, c, 'no onChange for a refused write');

    t.equal((await sh(mnt, 'printf %s "$2" > "$1/wo_attr"', '0x1f')).code, 0);
    t.same(io.stores.at(-1), { path: 'wo_attr', bytes: '0x1f' }, 'no newline added');
    t.match(await sh(mnt, 'echo 1 > "$1/ro_attr"'), { code: 1, stderr: /Permission denied/ }, 'no write bits: EACCES at open');
    t.match(await sh(mnt, 'echo 1 > "$1/new_file"'), { code: 1, stderr: /Permission denied/ }, 'nothing can be created');
    t.match(await sh(mnt, 'echo 1 > "$1/buggy"'), { code: 1, stderr: /Input\/output error/ });
    t.match(errors.pop(), ['Error: store exploded', 'write', '/buggy']);
    t.match(await sh(mnt, 'echo 1 > "$1/nope/x"'), { code: 1, stderr: /No such file or directory/ });

    const m = io.stores.length;
    t.equal((await sh(mnt, ': > "$1/rw_attr" && truncate -s 0 "$1/rw_attr"')).code, 0, 'O_TRUNC and truncate(2) are accepted');
    t.equal(io.stores.length, m, '... and store nothing');
    t.equal((await sh(mnt, 'cat "$1/rw_attr"')).stdout, '6\n');

    const two = await sh(mnt, 'exec 3>"$1/rw_attr"; printf ab >&3; printf cd >&3');
    t.equal(two.code, 0);
    t.same(io.stores.slice(-2), [{ path: 'rw_attr', bytes: 'ab' }, { path: 'rw_attr', bytes: 'cd' }], 'two write(2) on one handle are two stores');
  });

  t.test('a removed entry is gone at once', async (t) => {
    t.equal((await sh(mnt, 'cat "$1/victim"')).stdout, 'still here\n');
    t.equal((await sh(mnt, 'test -e "$1/victim" && printf 1 > "$1/remove" && test ! -e "$1/victim" && ls "$1"')).stdout,
      'broken\nbuggy\ndir\nlink\nremove\nro_attr\nrw_attr\nwo_attr\n');
    t.match(await sh(mnt, 'cat "$1/victim"'), { code: 1, stderr: /No such file or directory/ });
    t.same(changes.at(-1), ['remove', '1'], 'onChange ran');
    t.match(errors.pop(), ['Error: saving state failed', 'onChange', '/remove'], 'its failure is reported, the write still succeeded');
  });

  t.test('RealSysfs rooted at the mountpoint', async (t) => {
    const got = await real(mnt, [
      ['read', 'ro_attr'],
      ['read', 'link/inner'],
      ['write', 'wo_attr', '7\n'],
      ['write', 'wo_attr', 'abc'],
      ['write', 'rw_attr', '\u00ff\u0000\u0080'],
      ['read', 'rw_attr'],
      ['read', 'wo_attr'],
      ['read', 'broken'],
      ['readMany', ['ro_attr', 'nope', 'dir/inner', 'broken', 'dir']],
      ['list', ''],
      ['list', 'link'],
      ['readlink', 'link'],
      ['stat', 'wo_attr'],
      ['stat', 'link'],
      ['exists', 'victim'],
      ['exists', 'link/inner'],
      ['write', 'rw_attr', 'z'.repeat(5000)],
    ]);
    const err = (code: string, errno: number, syscall: string, p: string, written?: string) =>
      ({ error: { code, errno, syscall, path: path.join(mnt, p), ...(written === undefined ? {} : { written }) } });
    t.same(got[0], 'hello\n');
    t.same(got[1], 'inner\n');
    t.same(got[2], err('EBUSY', -16, 'write', 'wo_attr', '7\n'), 'the errno of the store, from write(2)');
    t.same(got[3], 3);
    t.same(got[4], 3);
    t.same(got[5], '\u00ff\u0000\u0080', 'binary bytes both ways');
    t.same(got[6], err('EACCES', -13, 'open', 'wo_attr'));
    t.same(got[7], err('ENODEV', -19, 'read', 'broken'));
    t.same(got[8], ['hello\n', err('ENOENT', -2, 'open', 'nope'), 'inner\n', err('ENODEV', -19, 'read', 'broken'), err('EISDIR', -21, 'read', 'dir')]);
    t.same(got[9], ['broken', 'buggy', 'dir', 'link', 'remove', 'ro_attr', 'rw_attr', 'wo_attr']);
    t.same(got[10], ['inner']);
    t.same(got[11], 'dir');
    t.same(got[12], { kind: 'file', mode: 0o200 });
    t.same(got[13], { kind: 'link', mode: 0o777 });
    t.same(got[14], false);
    t.same(got[15], true);
    t.same(got[16], 5000, 'a 5000-byte write(2) is one store');
    t.same(io.stores.slice(-3).map((s) => [s.path, s.bytes.length]), [['wo_attr', 3], ['rw_attr', 3], ['rw_attr', 5000]]);
  });

  t.test('a write(2) above max_write arrives in pieces (the documented limit)', async (t) => {
    const n = io.stores.length;
    const got = await real(mnt, [['fill', 'rw_attr', 'q', 200 * 1024]]);
    t.same(got, [200 * 1024]);
    const pieces = io.stores.slice(n).map((s) => s.bytes.length);
    t.ok(pieces.length > 1, `pieces: ${pieces.join(', ')}`);
    t.equal(pieces.reduce((a, b) => a + b, 0), 200 * 1024);
  });

  await t.test('unmount', async (t) => {
    await mount.unmount();
    t.notOk(isMounted(mnt));
    await mount.unmount();
    t.pass('a second unmount is a no-op');
  });
});

t.test('a mount removed behind our back: unmount says so and lets the process end', async (t) => {
  const mnt = newMountpoint('external');
  const mount = await mountSysfs(new TinySysfs(), mnt);
  t.equal((await run('fusermount', ['-uz', mnt])).code, 0);
  t.notOk(isMounted(mnt));
  await t.rejects(mount.unmount(), { code: 'EUNMOUNT', message: /^unmounting .*external failed: .*fusermount/ });
  // If fuse-native's handle were still held, this test file would never exit (tap's timeout).
});

t.test('refusals before mounting', async (t) => {
  await t.rejects(mountSysfs(new TinySysfs(), path.join(base, 'x$(id)')), { code: 'EINVAL', message: /must not contain \$/ });
  await t.rejects(mountSysfs(new TinySysfs(), base, { fsname: 'a,allow_other' }), { code: 'EINVAL', message: /fsname/ });
  await t.rejects(mountSysfs(new TinySysfs(), path.join(base, 'does-not-exist')), /Mountpoint does not exist/);
});

t.test('the default error report is a process warning', async (t) => {
  const mnt = newMountpoint('warn');
  const mount = await mountSysfs(new TinySysfs(), mnt, { debug: false });
  t.teardown(() => mount.unmount());
  const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
  t.match(await sh(mnt, 'cat "$1/buggy"'), { code: 1, stderr: /Input\/output error/ });
  t.match(await warned, { name: 'Warning', code: 'ZMDEV_FUSE', message: /read \/buggy: TypeError/ });
});

t.test('unmountOnSignals', async (t) => {
  t.test('unmounts, then reports', async (t) => {
    const mnt = newMountpoint('signal');
    const mount = await mountSysfs(new TinySysfs(), mnt);
    const before = process.listenerCount('SIGUSR2');
    const seen = new Promise<[string, unknown]>((resolve) => {
      unmountOnSignals(mount, { signals: ['SIGUSR2'], onUnmounted: (s, err) => resolve([s, err]) });
    });
    process.emit('SIGUSR2', 'SIGUSR2');
    t.same(await seen, ['SIGUSR2', undefined]);
    t.notOk(isMounted(mnt));
    t.equal(process.listenerCount('SIGUSR2'), before, 'its listener is gone');
  });

  t.test('an unmount failure is handed over', async (t) => {
    const failing: SysfsMount = { mountpoint: '/nowhere', unmount: () => Promise.reject(new Error('busy')) };
    const seen = new Promise<[string, unknown]>((resolve) => {
      unmountOnSignals(failing, { signals: ['SIGUSR2'], onUnmounted: (s, err) => resolve([s, err]) });
    });
    process.emit('SIGUSR2', 'SIGUSR2');
    t.match(await seen, ['SIGUSR2', { message: 'busy' }]);
  });

  t.test('another listener keeps the process alive; the disposer removes ours', async (t) => {
    let unmounted = 0;
    const fake: SysfsMount = { mountpoint: '/nowhere', unmount: async () => void unmounted++ };
    const other = () => {};
    process.on('SIGUSR2', other);
    unmountOnSignals(fake, { signals: ['SIGUSR2'] });
    process.emit('SIGUSR2', 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 20));
    t.equal(unmounted, 1, 'unmounted, and not killed: another listener is there');
    process.off('SIGUSR2', other);
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const dispose = unmountOnSignals(fake);
    t.same([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')], before.map((n) => n + 1), 'SIGINT and SIGTERM by default');
    dispose();
    t.same([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')], before);
  });

  t.test('SIGTERM to a serving process: unmounted, then it dies by SIGTERM', async (t) => {
    const mnt = newMountpoint('child');
    const ready = run(process.execPath, [...process.execArgv, path.join(here, 'fixtures/serve.ts'), mnt], (chunk, child) => {
      if (!chunk.includes('ready')) return;
      void sh(mnt, 'cat "$1/ro_attr"').then((r) => {
        t.equal(r.stdout, 'hello\n', 'served by the child');
        child.kill('SIGTERM');
      });
    });
    const r = await ready;
    t.equal(r.signal, 'SIGTERM', JSON.stringify(r));
    t.notOk(isMounted(mnt), 'nothing left mounted');
  });
});
