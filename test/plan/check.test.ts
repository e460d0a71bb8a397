// Multi-guest plans: parsePlan's validation, checkPlan on its own (the kernel document's three
// examples) and against a host (unavailable APQNs and why, the mask change needed — applied and
// checked), and the minimum cover against brute force.
import t from 'tap';
import { ApHost } from '../../src/ap/host.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import { checkPlan, checkPlanOn, parsePlan, readPlanHost } from '../../src/plan/check.js';
import { formatApqn } from '../../src/mask/apqn.js';
import { minimumCover } from '../../src/plan/min-cover.js';
import { SimHost, SimSysfs, createHost, events, presetState } from '../../src/sim/index.js';
import { findSharedApqns } from '../../src/mask/batch.js';
import { SysfsError, type SysfsIO } from '../../src/sysfs/sysfs-io.js';
import { parseUuid } from '../../src/mask/ids.js';

const U1 = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const U2 = '62177883-f1bb-47f0-914d-32a22e3a8804';

const g = (name: string, adapters: unknown, domains: unknown, extra: Record<string, unknown> = {}) => ({ name, adapters, domains, ...extra });

t.test('parsePlan: validation messages', (t) => {
  const bad: Array<[unknown, string | RegExp]> = [
    [null, 'plan: expected {"guests": [{"name": "Guest1", "adapters": [1, 2], "domains": [5, 6]}]}'],
    ['guests', /^plan: expected/],
    [{}, /^plan: expected/],
    [{ guests: {} }, /^plan: expected/],
    [{ guests: [1] }, 'plan: guests[0] must be an object'],
    [{ guests: [null] }, 'plan: guests[0] must be an object'],
    [{ guests: [{ adapters: [1], domains: [1] }] }, 'plan: guests[0].name must be a non-empty string'],
    [{ guests: [g('', [1], [1])] }, 'plan: guests[0].name must be a non-empty string'],
    [{ guests: [g('A', [1], [1]), g('A', [2], [2])] }, 'plan: guest name "A" is used twice; names must be unique'],
    [{ guests: [g('A', [1], [1], { domain: [3] })] }, 'plan: guests[0] (A) has an unknown field "domain"'],
    [{ guests: [g('A', undefined, [1])] }, 'plan: A.adapters must be a list of IDs, e.g. [1, "0x0a", "012"]'],
    [{ guests: [g('A', [1], '5')] }, 'plan: A.domains must be a list of IDs'],
    [{ guests: [g('A', [1], [1], { controlDomains: 5 })] }, 'plan: A.controlDomains must be a list of IDs'],
    [{ guests: [g('A', [true], [1])] }, 'plan: A.adapters[0] must be a number or a string'],
    [{ guests: [g('A', [1], [1, 256])] }, 'plan: A.domains[1]: domain 256 is above 255, the highest AP ID there is'],
    [{ guests: [g('A', ['0x100'], [1])] }, 'plan: A.adapters[0]: adapter 0x100 is above 255'],
    [{ guests: [g('A', [1], ['08'])] }, /^plan: A\.domains\[0\]: domain "08" is not an ID: .*octal \(012\)$/],
    [{ guests: [g('A', [1], ['five'])] }, /^plan: A\.domains\[0\]: domain "five" is not an ID/],
    [{ guests: [g('A', [-1], [1])] }, 'plan: A.adapters[0]: adapter -1 is not an ID: IDs are whole numbers from 0 to 255'],
    [{ guests: [g('A', [1.5], [1])] }, 'plan: A.adapters[0]: adapter 1.5 is not an ID'],
    [{ guests: [g('A', [1], [1], { controlDomains: ['x'] })] }, /^plan: A\.controlDomains\[0\]: control domain "x" is not an ID/],
    [{ guests: [g('A', [1], [1], { uuid: 5 })] }, 'plan: A.uuid must be a string, the UUID of the guest\'s mdev'],
    [{ guests: [g('A', [1], [1], { uuid: 'x' })] }, /^plan: A\.uuid: "x" is not a UUID: give 8-4-4-4-12 hex digits/],
    [{ guests: [g('A', [1], [1], { uuid: U1 }), g('B', [2], [2]), g('C', [3], [3], { uuid: U1.toUpperCase() })] },
      `plan: A and C both name mdev ${U1}; an mdev is given to one guest only`],
  ];
  for (const [data, msg] of bad) t.throws(() => parsePlan(data), { code: 'EINVAL', precheck: true, message: msg }, JSON.stringify(data));
  const p = parsePlan({ guests: [g('A', [1, '2', '0x03', '004', '0'], ['255', 0xff, '0xfe']), g('B', [], [], { controlDomains: ['0x1b', 27, '033'] })] });
  t.same(p.guests[0]!.adapters.ids(), [0, 1, 2, 3, 4], 'decimal, hex and octal, as numbers or strings');
  t.same(p.guests[0]!.domains.ids(), [0xfe, 0xff]);
  t.same(p.guests[0]!.controlDomains.ids(), [], 'controlDomains may be left out');
  t.same(p.guests[1]!.controlDomains.ids(), [27]);
  t.same(parsePlan({ guests: [] }), { guests: [] });
  const named = parsePlan({ guests: [g('A', [1], [1], { uuid: U2.toUpperCase() }), g('B', [1], [2])] });
  t.equal(named.guests[0]!.uuid, U2, 'the UUID in lowercase, as the kernel names the mdev');
  t.notOk('uuid' in named.guests[1]!);
  t.end();
});

/** The kernel document's examples (vfio-ap.rst): Guest1 and Guest2. */
const examples = {
  1: { guests: [g('Guest1', [1, 2], [5, 6]), g('Guest2', [1, 2], [7])] },
  2: { guests: [g('Guest1', [1, 2], [5, 6]), g('Guest2', [3, 4], [5, 6])] },
  3: { guests: [g('Guest1', [1, 2], [5, 6]), g('Guest2', [1], [6, 7])] },
};

t.test('checkPlan alone: only example 3 shares an APQN (01.0006)', (t) => {
  for (const n of [1, 2] as const) t.same(checkPlan(parsePlan(examples[n])), { ok: true, shared: [], unavailable: [], reserved: [], messages: [] }, `example ${n}`);
  const r = checkPlan(parsePlan(examples[3]));
  t.equal(r.ok, false);
  t.same(r.shared, [{ guests: ['Guest1', 'Guest2'], apqns: [{ adapter: 1, domain: 6 }] }]);
  t.same(r.messages, ['Guest1 and Guest2 would share APQN 01.0006: an APQN can be given to one guest only']);
  const many = checkPlan(parsePlan({ guests: [g('A', [1, 2], [5, 6]), g('B', [1, 2], [5]), g('C', [9], [9])] }));
  t.same(many.messages, ['A and B would share APQNs 01.0005, 02.0005: an APQN can be given to one guest only']);
  t.end();
});

function seedHost(edit?: (h: SimHost) => void): { host: SimHost; io: SimSysfs } {
  const host = new SimHost(presetState('seed'));
  edit?.(host);
  return { host, io: new SimSysfs(host) };
}

t.test('checkPlan against the seed host: unavailable APQNs and why', (t) => {
  const { io } = seedHost((h) => {
    h.state.host.na = 0x0f;
    h.state.host.nd = 0x1f;
    events.addDomain(h, 0x08);
    events.removeDomain(h, 0x08);
  });
  // Domain 0x1c is configured but has no queues (a host config change the bus has not scanned).
  const r = checkPlan(parsePlan({
    guests: [
      g('Big', [0x10], [1]), // adapter above 0x0f
      g('High', [0], [0x20]), // domain above 0x1f
      g('NoCard', [5], [1]),
      g('NoDomain', [0], [8]),
      g('Fine', [0x0a], [2]),
    ],
  }), io);
  t.equal(r.ok, false);
  t.same(r.unavailable.map((u) => [u.guest, `${u.apqn.adapter}.${u.apqn.domain}`, u.why]), [
    ['Big', '16.1', 'above-maximum'], ['High', '0.32', 'above-maximum'], ['NoCard', '5.1', 'adapter-not-configured'], ['NoDomain', '0.8', 'domain-not-configured'],
  ]);
  t.same(r.unavailable.map((u) => u.message), [
    'Big: APQN 10.0001: it is above the host\'s highest IDs (adapter 0x0f, domain 0x001f)',
    'High: APQN 00.0020: it is above the host\'s highest IDs (adapter 0x0f, domain 0x001f)',
    'NoCard: APQN 05.0001: adapter 0x05 is not in the host\'s AP configuration',
    'NoDomain: APQN 00.0008: domain 0x0008 is not in the host\'s AP configuration',
  ]);
  t.same(r.reserved, [{ adapter: 0x0a, domain: 2 }], 'the available APQN is still the host\'s');
  t.end();
});

t.test('no queue device, and adapters older than CEX4', (t) => {
  // A card whose queues are gone from the bus while the configuration still lists it and a CEX3-like
  // card (hwtype 9): the simulator's state checks refuse hwtype < 10 in a state file, but the
  // in-process model takes the edit.
  const { io } = seedHost((h) => {
    h.setQueues(h.state.queues.filter((q) => !(q.adapter === 1 && q.domain === 4)));
    h.state.host.adapters.find((a) => a.id === 0x0a)!.hwtype = 9;
  });
  const r = checkPlan(parsePlan({ guests: [g('A', [1], [4]), g('B', [0x0a], [1, 2])] }), io);
  t.same(r.unavailable.map((u) => [u.apqn.adapter, u.apqn.domain, u.why]), [[1, 4, 'no-queue'], [10, 1, 'hwtype-below-cex4'], [10, 2, 'hwtype-below-cex4']]);
  t.equal(r.unavailable[1]!.message, 'B: APQN 0a.0001: adapter 0x0a is older than CEX4 (hwtype 9); vfio_ap takes CEX4 and newer');
  t.same(r.reserved, []);
  t.notOk(r.masks);
  t.end();
});

t.test('without QCI masks the configuration checks are skipped', (t) => {
  const { io } = seedHost((h) => void (h.state.host.qci = false));
  const r = checkPlan(parsePlan({ guests: [g('A', [1], [2])] }), io);
  t.same(r.unavailable, []);
  t.same(r.reserved, [{ adapter: 1, domain: 2 }]);
  t.end();
});

t.test('the mask change a plan needs, applied with setMasks, frees exactly what is needed', (t) => {
  const plans = [
    { guests: [g('Doc', [1, 0x0a], [2], { controlDomains: [2] })] },
    { guests: [g('A', [0, 1, 0x0a], [1, 2, 4])] },
    { guests: [g('A', [0], [1, 2, 4, 0x1b]), g('B', [1], [1])] },
    { guests: [g('A', [1], [0x1b])] },
    { guests: [g('A', [0, 1], [1]), g('B', [0x0a], [2, 4])] },
  ];
  for (const data of plans) {
    const { host, io } = seedHost();
    const plan = parsePlan(data);
    const r = checkPlan(plan, io);
    t.ok(r.ok && r.masks, JSON.stringify(data));
    const specs = { ...(r.masks!.apmask ? { apmask: r.masks!.apmask } : {}), ...(r.masks!.aqmask ? { aqmask: r.masks!.aqmask } : {}) };
    t.match(r.messages.at(-1), /still reserved for the host; free (it|them) with `zmdev masks set (apmask=\S+)? ?(aqmask=\S+)?`$/);
    new ApHost(io, { lock: false }).setMasks(specs);
    const wanted = plan.guests.flatMap((x) => x.adapters.ids().flatMap((a) => x.domains.ids().map((d) => ({ a, d }))));
    for (const { a, d } of wanted) t.equal(host.queue(a, d)!.driver, 'vfio_ap', `${a}.${d} is free`);
    t.same(checkPlan(plan, io).reserved, [], 'nothing reserved any more');
    // Minimal: with the mask change the cover made, no single bit could be put back.
    const apm = ApMask.fromReadFormat(host.state.apmask);
    const aqm = ApMask.fromReadFormat(host.state.aqmask);
    for (const a of r.masks!.clearAdapters) t.ok(wanted.some((w) => w.a === a && aqm.has(w.d)), `adapter ${a} had to be cleared`);
    for (const d of r.masks!.clearDomains) t.ok(wanted.some((w) => w.d === d && apm.has(w.a)), `domain ${d} had to be cleared`);
  }
  // The documentation's own case: the cheapest way keeps 01.001b with the host.
  const { io } = seedHost();
  const r = checkPlan(parsePlan({ guests: [g('A', [0, 1, 0x0a], [1, 2, 4]), g('B', [0, 0x0a], [0x1b])] }), io);
  t.same(r.masks, { apmask: '-0x00,-0x0a', aqmask: '-0x0001,-0x0002,-0x0004', clearAdapters: [0, 10], clearDomains: [1, 2, 4] });
  t.end();
});

/** A seeded generator (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('minimumCover equals brute force on random bipartite graphs', (t) => {
  const rand = rng(20240611);
  for (let round = 0; round < 300; round++) {
    const na = 1 + Math.floor(rand() * 5);
    const nd = 1 + Math.floor(rand() * 5);
    const edges: Array<[number, number]> = [];
    for (let a = 0; a < na; a++) for (let d = 0; d < nd; d++) if (rand() < 0.45) edges.push([a * 7, d * 3 + 1]);
    if (!edges.length) edges.push([0, 1]);
    const wa = new Map<number, number>();
    const wd = new Map<number, number>();
    for (const [a, d] of edges) {
      if (!wa.has(a)) wa.set(a, 1 + Math.floor(rand() * 9));
      if (!wd.has(d)) wd.set(d, 1 + Math.floor(rand() * 9));
    }
    const cover = minimumCover(edges, (a) => wa.get(a)!, (d) => wd.get(d)!);
    const covers = (as: Set<number>, ds: Set<number>) => edges.every(([a, d]) => as.has(a) || ds.has(d));
    t.ok(covers(new Set(cover.adapters), new Set(cover.domains)), `round ${round}: a cover`);
    const weight = (as: number[], ds: number[]) => as.reduce((s, a) => s + wa.get(a)!, 0) + ds.reduce((s, d) => s + wd.get(d)!, 0);
    const A = [...wa.keys()];
    const D = [...wd.keys()];
    let best = Infinity;
    for (let m = 0; m < 1 << (A.length + D.length); m++) {
      const as = A.filter((_, i) => m & (1 << i));
      const ds = D.filter((_, i) => m & (1 << (A.length + i)));
      if (covers(new Set(as), new Set(ds))) best = Math.min(best, weight(as, ds));
    }
    t.equal(weight(cover.adapters, cover.domains), best, `round ${round}: minimum weight`);
  }
  t.same(minimumCover([], () => 1, () => 1), { adapters: [], domains: [] });
  t.end();
});

/** The simulated host with chosen reads failing (an errno) or answering other text. */
class FailingIO implements SysfsIO {
  fail = new Map<string, string>();
  text = new Map<string, string>();
  /** Entries left out of bus/ap/devices. */
  hide = new Set<string>();
  constructor(readonly inner: SysfsIO) {}
  read(p: string): string {
    return this.readMany([p])[0] as string;
  }
  readMany(ps: readonly string[]): Array<string | SysfsError> {
    return ps.map((p) => {
      const code = this.fail.get(p);
      if (code) return new SysfsError({ code, syscall: 'read', path: p });
      return this.text.get(p) ?? this.inner.readMany([p])[0]!;
    });
  }
  write(p: string, d: string | Uint8Array): number { return this.inner.write(p, d); }
  list(p: string): string[] { return this.inner.list(p).filter((n) => p !== 'bus/ap/devices' || !this.hide.has(n)); }
  exists(p: string): boolean { return this.inner.exists(p); }
  stat(p: string) { return this.inner.stat(p); }
  readlink(p: string): string { return this.inner.readlink(p); }
}

t.test('a failed or garbled read is an error with its errno and path, never a number', (t) => {
  const plan = parsePlan({ guests: [g('A', [1], [2])] });
  const cases: Array<[string, 'fail' | 'text', string, string]> = [
    ['devices/ap/card01/hwtype', 'fail', 'EIO', 'EIO'],
    ['devices/ap/card01/hwtype', 'text', 'ten\n', 'EPROTO'],
    ['bus/ap/ap_max_adapter_id', 'fail', 'EIO', 'EIO'],
    ['bus/ap/ap_max_domain_id', 'text', '\n', 'EPROTO'],
    ['bus/ap/ap_adapter_mask', 'fail', 'EIO', 'EIO'],
    ['bus/ap/apmask', 'fail', 'EACCES', 'EACCES'],
  ];
  for (const [path, how, value, code] of cases) {
    const io = new FailingIO(seedHost().io);
    io[how].set(path, value);
    t.throws(() => checkPlan(plan, io), { code, path }, `${path}: ${how} ${JSON.stringify(value)}`);
  }
  t.end();
});

t.test('a kernel without the maximum IDs or the QCI masks: the checks they feed are skipped', (t) => {
  const io = new FailingIO(seedHost((h) => void (h.state.host.na = 0x0f)).io);
  const plan = parsePlan({ guests: [g('A', [0x10], [1]), g('B', [1], [0x1c])] });
  t.same(checkPlan(plan, io).unavailable.map((u) => u.why), ['above-maximum', 'domain-not-configured']);
  for (const attr of ['ap_max_adapter_id', 'ap_max_domain_id']) io.fail.set(`bus/ap/${attr}`, 'ENOENT');
  t.same(checkPlan(plan, io).unavailable.map((u) => u.why), ['adapter-not-configured', 'domain-not-configured'], 'only 255 limits the IDs');
  for (const attr of ['ap_adapter_mask', 'ap_usage_domain_mask']) io.fail.set(`bus/ap/${attr}`, 'ENOENT');
  t.same(checkPlan(plan, io).unavailable.map((u) => u.why), ['no-queue', 'no-queue']);
  t.end();
});

t.test('read failures the check does not depend on, and the ones it does only for the mask change', (t) => {
  const io = new FailingIO(seedHost().io);
  io.fail.set('bus/ap/features', 'EIO');
  io.fail.set('devices/ap/card00/depth', 'EIO');
  const plan = parsePlan({ guests: [g('A', [1], [2])] });
  t.same(checkPlan(plan, io).reserved, [{ adapter: 1, domain: 2 }], 'the bus features and another card do not matter');
  io.fail.set('devices/ap/card01/01.0002/request_count', 'EIO');
  t.throws(() => checkPlan(plan, io), { code: 'EIO', path: 'devices/ap/card01/01.0002/request_count', message: /^plan: 01\.0002 cannot be read, and the check depends on it: EIO: read / });
  io.fail.delete('devices/ap/card01/01.0002/request_count');
  // Another queue of the host: its weight in the mask change is unknown.
  io.fail.set('devices/ap/card0a/0a.001b/pendingq_count', 'EIO');
  t.throws(() => checkPlan(plan, io), { code: 'EIO', path: 'devices/ap/card0a/0a.001b/pendingq_count' });
  io.fail.set('bus/ap/ap_max_adapter_id', 'EIO');
  t.throws(() => checkPlan(plan, io), { code: 'EIO', path: 'bus/ap/ap_max_adapter_id', message: /^plan: bus\/ap\/ap_max_adapter_id cannot be read/ });
  // No mask change needed: the unreadable queue does not matter.
  const free = new FailingIO(seedHost((h) => void (h.state.apmask = ApMask.FULL.andNot(ApMask.of([1])).toString())).io);
  free.fail.set('devices/ap/card0a/0a.001b/pendingq_count', 'EIO');
  t.same(checkPlan(plan, free).reserved, []);
  t.end();
});

t.test('a queue listed without its card is no queue to give', (t) => {
  const io = new FailingIO(seedHost().io);
  io.hide.add('card01');
  t.same(checkPlan(parsePlan({ guests: [g('A', [1], [2])] }), io).unavailable.map((u) => u.why), ['no-queue']);
  t.end();
});

t.test('an APQN an existing mdev holds is the plan\'s only for the guest that names the mdev', (t) => {
  const { io } = seedHost();
  const ap = new ApHost(io, { lock: false });
  ap.setMasks({ apmask: '-0,-10', aqmask: '-1-2,-4' });
  ap.createMdev({ uuid: U1, adapters: [1], domains: [2, 4] });
  // What the check must foresee: a second mdev with one of those APQNs is refused.
  t.throws(() => ap.createMdev({ uuid: U2, adapters: [1], domains: [2] }), { code: 'EADDRINUSE' });
  t.throws(() => ap.removeMdev(U2), { code: 'ENOENT' }, 'and nothing was left behind');

  const other = checkPlan(parsePlan({ guests: [g('A', [1, 0x0a], [2])] }), io);
  t.equal(other.ok, false);
  t.same(other.unavailable, [{
    guest: 'A', apqn: { adapter: 1, domain: 2 }, why: 'held-by-mdev', mdev: U1,
    message: `A: APQN 01.0002: mdev ${U1} already holds it, so the guest's mdev could not get it (EADDRINUSE); give the guest that mdev ("uuid": "${U1}") or unassign the APQN from it first`,
  }]);
  t.same(other.messages, [other.unavailable[0]!.message]);

  const own = checkPlan(parsePlan({ guests: [g('A', [1, 0x0a], [2], { uuid: U1.toUpperCase() })] }), io);
  t.same(own, { ok: true, shared: [], unavailable: [], reserved: [], messages: [] }, 'the guest\'s own mdev');
  t.same(checkPlan(parsePlan({ guests: [g('A', [1], [2], { uuid: U2 })] }), io).unavailable.map((u) => u.mdev), [U1], 'a different mdev');

  const both = checkPlan(parsePlan({ guests: [g('A', [1], [2], { uuid: U1 }), g('B', [1], [4])] }), io);
  t.same(both.unavailable.map((u) => [u.guest, formatApqn(u.apqn), u.why, u.mdev]), [['B', '01.0004', 'held-by-mdev', U1]]);
  t.equal(both.unavailable[0]!.message, `B: APQN 01.0004: mdev ${U1} already holds it, and the plan gives that mdev to A; an APQN can be given to one guest only`);
  t.same(checkPlanOn(parsePlan({ guests: [g('B', [1], [4])] }), { ...readPlanHost(io), mdevs: [] }).ok, true, 'the facts decide: without mdevs it is free');
  // Two mdevs holding one APQN (a host the kernel would not produce): the other one is named.
  const m = (uuid: string) => ({ uuid: parseUuid(uuid), adapters: ApMask.of([1]), domains: ApMask.of([4]), controlDomains: ApMask.EMPTY });
  const twice = checkPlanOn(parsePlan({ guests: [g('A', [1], [4], { uuid: U1 })] }), { ...readPlanHost(io), mdevs: [m(U1), m(U2)] });
  t.same(twice.unavailable.map((u) => u.mdev), [U2]);
  t.end();
});

t.test('a conflict is reported once per APQN, with every guest that claims it', (t) => {
  const three = checkPlan(parsePlan({ guests: [g('A', [1], [6]), g('B', [1], [6]), g('C', [1], [6, 7])] }));
  t.same(three.shared, [{ guests: ['A', 'B', 'C'], apqns: [{ adapter: 1, domain: 6 }] }]);
  t.same(three.messages, ['A, B and C would share APQN 01.0006: an APQN can be given to one guest only']);
  // APQNs claimed by different sets of guests are separate findings, ordered by the guests.
  const mixed = checkPlan(parsePlan({ guests: [g('A', [1, 2], [5, 9]), g('B', [1], [5]), g('C', [2], [5]), g('D', [1, 2], [5]), g('E', [2], [9]), g('F', [1], [9])] }));
  t.same(mixed.shared.map((s) => [s.guests.join(''), s.apqns.map(formatApqn).join(' ')]), [
    ['ABD', '01.0005'], ['ACD', '02.0005'], ['AE', '02.0009'], ['AF', '01.0009'],
  ]);
  const prefix = checkPlan(parsePlan({ guests: [g('A', [1], [1, 2]), g('B', [1], [1, 2]), g('C', [1], [2])] }));
  t.same(prefix.shared.map((s) => s.guests.join('')), ['AB', 'ABC'], 'a shorter list of the same guests first');
  t.end();
});

t.test('with at most two guests per APQN the findings are the pairs the native owner table finds', (t) => {
  const rand = rng(7);
  for (let round = 0; round < 200; round++) {
    const guests = Array.from({ length: 2 + Math.floor(rand() * 12) }, (_, i) => {
      const ids = (n: number) => Array.from({ length: 1 + Math.floor(rand() * 3) }, () => Math.floor(rand() * n));
      return g(`G${i}`, ids(6), ids(6));
    });
    const plan = parsePlan({ guests });
    const pairs = findSharedApqns(plan.guests);
    const r = checkPlan(plan);
    // Every APQN's claimants, from the pairs and from the report.
    const fromPairs = new Map<string, Set<string>>();
    for (const p of pairs) for (const q of p.apqns) fromPairs.set(formatApqn(q), new Set([...(fromPairs.get(formatApqn(q)) ?? []), `G${p.a}`, `G${p.b}`]));
    const fromReport = new Map<string, Set<string>>();
    for (const s of r.shared) for (const q of s.apqns) fromReport.set(formatApqn(q), new Set(s.guests));
    t.same([...fromReport.keys()].sort(), [...fromPairs.keys()].sort(), `round ${round}: the same APQNs`);
    for (const [q, who] of fromPairs) t.same([...fromReport.get(q)!].sort(), [...who].sort(), `round ${round}: ${q}`);
    if ([...fromPairs.values()].every((who) => who.size === 2)) {
      t.same(r.shared.map((s) => [s.guests, s.apqns]), pairs.map((p) => [[`G${p.a}`, `G${p.b}`], p.apqns]), `round ${round}: the pairs, in their order`);
    }
  }
  t.end();
});

t.test('2,000 guests that all ask for the same 36 APQNs: one finding, and the mask change of one guest', (t) => {
  const { sysfs } = createHost('large');
  const ids = [0, 1, 2, 3, 4, 5];
  const many = parsePlan({ guests: Array.from({ length: 2000 }, (_, i) => g(`guest${i}`, ids, ids)) });
  const r = checkPlan(many, sysfs);
  t.equal(r.shared.length, 1);
  t.equal(r.shared[0]!.guests.length, 2000);
  t.equal(r.shared[0]!.apqns.length, 36);
  t.equal(r.messages[0], 'guest0, guest1, guest2, guest3, guest4, guest5, guest6, guest7 and 1,992 more guests would share APQNs ' +
    '00.0000, 00.0001, 00.0002, 00.0003, 00.0004, 00.0005, 01.0000, 01.0001 and 28 more: an APQN can be given to one guest only');
  t.equal(r.messages.length, 2, 'the shared APQNs and the mask change');
  const one = checkPlan(parsePlan({ guests: [g('one', ids, ids)] }), sysfs);
  t.same(r.reserved, one.reserved);
  t.same(r.masks, one.masks);
  t.same(r.messages[1], one.messages[0]);
  t.end();
});

t.test('the documentation\'s mask change holds for a hundred copies of its guests', (t) => {
  const { io } = seedHost();
  const guests = Array.from({ length: 100 }, (_, i) => [g(`A${i}`, [0, 1, 0x0a], [1, 2, 4]), g(`B${i}`, [0, 0x0a], [0x1b])]).flat();
  const r = checkPlan(parsePlan({ guests }), io);
  t.same(r.masks, { apmask: '-0x00,-0x0a', aqmask: '-0x0001,-0x0002,-0x0004', clearAdapters: [0, 10], clearDomains: [1, 2, 4] });
  t.same(r.shared.map((s) => s.guests.length), [100, 100]);
  t.end();
});
