// apply and export through the SDK on simulated hosts: the seed procedure as a desired file, a
// second apply with nothing to do, export → apply on a copy → the same host, and a change of every
// kind cut at every sysfs write and at every file write on 5.15, 6.0 and 6.15 — the host (sysfs,
// definitions, rule file) must be as it was, and the error must name the step and the refusal.
import t from 'tap';
import { applyDesired, ApplyError, exportDesired, formatDesired, parseDesired, planApply, readHostView, stepJson } from '../../src/apply/index.js';
import { ApHost } from '../../src/ap/host.js';
import { defineApMdev } from '../../src/ap/defined.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import { readApRules, writeApRules } from '../../src/persist/zdev-ap-rules.js';
import { readDefinition } from '../../src/persist/mdevctl-files.js';
import { SimHost, SimSysfs, type ProfileName } from '../../src/sim/index.js';
import { FailingIO, seedState, walkedThrough } from '../ap/fixtures/sdk-host.js';
import { cleanup, FailingFiles, filesOf, newRoot, SEED_DESIRED, U, V, W, whole } from './fixtures.js';

t.teardown(cleanup);
const PROFILES: ProfileName[] = ['5.15', '6.0', '6.15'];
const seed = parseDesired(JSON.stringify(SEED_DESIRED), 'seed.json');

t.test('the seed procedure on a fresh host: masks in both scopes, U defined for autostart and running', (t) => {
  for (const profile of PROFILES) {
    const sim = new SimHost(seedState(profile));
    const host = new ApHost(new SimSysfs(sim), { lock: false });
    const root = newRoot();
    const dry = applyDesired(host, root, seed, { dryRun: true });
    t.same(dry.steps.map((s) => s.kind), ['persistent-masks', 'define', 'active-masks', 'create'], `${profile}: files first; the masks free before the mdevs take`);
    t.same(filesOf(root), {}, 'a dry run writes nothing');
    const r = applyDesired(host, root, seed);
    t.equal(r.steps.length, 4);
    t.same(host.masks(), { apmask: ApMask.FULL.without(0, 10), aqmask: ApMask.FULL.without(1, 2, 4) }, 'active masks');
    const rules = readApRules(root);
    t.same([rules.apmask, rules.aqmask], [ApMask.FULL.without(0, 10), ApMask.FULL.without(1, 2, 4)], 'persistent masks');
    const def = readDefinition(root, 'matrix', U);
    t.equal(def?.start, 'auto');
    t.same(def?.attrs, [{ assign_adapter: '0x01' }, { assign_adapter: '0x0a' }, { assign_domain: '0x0002' }, { assign_control_domain: '0x0002' }]);
    const m = host.mdev(U);
    t.same([m.adapters.ids(), m.domains.ids(), m.controlDomains.ids()], [[1, 10], [2], [2]], 'the running mdev');
    // The documentation's walk-through by hand reaches the same sysfs state.
    t.same(sim.state.mdevs, walkedThrough(profile).state.mdevs, 'the same mdev as the walk-through');
    const again = applyDesired(host, root, seed);
    t.same(again.steps, [], 'a second apply has nothing to do');
  }
  t.end();
});

t.test('export → apply on a copy of the host → the same host and the same export', (t) => {
  for (const profile of PROFILES) {
    const sim = new SimHost(seedState(profile));
    const host = new ApHost(new SimSysfs(sim), { lock: false });
    const root = newRoot();
    applyDesired(host, root, seed);
    defineApMdev(root, { uuid: V, matrix: { adapters: ApMask.of([0]), domains: ApMask.of([4]), controlDomains: ApMask.EMPTY } });
    host.createMdev({ uuid: W, adapters: [0], domains: [1] });
    const file = exportDesired(host, root);
    t.same(file.mdevs?.map((m) => [m.uuid, m.defined, m.running, m.autostart]), [[W, false, true, false], [U, true, true, true], [V, true, false, false]].sort(), `${profile}: every mdev, sorted`);
    t.same(file.masks, { active: { apmask: '1-9,11-255', aqmask: '0,3,5-255' }, persistent: { apmask: '1-9,11-255', aqmask: '0,3,5-255' } });
    const copy = new SimHost(seedState(profile));
    const copyHost = new ApHost(new SimSysfs(copy), { lock: false });
    const copyRoot = newRoot();
    applyDesired(copyHost, copyRoot, parseDesired(formatDesired(file), 'export.json'));
    t.same(whole(copy, copyRoot), whole(sim, root), 'sysfs, definitions and rule file alike');
    t.same(exportDesired(copyHost, copyRoot), file, 'the copy exports the same file');
    t.same(applyDesired(host, root, parseDesired(formatDesired(file), 'export.json')).steps, [], 'the export applied to its own host does nothing');
  }
  t.end();
});

/** A host that has a bit of everything: U running, W running, V defined, a rule file with apmask only. */
function prepared(profile: ProfileName) {
  const sim = walkedThrough(profile);
  new ApHost(new SimSysfs(sim), { lock: false }).createMdev({ uuid: W, adapters: [0], domains: [1], controlDomains: [1] });
  const root = newRoot();
  writeApRules(root, { apmask: ApMask.FULL.without(0, 10), aqmask: null });
  defineApMdev(root, { uuid: V, matrix: { adapters: ApMask.of([1]), domains: ApMask.of([4]), controlDomains: ApMask.EMPTY } });
  defineApMdev(root, { uuid: U, matrix: { adapters: ApMask.of([1, 10]), domains: ApMask.of([2]), controlDomains: ApMask.of([2]) } });
  return { sim, root };
}

// Every kind of step: undefine (V, release), redefine (U, take), the rule file, remove (W, pruned,
// before the masks reserve 00.0001), the active masks, configure (U grows) and create (V).
const everything = parseDesired(JSON.stringify({
  format: 'zmdev-desired/1',
  masks: {
    active: { apmask: '0,2-9,11-255', aqmask: '0-1,3,5-26,28-255' },
    persistent: { apmask: '2-9,11-255', aqmask: '0,3,5-255' },
  },
  mdevs: [
    { uuid: U, adapters: [1, 10], domains: [2, 4], controlDomains: [2], autostart: true },
    { uuid: V, adapters: [1], domains: ['0x1b'], defined: false, running: true },
  ],
}), 'everything.json');

t.test('a change of every kind: its steps in order, applied, then nothing to do', (t) => {
  const { sim, root } = prepared('6.15');
  const host = new ApHost(new SimSysfs(sim), { lock: false });
  const steps = planApply(readHostView(host, root), everything, { prune: true });
  t.same(steps.map((s) => `${s.kind}${'uuid' in s ? ` ${s.uuid.slice(0, 4)}` : ''} ${s.phase}`), [
    'undefine 6217 release', 'persistent-masks masks', 'redefine 4b05 take', 'remove 0d4f release', 'active-masks masks', 'configure 4b05 take', 'create 6217 take',
  ]);
  t.match(stepJson(steps[4]!), { kind: 'active-masks', before: { apmask: '1-9,11-255' }, after: { apmask: '0,2-9,11-255', aqmask: '0-1,3,5-26,28-255' } });
  t.match(stepJson(steps[6]!), { kind: 'create', uuid: V, before: null, after: { adapters: ['0x01'], domains: ['0x001b'], controlDomains: [] } });
  t.match(stepJson(steps[2]!), { before: { start: 'manual', domains: ['0x0002'] }, after: { start: 'auto', domains: ['0x0002', '0x0004'] } });
  applyDesired(host, root, everything, { prune: true });
  t.same(host.mdevs().sort(), [U, V].sort());
  t.same(host.mdev(U).domains.ids(), [2, 4]);
  t.equal(readDefinition(root, 'matrix', V), null);
  t.same(applyDesired(host, root, everything, { prune: true }).steps, [], 'idempotent');
  t.end();
});

for (const profile of PROFILES) {
  t.test(`${profile}: refused at every sysfs write and at every file write, the host is as it was`, (t) => {
    const probe = prepared(profile);
    const counter = new FailingIO(new SimSysfs(probe.sim), {});
    const files = new FailingFiles();
    applyDesired(new ApHost(counter, { lock: false }), probe.root, everything, { prune: true, files });
    const sysfsWrites = counter.writes.length;
    t.ok(sysfsWrites >= 6, `${sysfsWrites} sysfs writes`);
    t.equal(files.calls, 3, 'three file writes');
    const cases: Array<{ sysfs?: number; file?: number }> = [
      ...Array.from({ length: sysfsWrites }, (_, i) => ({ sysfs: i + 1 })),
      ...Array.from({ length: files.calls }, (_, i) => ({ file: i + 1 })),
    ];
    for (const c of cases) {
      const { sim, root } = prepared(profile);
      const before = whole(sim, root);
      const io = new FailingIO(new SimSysfs(sim), c.sysfs ? { nth: c.sysfs, code: 'EIO' } : {});
      const err = t.throws(() => applyDesired(new ApHost(io, { lock: false }), root, everything, { prune: true, files: new FailingFiles({ nth: c.file }) })) as ApplyError;
      const where = c.sysfs ? `sysfs write ${c.sysfs}` : `file write ${c.file}`;
      t.ok(err instanceof ApplyError, `${where}: an ApplyError`);
      t.equal(err.code, c.sysfs ? 'EIO' : 'ENOSPC', `${where}: the refusal's code`);
      t.match(err.message, new RegExp(`^step ${err.index} of 7 \\(.+\\) was refused: ${err.code}: .*so the host is as it was$`), `${where}: names the step`);
      t.same(err.notPutBack, []);
      t.same(whole(sim, root), before, `${where}: sysfs, definitions and rule file as before`);
    }
    t.end();
  });
}

t.test('when the undo is refused too, the error says what is left changed', (t) => {
  const { sim, root } = prepared('6.15');
  const counter = new FailingIO(new SimSysfs(new SimHost(structuredClone(sim.state))), {});
  applyDesired(new ApHost(counter, { lock: false }), prepared('6.15').root, everything, { prune: true });
  // Every sysfs write from the last step's first on fails: that step and every undo are refused.
  const lastStepStart = counter.writes.findIndex((w) => w.path.endsWith('/create')) + 1;
  const io = new FailingIO(new SimSysfs(sim), { from: lastStepStart, code: 'EIO' });
  const err = t.throws(() => applyDesired(new ApHost(io, { lock: false }), root, everything, { prune: true })) as ApplyError;
  t.equal(err.index, 7);
  t.match(err.message, 'these could not be put back, so the host is left changed: step 6 (give mdev');
  t.same(err.notPutBack.map((n) => n.index), [6, 5, 4], 'the sysfs steps; the file steps were put back');
  t.match(err.toJSON(), { code: 'EIO', step: 7, of: 7, refusal: { code: 'EIO' }, notPutBack: [{ step: 6 }, { step: 5 }, { step: 4 }] });
  t.same(filesOf(root), filesOf(prepared('6.15').root), 'the files are back');
  // A file step whose undo is refused as well: the rule file write fails, the undefine cannot be undone.
  const p = prepared('6.15');
  const ferr = t.throws(() => applyDesired(new ApHost(new SimSysfs(p.sim), { lock: false }), p.root, everything, { prune: true, files: new FailingFiles({ from: 2 }) })) as ApplyError;
  t.match(ferr.message, /^step 2 of 7 \(write the persistent masks to 41-ap.rules\) was refused: ENOSPC: .*step 1 \(undefine mdev/);
  t.end();
});

t.test('a step that fails half-way and cannot undo itself is named as left changed', (t) => {
  const { sim, root } = prepared('6.15');
  const counter = new FailingIO(new SimSysfs(new SimHost(structuredClone(sim.state))), {});
  applyDesired(new ApHost(counter, { lock: false }), prepared('6.15').root, everything, { prune: true });
  // The active masks are two writes: the second refused, and the first's undo with it.
  const second = counter.writes.findIndex((w) => w.path.endsWith('/apmask')) + 1;
  const io = new FailingIO(new SimSysfs(sim), { from: second, code: 'EIO' });
  const err = t.throws(() => applyDesired(new ApHost(io, { lock: false }), root, everything, { prune: true })) as ApplyError;
  t.equal(err.index, 5);
  t.same(err.notPutBack.map((n) => n.index), [5, 4], 'the masks step itself, then the remove of W');
  t.end();
});

t.test('a failure that is not a refusal is passed on as it is', (t) => {
  const { sim, root } = prepared('6.15');
  const io = new FailingIO(new SimSysfs(sim), { nth: 1, plain: true });
  t.throws(() => applyDesired(new ApHost(io, { lock: false }), root, everything, { prune: true }), { message: /^injected failure/ });
  t.end();
});
