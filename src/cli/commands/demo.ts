// zmdev demo: the worked examples of the product and kernel documentation, run through zmdev.
import { ApMask } from '../../mask/ap-mask.js';
import { formatApqn } from '../../mask/apqn.js';
import { findSharedApqns } from '../../mask/batch.js';
import type { Command } from '../command.js';
import { EXIT_OK, type CliIO } from '../context.js';

const usage = 'usage: zmdev demo';

type Run = (argv: string[], io: CliIO) => Promise<number>;

interface Step {
  say: string;
  argv: string[];
}

const ZERO = ApMask.EMPTY.toString();

const steps: Step[] = [
  { say: 'Free adapters 5 and 6 and domains 4, 0x47, 0xab, 0xff for vfio_ap (kernel vfio-ap document):', argv: ['mask', 'eval', '--', '-5,-6'] },
  { say: '', argv: ['mask', 'eval', '--', '-4,-0x47,-0xab,-0xff'] },
  { say: 'The same aqmask written absolutely gives the same mask:', argv: ['mask', 'eval', '0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe'] },
  { say: 'Terms apply left to right; +0-6 is a range, not "+0 then -6":', argv: ['mask', 'eval', '--current', '0x7d00000000000000000000000000000000000000000000000000000000000000', '--', '+0-6'] },
  { say: 'Boot parameter ap.apmask=0xffff starts from an empty mask: adapters 0-15 stay with the host:', argv: ['mask', 'eval', '--current', ZERO, '0xffff'] },
  { say: 'A short hex string is padded on the right: 0x41 means IDs 1 and 7:', argv: ['mask', 'eval', '0x41'] },
  { say: 'The blog article writes `echo -4, -0xab > aqmask`; the kernel refuses the space:', argv: ['mask', 'eval', '--', '-4, -0xab\n'] },
  { say: 'Without the space it is accepted:', argv: ['mask', 'eval', '--', '-4,-0xab\n'] },
  { say: 'chzdev (product documentation): apmask=-0,-10 aqmask=-1-2,-4', argv: ['mask', 'eval', '--chzdev', '--', '-0,-10'] },
  { say: '', argv: ['mask', 'eval', '--chzdev', '--', '-1-2,-4'] },
  { say: 'The absolute chzdev form lists what stays with the host; same masks:', argv: ['mask', 'eval', '--chzdev', '1-9,11-255'] },
  { say: '', argv: ['mask', 'eval', '--chzdev', '0,3,5-255'] },
  { say: 'zdev accepts a reversed range silently; zmdev refuses it:', argv: ['mask', 'eval', '--chzdev', '10-3'] },
];

function shellWord(a: string): string {
  if (/^[\w@%+=:,./-]+$/.test(a)) return a;
  return `$'${a.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

const guests = [
  { example: 'Example 1', list: [{ name: 'Guest1', adapters: [1, 2], domains: [5, 6] }, { name: 'Guest2', adapters: [1, 2], domains: [7] }] },
  { example: 'Example 2', list: [{ name: 'Guest1', adapters: [1, 2], domains: [5, 6] }, { name: 'Guest2', adapters: [3, 4], domains: [5, 6] }] },
  { example: 'Example 3', list: [{ name: 'Guest1', adapters: [1, 2], domains: [5, 6] }, { name: 'Guest2', adapters: [1], domains: [6, 7] }] },
];

export function demoCommand(run: Run): Command {
  return {
    path: ['demo'],
    summary: 'run the documentation\'s worked examples through zmdev',
    usage,
    help: `${usage}\n\nEvaluates the mask examples of the kernel's vfio-ap document, the product\ndocumentation and the mediated-device blog article with \`zmdev mask eval\`, and checks\nthe documentation's guest configurations for APQNs given to two guests.`,
    options: {},
    async run(_args, io) {
      io.stdout('zmdev demo: the documentation\'s examples, evaluated as the kernel and chzdev read them\n');
      for (const step of steps) {
        if (step.say) io.stdout(`\n# ${step.say}\n`);
        io.stdout(`$ zmdev ${step.argv.map(shellWord).join(' ')}\n`);
        const status = await run(step.argv, { stdout: io.stdout, stderr: io.stdout });
        if (status !== EXIT_OK) io.stdout(`(exit status ${status})\n`);
      }
      io.stdout('\n# APQNs given to two guests (the kernel document\'s three configurations):\n');
      for (const { example, list } of guests) {
        const shared = findSharedApqns(list.map((g) => ({ adapters: ApMask.of(g.adapters), domains: ApMask.of(g.domains) })));
        const desc = list.map((g) => `${g.name}: adapters ${g.adapters.join(',')} domains ${g.domains.join(',')}`).join('; ');
        const verdict = shared.length === 0
          ? 'valid: every APQN belongs to one guest'
          : shared.map((s) => `invalid: ${list[s.a]!.name} and ${list[s.b]!.name} both get ${s.apqns.map(formatApqn).join(', ')}`).join('; ');
        io.stdout(`${example}: ${desc}\n  ${verdict}\n`);
      }
      return EXIT_OK;
    },
  };
}
