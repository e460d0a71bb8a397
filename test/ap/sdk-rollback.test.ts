// A write refused half-way leaves the host as it was: configure by single writes, assign of
// several IDs, createMdev (the new mdev goes again) and setMasks with both masks (the first mask
// is written back). The whole simulated state is compared with the state before; the kernel log
// and uevents only grow, and queue resets cannot be taken back — those are checked on their own.
import t from 'tap';
import { ApHost } from '../../src/ap/host.js';
import { ApError } from '../../src/ap/errors.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import { SimHost, SimSysfs, type ProfileName, type SimState } from '../../src/sim/index.js';
import { cleanup, comparable, FailingIO, lockPath, walkedThrough, type FailSpec } from './fixtures/sdk-host.js';

t.teardown(cleanup);

const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const V = '62177883-f1bb-47f0-914d-32a22e3a8804';
/** The masks after the walk-through: adapters 00, 0a and domains 01, 02, 04 free. */
const AP = ApMask.FULL.without(0, 0x0a);
const AQ = ApMask.FULL.without(1, 2, 4);
const target = (a: number[], d: number[], c: number[]) => ({ adapters: ApMask.of(a), domains: ApMask.of(d), controlDomains: ApMask.of(c) });

const prepared = walkedThrough;

interface Case {
  name: string;
  profile: ProfileName;
  fail: FailSpec;
  run: (h: ApHost) => unknown;
  /** The writes expected: what was tried, and what undid it. */
  writes: string[];
  code?: string;
}

const cases: Case[] = [
  {
    name: 'configure with single writes (6.0): the third write fails, two are undone',
    profile: '6.0',
    fail: { nth: 3 },
    run: (h) => h.configure(U, target([1], [2, 4], [2, 4])),
    writes: ['unassign_adapter 0x0a', 'assign_domain 0x0004', 'assign_control_domain 0x0004 (refused)', 'unassign_domain 0x0004', 'assign_adapter 0x0a'],
  },
  {
    name: 'configure by ap_config (6.15): refused atomically, nothing to undo',
    profile: '6.15',
    fail: { attr: 'ap_config', code: 'EADDRINUSE' },
    run: (h) => h.configure(U, target([1], [2, 4], [2, 4])),
    writes: [`ap_config 0x40${'0'.repeat(62)},0x28${'0'.repeat(62)},0x28${'0'.repeat(62)}\n (refused)`],
    code: 'EADDRINUSE',
  },
  {
    name: 'assign of several IDs (6.15): the last fails',
    profile: '6.15',
    fail: { attr: 'assign_control_domain' },
    run: (h) => h.assign(U, { adapters: [0], domains: [1, 4], controlDomains: [4] }),
    writes: ['assign_adapter 0x00', 'assign_domain 0x0001', 'assign_domain 0x0004', 'assign_control_domain 0x0004 (refused)',
      'unassign_domain 0x0004', 'unassign_domain 0x0001', 'unassign_adapter 0x00'],
  },
  {
    name: 'unassign of several IDs (5.15): the second fails',
    profile: '5.15',
    fail: { nth: 2 },
    run: (h) => h.unassign(U, { adapters: [1, 0x0a] }),
    writes: ['unassign_adapter 0x01', 'unassign_adapter 0x0a (refused)', 'assign_adapter 0x01'],
  },
  {
    name: 'createMdev with single writes (6.0): refused half-way, the new mdev is removed',
    profile: '6.0',
    fail: { attr: 'assign_domain' },
    run: (h) => h.createMdev({ uuid: V, adapters: [0], domains: [1, 4], controlDomains: [1] }),
    writes: [`create ${V}`, 'assign_adapter 0x00', 'assign_domain 0x0001 (refused)', 'unassign_adapter 0x00', 'remove 1'],
  },
  {
    name: 'createMdev by ap_config (6.15): refused, the new mdev is removed',
    profile: '6.15',
    fail: { attr: 'ap_config' },
    run: (h) => h.createMdev({ uuid: V, adapters: [0], domains: [1] }),
    writes: [`create ${V}`, `ap_config 0x80${'0'.repeat(62)},0x40${'0'.repeat(62)},0x${'0'.repeat(64)}\n (refused)`, 'remove 1'],
  },
  {
    name: 'setMasks with both masks (6.15): the second write fails, the first mask is written back',
    profile: '6.15',
    fail: { nth: 2, code: 'EBUSY' },
    run: (h) => h.setMasks({ apmask: '-0x20', aqmask: '-0x1b' }),
    writes: [`apmask ${AP.without(0x20)}`, `aqmask ${AQ.without(0x1b)} (refused)`, `apmask ${AP}`],
    code: 'EBUSY',
  },
  {
    name: 'setMasks with both masks (5.15): the second write fails',
    profile: '5.15',
    fail: { attr: 'apmask', every: false },
    run: (h) => h.setMasks({ apmask: '+0', aqmask: '-0x1b' }),
    writes: [`aqmask ${AQ.without(0x1b)}`, `apmask ${AP.with(0)} (refused)`, `aqmask ${AQ}`],
  },
];

for (const c of cases) {
  t.test(c.name, (t) => {
    const host = prepared(c.profile);
    const before = structuredClone(host.state);
    const io = new FailingIO(new SimSysfs(host), c.fail);
    const h = new ApHost(io, { lock: { path: lockPath() } });
    const err = t.throws(() => c.run(h)) as ApError;
    t.type(err, ApError);
    t.match(err, { code: c.code ?? 'EIO', precheck: false });
    t.ok(err.path?.endsWith(io.writes.find((w) => w.failed)!.path), 'the error names the refused attribute');
    const shown = io.writes.map((w) => `${w.path.split('/').pop()} ${w.data}${w.failed ? ' (refused)' : ''}`);
    t.same(shown, c.writes, 'writes tried and undone');
    t.same(comparable(host.state), comparable(before), 'the host is as it was');
    t.same(host.state.log.slice(0, before.log.length), before.log, 'the kernel log only grew');
    // Resets only of the queues that left a guest matrix and came back.
    const reset = host.state.queues.filter((q, i) => q.resets !== before.queues[i]!.resets).map((q) => `${q.adapter}.${q.domain}`);
    t.comment(`queues reset on the way (a reset cannot be undone): ${reset.join(' ') || 'none'}`);
    t.end();
  });
}

t.test('a failure that is not a kernel answer is passed on and nothing is undone', (t) => {
  for (const [name, spec, run, done] of [
    ['assign', { attr: 'assign_domain', plain: true }, (h: ApHost) => h.assign(U, { adapters: [0], domains: [4] }), 1],
    ['ap_config', { attr: 'ap_config', plain: true }, (h: ApHost) => h.configure(U, target([1], [2], [])), 0],
    ['create', { attr: 'create', plain: true }, (h: ApHost) => h.createMdev({ uuid: V }), 0],
    ['remove', { attr: 'remove', plain: true }, (h: ApHost) => h.removeMdev(U), 0],
    ['mask', { attr: 'aqmask', plain: true }, (h: ApHost) => h.setMasks({ apmask: '-0x20', aqmask: '-0x1b' }), 1],
  ] as Array<[string, FailSpec, (h: ApHost) => unknown, number]>) {
    const host = prepared('6.15');
    const io = new FailingIO(new SimSysfs(host), spec);
    t.throws(() => run(new ApHost(io, { lock: false })), { message: /^injected failure/ }, name);
    t.equal(io.writes.filter((w) => !w.failed).length, done, `${name}: no undo after a non-kernel error`);
  }
  t.end();
});

t.test('kernel refusals of create and remove explain themselves', (t) => {
  const host = prepared('6.15');
  const busy = new ApHost(new FailingIO(new SimSysfs(host), { attr: 'remove', code: 'EBUSY' }), { lock: false });
  t.throws(() => busy.removeMdev(U), {
    code: 'EBUSY', precheck: false, written: '1',
    message: `removing mdev ${U}: a guest holds the mdev; shut the guest down or detach the device first [write of "1" to devices/vfio_ap/matrix/${U}/remove]`,
  });
  const users = new ApHost(new FailingIO(new SimSysfs(host), { attr: 'create', code: 'EUSERS' }), { lock: false });
  t.throws(() => users.createMdev({ uuid: V }), { code: 'EUSERS', message: `creating mdev ${V}: no more mdevs can be created; remove one first` });
  t.same(host.state.mdevs.map((m) => m.uuid), [U]);
  t.end();
});
