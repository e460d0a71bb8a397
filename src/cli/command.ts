// A command of the zmdev CLI: its words, its options (node:util parseArgs), and what it does.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { LockOptions } from '../ap/lock.js';
import { UsageError, type CliIO } from './context.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  /** The words that select the command, e.g. ['mask', 'eval']. */
  path: string[];
  summary: string;
  usage: string;
  /** Longer help: options and examples. */
  help: string;
  options: OptionSpec;
  run(args: ParsedArgs, io: CliIO): Promise<number> | number;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  positionals: string[];
  /** How long to wait for a held lock (tests shorten it). */
  lock?: LockOptions;
}

/** Parses a command's arguments strictly; a mistake becomes a UsageError naming the fix. */
export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs {
  try {
    const r = parseArgs({ args: argv, options: cmd.options, allowPositionals: true, strict: true });
    return { values: r.values, positionals: r.positionals };
  } catch (err) {
    const msg = (err as Error).message;
    // "-5,-6" is a SPEC, not an option: say how to pass it.
    const dashArg = argv.find((a) => /^-[0-9]/.test(a));
    const hint = dashArg && /Unknown option/.test(msg)
      ? ` (a value that starts with '-' must come after '--', e.g. \`zmdev ${cmd.path.join(' ')} -- ${dashArg}\`)`
      : '';
    throw new UsageError(`${msg.replace(/\. To specify a positional argument.*$/s, '')}${hint}`, cmd.usage);
  }
}
