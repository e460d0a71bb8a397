// zmdev check PLAN.json: a multi-guest plan checked as a whole, against the host.
import { readFileSync } from 'node:fs';
import { checkPlan, parsePlan } from '../../plan/check.js';
import { formatApqn } from '../../mask/apqn.js';
import { ZmdevError } from '../../errors.js';
import { EXIT_OK, EXIT_REFUSED } from '../context.js';
import { command } from '../declare.js';

export const checkCmd = command({
  words: ['check'],
  summary: 'check a multi-guest plan: shared APQNs, APQNs the host cannot give, masks needed',
  args: [{ name: 'PLAN.json', help: `{"guests": [{"name": "Guest1", "adapters": [1, 2], "domains": [5, 6], "controlDomains": [5],
                 "uuid": "4b0518fd-9237-493f-93c8-c5597f8006a3"}]}
(controlDomains optional; IDs as numbers, or strings in decimal, 0x hex or leading-0 octal; uuid
optional, the guest's mdev if it exists already: the APQNs that mdev holds are the guest's own)` }],
  options: {},
  host: 'reads',
  json: 'print {"ok", "shared", "unavailable", "reserved", "masks"}',
  description: `Reports every APQN given to two guests, every APQN the host cannot give (above the maximum IDs,
not in the host's configuration, no queue, older than CEX4, held by another mdev), and the apmask/aqmask change that
frees the APQNs still reserved for the host. Exit status 1 when guests share APQNs or the host
cannot give some.`,
  run({ args, ap }) {
    const file = args['PLAN.json'];
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw e instanceof SyntaxError ? new ZmdevError({ code: 'EINVAL', message: `${file} is not JSON: ${e.message}` }) : e;
    }
    const plan = parsePlan(data);
    const report = checkPlan(plan, ap().io);
    const n = plan.guests.length;
    return {
      json: {
        ok: report.ok,
        shared: report.shared.map((s) => ({ guests: s.guests, apqns: s.apqns.map(formatApqn) })),
        unavailable: report.unavailable.map((u) => ({ guest: u.guest, apqn: formatApqn(u.apqn), why: u.why, ...(u.mdev ? { mdev: u.mdev } : {}), message: u.message })),
        reserved: report.reserved.map(formatApqn),
        ...(report.masks ? { masks: { apmask: report.masks.apmask, aqmask: report.masks.aqmask } } : {}),
      },
      text: `${report.messages.map((m) => `${m}\n`).join('')}${report.ok ? `plan ok: ${n} guest${n === 1 ? '' : 's'}, no APQN shared, every APQN available\n` : ''}`,
      status: report.ok ? EXIT_OK : EXIT_REFUSED,
    };
  },
});
