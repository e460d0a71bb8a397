// Mistakes in how zmdev is called are usage errors (exit 2, the usage line on stderr, nothing
// done): an argument a command does not take, an option given twice, a subcommand that does not
// exist. None of them may be silently ignored.
import t from 'tap';
import { commands } from '../../src/cli/main.js';
import { zmdev } from './helpers.js';

const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const SIM = ['--sim', '/nonexistent/host.json'];

// Each command with the arguments it takes in full: one more is a mistake.
const full: Record<string, string[]> = {
  'list': [], 'masks': [], 'mdev create': [], 'mdev list': [], 'mdev show': [U], 'mdev assign': [U], 'mdev unassign': [U],
  'mdev remove': [U], 'check': ['plan.json'], 'recover': [], 'mask eval': ['0x0'], 'sim init': ['h.json'], 'sim log': ['h.json'],
  'sim mount': ['h.json', 'mnt'], 'sysfs cat': ['p'], 'sysfs write': ['p', 'd'], 'sysfs ls': ['p'], 'demo': [],
  'qemu-args': [U], 'xml hostdev': [U], 'xml nodedev': [U], 'guest cpu-check': ['--qmp', 's'], 'guest attach': ['--qmp', 's', U],
  'guest detach': ['--qmp', 's', '--id', 'x'],
  'mdev define': [], 'mdev undefine': [U], 'mdev modify': [U], 'mdev start': [U], 'mdev stop': [U],
  'boot-check': [], 'apply': ['desired.json'], 'export': [], 'mdevctl-callout': [], 'convert': ['def.json', '--to', 'mdevctl'],
};

t.test('an unexpected argument is a usage error on every command that has a fixed number', async (t) => {
  for (const cmd of commands) {
    const name = cmd.words.join(' ');
    if (name === 'masks set') continue; // takes any number of settings, each checked
    t.ok(full[name], `${name} is in the table`);
    const r = await zmdev(...cmd.words, ...full[name]!, 'extra', ...SIM);
    // mdevctl reads 2 from a callout as "not mine": the callout's usage errors are refusals (1).
    t.equal(r.code, cmd.usageStatus ?? 2, `${name} … extra`);
    t.match(r.stderr, /^zmdev: .*\nusage: zmdev /, name);
    t.equal(r.stdout, '', name);
  }
  const list = await zmdev('list', '01', ...SIM);
  t.match(list.stderr, /^zmdev: unexpected argument "01": zmdev list takes no arguments\nusage: zmdev list /);
});

t.test('a mistyped subcommand of a command that has subcommands', async (t) => {
  const r = await zmdev('masks', 'setx', ...SIM);
  t.equal(r.code, 2);
  t.match(r.stderr, /^zmdev: 'masks setx' is not a command; try 'zmdev masks set'\nusage: zmdev masks/);
  t.equal(r.stdout, '', 'the masks are not printed');
  for (const g of ['mdev', 'sim', 'sysfs', 'xml', 'guest', 'mask']) {
    const n = await zmdev(g, 'nope');
    t.equal(n.code, 2, g);
    t.match(n.stderr, new RegExp(`'${g} nope' is not a command; try 'zmdev ${g} `), g);
  }
});

t.test('an option that takes one value may be given once', async (t) => {
  for (const [argv, re] of [
    [['mdev', 'create', '--uuid', U, '--uuid', '62177883-f1bb-47f0-914d-32a22e3a8804'], /--uuid is given twice \("4b0518fd-.*", then "62177883-.*"\); give it once/],
    [['qemu-args', U, '--id', 'a', '--id', 'b'], /--id is given twice \("a", then "b"\)/],
    [['sim', 'init', 'h.json', '--preset', 'seed', '--preset=empty'], /--preset is given twice \("seed", then "empty"\)/],
    [['--sim', 'a.json', 'list', '--sim', 'b.json'], /--sim is given twice \("b\.json", then "a\.json"\)/],
    [['mask', 'eval', '--current', '0x0', '--current', '0x1', '1'], /--current is given twice/],
    [['guest', 'detach', '--qmp', 's', '--id', 'a', '--timeout', '1', '--timeout', '2'], /--timeout is given twice/],
  ] as Array<[string[], RegExp]>) {
    const r = await zmdev(...argv);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.stderr, re, argv.join(' '));
  }
  // Repeatable options and flags stay as they were.
  const many = await zmdev('mask', 'eval', '--json', '--json', '--kernel', '--kernel', '0x41');
  t.equal(many.code, 0);
  const ids = await zmdev('mdev', 'create', '--adapter', '1', '--adapter', '2', '--dry-run', '--sysfs', '/nonexistent');
  t.equal(ids.code, 1, 'two adapters are fine: the missing host is what refuses');
});

t.test('a malformed UUID is a usage error naming the input, the rule and the fix', async (t) => {
  const pos = [['mdev', 'show'], ['mdev', 'assign'], ['mdev', 'unassign'], ['mdev', 'remove'], ['qemu-args'], ['xml', 'hostdev'], ['xml', 'nodedev']];
  for (const argv of [...pos.map((p) => [...p, 'not-a-uuid']), ['guest', 'attach', '--qmp', 's', 'not-a-uuid'], ['mdev', 'create', '--uuid', 'not-a-uuid']]) {
    const r = await zmdev(...argv, ...SIM);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.stderr, /^zmdev: (--uuid )?"not-a-uuid" is not a UUID: give 8-4-4-4-12 hex digits such as 4b0518fd-9237-493f-93c8-c5597f8006a3 \(uuidgen makes one\)\nusage: zmdev /,
      argv.join(' '));
    t.equal(r.stdout, '', argv.join(' '));
  }
  const j = await zmdev('mdev', 'remove', '../../etc', '--json', ...SIM);
  t.equal(j.code, 2, 'also with --json: usage errors go to stderr');
  t.match(j.stderr, /"\.\.\/\.\.\/etc" is not a UUID/);
});
