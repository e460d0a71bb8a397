// Masks in both of chzdev's scopes and definitions through the SDK: all or nothing — a sysfs write the kernel refuses
// after the rule file was written puts the rule file back as it was (or removes it), byte for byte.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ApHost } from '../../src/ap/host.js';
import { ChangeLog } from '../../src/mdev/change-record.js';
import { apDefinitions, defineApMdev, undefineApMdev } from '../../src/ap/defined.js';
import { planPersistentMasks, setMasksInScopes } from '../../src/ap/persistent-masks.js';
import { SimHost, SimSysfs } from '../../src/sim/index.js';
import { comparable, FailingIO, seedState } from './fixtures/sdk-host.js';

const base = mkdtempSync(path.join(tmpdir(), 'zmdev-pmasks-'));
t.teardown(() => rmSync(base, { recursive: true, force: true }));
const both = { active: true, persistent: true };

t.test('a refused sysfs write after the rule file was written: the rule file is as it was', (t) => {
  for (const [name, old] of [['no rule file', null], ['a rule file with a foreign line', '# mine\nATTR{../../bus/ap/aqmask}="0x' + 'f'.repeat(64) + '"\n']] as const) {
    const root = path.join(base, name.replace(/ /g, '-'));
    const rules = path.join(root, 'etc/udev/rules.d/41-ap.rules');
    if (old !== null) {
      mkdirSync(path.dirname(rules), { recursive: true });
      writeFileSync(rules, old);
    }
    const sim = new SimHost(seedState('6.15'));
    const before = comparable(structuredClone(sim.state));
    const h = new ApHost(new FailingIO(new SimSysfs(sim), { nth: 1, code: 'EIO' }), { lock: false });
    t.throws(() => setMasksInScopes(h, root, { grammar: 'chzdev', apmask: '-1' }, both), { code: 'EIO' }, name);
    t.equal(old === null ? existsSync(rules) : readFileSync(rules, 'latin1'), old === null ? false : old, `${name}: the rule file as it was`);
    t.same(comparable(sim.state), before, `${name}: sysfs as it was`);
  }
  t.end();
});

t.test("the rule file takes chzdev's syntax only", (t) => {
  t.throws(() => planPersistentMasks(path.join(base, 'k'), { grammar: 'kernel', apmask: '+1' }, { apmask: null!, aqmask: null! }),
    { code: 'EINVAL', message: "the rule file takes chzdev's syntax" });
  t.end();
});

t.test('a dry run of the persistent scope alone writes nothing; an unfinished change is refused first', (t) => {
  const root = path.join(base, 'dry');
  const sim = new SimHost(seedState('6.15'));
  const r = setMasksInScopes(new ApHost(new SimSysfs(sim), { lock: false }), root, { grammar: 'chzdev', aqmask: '-4' }, { active: false, persistent: true }, { dryRun: true });
  t.same({ active: r.active, dryRun: r.dryRun, after: r.persistent?.after.aqmask?.toString().slice(0, 4) }, { active: null, dryRun: true, after: '0xf7' });
  t.notOk(existsSync(path.join(root, 'etc')), 'nothing written');
  const records = path.join(base, 'records');
  mkdirSync(records, { mode: 0o700 });
  writeFileSync(path.join(records, 'change.json'), JSON.stringify({ format: 'zmdev-change/1', what: 'masks', pid: 1, started: 'then', done: 0, steps: [] }));
  const h = new ApHost(new SimSysfs(sim), { lock: false, changeLog: records });
  t.throws(() => setMasksInScopes(h, root, { grammar: 'chzdev', aqmask: '-4' }, both), { code: 'EINPROGRESS' });
  t.end();
});

t.test('definitions through the SDK: the defaults of a new one; undefining one that is not there', (t) => {
  const root = path.join(base, 'defs');
  const d = defineApMdev(root, { uuid: '4b0518fd-9237-493f-93c8-c5597f8006a3' });
  t.same({ start: d.definition.start, type: d.definition.type, attrs: d.definition.attrs, adapters: d.matrix.adapters.ids() }, { start: 'manual', type: 'vfio_ap-passthrough', attrs: [], adapters: [] });
  t.throws(() => undefineApMdev(root, '62177883-f1bb-47f0-914d-32a22e3a8804'), { code: 'ENOENT', message: 'is not defined' });
  undefineApMdev(root, d.definition.uuid);
  t.same(apDefinitions(root).definitions, []);
  t.end();
});

t.test('a change record directory that is a file is refused, not read', (t) => {
  const f = path.join(base, 'a-file');
  writeFileSync(f, '');
  t.throws(() => new ChangeLog(f).pending(), { code: 'EPERM', message: 'is not a directory' });
  t.end();
});
