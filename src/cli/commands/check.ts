// zmdev check PLAN.json: a multi-guest plan checked as a whole, against the host.
import { readFileSync } from 'node:fs';
import { checkPlan, parsePlan } from '../../plan/check.js';
import { formatApqn } from '../../mask/apqn.js';
import { ZmdevError } from '../../errors.js';
import type { Command } from '../command.js';
import { EXIT_OK, EXIT_REFUSED, UsageError } from '../context.js';
import { hostHelp, hostOptions, openApHost } from '../host.js';
import { asRefusal, printJson, reportRefusal } from '../report.js';

const usage = 'usage: zmdev check PLAN.json [--json] [--sim FILE | --sysfs DIR]';

export const checkCmd: Command = {
  path: ['check'],
  summary: 'check a multi-guest plan: shared APQNs, APQNs the host cannot give, masks needed',
  usage,
  help: `${usage}

PLAN.json: {"guests": [{"name": "Guest1", "adapters": [1, 2], "domains": [5, 6], "controlDomains": [5]}]}
(controlDomains optional; IDs as numbers, or strings in decimal, 0x hex or leading-0 octal).

Reports every APQN given to two guests, every APQN the host cannot give (above the maximum IDs,
not in the host's configuration, no queue, older than CEX4), and the apmask/aqmask change that
frees the APQNs still reserved for the host. Exit status 1 when guests share APQNs or the host
cannot give some.

${hostHelp}`,
  options: { ...hostOptions, json: { type: 'boolean' } },
  run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('give one PLAN.json', usage);
    const json = args.values.json === true;
    let opened;
    let code: number;
    try {
      let data: unknown;
      const file = args.positionals[0]!;
      try {
        data = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        throw e instanceof SyntaxError ? new ZmdevError({ code: 'EINVAL', message: `${file} is not JSON: ${e.message}` }) : asRefusal(e);
      }
      const plan = parsePlan(data);
      opened = openApHost(args, usage, 'reads');
      const report = checkPlan(plan, opened.ap.io);
      if (json) {
        printJson(io, {
          ok: report.ok,
          shared: report.shared.map((s) => ({ guests: s.guests, apqns: s.apqns.map(formatApqn) })),
          unavailable: report.unavailable.map((u) => ({ guest: u.guest, apqn: formatApqn(u.apqn), why: u.why, message: u.message })),
          reserved: report.reserved.map(formatApqn),
          ...(report.masks ? { masks: { apmask: report.masks.apmask, aqmask: report.masks.aqmask } } : {}),
        });
      } else {
        io.stdout(`${report.messages.map((m) => `${m}\n`).join('')}${report.ok ? `plan ok: ${plan.guests.length} guest${plan.guests.length === 1 ? '' : 's'}, no APQN shared, every APQN available\n` : ''}`);
      }
      code = report.ok ? EXIT_OK : EXIT_REFUSED;
    } catch (e) {
      code = reportRefusal(io, e, json);
    } finally {
      opened?.done(false);
    }
    return code;
  },
};
