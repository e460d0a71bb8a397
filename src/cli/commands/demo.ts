// zmdev demo: the product documentation's procedure, end to end, on a fresh simulated host —
// every step as the command a user would type and what zmdev answers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROFILE_NAMES } from '../../sim/profiles.js';
import { EXIT_OK } from '../context.js';
import { command } from '../declare.js';

interface Step {
  say?: string;
  argv: string[];
}

const UUID = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const OTHER = '62177883-f1bb-47f0-914d-32a22e3a8804';

const plan = {
  guests: [
    { name: 'Guest1', adapters: ['0x01', '0x0a'], domains: ['0x0002'], controlDomains: ['0x0002'] },
    { name: 'Guest2', adapters: ['0x01'], domains: ['0x0002', '0x0004'] },
    { name: 'Guest3', adapters: ['0x01'], domains: ['0x001b'] },
    { name: 'Guest4', adapters: [11], domains: [1] },
  ],
};

function steps(kernel: string): Step[] {
  const sim = ['--sim', 'host.json'];
  return [
    { say: `A simulated IBM Z host as the product documentation describes it (kernel ${kernel} behaviour):`, argv: ['sim', 'init', 'host.json', '--preset', 'seed', '--kernel', kernel] },
    { say: 'Its crypto inventory: three adapters, four domains, every queue with the host (zcrypt):', argv: ['list', ...sim] },
    { argv: ['masks', ...sim] },
    { say: 'Free every queue but 01.001b for KVM guests, with chzdev\'s syntax (product documentation):', argv: ['masks', 'set', 'apmask=-0,-10', 'aqmask=-1-2,-4', '--dry-run', ...sim] },
    { argv: ['masks', 'set', 'apmask=-0,-10', 'aqmask=-1-2,-4', ...sim] },
    { say: 'The freed queues are now bound to vfio_ap, unassigned; 01.001b stays with the host:', argv: ['list', '-V', ...sim] },
    { say: 'Create the example\'s mediated device: adapters 01 and 0a, domain 0002, control domain 0002:', argv: ['mdev', 'create', '--uuid', UUID, '--adapter', '0x01', '--adapter', '0x0a', '--domain', '0x0002', '--control-domain', '0x0002', ...sim] },
    { say: 'Its matrix, and what a guest gets (the guest matrix):', argv: ['mdev', 'show', UUID, ...sim] },
    { say: 'A second mdev may not take an APQN of the first (the kernel would answer EADDRINUSE):', argv: ['mdev', 'create', '--uuid', OTHER, ...sim] },
    { argv: ['mdev', 'assign', OTHER, '--adapter', '1', '--domain', '2', ...sim] },
    { say: '...nor a queue the host keeps (EADDRNOTAVAIL):', argv: ['mdev', 'assign', OTHER, '--adapter', '1', '--domain', '0x1b', ...sim] },
    { say: 'Sharing an adapter with other domains is fine:', argv: ['mdev', 'assign', OTHER, '--adapter', '1', '--domain', '4', ...sim] },
    { say: 'Giving domain 0002 back to the host would take queues from the first mdev: refused before writing:', argv: ['masks', 'set', 'aqmask=+0x0002', ...sim] },
    { say: 'Written directly, as `echo 2 > …/assign_domain` would, the kernel refuses it itself:', argv: ['sysfs', 'write', `devices/vfio_ap/matrix/${OTHER}/assign_domain`, '2\n', ...sim] },
    { say: 'A plan for four guests, checked as a whole against the host:', argv: ['check', 'plan.json', ...sim] },
    { say: 'What the kernel writes about it all (dmesg):', argv: ['sim', 'log', 'host.json'] },
    { say: 'The kernel\'s mask grammar has quirks: the blog article\'s `echo -4, -0xab > aqmask` is refused at the space:', argv: ['mask', 'eval', '--', '-4, -0xab\n'] },
    { say: 'and chzdev\'s reversed range, which zdev accepts silently, is refused too:', argv: ['mask', 'eval', '--chzdev', '10-3'] },
  ];
}

function shellWord(a: string): string {
  if (/^[\w@%+=:,./-]+$/.test(a)) return a;
  return `$'${a.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

export const demoCmd = command({
  words: ['demo'],
  summary: 'walk the documentation\'s procedure end to end on a fresh simulated host',
  args: [],
  options: { kernel: { type: 'string', value: 'VER', choices: PROFILE_NAMES, help: 'the kernel the simulated host behaves as (default 6.15)' } },
  json: 'print {"dir", "plan", "steps": [{"say", "argv", "status", "output"}]}',
  description: `Creates a temporary simulated host (the product documentation's: adapters 00, 01, 0a; domains
0001, 0002, 0004, 001b), frees every queue but 01.001b, creates the example's mdev, shows its
matrix and guest matrix, and shows the refusals zmdev explains. Every step is the zmdev command
a user would type, with its output. Nothing outside a temporary folder is touched.`,
  async run({ opts, zmdev }) {
    const kernel = opts.kernel ?? '6.15';
    const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-demo-'));
    // The steps name host.json and plan.json as a user would, in the demo's own folder.
    const cwd = process.cwd();
    const done: Array<{ say?: string; argv: string[]; status: number; output: string }> = [];
    let text = `zmdev demo: the product documentation's procedure on a simulated host, in ${dir}\n(plan.json: ${JSON.stringify(plan)})\n`;
    try {
      process.chdir(dir);
      writeFileSync('plan.json', `${JSON.stringify(plan, null, 2)}\n`);
      for (const step of steps(kernel)) {
        let output = '';
        const status = await zmdev(step.argv, { stdout: (t) => void (output += t), stderr: (t) => void (output += t) });
        done.push({ ...(step.say ? { say: step.say } : {}), argv: step.argv, status, output });
        text += `${step.say ? `\n# ${step.say}\n` : ''}$ zmdev ${step.argv.map(shellWord).join(' ')}\n${output}` +
          `${status !== EXIT_OK ? `(exit status ${status})\n` : ''}`;
      }
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
    return { json: { dir, plan, steps: done }, text };
  },
});
