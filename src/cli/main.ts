// zmdev command line: finds the command named by the leading words and hands it to the
// lifecycle; answers help, version and mistakes in the words themselves.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LockOptions } from '../ap/lock.js';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UsageError, type CliIO } from './context.js';
import type { Command, GroupDecl } from './declare.js';
import { commandHelp, groupHelp, overview, usageLine } from './help.js';
import { hoistHostOptions } from './host.js';
import { runCommand } from './lifecycle.js';
import { commands, commandsUnder, groups } from './registry.js';

export { commands, groups };

export interface MainOptions {
  /** Lock waiting (timeout, retry); the default is s390-tools' 90 s. */
  lock?: LockOptions;
}

export function version(): string {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

// Longest words first, so `masks set` wins over `masks`.
const byLongestPath = [...commands].sort((a, b) => b.words.length - a.words.length);

function findCommand(argv: string[]): { cmd: Command; rest: string[] } | undefined {
  const cmd = byLongestPath.find((c) => c.words.every((w, i) => argv[i] === w));
  return cmd && { cmd, rest: argv.slice(cmd.words.length) };
}

function findGroup(word: string | undefined): GroupDecl | undefined {
  return groups.find((g) => g.word === word);
}

/** -h or --help among a command's arguments, before any `--`. */
function asksHelp(rest: string[]): boolean {
  const end = rest.indexOf('--');
  return (end < 0 ? rest : rest.slice(0, end)).some((a) => a === '-h' || a === '--help');
}

const tryList = (cmds: Command[]) => cmds.map((c) => `'zmdev ${c.words.join(' ')}'`).join(', ');

async function dispatch(argv: string[], io: CliIO, options: MainOptions): Promise<number> {
  const [first] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? findCommand(argv.slice(1)) : undefined;
    const group = first === 'help' && !topic ? findGroup(argv[1]) : undefined;
    io.stdout(topic ? commandHelp(topic.cmd, commandsUnder(topic.cmd.words))
      : group ? groupHelp(group, commandsUnder([group.word])) : overview(commands));
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    io.stdout(`zmdev ${version()}\n`);
    return EXIT_OK;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = findGroup(first);
    if (!group) throw new UsageError(`'${first}' is not a zmdev command (see zmdev --help)`, 'usage: zmdev <command> [options]');
    if (asksHelp(argv.slice(1))) {
      io.stdout(groupHelp(group, commandsUnder([group.word])));
      return EXIT_OK;
    }
    throw new UsageError(`'${argv.slice(0, 2).join(' ')}' is not a command; try ${tryList(commandsUnder([group.word]))}`,
      `usage: zmdev ${group.word} <command> [options]`);
  }
  const under = commandsUnder(found.cmd.words);
  if (asksHelp(found.rest)) {
    io.stdout(commandHelp(found.cmd, under));
    return EXIT_OK;
  }
  const word = found.rest[0];
  if (under.length && word !== undefined && !word.startsWith('-')) {
    // `masks setx` is a mistyped subcommand, not an argument for `masks`.
    throw new UsageError(`'${[...found.cmd.words, word].join(' ')}' is not a command; try ${tryList(under)}`, usageLine(found.cmd));
  }
  try {
    return await runCommand(found.cmd, found.rest, io, { lock: options.lock ?? {}, zmdev: (a, sub) => main(a, sub, options) });
  } catch (e) {
    if (!(e instanceof UsageError) || found.cmd.usageStatus === undefined) throw e;
    io.stderr(`zmdev: ${e.message}\n${e.usage}\n`);
    return found.cmd.usageStatus;
  }
}

export async function main(rawArgv: string[], io: CliIO, options: MainOptions = {}): Promise<number> {
  try {
    return await dispatch(hoistHostOptions(rawArgv), io, options);
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
