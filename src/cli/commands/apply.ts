// zmdev apply FILE | export: a host's AP masks (active and persistent) and vfio-ap mdevs (defined,
// running) as one declarative file, applied all or nothing, and written from the host.
import { applyDesired } from '../../apply/apply.js';
import { parseDesired } from '../../apply/desired.js';
import { exportDesired, formatDesired } from '../../apply/export.js';
import { stepJson, stepsText } from '../../apply/steps.js';
import { readRegularFile } from '../../files/atomic.js';
import { command } from '../declare.js';

export const applyCmd = command({
  words: ['apply'],
  summary: 'make the host hold a desired state (masks, mdevs): all or nothing',
  args: [{ name: 'FILE', help: 'a zmdev-desired/1 file (schema/zmdev-desired-1.schema.json; zmdev export writes one)' }],
  options: {
    'dry-run': { type: 'boolean', help: 'print the steps, change nothing' },
    prune: { type: 'boolean', help: 'also stop and undefine every vfio-ap mdev the file does not name' },
  },
  host: (opts) => (opts['dry-run'] ? 'reads' : 'changes'),
  json: 'print {"steps": [{"kind", "scope", "phase", "uuid"?, "what", "why", "before", "after"}], "dryRun", "changed"}',
  description: `FILE says which masks the host keeps in sysfs ("masks"/"active") and in zdev's rule file
41-ap.rules ("masks"/"persistent"; null: not persisted), and which mdevs exist, by UUID, with
their adapters, domains and control domains: defined (an mdevctl definition, "autostart": start
at boot), running (an active mdev), both, or neither. zmdev compares it with the host, checks the
result as the kernel, chzdev and ap-check would, and runs the steps under the AP configuration
lock: definitions that give APQNs up, the rule file, definitions that take APQNs; then running
mdevs that give APQNs up, the active masks, mdevs that take APQNs. When a step is refused, the
steps done are undone, newest first, and the error names the step and the refusal. Parts the
file leaves out are not changed; mdevs it does not name are left alone unless --prune. A second
apply of the same file has nothing to do.`,
  examples: ['zmdev export --sim host.json > desired.json', 'zmdev apply desired.json --dry-run --sim host.json'],
  run({ args, opts, host, ap }) {
    const desired = parseDesired(readRegularFile(args.FILE), args.FILE);
    const dryRun = opts['dry-run'];
    const { steps } = applyDesired(ap(), host!.configRoot, desired, { dryRun, prune: opts.prune });
    const text = steps.length === 0
      ? `nothing to do: the host already holds ${args.FILE}\n`
      : `${dryRun ? `would run ${steps.length} step${steps.length === 1 ? '' : 's'}` : `ran ${steps.length} step${steps.length === 1 ? '' : 's'}`}:\n${stepsText(steps)}`;
    return { json: { steps: steps.map(stepJson), dryRun, changed: !dryRun && steps.length > 0 }, text };
  },
});

export const exportCmd = command({
  words: ['export'],
  summary: 'write the host\'s masks and vfio-ap mdevs as a desired-state file (for zmdev apply)',
  args: [],
  options: {},
  host: 'reads',
  json: 'the same file (it is JSON)',
  description: `Prints a zmdev-desired/1 file: the active and persistent masks and every vfio-ap mdev that is
defined or running, so that zmdev apply of it on another host of the same cards gives the same
state. An mdev whose running matrix differs from its definition's is refused: the file gives an
mdev one matrix.`,
  run({ host, ap }) {
    const file = exportDesired(ap(), host!.configRoot);
    return { json: file, text: formatDesired(file) };
  },
});
