// The declaration layer on its own: completion data from the command list, and the parts of
// parsing and the lifecycle that no zmdev command happens to use yet, through declared test commands.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { completionTree, type CompletionNode } from '../../src/cli/completion.js';
import { UsageError, type CliIO } from '../../src/cli/context.js';
import { command } from '../../src/cli/declare.js';
import { runCommand } from '../../src/cli/lifecycle.js';
import { commands } from '../../src/cli/main.js';
import { zmdev } from './helpers.js';

function at(root: CompletionNode, words: string[]): CompletionNode | undefined {
  let node: CompletionNode | undefined = root;
  for (const w of words) node = node?.children.find((c) => c.word === w);
  return node;
}

t.test('completion data: every command at its words, with its arguments and options', async (t) => {
  const tree = completionTree();
  t.equal(tree.word, 'zmdev');
  t.same(tree.options!.map((o) => o.names), [['--help', '-h'], ['--version', '-V']]);
  for (const cmd of commands) {
    const node = at(tree, cmd.words);
    t.ok(node?.options, cmd.words.join(' '));
    t.equal(node!.summary, cmd.summary);
    const names = node!.options!.flatMap((o) => o.names);
    t.ok(names.includes('--json') && names.includes('--help'), `${cmd.words.join(' ')}: --json and --help`);
    t.equal(names.includes('--sim'), cmd.host !== undefined, `${cmd.words.join(' ')}: host options where it has a host`);
  }
  t.same(tree.children.map((c) => c.word).sort(), ['apply', 'boot-check', 'check', 'convert', 'demo', 'export', 'guest', 'list', 'mask', 'masks', 'mdev', 'mdevctl-callout', 'qemu-args', 'recover', 'sim', 'sysfs', 'xml']);
  t.match(at(tree, ['mdev']), { summary: /mediated devices/, children: Array });
  t.notOk(at(tree, ['mdev'])!.options, 'a group is no command');
  t.same(at(tree, ['masks'])!.children.map((c) => c.word), ['set'], 'masks is a command and a group');
  const init = at(tree, ['sim', 'init'])!;
  t.match(init.options!.find((o) => o.names[0] === '--preset'), { type: 'string', value: 'NAME', choices: ['seed', 'kernel-doc', 'empty', 'large'] });
  t.same(init.args, [{ name: 'FILE', type: 'string', optional: false, variadic: false, help: 'the state file of the simulated host (JSON)' }]);
  t.match(at(tree, ['list'])!.options!.find((o) => o.names[0] === '--verbose'), { names: ['--verbose', '-V'], type: 'boolean' });
  t.match(at(tree, ['mdev', 'assign'])!.options!.find((o) => o.names[0] === '--adapter'), { repeatable: true, value: 'ID' });
  t.match(at(tree, ['mdev', 'assign'])!.args, [{ name: 'UUID', type: 'uuid' }]);
  t.match(at(tree, ['guest', 'attach'])!.options!.find((o) => o.names[0] === '--qmp'), { required: true });
  t.match(at(tree, ['guest', 'detach'])!.options!.find((o) => o.names[0] === '--timeout'), { type: 'number', value: 'SECONDS' });
  t.match(at(tree, ['sysfs', 'ls'])!.args, [{ name: 'PATH', optional: true }]);
  t.match(at(tree, ['masks', 'set'])!.args, [{ name: 'SETTING', variadic: true }]);
});

const io = (): CliIO & { out: string; err: string } => {
  const o = { out: '', err: '', stdout: (x: string) => void (o.out += x), stderr: (x: string) => void (o.err += x) };
  return o;
};
const env = { lock: {}, zmdev: async () => 0 };

const probe = command({
  words: ['probe'],
  summary: 'a test command',
  args: [{ name: 'A', help: 'first' }, { name: 'B', optional: true, help: 'second' }],
  options: { n: { type: 'number', value: 'N', help: 'any number' }, late: { type: 'boolean', help: 'a usage error while running' } },
  description: 'For the tests.',
  run({ opts, args, usage }) {
    if (opts.late) usage('found out while running');
    return { json: { n: opts.n, a: args.A, b: args.B }, text: `${opts.n} ${args.A} ${args.B}\n` };
  },
});

t.test('parsing what no command uses yet: a number without a bound, an optional second argument', async (t) => {
  const a = io();
  t.equal(await runCommand(probe, ['x', '--n=-2.5', '--json'], a, env), 0);
  t.same(JSON.parse(a.out), { n: -2.5, a: 'x' });
  const b = io();
  t.equal(await runCommand(probe, ['x', 'y'], b, env), 0);
  t.equal(b.out, 'undefined x y\n');
  await t.rejects(runCommand(probe, ['x', '--n', ' '], io(), env), { message: '--n takes a number (N), not " "' });
  await t.rejects(runCommand(probe, ['x', '--n', 'many'], io(), env), UsageError);
  await t.rejects(runCommand(probe, [], io(), env), { message: 'A is missing: give A and [B]' });
  await t.rejects(runCommand(probe, ['x', 'y', 'z'], io(), env), { message: 'expected A and [B], got 3: "x" "y" "z"' });
  await t.rejects(runCommand(probe, ['x', '--late'], io(), env), { message: 'found out while running', usage: /^usage: zmdev probe A \[B\] \[--n N\] \[--late\] \[--json\]$/ });
  const two = await zmdev('sim', 'mount');
  t.match(two.stderr, /^zmdev: FILE and MOUNTPOINT are missing: give FILE and MOUNTPOINT\n/);
});

t.test('a refused write leaves a valid state file; a read leaves it as it was', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-lifecycle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'host.json');
  await zmdev('sim', 'init', file, '--preset', 'kernel-doc');
  const refused = await zmdev('sysfs', 'write', 'bus/ap/apmask', 'nonsense', '--sim', file);
  t.equal(refused.code, 1);
  t.match(JSON.parse(readFileSync(file, 'utf8')).log.length, 0, 'a grammar refusal logs nothing');
  const before = readFileSync(file, 'utf8');
  t.equal((await zmdev('masks', '--sim', file)).code, 0);
  t.equal(readFileSync(file, 'utf8'), before, 'a read leaves the file as it was');
});

t.test('a --sim file that does not exist is a refusal for every command with a host', async (t) => {
  const missing = path.join(tmpdir(), 'zmdev-no-such-host.json');
  for (const argv of [['list'], ['masks'], ['mdev', 'list'], ['sysfs', 'cat', 'bus/ap/apmask'], ['sysfs', 'ls'], ['mdev', 'remove', '4b0518fd-9237-493f-93c8-c5597f8006a3']]) {
    const r = await zmdev(...argv, '--sim', missing);
    t.equal(r.code, 1, argv.join(' '));
    t.match(r.stderr, /^zmdev: ENOENT: simulated host \S+zmdev-no-such-host\.json does not exist; create one with `zmdev sim init /, argv.join(' '));
    const j = await zmdev(...argv, '--json', '--sim', missing);
    t.equal(JSON.parse(j.stdout).error.code, 'ENOENT', `${argv.join(' ')} --json`);
  }
});
