// zmdev sysfs: raw attribute access on the chosen host, the way cat, echo and ls would do it,
// but with the errno and the kernel's explanation when it refuses.
import { command } from '../declare.js';

const pathHelp = 'relative to the sysfs root, e.g. bus/ap/apmask';

export const sysfsCat = command({
  words: ['sysfs', 'cat'],
  summary: 'read an attribute (PATH relative to the sysfs root, e.g. bus/ap/apmask)',
  args: [{ name: 'PATH', help: pathHelp }],
  options: {},
  host: 'reads',
  json: 'print {"path", "content"}',
  description: 'Prints the attribute exactly as the kernel formats it.',
  run({ args, host }) {
    const content = host!.io.read(args.PATH);
    return { json: { path: args.PATH, content }, text: content };
  },
});

export const sysfsWrite = command({
  words: ['sysfs', 'write'],
  summary: 'write DATA to an attribute in one write(2), with no newline added',
  args: [{ name: 'PATH', help: pathHelp }, { name: 'DATA', help: "the bytes to write; put -- before DATA that starts with '-'" }],
  options: {},
  host: 'changes',
  json: 'print {"path", "written"} (the bytes the kernel took)',
  description: `Writes exactly DATA (add a newline yourself, e.g. $'5\\n' in bash) and reports the kernel's
answer. A simulated host is locked (FILE.lock) from loading to saving, and saved afterwards,
refused or not (a refusal can still leave kernel log lines).`,
  examples: ["zmdev sysfs write bus/ap/apmask --sim host.json -- -5,-6"],
  run({ args, host }) {
    const written = host!.io.write(args.PATH, args.DATA);
    return { json: { path: args.PATH, written }, text: '' };
  },
});

export const sysfsLs = command({
  words: ['sysfs', 'ls'],
  summary: 'list a directory of the sysfs tree',
  args: [{ name: 'PATH', optional: true, help: `${pathHelp} (default: the root)` }],
  options: {},
  host: 'reads',
  json: 'print {"path", "entries"}',
  description: 'Lists the entries of the directory, sorted.',
  run({ args, host }) {
    const p = args.PATH ?? '';
    const entries = host!.io.list(p);
    return { json: { path: p, entries }, text: entries.map((e) => `${e}\n`).join('') };
  },
});
