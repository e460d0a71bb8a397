// The one lifecycle around every command: parse the line against the declaration, open the host
// (under its lock when the command changes it), run, print the result as text or --json, turn
// refusals into exit 1 (text or {"error": …}), save a changed simulated host (also after a
// refusal: its kernel log lines belong to the host's history) and unlock. A command only says
// what it reads or changes and returns its result; it cannot skip any of these steps.
import type { ApHost } from '../ap/host.js';
import { ZmdevError } from '../errors.js';
import { withApConfigLock, type LockOptions } from '../ap/lock.js';
import { EXIT_OK, UsageError, type CliIO } from './context.js';
import type { Access, Command, Output } from './declare.js';
import { usageLine } from './help.js';
import { apHostOf, configLock, lockStateFile, openHostSession, type HostSession, type HostTarget } from './host.js';
import { parseCommand, type Parsed } from './parse.js';
import { asRefusal, printJson, reportRefusal } from './report.js';

export interface RunEnv {
  lock: LockOptions;
  /** The CLI itself, for commands that run other command lines (demo). */
  zmdev(argv: string[], io: CliIO): Promise<number>;
}

/** The host a command works on, and how to close it: from --sim/--sysfs, or the FILE argument. */
function openFor(cmd: Command, p: Parsed, lock: LockOptions): { session: HostSession | undefined; close(): void } {
  if (cmd.stateFile) {
    const file = p.args['FILE'] as string;
    if (cmd.stateFile === 'creates') return { session: undefined, close: lockStateFile(file, lock) };
    return openHostSession({ sim: file }, cmd.stateFile, lock);
  }
  if (!cmd.host) return { session: undefined, close: () => undefined };
  const access: Access = typeof cmd.host === 'function' ? cmd.host(p.opts as never) : cmd.host;
  const target = { sim: p.opts['sim'], sysfs: p.opts['sysfs'], root: p.opts['root'] } as HostTarget;
  return openHostSession(target, access, lock);
}

export async function runCommand(cmd: Command, argv: string[], io: CliIO, env: RunEnv): Promise<number> {
  const parsed = parseCommand(cmd, argv);
  const json = parsed.opts.json;
  const usage = (message: string): never => {
    throw new UsageError(message, usageLine(cmd));
  };
  cmd.check?.({ opts: parsed.opts as never, args: parsed.args as never, usage });
  // A wait for the lock says, after a second, what it waits for.
  const lock: LockOptions = {
    onWait: (holder, file) => io.stderr(`zmdev: waiting for ${file}, held by process ${holder.shown}${holder.command ? ` (${holder.command})` : ''}\n`),
    ...env.lock,
  };
  let opened;
  try {
    opened = openFor(cmd, parsed, lock);
  } catch (e) {
    return reportRefusal(io, asRefusal(e), json);
  }
  const { session } = opened;
  let ap: ApHost | undefined;
  let out: Output | undefined;
  let failure: { error: unknown } | undefined;
  try {
    out = await cmd.run({
      opts: parsed.opts as never,
      args: parsed.args as never,
      io,
      host: session,
      // Only commands with a host call it; the host is there for them.
      ap: () => (ap ??= apHostOf(session!, lock)),
      locked: (fn) => withApConfigLock(configLock(session!, lock), fn),
      usage,
      zmdev: env.zmdev,
    });
  } catch (e) {
    failure = { error: e };
  }
  // Saved and unlocked before anything is printed: a save that fails is the command's failure,
  // not an error after its success was reported. After a refusal, the refusal is what is shown.
  let unsaved: ZmdevError | undefined;
  try {
    opened.close();
  } catch (e) {
    const refusal = asRefusal(e);
    if (!failure) failure = { error: e };
    else if (refusal instanceof ZmdevError) unsaved = refusal;
    /* c8 ignore next -- a save fails only with an fs error or a ZmdevError; anything else is a bug, shown as one */
    else throw e;
  }
  if (failure) {
    if (failure.error instanceof UsageError) throw failure.error;
    const code = reportRefusal(io, asRefusal(failure.error), json);
    if (unsaved) io.stderr(`zmdev: and the state could not be saved: ${unsaved.message}\n`);
    return code;
  }
  if (json) printJson(io, out!.json);
  else io.stdout(out!.text);
  return out!.status ?? EXIT_OK;
}
