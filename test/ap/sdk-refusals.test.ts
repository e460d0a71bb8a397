// Every refusal of ApHost with its code and whether zmdev refused before writing; configure by
// ap_config (6.15) or single writes (6.0, 5.15); unassign, remove, dry runs and the guest-matrix
// explanations — on each profile, on SimSysfs in process and over FUSE with the same outcomes.
import t from 'tap';
import { ApMask } from '../../src/mask/ap-mask.js';
import { PROFILE_NAMES, SimHost, SimSysfs, events, presetState, type ProfileName, type SimState } from '../../src/sim/index.js';
import type { SysfsIO } from '../../src/sysfs/sysfs-io.js';
import { ApHost } from '../../src/ap/host.js';
import { apHost, bothWays, cleanup, FailingIO, lockPath, runInProcess, seedState, withoutLog } from './fixtures/sdk-host.js';

t.teardown(cleanup);

const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const V = '62177883-f1bb-47f0-914d-32a22e3a8804';
const W = '0e0e0e0e-0000-4000-8000-000000000001';
const target = (a: number[], d: number[], c: number[]) => ({ adapters: ApMask.of(a), domains: ApMask.of(d), controlDomains: ApMask.of(c) });
const names = (qs: Array<{ adapter: number; domain: number }>) =>
  qs.map((q) => `${q.adapter.toString(16).padStart(2, '0')}.${q.domain.toString(16).padStart(4, '0')}`);

/** The seed host with IDs up to 63 (ap_max_adapter_id = ap_max_domain_id = 63) and 01.0004's last reset failed. */
function refusalState(profile: ProfileName): SimState {
  const s = seedState(profile);
  s.host.na = 63;
  s.host.nd = 63;
  s.queues.find((q) => q.adapter === 1 && q.domain === 4)!.resetRc = 1;
  return s;
}

/** Frees the seed host as the documentation does and creates U (01, 0a × 0002, control 0002). */
function walkThrough(h: ApHost): void {
  h.setMasks({ apmask: '-0,-10', aqmask: '-1-2,-4' });
  h.createMdev({ uuid: U, adapters: [1, 0x0a], domains: [2], controlDomains: [2] });
}

for (const profile of PROFILE_NAMES) {
  t.test(`refusals on ${profile}`, async (t) => {
    const { rec, host } = await bothWays(t, refusalState(profile), (io, rec, lock) => {
      const h = apHost(io, lock);
      rec.step('setup', () => walkThrough(h));
      rec.step('max', () => h.maxIds());
      // ENODEV: above ap_max_*.
      rec.step('enodev adapter', () => h.assign(U, { adapters: [0x40] }));
      rec.step('enodev domains', () => h.assign(U, { domains: [0x40, 0x41], controlDomains: [0xff] }));
      rec.step('enodev create', () => h.createMdev({ uuid: V, adapters: [0x40], domains: [0x1b] }));
      rec.step('enodev unassign', () => h.unassign(U, { adapters: [0x40] }));
      // ap_config checks ENODEV last, assign_* first.
      rec.step('order configure', () => h.configure(U, target([1, 0x40], [0x1b], [])));
      // EADDRNOTAVAIL: 01.001b is still the host's.
      rec.step('eaddrnotavail assign', () => h.assign(U, { domains: [0x1b] }));
      rec.step('eaddrnotavail create', () => h.createMdev({ uuid: V, adapters: [0, 1], domains: [0x1b, 1] }));
      // EADDRINUSE: 01.0002 belongs to U.
      rec.step('eaddrinuse create', () => h.createMdev({ uuid: V, adapters: [1], domains: [2, 4] }));
      rec.step('eaddrinuse configure', () => {
        h.createMdev({ uuid: V, adapters: [0], domains: [2] });
        return h.configure(V, target([0, 1], [2], []));
      });
      // EINVAL: control domains without usage domains.
      rec.step('einval create', () => h.createMdev({ uuid: W, controlDomains: [4] }));
      rec.step('einval configure', () => h.configure(V, target([0], [], [2])));
      // EBUSY: a mask change that would give U's APQNs back to the host.
      rec.step('ebusy aqmask', () => h.setMasks({ aqmask: '+2' }));
      rec.step('ebusy both', () => h.setMasks({ apmask: '+10', aqmask: '+2' }));
      rec.step('ebusy kernel grammar', () => h.setMasks({ aqmask: `${'f'.repeat(64)}`, grammar: 'kernel' }));
      rec.step('no conflict: adapter 0a while domain 02 is free', () => h.setMasks({ apmask: '+10' }));
      rec.step('and back', () => h.setMasks({ apmask: '-10' }));
      rec.step('masks unchanged', () => h.masks());
      // EEXIST, ENOENT.
      rec.step('eexist', () => h.createMdev({ uuid: U.toUpperCase() }));
      rec.step('enoent assign', () => h.assign(W, { adapters: [1] }));
      rec.step('enoent unassign', () => h.unassign(W, { adapters: [1] }));
      rec.step('enoent configure', () => h.configure(W, target([1], [2], [])));
      rec.step('enoent remove', () => h.removeMdev(W));
      rec.step('enoent show', () => h.mdev(W));
      // Bad UUIDs never reach a path.
      for (const bad of ['not-a-uuid', '../../bus/ap/apmask', `${U}\n`, `${U}/remove`, '']) {
        rec.step(`bad create ${bad}`, () => h.createMdev({ uuid: bad, adapters: [0] }));
        rec.step(`bad assign ${bad}`, () => h.assign(bad, { adapters: [0] }));
        rec.step(`bad unassign ${bad}`, () => h.unassign(bad, { adapters: [0] }));
        rec.step(`bad configure ${bad}`, () => h.configure(bad, target([0], [1], [])));
        rec.step(`bad remove ${bad}`, () => h.removeMdev(bad));
        rec.step(`bad show ${bad}`, () => h.mdev(bad));
      }
      // Dry runs: the same checks, no writes.
      rec.step('dry create', () => h.createMdev({ uuid: W, adapters: [0x0a], domains: [4], dryRun: true }));
      rec.step('dry create refused', () => h.createMdev({ uuid: W, adapters: [1], domains: [2], dryRun: true }));
      rec.step('dry create einval', () => h.createMdev({ controlDomains: [4], dryRun: true }));
      rec.step('dry assign', () => h.assign(U, { domains: [4] }, { dryRun: true }));
      rec.step('dry unassign', () => h.unassign(U, { adapters: [1] }, { dryRun: true }));
      rec.step('dry configure', () => h.configure(U, target([1], [2, 4], [2, 4]), { dryRun: true }));
      rec.step('after dry runs', () => ({ mdevs: h.mdevs(), u: h.mdev(U) }));
      // Configure: ap_config on 6.15, single writes before.
      rec.step('configure', () => h.configure(U, target([1], [2, 4], [2, 4])));
      rec.step('configure show', () => h.mdev(U));
      rec.step('configure again', () => h.configure(U, target([1, 0x0a], [2], [2])));
      // Unassign (an ID not assigned is no write) and remove.
      rec.step('unassign', () => h.unassign(U, { adapters: [0x0a, 0], controlDomains: [2] }));
      rec.step('unassign show', () => h.mdev(U));
      rec.step('remove', () => h.removeMdev(V));
      rec.step('mdevs', () => h.mdevs());
    });
    const e = (s: string) => rec.error(s);
    t.same(rec.ok('max'), { adapter: 63, domain: 63 });
    t.match(e('enodev adapter'), { code: 'ENODEV', precheck: true, mdev: U, message: `mdev ${U}: adapter 0x40 (highest 0x3f) is above the highest ID this host allows` });
    t.match(e('enodev domains'), { code: 'ENODEV', message: 'domain 0x0040 (highest 0x003f), domain 0x0041 (highest 0x003f), control domain 0x00ff (highest 0x003f) are above' });
    t.match(e('enodev create'), { code: profile === '6.15' ? 'EADDRNOTAVAIL' : 'ENODEV', precheck: true }, 'a create with ap_config checks the reservation of 40.001b first');
    t.match(e('enodev unassign'), { code: 'ENODEV', precheck: true });
    t.match(e('order configure'), { code: profile === '6.15' ? 'EADDRNOTAVAIL' : 'ENODEV', precheck: true }, 'ap_config: reservation before range');
    t.match(e('eaddrnotavail assign'), {
      code: 'EADDRNOTAVAIL', precheck: true, apqns: ['01.001b'], mdev: U,
      message: `mdev ${U}: APQN 01.001b is still reserved for the host by apmask/aqmask; free it first with \`zmdev masks set apmask=-0x01\` (the whole adapter) or \`zmdev masks set aqmask=-0x001b\` (the whole domain)`,
    });
    t.match(e('eaddrnotavail create'), { code: 'EADDRNOTAVAIL', apqns: ['01.001b'] }, 'only 01.001b of the four is reserved');
    t.match(e('eaddrinuse create'), { code: 'EADDRINUSE', precheck: true, apqns: ['01.0002'], mdev: U, message: `mdev ${V}: APQN 01.0002 already belongs to mdev ${U}; an APQN can be in one mdev only: unassign 01.0002 there` });
    t.match(e('eaddrinuse configure'), { code: 'EADDRINUSE', apqns: ['01.0002'], mdev: U });
    t.match(e('einval create'), { code: 'EINVAL', precheck: true, mdev: W, message: 'control domains without any usage domain' });
    t.match(e('einval configure'), { code: 'EINVAL', precheck: true, mdev: V });
    t.match(e('ebusy aqmask'), {
      code: 'EBUSY', precheck: true, apqns: ['01.0002'], mdev: U,
      message: `the mask change would give APQN 01.0002 back to the host, but mdev ${U} holds it; unassign it from the mdev first`,
    });
    t.match(e('ebusy both'), { code: 'EBUSY', apqns: ['01.0002', '0a.0002'], message: 'APQNs 01.0002, 0a.0002 back to the host, but mdev' });
    t.match(e('ebusy kernel grammar'), { code: 'EBUSY', apqns: ['01.0002'] });
    t.same(rec.ok('no conflict: adapter 0a while domain 02 is free').conflicts, []);
    t.same(rec.ok('masks unchanged'), { apmask: `0x7fdf${'f'.repeat(60)}`, aqmask: `0x97${'f'.repeat(62)}` });
    t.match(e('eexist'), { code: 'EEXIST', precheck: true, mdev: U });
    for (const s of ['enoent assign', 'enoent unassign', 'enoent configure', 'enoent remove', 'enoent show']) {
      t.match(e(s), { code: 'ENOENT', precheck: true, mdev: W, path: `devices/vfio_ap/matrix/${W}`, message: `mdev ${W} does not exist` }, s);
    }
    for (const o of rec.outcomes.filter((x) => x.step.startsWith('bad '))) {
      t.match(o, { error: { name: 'InputError', code: 'EINVAL', message: 'is not a UUID' } }, o.step);
    }
    t.same(rec.ok('dry create'), profile === '6.15'
      ? { uuid: W, method: 'ap_config', writes: [{ attr: 'ap_config', value: `0x0020${'0'.repeat(60)},0x08${'0'.repeat(62)},0x${'0'.repeat(64)}\n` }] }
      : { uuid: W, method: 'single-writes', writes: [{ attr: 'assign_adapter', value: '0x0a' }, { attr: 'assign_domain', value: '0x0004' }] },
    'a dry create names the writes the new mdev would get');
    t.match(e('dry create refused'), { code: 'EADDRINUSE', apqns: ['01.0002'], mdev: U });
    t.match(e('dry create einval'), { code: 'EINVAL', mdev: '(new)' });
    t.same(rec.ok('dry assign').writes, [{ attr: 'assign_domain', value: '0x0004' }]);
    t.same(rec.ok('dry unassign').writes, [{ attr: 'unassign_adapter', value: '0x01' }]);
    t.same(rec.ok('after dry runs').mdevs, [U, V]);
    t.same(names(rec.ok('after dry runs').u.matrix), ['01.0002', '0a.0002']);
    const conf = rec.ok('configure');
    if (profile === '6.15') {
      t.equal(conf.method, 'ap_config');
      t.same(conf.writes, [{ attr: 'ap_config', value: `0x40${'0'.repeat(62)},0x28${'0'.repeat(62)},0x28${'0'.repeat(62)}\n` }]);
      t.same(rec.ok('dry configure'), conf, 'the dry run names the same write');
    } else {
      t.equal(conf.method, 'single-writes');
      t.same(conf.writes, [
        { attr: 'unassign_adapter', value: '0x0a' }, { attr: 'assign_domain', value: '0x0004' }, { attr: 'assign_control_domain', value: '0x0004' },
      ]);
    }
    t.same(names(rec.ok('configure show').matrix), ['01.0002', '01.0004']);
    t.same(rec.ok('configure show').controlDomains, `0x28${'0'.repeat(62)}`);
    if (profile !== '5.15') {
      // 01.0004 failed its last reset: on 6.15 (which looks at the code) adapter 01 is filtered.
      t.same(rec.ok('configure show').guestMatrix === null ? null : names(rec.ok('configure show').guestMatrix),
        profile === '6.15' ? [] : ['01.0002', '01.0004']);
      t.same(rec.ok('configure show').filtered, profile === '6.15'
        ? [{ kind: 'adapter', id: 1, reason: 'adapter 01 is filtered because one of its queues failed its last reset' }]
        : []);
    }
    t.same(names(rec.ok('unassign show').matrix), ['01.0002']);
    t.same(rec.ok('unassign').writes, [{ attr: 'unassign_adapter', value: '0x0a' }, { attr: 'unassign_control_domain', value: '0x0002' }]);
    t.same(rec.ok('mdevs'), [U]);
    t.same(host.state.mdevs.map((m) => m.uuid), [U]);
  });

  t.test(`guest matrix explanations on ${profile}`, async (t) => {
    const { rec } = await bothWays(t, refusalState(profile), (io, rec, lock) => {
      const h = apHost(io, lock);
      rec.step('setup', () => walkThrough(h));
      rec.step('free domain 0x30', () => h.setMasks({ aqmask: '-0x30' }));
      // Over-provisioning: adapter 0x20 is not in the host's configuration (refused before 6.0).
      rec.step('over-provision', () => h.assign(U, { adapters: [0x20] }));
      rec.step('domain not configured', () => h.assign(U, { domains: [0x30], controlDomains: [0x31] }));
      rec.step('unbind 0a.0002', () => io.write('bus/ap/drivers/vfio_ap/unbind', '0a.0002'));
      rec.step('show', () => h.mdev(U));
    });
    const show = rec.ok('show');
    if (profile === '5.15') {
      t.match(rec.error('over-provision'), { code: 'EADDRNOTAVAIL', precheck: false, path: `devices/vfio_ap/matrix/${U}/assign_adapter`, written: '0x20' },
        'the classic driver wants bound queues: the kernel refuses');
      t.match(rec.error('domain not configured'), { code: 'EADDRNOTAVAIL', precheck: false, written: '0x0030', message: `mdev ${U}: assign_domain 0x0030 was refused: an APQN is still reserved` });
      t.equal(show.guestMatrix, null);
      t.same(names(show.matrix), ['01.0002', '0a.0002'], 'the refused assign left nothing behind');
      t.same(show.filtered, []);
      return;
    }
    t.same(names(show.matrix), ['01.0002', '01.0030', '0a.0002', '0a.0030', '20.0002', '20.0030']);
    t.same(names(show.guestMatrix), ['01.0002']);
    t.same(show.filtered, [
      { kind: 'domain', id: 0x30, reason: 'domain 0030 is not in the host\'s AP configuration (ap_usage_domain_mask); it reaches the guest once it is configured' },
      { kind: 'adapter', id: 0x0a, queue: { adapter: 0x0a, domain: 2 }, reason: 'adapter 0a is filtered because queue 0a.0002 is not bound to any driver; the architecture passes whole adapters only' },
      { kind: 'adapter', id: 0x20, reason: 'adapter 20 is not in the host\'s AP configuration (ap_adapter_mask); it reaches the guest once it is configured' },
      { kind: 'control-domain', id: 0x31, reason: 'control domain 0031 is not in the host\'s ap_control_domain_mask; the guest does not get it' },
    ]);
  });
}
