// -h and --help on every command and every group, generated from the command list itself so a
// new command cannot be added without its help.
import t from 'tap';
import { commands } from '../../src/cli/main.js';
import { zmdev } from './helpers.js';

const groups = [...new Set(commands.filter((c) => c.words.length > 1).map((c) => c.words[0]!))];

t.test('every command answers -h and --help with its usage, exit 0', async (t) => {
  t.ok(commands.length >= 24);
  for (const cmd of commands) {
    for (const flag of ['-h', '--help']) {
      const r = await zmdev(...cmd.words, flag);
      const name = `${cmd.words.join(' ')} ${flag}`;
      t.equal(r.code, 0, name);
      t.ok(r.stdout.startsWith(`usage: zmdev ${cmd.words.join(' ')}`), name);
      t.equal(r.stderr, '', name);
    }
    // Among other arguments too, and after host options given before the command.
    t.equal((await zmdev('--sim', 'nowhere.json', ...cmd.words, 'x', '-h')).code, 0, `${cmd.words.join(' ')} x -h`);
  }
});

t.test('every group answers -h, --help and help GROUP with its subcommands, exit 0', async (t) => {
  t.same(groups.sort(), ['guest', 'mask', 'masks', 'mdev', 'sim', 'sysfs', 'xml']);
  for (const g of groups) {
    const under = commands.filter((c) => c.words.length > 1 && c.words[0] === g);
    for (const argv of [[g, '-h'], [g, '--help'], ['help', g], [g, 'nope', '--help']]) {
      const r = await zmdev(...argv);
      t.equal(r.code, 0, argv.join(' '));
      t.equal(r.stderr, '', argv.join(' '));
      for (const c of under) t.match(r.stdout, `  ${c.words.join(' ')}  `, `${argv.join(' ')} lists ${c.words.join(' ')}`);
    }
  }
  const mdev = await zmdev('mdev', '--help');
  t.match(mdev.stdout, /^usage: zmdev mdev <command> \[options\]\n\nCommands:\n {2}mdev create /);
  t.match(mdev.stdout, /zmdev mdev <command> --help shows a command's options/);
  const masks = await zmdev('masks', '--help');
  t.match(masks.stdout, /^usage: zmdev masks \[--json\]/, 'masks is a command: its own help');
  t.match(masks.stdout, /\nCommands:\n {2}masks set {2}change apmask/, 'and the command under it');
});

t.test('after -- a -h is an argument, not a request for help', async (t) => {
  const r = await zmdev('mask', 'eval', '--', '-h');
  t.equal(r.code, 1);
  t.match(r.stderr, /EINVAL/);
  t.equal((await zmdev('mdev')).code, 2, 'a group alone is still a usage error');
  t.match((await zmdev('help', 'nope')).stdout, /^usage: zmdev <command>/, 'help on an unknown topic: the overview');
});
