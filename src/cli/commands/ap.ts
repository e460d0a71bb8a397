// zmdev list, masks, masks set: the host's crypto inventory and the masks that decide which
// queues stay with the host.
import { formatApqn } from '../../mask/apqn.js';
import { formatRanges, quoteRanges } from '../../mask/ranges.js';
import { guestUsability, readInventory } from '../../ap/inventory.js';
import { formatLszcrypt, lszcryptReport } from '../../ap/lszcrypt.js';
import { checkMaskPlan, type MaskChange, type MaskPlan } from '../../ap/bus.js';
import { noPositionals, type Command } from '../command.js';
import { UsageError } from '../context.js';
import { hostHelp, hostOptions } from '../host.js';
import { runOnAp } from '../ap-run.js';
import { printJson } from '../report.js';

const listUsage = 'usage: zmdev list [-V] [--json] [--sim FILE | --sysfs DIR]';

export const listCmd: Command = {
  path: ['list'],
  summary: 'list crypto cards and queues like lszcrypt (-V: every column, vfio_ap queues too)',
  usage: listUsage,
  help: `${listUsage}

Prints the cards and queues of the host in lszcrypt's layout. Without -V, as lszcrypt, queues not
bound to the zcrypt drivers are hidden; -V shows them with their driver and vfio_ap status.
With --json, every card and queue with all its attributes, and for each queue whether a guest
can use it (and why not).

${hostHelp}`,
  options: { ...hostOptions, json: { type: 'boolean' }, verbose: { type: 'boolean', short: 'V' } },
  run(args, io) {
    noPositionals(listCmd, args);
    return runOnAp(args, listUsage, io, 'reads', (ap, json) => {
      const inv = readInventory(ap.io);
      if (json) {
        printJson(io, { ...lszcryptReport(inv, { verbose: true }), usability: guestUsability(inv) });
      } else {
        io.stdout(formatLszcrypt(inv, { verbose: args.values.verbose === true }));
      }
    });
  },
};

const masksUsage = 'usage: zmdev masks [--json] [--sim FILE | --sysfs DIR]';

export const masksCmd: Command = {
  path: ['masks'],
  summary: 'show apmask and aqmask (the IDs reserved for the host) like lszdev --type ap',
  usage: masksUsage,
  help: `${masksUsage}

A queue stays with the host when its adapter is in apmask AND its domain is in aqmask; every
other queue is free for vfio_ap. --json prints {"apmask": {"mask": "0x…", "ids": "…"}, "aqmask": {…}}.

${hostHelp}`,
  options: { ...hostOptions, json: { type: 'boolean' } },
  run(args, io) {
    noPositionals(masksCmd, args);
    return runOnAp(args, masksUsage, io, 'reads', (ap, json) => {
      const m = ap.masks();
      if (json) {
        printJson(io, {
          apmask: { mask: m.apmask.toString(), ids: formatRanges(m.apmask) },
          aqmask: { mask: m.aqmask.toString(), ids: formatRanges(m.aqmask) },
        });
      } else {
        io.stdout(`ATTRIBUTE  ACTIVE\napmask     ${quoteRanges(m.apmask)}\naqmask     ${quoteRanges(m.aqmask)}\n` +
          `\napmask ${m.apmask}\naqmask ${m.aqmask}\n`);
      }
    });
  },
};

const setUsage = 'usage: zmdev masks set [apmask=SPEC] [aqmask=SPEC] [--kernel] [--dry-run] [--json] [--sim FILE | --sysfs DIR]';

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

export const masksSetCmd: Command = {
  path: ['masks', 'set'],
  summary: 'change apmask/aqmask (chzdev syntax, or --kernel), refusing to take queues from an mdev',
  usage: setUsage,
  help: `${setUsage}

  apmask=SPEC, aqmask=SPEC   chzdev's syntax (default): 3,5-10,0x25 lists the IDs that stay with
                             the host; +N / -N change the current mask (+ to the host, - to
                             passthrough), e.g. apmask=-0,-10 aqmask=-1-2,-4
  --kernel                   read SPEC with the kernel's sysfs grammar instead (0x<hex> or +N,-N)
  --dry-run                  show what would change (masks and the queues that move) and stop

The change is refused before anything is written when an mdev holds a queue that it would
give back to the host (the kernel answers EBUSY); the mdev and the APQNs are named. The masks
are written in the order that never passes through a refused state; if the second write fails,
the first is undone. The s390-tools configuration lock is held throughout.

${hostHelp}`,
  options: { ...hostOptions, json: { type: 'boolean' }, kernel: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
  run(args, io) {
    const change: MaskChange = { grammar: args.values.kernel ? 'kernel' : 'chzdev' };
    for (const p of args.positionals) {
      const m = /^(apmask|aqmask)=(.*)$/s.exec(p);
      if (!m) throw new UsageError(`${JSON.stringify(p)} is not apmask=SPEC or aqmask=SPEC`, setUsage);
      if (change[m[1] as 'apmask' | 'aqmask'] !== undefined) throw new UsageError(`${m[1]} is given twice`, setUsage);
      change[m[1] as 'apmask' | 'aqmask'] = m[2]!;
    }
    if (change.apmask === undefined && change.aqmask === undefined) throw new UsageError('give apmask=SPEC, aqmask=SPEC or both', setUsage);
    const dryRun = args.values['dry-run'] === true;
    return runOnAp(args, setUsage, io, dryRun ? 'reads' : 'changes', (ap, json) => {
      let plan: MaskPlan;
      if (dryRun) {
        plan = ap.planMasks(change);
        checkMaskPlan(plan);
      } else {
        plan = ap.setMasks(change);
      }
      if (json) printJson(io, planJson(plan, dryRun));
      else io.stdout(describePlan(plan, dryRun));
    });
  },
};
