// A command of the zmdev CLI: its words, its options (node:util parseArgs), and what it does.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { LockOptions } from '../ap/lock.js';
import { checkUuid } from '../ap/paths.js';
import { ZmdevError } from '../errors.js';
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
  let r;
  try {
    r = parseArgs({ args: argv, options: cmd.options, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    const msg = (err as Error).message;
    // "-5,-6" is a SPEC, not an option: say how to pass it.
    const dashArg = argv.find((a) => /^-[0-9]/.test(a));
    const hint = dashArg && /Unknown option/.test(msg)
      ? ` (a value that starts with '-' must come after '--', e.g. \`zmdev ${cmd.path.join(' ')} -- ${dashArg}\`)`
      : '';
    throw new UsageError(`${msg.replace(/\. To specify a positional argument.*$/s, '')}${hint}`, cmd.usage);
  }
  // parseArgs keeps the last of repeated values: a second --uuid would silently win.
  const seen = new Map<string, string>();
  for (const tok of r.tokens) {
    if (tok.kind !== 'option' || tok.value === undefined || cmd.options[tok.name]?.multiple) continue;
    const first = seen.get(tok.name);
    if (first !== undefined) {
      throw new UsageError(`--${tok.name} is given twice (${JSON.stringify(first)}, then ${JSON.stringify(tok.value)}); give it once`, cmd.usage);
    }
    seen.set(tok.name, tok.value);
  }
  return { values: r.values, positionals: r.positionals };
}

/** For a command without arguments: a positional one is a mistake, not something to ignore. */
export function noPositionals(cmd: Pick<Command, 'path' | 'usage'>, { positionals }: ParsedArgs): void {
  if (positionals.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}: zmdev ${cmd.path.join(' ')} takes no arguments`, cmd.usage);
  }
}

/**
 * A UUID given on the command line, checked before any host is opened: a malformed one is a
 * mistake in the call (exit 2) with the rule and the fix, not a refusal of the host's.
 */
export function uuidArg(text: string, usage: string, option?: string): string {
  try {
    return checkUuid(text);
  } catch (e) {
    /* c8 ignore next -- checkUuid throws only its EINVAL */
    if (!(e instanceof ZmdevError)) throw e;
    throw new UsageError(`${option ? `${option} ` : ''}${e.message}`, usage);
  }
}
