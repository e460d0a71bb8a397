// zmdev sysfs: raw attribute access on the chosen host, the way cat, echo and ls would do it,
// but with the errno and the kernel's explanation when it refuses.
import type { Command } from '../command.js';
import { EXIT_OK, UsageError } from '../context.js';
import { checkHostOptions, hostHelp, hostOptions, lockSimHost, openHost, type OpenHost } from '../host.js';
import { asRefusal, printJson, reportRefusal } from '../report.js';

const catUsage = 'usage: zmdev sysfs cat PATH [--sim FILE | --sysfs DIR] [--json]';
const writeUsage = 'usage: zmdev sysfs write PATH DATA [--sim FILE | --sysfs DIR] [--json]';
const lsUsage = 'usage: zmdev sysfs ls [PATH] [--sim FILE | --sysfs DIR] [--json]';

export const sysfsCat: Command = {
  path: ['sysfs', 'cat'],
  summary: 'read an attribute (PATH relative to the sysfs root, e.g. bus/ap/apmask)',
  usage: catUsage,
  help: `${catUsage}\n\nPrints the attribute exactly as the kernel formats it.\n\n${hostHelp}`,
  options: { ...hostOptions, json: { type: 'boolean' } },
  run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('give exactly one PATH', catUsage);
    const json = args.values.json === true;
    const host = openHost(args, catUsage);
    try {
      const text = host.io.read(args.positionals[0]!);
      if (json) printJson(io, { path: args.positionals[0], content: text });
      else io.stdout(text);
      return EXIT_OK;
    } catch (err) {
      return reportRefusal(io, err, json);
    }
  },
};

export const sysfsWrite: Command = {
  path: ['sysfs', 'write'],
  summary: 'write DATA to an attribute in one write(2), with no newline added',
  usage: writeUsage,
  help: `${writeUsage}

Writes exactly DATA (add a newline yourself, e.g. $'5\\n' in bash) and reports the kernel's
answer. Put -- before DATA that starts with '-'. A simulated host is locked (FILE.lock) from
loading to saving, and saved afterwards, refused or not (a refusal can still leave kernel log lines).

${hostHelp}`,
  options: { ...hostOptions, json: { type: 'boolean' } },
  run(args, io) {
    if (args.positionals.length !== 2) throw new UsageError('give PATH and DATA', writeUsage);
    const [p, data] = args.positionals as [string, string];
    const json = args.values.json === true;
    checkHostOptions(args, writeUsage);
    // Load, write and save under the state file's lock, as every other command that changes it.
    let release: () => void;
    let host: OpenHost;
    try {
      release = lockSimHost(args);
    } catch (err) {
      return reportRefusal(io, asRefusal(err), json);
    }
    let code: number;
    try {
      try {
        host = openHost(args, writeUsage);
      } catch (err) {
        return reportRefusal(io, asRefusal(err), json);
      }
      try {
        const n = host.io.write(p, data);
        if (json) printJson(io, { path: p, written: n });
        code = EXIT_OK;
      } catch (err) {
        code = reportRefusal(io, err, json);
      } finally {
        host.save();
      }
    } finally {
      release();
    }
    return code;
  },
};

export const sysfsLs: Command = {
  path: ['sysfs', 'ls'],
  summary: 'list a directory of the sysfs tree',
  usage: lsUsage,
  help: `${lsUsage}\n\n${hostHelp}`,
  options: { ...hostOptions, json: { type: 'boolean' } },
  run(args, io) {
    if (args.positionals.length > 1) throw new UsageError('give at most one PATH', lsUsage);
    const json = args.values.json === true;
    const host = openHost(args, lsUsage);
    try {
      const entries = host.io.list(args.positionals[0] ?? '');
      if (json) printJson(io, { path: args.positionals[0] ?? '', entries });
      else io.stdout(entries.map((e) => `${e}\n`).join(''));
      return EXIT_OK;
    } catch (err) {
      return reportRefusal(io, err, json);
    }
  },
};
