// How refusals are shown: a sentence on stderr (with a caret under the refused byte for grammar
// errors), or {"error": {...}} on stdout with --json. Unexpected failures are not dressed up.
import { GrammarError, ZmdevError } from '../errors.js';
import { EXIT_REFUSED, type CliIO } from './context.js';

export function printJson(io: CliIO, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

export function reportRefusal(io: CliIO, err: unknown, json: boolean): number {
  if (!(err instanceof ZmdevError)) throw err;
  if (json) {
    printJson(io, { error: err.toJSON() });
    return EXIT_REFUSED;
  }
  // Node-style messages already start with the code ("EBUSY: write …"); do not say it twice.
  const text = err.message.startsWith(`${err.code}:`) ? err.message : `${err.code}: ${err.message}`;
  io.stderr(`zmdev: ${text}\n`);
  if (err instanceof GrammarError && err.input.length <= 200) {
    // Escape newlines and the like so the caret still stands under the refused byte.
    const shown = JSON.stringify(err.input).slice(1, -1);
    const at = JSON.stringify(err.input.slice(0, err.position)).length - 2;
    io.stderr(`  ${shown}\n  ${' '.repeat(at)}^\n`);
  }
  return EXIT_REFUSED;
}

/** A failed file operation (a state file, a plan) is a refusal with the errno of its syscall. */
export function asRefusal(err: unknown): unknown {
  if (err instanceof ZmdevError) return err;
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && e.syscall) return new ZmdevError({ code: e.code, message: e.message });
  return err;
}
