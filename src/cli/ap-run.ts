// Runs a command body against the chosen AP host: opens it, turns refusals into exit 1 (text or
// JSON), and saves a simulated host afterwards — also after a refusal, whose kernel log lines
// belong to the host's history.
import type { ApHost } from '../ap/host.js';
import type { ParsedArgs } from './command.js';
import { EXIT_OK, type CliIO } from './context.js';
import { openApHost } from './host.js';
import { reportRefusal } from './report.js';

export function runOnAp(args: ParsedArgs, usage: string, io: CliIO, body: (ap: ApHost, json: boolean) => void): number {
  const json = args.values.json === true;
  let opened;
  try {
    opened = openApHost(args, usage);
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
    opened.done(true);
  }
  return code;
}

/** The IDs given with a repeatable option (--adapter 1 --adapter 0x0a). */
export function optionList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
