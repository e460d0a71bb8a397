// zmdev recover: undo a change that a killed zmdev left half-done, from its change record.
import { command } from '../declare.js';

export const recoverCmd = command({
  words: ['recover'],
  summary: 'undo a change that was interrupted half-way (from its change record)',
  args: [],
  options: {
    'dry-run': { type: 'boolean', help: 'list the undo writes, write nothing' },
  },
  host: (opts: { 'dry-run': boolean }) => (opts['dry-run'] ? 'reads' : 'changes'),
  json: 'print {"recovered": null} or {"recovered": {"what", "pid", "started", "done", "steps"}, "undone": [{"path", "value"}], "dryRun"}',
  description: `Before the first write of a change of several writes, zmdev records the whole plan — every write
and the write that undoes it — in a change record (/run/zmdev/change.json for /sys; a directory
under /run/zmdev/sysfs/ for another --sysfs tree; ZMDEV_RUN_DIR moves both), marks each write as
it completes, and removes the record at the end. A zmdev killed half-way leaves it behind, and
every later change is refused until the record is resolved. recover undoes the recorded writes,
newest first, the one that was in flight included (each undo is harmless if its write never
happened), and prints what it wrote. A simulated host (--sim) needs none: its state file is saved
whole after each command.`,
  run({ opts, ap }) {
    const report = ap().recover({ dryRun: opts['dry-run'] });
    if (!report) return { json: { recovered: null }, text: 'nothing to recover: no change was left unfinished\n' };
    const { record, undone, dryRun } = report;
    const head = `${dryRun ? 'would undo' : 'undid'} ${record.what} (process ${record.pid}, started ${record.started}; ${record.done} of ${record.steps.length} writes were done)`;
    return {
      json: { recovered: { what: record.what, pid: record.pid, started: record.started, done: record.done, steps: record.steps.length }, undone, dryRun },
      text: `${head}\n${undone.map((w) => `  ${w.path} <- ${JSON.stringify(w.value)}\n`).join('')}`,
    };
  },
});
