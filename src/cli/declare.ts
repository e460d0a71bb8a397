// How a zmdev command is declared: its words, arguments, options (with types and help), whether
// it reads or changes a host, and what it does. Parsing, help, usage lines, completion data and
// the lifecycle around the command (host, lock, save, refusals, --json) all come from this one
// declaration, so none of them can disagree with it or be forgotten.
import type { ApHost } from '../ap/host.js';
import type { CliIO } from './context.js';
import type { HostSession } from './host.js';

export type OptionDecl =
  | { type: 'boolean'; short?: string; help: string }
  | { type: 'string'; value: string; help: string; choices?: readonly string[]; required?: boolean; short?: string }
  /** Repeatable: every occurrence is kept, in order. */
  | { type: 'list'; value: string; help: string }
  /** A number, refused unless above `above` and at most `max` (when given). */
  | { type: 'number'; value: string; help: string; above?: number; max?: number }
  /** A UUID, checked and lowercased as the kernel names mdevs. */
  | { type: 'uuid'; value: string; help: string };

export interface ArgDecl {
  name: string;
  help: string;
  type?: 'string' | 'uuid';
  optional?: boolean;
  /** Takes every remaining argument (zero or more). */
  variadic?: boolean;
}

type OptionValue<D> = D extends { type: 'boolean' } ? boolean
  : D extends { type: 'list' } ? string[]
  : D extends { type: 'number' } ? number | undefined
  : D extends { choices: readonly (infer C)[] } ? C | undefined
  : D extends { required: true } ? string
  : string | undefined;

export type OptionValues<O> = { [K in keyof O]: OptionValue<O[K]> } & { json: boolean };

type ArgValue<A> = A extends { variadic: true } ? string[] : A extends { optional: true } ? string | undefined : string;

export type ArgValues<A extends readonly ArgDecl[]> = { [E in A[number] as E['name']]: ArgValue<E> };

/** Whether a command only reads its host or changes it: a change holds the lock and saves. */
export type Access = 'reads' | 'changes';

/** What a command answers: the same result as JSON and as text; status 1 for a "no" verdict. */
export interface Output {
  json: unknown;
  text: string;
  status?: number;
}

export interface RunContext<O, A extends readonly ArgDecl[]> {
  opts: OptionValues<O>;
  args: ArgValues<A>;
  /** For progress while the command runs; the result itself is the returned Output. */
  io: CliIO;
  /** The host (with --sim/--sysfs, or the state file argument); absent for commands without one. */
  host: HostSession | undefined;
  /** The AP host on `host`, refused with a pointer to --sim where the tree has no AP bus. */
  ap(): ApHost;
  /** Runs fn under the host's configuration lock (a simulated host's session already holds its own). */
  locked<T>(fn: () => T): T;
  /** A usage error of this command (exit 2, with its usage line). */
  usage(message: string): never;
  /** Runs another zmdev command line in process (the demo's steps). */
  zmdev(argv: string[], io: CliIO): Promise<number>;
}

export interface CommandDecl<O extends Record<string, OptionDecl>, A extends readonly ArgDecl[]> {
  /** The words that select the command, e.g. ['mask', 'eval']. */
  words: string[];
  summary: string;
  args: A;
  options: O;
  /** Options that exclude each other, with the sentence that says how to choose. */
  exclusive?: Array<[string, string, string]>;
  /** A host chosen with --sim FILE | --sysfs DIR, and whether the command changes it. */
  host?: Access | ((opts: OptionValues<O>) => Access);
  /** A simulated host named by the FILE argument instead (sim commands); 'creates' only locks. */
  stateFile?: Access | 'creates';
  /** What --json prints, for the help (default: the result; a refusal as {"error": …}). */
  json?: string;
  /** Paragraphs between the usage line and the options. */
  description: string;
  examples?: string[];
  /**
   * The exit status of a mistake in the call (default 2). A tool whose 2 means something else
   * (an mdevctl callout: not my device type) must never answer it for a typo.
   */
  usageStatus?: number;
  /** Checks of the arguments beyond their types, before any host is opened or locked. */
  check?(ctx: Pick<RunContext<O, A>, 'opts' | 'args' | 'usage'>): void;
  run(ctx: RunContext<O, A>): Output | Promise<Output>;
}

/** A declared command with its types erased, as the command list holds it. */
export type Command = CommandDecl<Record<string, OptionDecl>, readonly ArgDecl[]>;

/** Declares a command; the types of `opts` and `args` in `run` follow from the declaration. */
export function command<const O extends Record<string, OptionDecl>, const A extends readonly ArgDecl[]>(decl: CommandDecl<O, A>): Command {
  return decl as unknown as Command;
}

/** A group of commands that share their first word, for help and completion. */
export interface GroupDecl {
  word: string;
  summary: string;
}
