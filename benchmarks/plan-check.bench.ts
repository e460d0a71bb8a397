// zmdev check on large plans: the current check (an owner table, one finding per shared APQN)
// side by side with the previous one (baselines/plan-check-pairwise.ts: one entry per pair of
// guests and APQN), in one run, on the `large` simulated host (64 cards x 85 domains). Two plans:
//   same 36  every guest asks for adapters 0-5 x domains 0-5 (a plan copied without editing);
//   disjoint every guest one APQN of its own (5,440 of them on the host's queues, the rest in
//            domains the host does not have, so they are reported unavailable).
// Each size is timed three ways: the plan alone (no host), checkPlan against the simulated host
// (the host read included), and the current check on host facts read once (checkPlanOn). The
// previous check grows with the pairs of guests: it runs only at the sizes where it finishes.
// Run: npx tsc -p benchmarks/tsconfig.json && node --expose-gc build-bench/benchmarks/plan-check.bench.js
import { loadavg } from 'node:os';

const { createHost } = await import('../src/sim/index.js');
const { checkPlan, checkPlanOn, parsePlan, readPlanHost } = await import('../src/plan/check.js');
const { checkPlanPairwise } = await import('./baselines/plan-check-pairwise.js');
const { spec, measure, collect } = await import('./harness.js');

type Plan = import('../src/plan/plan.js').Plan;
type Measurement = import('./harness.js').Measurement;

/** The largest plan the previous check is run on (1,000 guests on 36 APQNs: 18 million entries, run once). */
const OLD_MAX_SAME = 1000;

function samePlan(n: number): Plan {
  const ids = [0, 1, 2, 3, 4, 5];
  return parsePlan({ guests: Array.from({ length: n }, (_, i) => ({ name: `guest${i}`, adapters: ids, domains: ids })) });
}

function disjointPlan(n: number): Plan {
  return parsePlan({ guests: Array.from({ length: n }, (_, i) => ({ name: `guest${i}`, adapters: [i % 64], domains: [Math.floor(i / 64)] })) });
}

/** Heap the result of one call keeps alive, in bytes (held in `kept` across the second GC). */
let kept: unknown = null;
function retained(fn: () => unknown): number {
  collect();
  const before = process.memoryUsage().heapUsed;
  kept = fn();
  collect();
  const after = process.memoryUsage().heapUsed;
  kept = null;
  return Math.max(0, after - before);
}

function fmtMs(ns: number): string {
  const ms = ns / 1e6;
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(3)} ms`;
}

function fmtBytes(b: number): string {
  return b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(0)} kB`;
}

interface Row {
  plan: string;
  guests: number;
  way: string;
  old: Measurement | null;
  oldNote: string;
  now: Measurement;
  oldBytes?: number;
  nowBytes?: number;
}

const rows: Row[] = [];
const started = process.hrtime.bigint();
const loadAtStart = loadavg()[0]!;
const { sysfs } = createHost('large');
const facts = readPlanHost(sysfs);

function check(ok: boolean, what: string): void {
  if (!ok) {
    console.error(`bench: the two checks disagree: ${what}`);
    process.exit(1);
  }
}

/** Both checks find the same APQNs shared (by the same guests), unavailable and reserved. */
function agree(plan: Plan, withHost: boolean): void {
  const now = checkPlanOn(plan, withHost ? facts : undefined);
  const old = checkPlanPairwise(plan, withHost ? sysfs : undefined);
  const claimants = new Map<number, Set<string>>();
  for (const s of old.shared) {
    for (const q of s.apqns) {
      const k = (q.adapter << 8) | q.domain;
      const set = claimants.get(k) ?? new Set<string>();
      s.guests.forEach((g) => set.add(g));
      claimants.set(k, set);
    }
  }
  let seen = 0;
  for (const s of now.shared) {
    for (const q of s.apqns) {
      seen++;
      const set = claimants.get((q.adapter << 8) | q.domain);
      check(set !== undefined && set.size === s.guests.length && s.guests.every((g) => set.has(g)), `claimants of ${q.adapter}.${q.domain}`);
    }
  }
  check(seen === claimants.size, 'the same shared APQNs');
  check(JSON.stringify(now.unavailable) === JSON.stringify(old.unavailable), 'unavailable APQNs');
  check(JSON.stringify(now.reserved) === JSON.stringify(old.reserved) && JSON.stringify(now.masks) === JSON.stringify(old.masks), 'reserved APQNs and the mask change');
}

/** One call of a slow check, timed, with the heap its result keeps (no repetitions: seconds each). */
function once(fn: () => unknown): { m: Measurement; bytes: number } {
  collect();
  const before = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  kept = fn();
  const ns = Number(process.hrtime.bigint() - t0);
  collect();
  const bytes = Math.max(0, process.memoryUsage().heapUsed - before);
  kept = null;
  collect();
  return { m: { nsPerOp: ns, minNs: ns, maxNs: ns, reps: 1 }, bytes };
}

function run(name: string, make: (n: number) => Plan, sizes: number[], oldRuns: (n: number) => 'no' | 'once' | 'timed'): void {
  for (const n of sizes) {
    const plan = make(n);
    const how = oldRuns(n);
    // Agreement where the previous check is quick enough to run twice more.
    if (how === 'timed') {
      agree(plan, false);
      agree(plan, true);
    }
    const opts = n >= 10000 ? { targetMs: 1, reps: 5, warmupReps: 1 } : { targetMs: 20, reps: 7, warmupReps: 2 };
    const ways: Array<[string, (() => unknown) | null, () => unknown]> = [
      ['plan alone', how === 'no' ? null : () => checkPlanPairwise(plan), () => checkPlan(plan)],
      ['checkPlan(plan, io)', how === 'no' ? null : () => checkPlanPairwise(plan, sysfs), () => checkPlan(plan, sysfs)],
      ['checkPlanOn(plan, facts)', null, () => checkPlanOn(plan, facts)],
    ];
    for (const [way, old, now] of ways) {
      // The host read makes checkPlan(plan, io) slow at every size: few repetitions.
      const specs = [spec(now, way.startsWith('checkPlan(') ? { targetMs: 1, reps: 5, warmupReps: 1 } : opts)];
      if (old && how === 'timed') specs.push(spec(old, { targetMs: 1, reps: 3, warmupReps: 0 }));
      const ms = measure(specs);
      const row: Row = {
        plan: name, guests: n, way, now: ms[0]!, old: null,
        oldNote: old ? '' : way.startsWith('checkPlanOn') ? '(no such step)' : 'not run',
      };
      if (old && how === 'once') {
        const o = once(old);
        row.old = o.m;
        if (way === 'plan alone') row.oldBytes = o.bytes;
      } else if (old) {
        row.old = ms[1]!;
        if (way === 'plan alone') row.oldBytes = retained(old);
      }
      if (way === 'plan alone') row.nowBytes = retained(now);
      rows.push(row);
      process.stderr.write(`  measured ${name}, ${n} guests, ${way}: now ${fmtMs(row.now.nsPerOp)}` +
        `${row.old ? `, before ${fmtMs(row.old.nsPerOp)}` : ''}\n`);
      collect();
    }
  }
}

run('same 36 APQNs', samePlan, [100, 300, 1000, 10000], (n) => (n > OLD_MAX_SAME ? 'no' : n >= 300 ? 'once' : 'timed'));
run('disjoint', disjointPlan, [1000, 10000], () => 'timed');

const head = ['plan', 'guests', 'check', 'before', 'now', 'before/now', 'heap kept (before -> now)'];
const body = rows.map((r) => [
  r.plan, r.guests.toLocaleString('en'), r.way,
  r.old ? fmtMs(r.old.nsPerOp) : r.oldNote, fmtMs(r.now.nsPerOp),
  r.old ? `${(r.old.nsPerOp / r.now.nsPerOp).toFixed(r.old.nsPerOp / r.now.nsPerOp >= 10 ? 0 : 2)}×` : '',
  r.nowBytes === undefined ? '' : `${r.oldBytes === undefined ? 'n/a' : fmtBytes(r.oldBytes)} -> ${fmtBytes(r.nowBytes)}`,
]);
const width = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
const line = (cells: string[]) => cells.map((s, c) => ([1, 3, 4, 5].includes(c) ? s.padStart(width[c]!) : s.padEnd(width[c]!))).join(' | ').trimEnd();
console.log(`zmdev plan check — node ${process.version}, ${process.arch}; the large simulated host; medians; ` +
  `"before" = the previous check (pairwise), measured in this run`);
console.log(`load average (1 min) at start ${loadAtStart.toFixed(2)}, at end ${loadavg()[0]!.toFixed(2)}`);
console.log('');
console.log(line(head));
console.log(width.map((w) => '-'.repeat(w)).join('-|-'));
let last = '';
for (const b of body) {
  if (last && b[0] !== last) console.log('');
  console.log(line(b));
  last = b[0]!;
}
const big = rows.filter((r) => r.guests === 10000);
const hostRead = measure([spec(() => readPlanHost(sysfs), { targetMs: 1, reps: 5, warmupReps: 1 })])[0]!.nsPerOp;
console.log('');
console.log('10,000 guests (the previous check does not finish the same-36 plan: ~1.8 billion pair entries):');
for (const r of big) console.log(`  ${r.plan}, ${r.way}: ${fmtMs(r.now.nsPerOp)}`);
console.log(`checkPlan(plan, io) includes reading the whole host (inventory and mdevs) once: ${fmtMs(hostRead)} on the large simulated host; ` +
  'the previous check read only the attributes of the plan\'s APQNs, one at a time');
console.log(`(whole run ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s)`);
