// zmdev list, masks, masks set: the host's crypto inventory and the masks that decide which
// queues stay with the host.
import { formatApqn } from '../../mask/apqn.js';
import { formatRanges, quoteRanges } from '../../mask/ranges.js';
import { guestUsability, readInventory } from '../../ap/inventory.js';
import { formatLszcrypt, lszcryptReport } from '../../ap/lszcrypt.js';
import type { MaskChange, MaskPlan } from '../../ap/bus.js';
import { setMasksInScopes } from '../../ap/persistent-masks.js';
import type { ApMask } from '../../mask/ap-mask.js';
import { readApRules, type PersistentMasks } from '../../persist/zdev-ap-rules.js';
import { command } from '../declare.js';

export const listCmd = command({
  words: ['list'],
  summary: 'list crypto cards and queues like lszcrypt (-V: every column, vfio_ap queues too)',
  args: [],
  options: { verbose: { type: 'boolean', short: 'V', help: 'every column, and the queues bound to vfio_ap or no driver' } },
  host: 'reads',
  json: 'every card and queue with all its attributes, and for each queue whether a guest\ncan use it (and why not)',
  description: `Prints the cards and queues of the host in lszcrypt's layout. Without -V, as lszcrypt, queues not
bound to the zcrypt drivers are hidden; -V shows them with their driver and vfio_ap status.`,
  examples: ['zmdev list -V --sim host.json'],
  run({ ap, opts }) {
    const inv = readInventory(ap().io);
    return {
      json: { ...lszcryptReport(inv, { verbose: true }), usability: guestUsability(inv) },
      text: formatLszcrypt(inv, { verbose: opts.verbose }),
    };
  },
});

export const masksCmd = command({
  words: ['masks'],
  summary: 'show apmask and aqmask (the IDs reserved for the host) like lszdev --type ap',
  args: [],
  options: {},
  host: 'reads',
  json: 'print {"apmask": {"mask": "0x…", "ids": "…", "persistent": {"mask", "ids"} | null}, "aqmask": {…},\n"rules": the rule file | null}',
  description: `A queue stays with the host when its adapter is in apmask AND its domain is in aqmask; every
other queue is free for vfio_ap. ACTIVE is sysfs now; PERSISTENT is what zdev's rule file
<root>/etc/udev/rules.d/41-ap.rules sets at boot ("-": that mask is not persisted).`,
  run({ ap, host }) {
    const m = ap().masks();
    const p = readApRules(host!.configRoot);
    const cell = (x: ApMask | null) => (x === null ? '-' : quoteRanges(x));
    const rows = [['ATTRIBUTE', 'ACTIVE', 'PERSISTENT'], ['apmask', cell(m.apmask), cell(p.apmask)], ['aqmask', cell(m.aqmask), cell(p.aqmask)]];
    const width = (i: number) => Math.max(...rows.map((r) => r[i]!.length)) + 2;
    const table = rows.map((r) => `${r[0]!.padEnd(width(0))}${r[1]!.padEnd(width(1))}${r[2]}\n`).join('');
    const json = (x: ApMask | null) => (x === null ? null : { mask: x.toString(), ids: formatRanges(x) });
    return {
      json: {
        apmask: { ...json(m.apmask)!, persistent: json(p.apmask) },
        aqmask: { ...json(m.aqmask)!, persistent: json(p.aqmask) },
        rules: p.exists ? p.path : null,
      },
      text: `${table}\napmask ${m.apmask}\naqmask ${m.aqmask}\n`,
    };
  },
});

function describePlan(plan: MaskPlan, dryRun: boolean): string {
  const lines: string[] = [];
  for (const attr of ['apmask', 'aqmask'] as const) {
    if (!plan.before[attr].equals(plan.after[attr])) {
      lines.push(`${attr}: ${quoteRanges(plan.before[attr])} -> ${quoteRanges(plan.after[attr])}`);
    }
  }
  if (!lines.length) lines.push('no change: the masks already read so');
  const driver = (d: string | null) => d ?? 'no driver';
  for (const m of plan.moves) lines.push(`  ${formatApqn(m.apqn)}: ${driver(m.from)} -> ${driver(m.to)}`);
  if (dryRun) lines.push('(dry run: nothing written)');
  return `${lines.join('\n')}\n`;
}

function planJson(plan: MaskPlan, dryRun: boolean): Record<string, unknown> {
  return {
    before: { apmask: plan.before.apmask.toString(), aqmask: plan.before.aqmask.toString() },
    after: {
      apmask: { mask: plan.after.apmask.toString(), ids: formatRanges(plan.after.apmask) },
      aqmask: { mask: plan.after.aqmask.toString(), ids: formatRanges(plan.after.aqmask) },
    },
    moves: plan.moves.map((m) => ({ apqn: formatApqn(m.apqn), from: m.from, to: m.to })),
    writes: plan.writes.map((w) => ({ attr: w.attr, value: w.value.toString() })),
    dryRun,
  };
}

/** apmask=SPEC and aqmask=SPEC, each at most once. */
function maskChange(settings: string[], kernel: boolean, usage: (m: string) => never): MaskChange {
  const change: MaskChange = { grammar: kernel ? 'kernel' : 'chzdev' };
  for (const p of settings) {
    const m = /^(apmask|aqmask)=(.*)$/s.exec(p);
    if (!m) usage(`${JSON.stringify(p)} is not apmask=SPEC or aqmask=SPEC`);
    if (change[m[1] as 'apmask' | 'aqmask'] !== undefined) usage(`${m[1]} is given twice`);
    change[m[1] as 'apmask' | 'aqmask'] = m[2]!;
  }
  if (change.apmask === undefined && change.aqmask === undefined) usage('give apmask=SPEC, aqmask=SPEC or both');
  return change;
}

export const masksSetCmd = command({
  words: ['masks', 'set'],
  summary: 'change apmask/aqmask (chzdev syntax, or --kernel), refusing to take queues from an mdev',
  args: [{ name: 'SETTING', variadic: true, help: `apmask=SPEC or aqmask=SPEC, in chzdev's syntax (default): 3,5-10,0x25 lists
the IDs that stay with the host; +N / -N change the current mask (+ to the host,
- to passthrough), e.g. apmask=-0,-10 aqmask=-1-2,-4` }],
  options: {
    kernel: { type: 'boolean', help: "read SPEC with the kernel's sysfs grammar instead (0x<hex> or +N,-N; active only)" },
    active: { type: 'boolean', short: 'a', help: 'change sysfs only (chzdev -a)' },
    persistent: { type: 'boolean', short: 'p', help: "change zdev's rule file only, applied at the next boot (chzdev -p)" },
    'dry-run': { type: 'boolean', help: 'show what would change (masks and the queues that move) and stop' },
  },
  exclusive: [['active', 'persistent', 'give neither to change both scopes']],
  host: (opts) => (opts['dry-run'] ? 'reads' : 'changes'),
  description: `As chzdev, both scopes by default: sysfs (-a) and zdev's rule file
<root>/etc/udev/rules.d/41-ap.rules (-p), written with chzdev's bytes. A relative persistent
spec starts from the rule file's mask, or from the active one when the file sets none.
The change is refused before anything is written, in either scope, when an mdev holds a
queue that it would give back to the host (the kernel answers EBUSY), or when the persistent
masks would keep an APQN of an autostart definition for the host (it could not start at
boot); the mdev and the APQNs are named. The masks are written in the order that never passes
through a refused state; if a write fails, what was written is undone (the rule file too). The
s390-tools configuration lock is held throughout.`,
  examples: ['zmdev masks set apmask=-0,-10 aqmask=-1-2,-4 --dry-run --sim host.json'],
  check({ args, opts, usage }) {
    maskChange(args.SETTING, opts.kernel, usage);
  },
  run({ args, opts, ap, usage, host }) {
    const change = maskChange(args.SETTING, opts.kernel, usage);
    const dryRun = opts['dry-run'];
    // --kernel's grammar is sysfs's: it reaches the active masks only.
    const scopes = { active: !opts.persistent, persistent: !opts.active && !opts.kernel };
    const r = setMasksInScopes(ap(), host!.configRoot, change, scopes, { dryRun });
    const p = r.persistent;
    const persistentText = p === null ? '' : [
      ...(['apmask', 'aqmask'] as const).filter((a) => !sameMask(p.before[a], p.after[a]))
        .map((a) => `persistent ${a}: ${persistentCell(p.before[a])} -> ${persistentCell(p.after[a])}`),
      ...(p.dropped.length ? [`${dryRun ? 'would drop' : 'dropped'} from ${p.path} (zdev does not keep them): ${p.dropped.map((l) => JSON.stringify(l)).join(', ')}`] : []),
      ...(['apmask', 'aqmask'] as const).every((a) => sameMask(p.before[a], p.after[a])) ? ['no change: the rule file already reads so'] : [],
    ].map((l) => `${l}\n`).join('');
    return {
      json: {
        ...(r.active ? planJson(r.active, dryRun) : { dryRun }),
        persistent: p && { path: p.path, before: persistentJson(p.before), after: persistentJson(p.after), dropped: p.dropped },
      },
      text: (r.active ? describePlan(r.active, dryRun) : dryRun ? '(dry run: nothing written)\n' : '') + persistentText,
    };
  },
});

const persistentCell = (m: ApMask | null) => (m === null ? '-' : quoteRanges(m));
const sameMask = (a: ApMask | null, b: ApMask | null) => (a === null ? b === null : b !== null && a.equals(b));
const persistentJson = (m: PersistentMasks) => ({ apmask: m.apmask?.toString() ?? null, aqmask: m.aqmask?.toString() ?? null });
