// Runs a command body against the chosen AP host: opens it, turns refusals into exit 1 (text or
// JSON). A command that changes the host holds a simulated host's lock and saves it afterwards —
// also after a refusal, whose kernel log lines belong to the host's history; one that only reads
// neither waits for the lock nor saves (a state file is replaced atomically, never seen half written).
import type { ApHost } from '../ap/host.js';
import type { ParsedArgs } from './command.js';
import { EXIT_OK, type CliIO } from './context.js';
import { openApHost } from './host.js';
import { reportRefusal } from './report.js';

export function runOnAp(args: ParsedArgs, usage: string, io: CliIO, access: 'reads' | 'changes', body: (ap: ApHost, json: boolean) => void): number {
  const json = args.values.json === true;
  let opened;
  try {
    opened = openApHost(args, usage, access);
  } catch (e) {
    return reportRefusal(io, e, json);
  }
  let code: number;
  try {
    body(opened.ap, json);
    code = EXIT_OK;
  } catch (e) {
    code = reportRefusal(io, e, json);
  } finally {
    opened.done(access === 'changes');
  }
  return code;
}

/** The IDs given with a repeatable option (--adapter 1 --adapter 0x0a). */
export function optionList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
