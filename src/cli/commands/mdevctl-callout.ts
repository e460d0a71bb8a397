// zmdev mdevctl-callout: zmdev as mdevctl's callout for vfio_ap-passthrough — the decisions
// s390-tools' ap-check makes before mdevctl defines, modifies or starts an mdev (start with every
// check of zmdev mdev create, against the live host), the attributes of an active mdev, the
// versioned capabilities handshake, a live modify; and --install/--uninstall of the script that
// makes mdevctl call it.
import { chmodSync, existsSync, lstatSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZmdevError } from '../../errors.js';
import { readRegularFile, writeFileAtomic } from '../../files/atomic.js';
import { mdevDir } from '../../ap/paths.js';
import { parseUuid } from '../../mask/ids.js';
import {
  answerCapabilities, autostartRefusal, bootMasks, CALLOUT_DIRS, CALLOUT_MARK, CALLOUT_NAME, CALLOUT_PARENT, CALLOUT_TYPE, calloutScript,
  EXIT_NOT_MINE, formatCalloutAttributes, otherConfigs, parseCalloutConfig,
} from '../../persist/mdevctl-callout.js';
import { MDEVCTL_DIR } from '../../persist/mdevctl-files.js';
import { readApRules, ZDEV_AP_RULES } from '../../persist/zdev-ap-rules.js';
import { EXIT_REFUSED } from '../context.js';
import { command, type Output } from '../declare.js';

const ZMDEV_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/zmdev.js');

const operands = {
  type: { type: 'string', short: 't', value: 'TYPE', help: 'the mdev type (only vfio_ap-passthrough is answered; any other: exit 2)' },
  event: { type: 'string', short: 'e', value: 'EVENT', help: 'pre, post, get, live or notify' },
  action: { type: 'string', short: 'a', value: 'ACTION', help: 'define, modify, start, stop, undefine, attributes or capabilities' },
  state: { type: 'string', short: 's', value: 'STATE', help: "none, success or failure (mdevctl's outcome, for post; not used)" },
  uuid: { type: 'string', short: 'u', value: 'UUID', help: "the mdev's UUID" },
  parent: { type: 'string', short: 'p', value: 'PARENT', help: 'the parent device (vfio_ap has only matrix)' },
} as const;
const OPERANDS = Object.keys(operands) as Array<keyof typeof operands>;

function isDir(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** The callout directories of the mdevctl installed under root, each with the version that reads it. */
function calloutDirs(root: string): Array<{ dir: string; reader: string }> {
  const dirs = Object.entries(CALLOUT_DIRS).map(([reader, rel]) => ({ reader, dir: path.join(root, rel) })).filter((d) => isDir(d.dir));
  if (!dirs.length) {
    const all = Object.values(CALLOUT_DIRS).map((rel) => path.join(root, rel)).join(' and ');
    throw new ZmdevError({
      code: 'ENOENT',
      message: `neither ${all} exists: no mdevctl is installed under ${root} (each version makes its own at install); install mdevctl first, or create the one it reads`,
    });
  }
  return dirs;
}

/** Whether the file is a script this command installed (uninstall and reinstall touch nothing else). */
function ours(file: string): boolean | null {
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st) return null;
  return st.isFile() && readFileSync(file, 'utf8').split('\n')[1] === CALLOUT_MARK;
}

function foreign(file: string): ZmdevError {
  return new ZmdevError({ code: 'EEXIST', message: `${file} is not a script zmdev installed; move it away first if it is not needed (zmdev leaves it alone)` });
}

function install(root: string): Output {
  const script = calloutScript(process.execPath, ZMDEV_JS);
  const done = calloutDirs(root).map(({ dir, reader }) => {
    const file = path.join(dir, CALLOUT_NAME);
    if (ours(file) === false) throw foreign(file);
    const st = writeFileAtomic(file, script, 0o755);
    // An earlier copy keeps its mode through the rewrite: the script must stay executable.
    if ((st.mode & 0o7777) !== 0o755) chmodSync(file, 0o755);
    return { file, reader };
  });
  return {
    json: { installed: done },
    text: done.map((d) => `installed ${d.file} (read by ${d.reader})\n`).join(''),
  };
}

function uninstall(root: string): Output {
  const removed: string[] = [];
  for (const rel of Object.values(CALLOUT_DIRS)) {
    const file = path.join(root, rel, CALLOUT_NAME);
    const mine = ours(file);
    if (mine === null) continue;
    if (!mine) throw foreign(file);
    unlinkSync(file);
    removed.push(file);
  }
  return { json: { removed }, text: removed.length ? removed.map((f) => `removed ${f}\n`).join('') : 'no zmdev callout was installed\n' };
}

const allowed = (what: string): Output => ({ json: { allowed: true, what }, text: '' });

export const mdevctlCallout = command({
  words: ['mdevctl-callout'],
  summary: "mdevctl's callout for vfio_ap-passthrough: refuse what the kernel or the next boot would refuse; --install it",
  args: [],
  options: {
    ...operands,
    install: { type: 'boolean', help: "write the callout script into mdevctl's callout directories under --root (default /)" },
    uninstall: { type: 'boolean', help: 'remove the script --install wrote' },
  },
  exclusive: [['install', 'uninstall', 'the script is written or removed']],
  usageStatus: EXIT_REFUSED,
  host: (opts) => (opts.event === 'live' ? 'changes' : 'reads'),
  json: 'print what was decided ({"allowed": true, …}) or installed/removed',
  description: `mdevctl runs each script in its callout directory as
  SCRIPT -t TYPE -e EVENT -a ACTION -s STATE -u UUID -p PARENT
with the device config on stdin as compact JSON, and takes the first answer that is not exit 2.
This command is that script for vfio_ap-passthrough, making the decisions of s390-tools'
ap-check in its own words: exit 0 allows, exit 1 refuses with one line on stderr (the refusal,
the APQNs, the fix), exit 2 says "not my type" for every other type.
  pre define / pre modify  an autostart definition is refused when it shares an APQN with another
                           autostart definition under <root>/etc/mdevctl.d/matrix, or when the
                           persistent masks (<root>/etc/udev/rules.d/41-ap.rules; sysfs for a mask
                           it does not set) keep one of its APQNs for the host; define also refuses
                           a UUID already defined, modify one that is not; manual ones pass
  pre start                every check zmdev mdev create makes (vfio_ap loaded, IDs within the
                           host's maximum, control domains with a usage domain, no APQN reserved
                           for the host or held by another mdev), against the live host
  pre undefine             the stored definition must be readable
  live modify              the active mdev is changed through ap_config, with start's checks
  get attributes           the active mdev's matrix as attrs: decimal, ascending, adapters, then
                           domains, then control domains ([] for an empty one; nothing if inactive)
  get capabilities         the versioned handshake of mdevctl 1.3+: version 2, and of what stdin
                           offers, ap-check's actions and events
  post, notify, pre stop   exit 0
Mistakes in the call (an option missing, twice or unknown) are exit 1, never 2, so mdevctl does not
take them for "not my type".

--install writes the script ${CALLOUT_NAME} (sh exec'ing this node and bin/zmdev.js with the arguments as
given, mode 0755) into each of mdevctl's callout directories that exists under --root:
${CALLOUT_DIRS['mdevctl 1.2.0']} (mdevctl 1.2.0) and ${CALLOUT_DIRS['mdevctl 1.3+']} (1.3+, which reads it
first). Its name sorts before ap-check's, so mdevctl 1.3+ asks zmdev first; 1.2.0 asks in directory
order. --uninstall removes it; a file of that name that zmdev did not write is left alone.`,
  examples: [
    'zmdev mdevctl-callout --install',
    'echo -n \'{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_adapter":"5"},{"assign_domain":"4"}]}\' |\n    zmdev mdevctl-callout -t vfio_ap-passthrough -e pre -a define -s none -u 4b0518fd-9237-493f-93c8-c5597f8006a3 -p matrix',
  ],
  check({ opts, usage }) {
    const given = OPERANDS.filter((k) => opts[k] !== undefined);
    if (opts.install || opts.uninstall) {
      if (given.length) usage(`--${opts.install ? 'install' : 'uninstall'} takes none of -t -e -a -s -u -p`);
      return;
    }
    const missing = OPERANDS.filter((k) => opts[k] === undefined);
    if (missing.length) {
      usage(`${missing.map((k) => `-${operands[k].short} ${operands[k].value}`).join(', ')} missing: mdevctl gives -t -e -a -s -u -p, once each (or use --install)`);
    }
  },
  run({ opts, io, host, ap, locked }): Output {
    const root = host!.configRoot;
    if (opts.install) return install(root);
    if (opts.uninstall) return uninstall(root);
    const { type, event, action, parent } = opts as Record<keyof typeof operands, string>;
    const uuid = parseUuid(opts.uuid!);
    if (type !== CALLOUT_TYPE) return { json: { mine: false, type }, text: '', status: EXIT_NOT_MINE };
    if (parent !== CALLOUT_PARENT) {
      throw new ZmdevError({ code: 'EINVAL', message: `-p ${JSON.stringify(parent)}: a ${CALLOUT_TYPE} mdev has the parent ${CALLOUT_PARENT} only` });
    }
    const stdin = () => io.stdin?.() ?? '';
    const stored = path.join(root, MDEVCTL_DIR, CALLOUT_PARENT, uuid);
    const what = `${event} ${action}`;
    const definitionChecks = () => {
      const config = parseCalloutConfig(stdin(), `the config of ${uuid} on stdin`);
      const refusal = locked(() => autostartRefusal(uuid, config, otherConfigs(root, uuid),
        () => bootMasks(readApRules(root), () => ap().masks()), path.join(root, ZDEV_AP_RULES)));
      if (refusal) throw refusal;
      return allowed(what);
    };
    switch (what) {
      case 'pre define':
        if (existsSync(stored)) {
          throw new ZmdevError({ code: 'EEXIST', message: `mdev ${uuid} is already defined (${stored}): change it with mdevctl modify, or undefine it first` });
        }
        return definitionChecks();
      case 'pre modify':
        if (!existsSync(stored)) {
          throw new ZmdevError({ code: 'ENOENT', message: `mdev ${uuid} is not defined (no ${stored}): define it with mdevctl define` });
        }
        return definitionChecks();
      case 'pre start': {
        const { matrix } = parseCalloutConfig(stdin(), `the config of ${uuid} on stdin`);
        ap().createMdev({ uuid, adapters: matrix.adapters.ids(), domains: matrix.domains.ids(), controlDomains: matrix.controlDomains.ids(), dryRun: true });
        return allowed(what);
      }
      case 'pre undefine':
        parseCalloutConfig(readRegularFile(stored), stored);
        return allowed(what);
      case 'live modify': {
        const { matrix } = parseCalloutConfig(stdin(), `the config of ${uuid} on stdin`);
        const h = ap();
        if (!h.mdevs().includes(uuid) || !host!.io.exists(`${mdevDir(uuid)}/ap_config`)) {
          throw new ZmdevError({
            code: 'EOPNOTSUPP',
            message: `mdev ${uuid} cannot be changed live: it is not active, or this kernel's vfio_ap has no ap_config (6.0+); stop and start it with the new definition instead`,
          });
        }
        const r = h.configure(uuid, matrix);
        return { json: { allowed: true, what, writes: r.writes }, text: '' };
      }
      case 'get attributes': {
        const h = ap();
        if (!h.mdevs().includes(uuid)) return { json: { attrs: null }, text: '' };
        const text = formatCalloutAttributes(h.mdev(uuid));
        return { json: { attrs: JSON.parse(text) }, text };
      }
      case 'get capabilities': {
        const text = answerCapabilities(stdin());
        return { json: JSON.parse(text), text };
      }
      default:
        // post, notify, pre stop and anything newer: nothing to decide.
        return allowed(what);
    }
  },
});
