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

const commands: Command[] = [
  listCmd, masksCmd, masksSetCmd, mdevCreate, mdevList, mdevShow, mdevAssign, mdevUnassign, mdevRemove, checkCmd,
  maskEval, simInit, simLog, simMount, sysfsCat, sysfsWrite, sysfsLs, demoCommand(main),
  qemuArgsCmd, xmlHostdevCmd, xmlNodedevCmd, guestCpuCheck, guestAttach, guestDetach,
];

export function version(): string {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

function overview(): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  return [
    'usage: zmdev <command> [options]',
    '',
    'AP crypto passthrough for KVM on IBM Z: masks, vfio-ap mediated devices, guests.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'zmdev <command> --help shows a command\'s options; zmdev --version prints the version.',
    '',
  ].join('\n');
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
    io.stdout(topic ? `${topic.cmd.help}\n` : overview());
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    io.stdout(`zmdev ${version()}\n`);
    return EXIT_OK;
  }
  const found = findCommand(argv);
  try {
    if (!found) {
      const group = commands.filter((c) => c.path[0] === first);
      throw new UsageError(group.length
        ? `'${argv.slice(0, 2).join(' ')}' is not a command; try ${group.map((c) => `'zmdev ${c.path.join(' ')}'`).join(', ')}`
        : `'${first}' is not a zmdev command (see zmdev --help)`, 'usage: zmdev <command> [options]');
    }
    if (found.rest.includes('--help') && !found.rest.slice(0, found.rest.indexOf('--help')).includes('--')) {
      io.stdout(`${found.cmd.help}\n`);
      return EXIT_OK;
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
