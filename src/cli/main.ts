// zmdev command line: finds the command named by the leading words, parses its options,
// and turns what happened into text (or JSON) and an exit code.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandArgs, type Command } from './command.js';
import { listCmd, masksCmd, masksSetCmd } from './commands/ap.js';
import { checkCmd } from './commands/check.js';
import { demoCommand } from './commands/demo.js';
import { guestAttach, guestCpuCheck, guestDetach, qemuArgsCmd, xmlHostdevCmd, xmlNodedevCmd } from './commands/guest.js';
import { mdevAssign, mdevCreate, mdevList, mdevRemove, mdevShow, mdevUnassign } from './commands/mdev.js';
import { maskEval } from './commands/mask-eval.js';
import { simInit, simLog, simMount } from './commands/sim.js';
import { sysfsCat, sysfsLs, sysfsWrite } from './commands/sysfs.js';
import { hoistHostOptions } from './host.js';
import type { LockOptions } from '../ap/lock.js';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UsageError, type CliIO } from './context.js';

export const commands: Command[] = [
  listCmd, masksCmd, masksSetCmd, mdevCreate, mdevList, mdevShow, mdevAssign, mdevUnassign, mdevRemove, checkCmd,
  maskEval, simInit, simLog, simMount, sysfsCat, sysfsWrite, sysfsLs, demoCommand(main),
  qemuArgsCmd, xmlHostdevCmd, xmlNodedevCmd, guestCpuCheck, guestAttach, guestDetach,
];

export function version(): string {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

function overview(): string {
  return [
    'usage: zmdev <command> [options]',
    '',
    'AP crypto passthrough for KVM on IBM Z: masks, vfio-ap mediated devices, guests.',
    '',
    'Commands:',
    ...commandList(commands),
    '',
    'zmdev <command> --help shows a command\'s options; zmdev --version prints the version.',
    '',
  ].join('\n');
}

/** The commands under a group of words (`mdev` → mdev create, mdev list …). */
function subcommands(words: string[]): Command[] {
  return commands.filter((c) => c.path.length > words.length && words.every((w, i) => c.path[i] === w));
}

function commandList(cmds: Command[]): string[] {
  const width = Math.max(...cmds.map((c) => c.path.join(' ').length));
  return cmds.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
}

/** A group's help: its subcommands with their summaries. */
function groupHelp(words: string[]): string {
  const name = words.join(' ');
  return [`usage: zmdev ${name} <command> [options]`, '', 'Commands:', ...commandList(subcommands(words)), '',
    `zmdev ${name} <command> --help shows a command's options.`, ''].join('\n');
}

/** A command's help, with the commands under it when it is also a group (masks → masks set). */
function commandHelp(cmd: Command): string {
  const under = subcommands(cmd.path);
  return `${cmd.help}\n${under.length ? `\nCommands:\n${commandList(under).join('\n')}\n` : ''}`;
}

/** -h or --help among a command's arguments, before any `--`. */
function asksHelp(rest: string[]): boolean {
  const end = rest.indexOf('--');
  return (end < 0 ? rest : rest.slice(0, end)).some((a) => a === '-h' || a === '--help');
}

// Longest paths first, so `masks set` wins over `masks`.
const byLongestPath = [...commands].sort((a, b) => b.path.length - a.path.length);

function findCommand(argv: string[]): { cmd: Command; rest: string[] } | undefined {
  const cmd = byLongestPath.find((c) => c.path.every((w, i) => argv[i] === w));
  return cmd && { cmd, rest: argv.slice(cmd.path.length) };
}

export interface MainOptions {
  /** Lock waiting (timeout, retry); the default is s390-tools' 90 s. */
  lock?: LockOptions;
}

export async function main(rawArgv: string[], io: CliIO, options: MainOptions = {}): Promise<number> {
  const argv = hoistHostOptions(rawArgv);
  const [first] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? findCommand(argv.slice(1)) : undefined;
    const group = first === 'help' && !topic && argv[1] !== undefined && subcommands([argv[1]]).length ? [argv[1]] : undefined;
    io.stdout(topic ? commandHelp(topic.cmd) : group ? groupHelp(group) : overview());
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    io.stdout(`zmdev ${version()}\n`);
    return EXIT_OK;
  }
  const found = findCommand(argv);
  try {
    if (!found) {
      const group = subcommands([first]);
      if (group.length && asksHelp(argv.slice(1))) {
        io.stdout(groupHelp([first]));
        return EXIT_OK;
      }
      throw new UsageError(group.length
        ? `'${argv.slice(0, 2).join(' ')}' is not a command; try ${group.map((c) => `'zmdev ${c.path.join(' ')}'`).join(', ')}`
        : `'${first}' is not a zmdev command (see zmdev --help)`, 'usage: zmdev <command> [options]');
    }
    if (asksHelp(found.rest)) {
      io.stdout(commandHelp(found.cmd));
      return EXIT_OK;
    }
    const under = subcommands(found.cmd.path);
    const word = found.rest[0];
    if (under.length && word !== undefined && !word.startsWith('-')) {
      // `masks setx` is a mistyped subcommand, not an argument for `masks`.
      throw new UsageError(`'${[...found.cmd.path, word].join(' ')}' is not a command; try ${under.map((c) => `'zmdev ${c.path.join(' ')}'`).join(', ')}`,
        found.cmd.usage);
    }
    return await found.cmd.run({ ...parseCommandArgs(found.cmd, found.rest), lock: options.lock }, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`zmdev: ${err.message}\n${err.usage}\n`);
      return EXIT_USAGE;
    }
    // Not a refusal and not a usage error: a bug, shown as one, with its stack.
    io.stderr(`zmdev: internal error: ${inspect(err)}\n`);
    return EXIT_INTERNAL;
  }
}
