// ApHost scenarios on every kernel profile, each run twice — on SimSysfs in process and on
// RealSysfs over a FUSE mount served by a child process — with the same results, errors and
// final states: the product documentation's walk-through on the seed host, and the kernel
// document's three example configurations as mdevs.
import t from 'tap';
import { PROFILE_NAMES, type ProfileName } from '../../src/sim/index.js';
import { apHost, bothWays, cleanup, examplesState, seedState } from './fixtures/sdk-host.js';

t.teardown(cleanup);

const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const G1 = '11111111-1111-4111-8111-111111111111';
const G2 = '22222222-2222-4222-8222-222222222222';
const FULL = `0x${'f'.repeat(64)}`;

for (const profile of PROFILE_NAMES) {
  t.test(`seed walk-through on ${profile}: free all but 01.001b, mdev with adapters 01 and 0a, domain 0002`, async (t) => {
    const { rec, host } = await bothWays(t, seedState(profile), (io, rec, lock) => {
      const h = apHost(io, lock);
      rec.step('masks before', () => h.masks());
      rec.step('max ids', () => h.maxIds());
      rec.step('plan', () => h.planMasks({ apmask: '-0,-10', aqmask: '-1-2,-4' }));
      rec.step('set', () => h.setMasks({ apmask: '-0,-10', aqmask: '-1-2,-4' }));
      rec.step('masks after', () => h.masks());
      rec.step('matrix device, no mdev', () => h.matrixDevice());
      rec.step('create', () => h.createMdev({ uuid: U, adapters: [1, 0x0a], domains: [2], controlDomains: [2] }));
      rec.step('mdevs', () => h.mdevs());
      rec.step('mdev', () => h.mdev(U));
      rec.step('mdev upper case', () => h.mdev(U.toUpperCase()));
      rec.step('matrix device', () => h.matrixDevice());
    });
    const plan = rec.ok('plan');
    t.same(plan.before, { apmask: FULL, aqmask: FULL });
    t.same(plan.after, { apmask: `0x7fdf${'f'.repeat(60)}`, aqmask: `0x97${'f'.repeat(62)}` }, 'adapters 00, 0a and domains 01, 02, 04 cleared');
    t.same(plan.conflicts, []);
    t.same(plan.writes.map((w: { attr: string }) => w.attr), ['apmask', 'aqmask'], 'only clearing: apmask first');
    t.equal(plan.moves.length, 11, 'eleven of the twelve queues move');
    t.ok(plan.moves.every((m: { from: string; to: string }) => m.from === 'cex4queue' && m.to === 'vfio_ap'));
    t.notOk(plan.moves.some((m: { apqn: { adapter: number; domain: number } }) => m.apqn.adapter === 1 && m.apqn.domain === 0x1b), '01.001b stays');
    t.same(rec.ok('set'), plan, 'setMasks returns the plan it carried out');
    t.same(rec.ok('masks after'), plan.after);
    const queues = host.state.queues.map((q) => `${q.adapter.toString(16).padStart(2, '0')}.${q.domain.toString(16).padStart(4, '0')} ${q.driver}`);
    t.same(queues.filter((q) => q.endsWith('cex4queue')), ['01.001b cex4queue'], 'only 01.001b stays with the host');

    const created = rec.ok('create');
    t.equal(created.uuid, U);
    if (profile === '6.15') {
      t.equal(created.method, 'ap_config');
      t.same(created.writes, [{ attr: 'ap_config', value: `0x40200000${'0'.repeat(56)},0x20${'0'.repeat(62)},0x20${'0'.repeat(62)}\n` }]);
    } else {
      t.equal(created.method, 'single-writes');
      t.same(created.writes, [
        { attr: 'assign_adapter', value: '0x01' }, { attr: 'assign_adapter', value: '0x0a' },
        { attr: 'assign_domain', value: '0x0002' }, { attr: 'assign_control_domain', value: '0x0002' },
      ]);
    }
    t.same(rec.ok('mdevs'), [U]);
    const info = rec.ok('mdev');
    t.same(info.matrix, [{ adapter: 1, domain: 2 }, { adapter: 10, domain: 2 }]);
    t.same(info.controlDomains, `0x20${'0'.repeat(62)}`);
    t.same(info.guestMatrix, profile === '5.15' ? null : info.matrix, profile === '5.15' ? 'no guest_matrix before 6.0' : 'the guest gets it all');
    t.same(info.filtered, []);
    t.same(rec.ok('mdev upper case'), info, 'a UUID in capitals names the same mdev');
    const dev = rec.ok('matrix device');
    t.same(dev.mdevs, [U]);
    t.equal(dev.loaded, true);
    t.equal(dev.availableInstances, 65535);
    t.same(dev.capabilities, {
      '6.15': { apConfig: true, guestMatrix: true, hotplug: true },
      '6.0': { apConfig: false, guestMatrix: true, hotplug: true },
      '5.15': { apConfig: false, guestMatrix: false, hotplug: false },
    }[profile as ProfileName]);
    t.same(rec.ok('matrix device, no mdev').capabilities, profile === '6.15'
      ? { apConfig: true, guestMatrix: true, hotplug: true }
      : { apConfig: null, guestMatrix: null, hotplug: null }, 'without features and without an mdev nothing tells');
    t.same(host.state.mdevs.map((m) => m.uuid), [U]);
  });

  t.test(`the kernel document's three examples as mdevs on ${profile}`, async (t) => {
    const { rec, host } = await bothWays(t, examplesState(profile), (io, rec, lock) => {
      const h = apHost(io, lock);
      rec.step('free', () => h.setMasks({ apmask: '-1-4', aqmask: '-5-7' }));
      // Example 1: Guest1 adapters 1,2 domains 5,6; Guest2 adapters 1,2 domain 7.
      rec.step('ex1 guest1', () => h.createMdev({ uuid: G1, adapters: [1, 2], domains: [5, 6], controlDomains: [5, 6] }));
      rec.step('ex1 guest2', () => h.createMdev({ uuid: G2, adapters: [1, 2], domains: [7] }));
      rec.step('ex1 guest1 show', () => h.mdev(G1));
      rec.step('ex1 guest2 show', () => h.mdev(G2));
      rec.step('ex1 remove guest2', () => h.removeMdev(G2));
      // Example 2: Guest2 adapters 3,4 domains 5,6.
      rec.step('ex2 guest2', () => h.createMdev({ uuid: G2, adapters: [3, 4], domains: [5, 6] }));
      rec.step('ex2 guest2 show', () => h.mdev(G2));
      rec.step('ex2 remove guest2', () => h.removeMdev(G2));
      // Example 3: Guest2 adapter 1 domains 6,7 would share 01.0006 with Guest1.
      rec.step('ex3 guest2', () => h.createMdev({ uuid: G2, adapters: [1], domains: [6, 7] }));
      rec.step('ex3 mdevs', () => h.mdevs());
      // The same conflict met by growing an mdev instead.
      rec.step('ex3 grow', () => {
        h.createMdev({ uuid: G2, adapters: [1], domains: [7] });
        return h.assign(G2, { domains: [6] });
      });
      rec.step('ex3 grown show', () => h.mdev(G2));
    });
    t.same(rec.ok('ex1 guest1 show').matrix.map((q: { adapter: number; domain: number }) => `${q.adapter}.${q.domain}`), ['1.5', '1.6', '2.5', '2.6']);
    t.same(rec.ok('ex1 guest2 show').matrix.map((q: { adapter: number; domain: number }) => `${q.adapter}.${q.domain}`), ['1.7', '2.7']);
    t.same(rec.ok('ex2 guest2 show').matrix.map((q: { adapter: number; domain: number }) => `${q.adapter}.${q.domain}`), ['3.5', '3.6', '4.5', '4.6']);
    if (profile !== '5.15') t.same(rec.ok('ex2 guest2 show').guestMatrix, rec.ok('ex2 guest2 show').matrix);
    const e = rec.error('ex3 guest2');
    t.equal(e.code, 'EADDRINUSE');
    t.equal(e.precheck, true, 'refused before any write');
    t.same(e.apqns, ['01.0006']);
    t.equal(e.mdev, G1, 'names the mdev that holds the APQN');
    t.match(e.message, `mdev ${G2}: APQN 01.0006 already belongs to mdev ${G1}`);
    t.same(rec.ok('ex3 mdevs'), [G1], 'the refused mdev does not exist');
    const grow = rec.error('ex3 grow');
    t.match(grow, { code: 'EADDRINUSE', precheck: true, apqns: ['01.0006'], mdev: G1 });
    t.same(rec.ok('ex3 grown show').matrix.map((q: { adapter: number; domain: number }) => `${q.adapter}.${q.domain}`), ['1.7'], 'unchanged by the refusal');
    t.same(host.state.mdevs.map((m) => m.uuid), [G1, G2]);
    t.equal(host.state.availableInstances, 65534);
  });
}
