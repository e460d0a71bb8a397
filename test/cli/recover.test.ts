// zmdev recover on a sysfs tree (plain files here, which take any write): a change record left by
// a killed zmdev refuses new changes, recover --dry-run lists the undo writes, recover makes them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { changeLogDir } from '../../src/cli/host.js';
import { ChangeLog } from '../../src/mdev/change-record.js';
import { zmdev, zmdevWith } from './helpers.js';

const base = mkdtempSync(path.join(tmpdir(), 'zmdev-recover-'));
t.teardown(() => rmSync(base, { recursive: true, force: true }));
process.env.ZMDEV_RUN_DIR = path.join(base, 'run');

t.test('a left change record: refused changes, recover --dry-run, recover', async (t) => {
  const root = path.join(base, 'sys');
  mkdirSync(path.join(root, 'bus/ap'), { recursive: true });
  writeFileSync(path.join(root, 'bus/ap/apmask'), 'new');
  writeFileSync(path.join(root, 'bus/ap/aqmask'), 'new');
  t.equal(changeLogDir('/sys'), path.join(base, 'run'));
  t.equal(changeLogDir(root), path.join(base, 'run', 'sysfs', root));
  const log = new ChangeLog(changeLogDir(root));
  const record = log.begin('masks', [
    { path: 'bus/ap/apmask', value: 'new', undo: { path: 'bus/ap/apmask', value: 'old-ap' } },
    { path: 'bus/ap/aqmask', value: 'new', undo: { path: 'bus/ap/aqmask', value: 'old-aq' } },
  ]);
  log.mark(record, 1);
  const refused = await zmdevWith({ lock: { path: path.join(base, 'lock') } }, 'masks', 'set', 'apmask=-1', '--sysfs', root);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /^zmdev: EINPROGRESS: an earlier change did not finish \(process \d+, .*: masks; 1 of 2 writes done\); run `zmdev recover`/);
  const dry = await zmdevWith({ lock: { path: path.join(base, 'lock') } }, 'recover', '--dry-run', '--sysfs', root);
  t.equal(dry.code, 0);
  t.match(dry.stdout, /^would undo masks \(process \d+, started .*; 1 of 2 writes were done\)\n {2}bus\/ap\/aqmask <- "old-aq"\n {2}bus\/ap\/apmask <- "old-ap"\n$/);
  t.equal(readFileSync(path.join(root, 'bus/ap/apmask'), 'latin1'), 'new', 'a dry run writes nothing');
  const json = await zmdevWith({ lock: { path: path.join(base, 'lock') } }, 'recover', '--sysfs', root, '--json');
  t.equal(json.code, 0);
  t.match(JSON.parse(json.stdout), { recovered: { what: 'masks', done: 1, steps: 2 }, undone: [{ path: 'bus/ap/aqmask', value: 'old-aq' }, { path: 'bus/ap/apmask' }], dryRun: false });
  t.equal(readFileSync(path.join(root, 'bus/ap/apmask'), 'latin1'), 'old-ap');
  t.equal(readFileSync(path.join(root, 'bus/ap/aqmask'), 'latin1'), 'old-aq', 'the step in flight is undone too');
  const again = await zmdevWith({ lock: { path: path.join(base, 'lock') } }, 'recover', '--sysfs', root);
  t.same([again.code, again.stdout], [0, 'nothing to recover: no change was left unfinished\n']);
  t.end();
});

t.test('recover on a simulated host: nothing to recover', async (t) => {
  const file = path.join(base, 'host.json');
  t.equal((await zmdev('sim', 'init', file)).code, 0);
  const r = await zmdev('recover', '--sim', file, '--json');
  t.same([r.code, JSON.parse(r.stdout)], [0, { recovered: null }]);
  t.end();
});
