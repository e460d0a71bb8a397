// A command line read against a command's declaration (node:util parseArgs underneath): typed
// option values, named arguments, and every mistake a UsageError that names the fix — unknown
// options, an option that takes one value given twice, arguments missing or left over, values
// outside their type or range.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkUuid } from '../ap/paths.js';
import { ZmdevError } from '../errors.js';
import { UsageError } from './context.js';
import type { ArgDecl, Command, OptionDecl } from './declare.js';
import { hostOptions } from './host.js';
import { usageLine } from './help.js';

/** Every option a command takes: its own, --json, and --sim/--sysfs when it has a host. */
export function allOptions(cmd: Command): Record<string, OptionDecl> {
  return {
    ...cmd.options,
    json: { type: 'boolean', help: cmd.json ?? 'print the result as JSON; a refusal as {"error": {…}}' },
    ...(cmd.host ? hostOptions : {}),
  };
}

export interface Parsed {
  opts: Record<string, unknown> & { json: boolean };
  args: Record<string, string | string[] | undefined>;
}

/** A UUID from the command line: a malformed one is a mistake in the call, with the rule and the fix. */
export function uuidValue(text: string, usage: string, option?: string): string {
  try {
    return checkUuid(text);
  } catch (e) {
    /* c8 ignore next -- checkUuid throws only its EINVAL */
    if (!(e instanceof ZmdevError)) throw e;
    throw new UsageError(`${option ? `${option} ` : ''}${e.message}`, usage);
  }
}

function parserOptions(options: Record<string, OptionDecl>): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, d] of Object.entries(options)) {
    out[name] = d.type === 'boolean'
      ? { type: 'boolean', ...(d.short ? { short: d.short } : {}) }
      : { type: 'string', multiple: d.type === 'list', ...(d.type === 'string' && d.short ? { short: d.short } : {}) };
  }
  return out;
}

/** "one SPEC", "PATH and DATA", "at most one PATH": what the arguments are, for messages. */
// (Never asked of a lone variadic argument: any number of them is right.)
function expected(args: readonly ArgDecl[]): string {
  if (args.length === 1) return `${args[0]!.optional ? 'at most one' : 'one'} ${args[0]!.name}`;
  return args.map((a) => (a.optional || a.variadic ? `[${a.name}]` : a.name)).join(' and ');
}

function namedArgs(cmd: Command, positionals: string[], usage: string): Parsed['args'] {
  const decl = cmd.args;
  const required = decl.filter((a) => !a.optional && !a.variadic);
  if (positionals.length < required.length) {
    const missing = required.slice(positionals.length).map((a) => a.name);
    const all = expected(decl);
    throw new UsageError(`${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing: give ${decl.length === 1 ? `exactly ${all}` : all}`, usage);
  }
  if (!decl.some((a) => a.variadic) && positionals.length > decl.length) {
    throw new UsageError(decl.length === 0
      ? `unexpected argument ${JSON.stringify(positionals[0])}: zmdev ${cmd.words.join(' ')} takes no arguments`
      : `expected ${expected(decl)}, got ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(' ')}`, usage);
  }
  const out: Parsed['args'] = {};
  decl.forEach((a, i) => {
    if (a.variadic) out[a.name] = positionals.slice(i);
    else if (positionals[i] !== undefined) out[a.name] = a.type === 'uuid' ? uuidValue(positionals[i]!, usage) : positionals[i];
  });
  return out;
}

function typedValue(name: string, d: OptionDecl, raw: unknown, usage: string): unknown {
  if (d.type === 'boolean') return raw === true;
  if (d.type === 'list') return raw ?? [];
  if (raw === undefined) {
    if (d.type === 'string' && d.required) throw new UsageError(`--${name} ${d.value} is missing: give ${d.help}`, usage);
    return undefined;
  }
  const text = raw as string;
  // `--sim=` or `--qmp ""`: an empty value is never meant (it would name the current directory or nothing).
  if (text === '') throw new UsageError(`--${name} is empty: give ${d.value}`, usage);
  if (d.type === 'uuid') return uuidValue(text, usage, `--${name}`);
  if (d.type === 'number') {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || (d.above !== undefined && !(n > d.above)) || (d.max !== undefined && n > d.max)) {
      const range = [d.above !== undefined ? ` above ${d.above}` : '', d.max !== undefined ? ` and at most ${d.max}` : ''].join('');
      throw new UsageError(`--${name} takes a number (${d.value})${range}, not ${JSON.stringify(text)}`, usage);
    }
    return n;
  }
  if (d.choices && !d.choices.includes(text)) throw new UsageError(`--${name} ${JSON.stringify(text)} is not one of ${d.choices.join(', ')}`, usage);
  return text;
}

/** Parses a command's arguments strictly against its declaration. */
export function parseCommand(cmd: Command, argv: string[]): Parsed {
  const usage = usageLine(cmd);
  const options = allOptions(cmd);
  let r;
  try {
    r = parseArgs({ args: argv, options: parserOptions(options), allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    const msg = (err as Error).message;
    // "-5,-6" is a SPEC, not an option: say how to pass it.
    const dashArg = argv.find((a) => /^-[0-9]/.test(a));
    const hint = dashArg && /Unknown option/.test(msg)
      ? ` (a value that starts with '-' must come after '--', e.g. \`zmdev ${cmd.words.join(' ')} -- ${dashArg}\`)`
      : '';
    throw new UsageError(`${msg.replace(/\. To specify a positional argument.*$/s, '')}${hint}`, usage);
  }
  // parseArgs keeps the last of repeated values: a second --uuid would silently win.
  const seen = new Map<string, string>();
  for (const tok of r.tokens) {
    if (tok.kind !== 'option' || tok.value === undefined || options[tok.name]!.type === 'list') continue;
    const first = seen.get(tok.name);
    if (first !== undefined) {
      throw new UsageError(`--${tok.name} is given twice (${JSON.stringify(first)}, then ${JSON.stringify(tok.value)}); give it once`, usage);
    }
    seen.set(tok.name, tok.value);
  }
  const values = r.values as Record<string, unknown>;
  const exclusive: Array<[string, string, string]> = [
    ...(cmd.host ? [['sim', 'sysfs', 'pick the simulated host or the sysfs tree'] as [string, string, string]] : []),
    ...(cmd.exclusive ?? []),
  ];
  for (const [a, b, why] of exclusive) {
    if (values[a] !== undefined && values[b] !== undefined) throw new UsageError(`--${a} and --${b} exclude each other: ${why}`, usage);
  }
  const args = namedArgs(cmd, r.positionals, usage);
  const opts = Object.fromEntries(Object.entries(options).map(([name, d]) => [name, typedValue(name, d, values[name], usage)]));
  return { opts: opts as Parsed['opts'], args };
}
