// --root DIR (and ZMDEV_ROOT) re-roots the host's configuration: the s390-tools lock and the change
// record of a sysfs tree live under DIR/run, so a tree can be worked on without this machine's /run.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { configRootOf } from '../../src/cli/host.js';
import { zmdev, zmdevWith } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-root-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const tree = path.join(dir, 'tree');
mkdirSync(path.join(tree, 'bus/ap'), { recursive: true });

t.test('the lock of a sysfs tree is taken under --root', async (t) => {
  const root = path.join(dir, 'r1');
  mkdirSync(root);
  writeFileSync(root + '/run', 'not a directory');
  const r = await zmdev('masks', 'set', 'apmask=-1', '--sysfs', tree, '--root', root);
  t.equal(r.code, 1);
  t.match(r.stderr, `ENOTDIR: cannot make the lock's directory ${root}/run/lock`, 'the lock is taken under the root, its directory made when missing');
  rmSync(root + '/run');
  mkdirSync(path.join(root, 'run/lock'), { recursive: true });
  writeFileSync(path.join(root, 'run/lock/s390apconfig.lock'), `${process.ppid}\n`);
  const held = await zmdevWith({ lock: { timeoutMs: 50, retryMs: 5 } }, 'masks', 'set', 'apmask=-1', '--sysfs', tree, '--root', root);
  t.match(held.stderr, `EBUSY: the AP configuration lock ${root}/run/lock/s390apconfig.lock is held by process ${process.ppid}`);
});

t.test('the change record of a sysfs tree is kept under --root, or ZMDEV_ROOT', async (t) => {
  const root = path.join(dir, 'r2');
  const record = path.join(root, 'run/zmdev/sysfs', tree);
  mkdirSync(record, { recursive: true, mode: 0o700 });
  mkdirSync(path.join(root, 'run/lock'), { recursive: true });
  writeFileSync(path.join(record, 'change.json'), JSON.stringify({
    format: 'zmdev-change/1', what: 'masks', pid: 1, started: '2026-12-01T00:00:00.000Z', done: 0,
    steps: [{ path: 'bus/ap/apmask', value: '-1', undo: { path: 'bus/ap/apmask', value: '+1' } }],
  }));
  const r = await zmdev('recover', '--dry-run', '--json', '--sysfs', tree, '--root', root);
  t.equal(r.code, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { recovered: { what: 'masks', done: 0 }, undone: [{ path: 'bus/ap/apmask', value: '+1' }], dryRun: true });
  const none = await zmdev('recover', '--dry-run', '--json', '--sysfs', tree, '--root', path.join(dir, 'elsewhere'));
  t.same(JSON.parse(none.stdout), { recovered: null }, 'another root has no record');
  process.env.ZMDEV_ROOT = root;
  t.teardown(() => delete process.env.ZMDEV_ROOT);
  const env = await zmdev('recover', '--dry-run', '--json', '--sysfs', tree);
  t.match(JSON.parse(env.stdout), { recovered: { what: 'masks' } }, 'ZMDEV_ROOT does the same');
});

t.test('which root: --root, else a simulated host\'s own beside its state, else ZMDEV_ROOT or /', (t) => {
  delete process.env.ZMDEV_ROOT;
  t.equal(configRootOf({}), '/');
  t.equal(configRootOf({ sysfs: '/mnt' }), '/');
  t.equal(configRootOf({ sim: 'host.json' }), 'host.json.root');
  t.equal(configRootOf({ sim: 'host.json', root: 'img' }), 'img');
  process.env.ZMDEV_ROOT = '/srv/image';
  t.equal(configRootOf({}), '/srv/image');
  t.equal(configRootOf({ sim: 'host.json' }), 'host.json.root', 'a simulated host never takes the machine\'s root');
  delete process.env.ZMDEV_ROOT;
  t.end();
});

t.test('--root may stand before the command like --sim and --sysfs', async (t) => {
  const r = await zmdev('--root', path.join(dir, 'r3'), 'recover', '--sysfs', tree);
  t.equal(r.code, 0, r.stderr);
  t.ok(existsSync(path.join(dir, 'r3/run/lock/s390apconfig.lock.guard')), 'the lock was taken under the root');
});
