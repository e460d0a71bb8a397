// Which host a command works on: a simulated one kept in a state file (--sim FILE), or a sysfs
// tree (--sysfs DIR, default /sys). A simulated host is saved back atomically after the command.
import { ApHost } from '../ap/host.js';
import { acquireApConfigLock, type LockOptions } from '../ap/lock.js';
import { AP_BUS } from '../ap/paths.js';
import { ZmdevError } from '../errors.js';
import { SimHost } from '../sim/host.js';
import { loadState, saveState } from '../sim/state-file.js';
import { SimSysfs } from '../sim/sysfs.js';
import { RealSysfs } from '../sysfs/real.js';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import type { OptionSpec, ParsedArgs } from './command.js';
import { UsageError } from './context.js';

export const hostOptions: OptionSpec = {
  sim: { type: 'string' },
  sysfs: { type: 'string' },
};

export const hostHelp = `  --sim FILE        work on the simulated host kept in FILE (see zmdev sim init)
  --sysfs DIR       work on the sysfs tree at DIR (default /sys)`;

export interface OpenHost {
  io: SysfsIO;
  /** What the host is, for messages: "simulated host FILE" or "sysfs at DIR". */
  label: string;
  /** The simulated host, when --sim was given. */
  sim?: SimHost;
  /** Saves a simulated host back to its file (a no-op for a real tree). */
  save(): void;
}

/** --sim and --sysfs name two hosts: a usage error. */
export function checkHostOptions({ values }: ParsedArgs, usage: string): void {
  if (typeof values.sim === 'string' && typeof values.sysfs === 'string') {
    throw new UsageError('--sim and --sysfs exclude each other: pick the simulated host or the sysfs tree', usage);
  }
}

export function openHost(args: ParsedArgs, usage: string): OpenHost {
  checkHostOptions(args, usage);
  const { sim, sysfs } = args.values;
  if (typeof sim === 'string') {
    const file = sim;
    const host = new SimHost(loadState(file));
    return { io: new SimSysfs(host), label: `simulated host ${file}`, sim: host, save: () => saveState(file, host.state) };
  }
  const root = typeof sysfs === 'string' ? sysfs : '/sys';
  return { io: new RealSysfs(root), label: `sysfs at ${root}`, save: () => undefined };
}

/** `zmdev --sim F cmd …` means `zmdev cmd … --sim F`: host options may stand before the command. */
export function hoistHostOptions(argv: string[]): string[] {
  const lead: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === '--sim' || a === '--sysfs') {
      lead.push(a, ...(argv[i + 1] === undefined ? [] : [argv[i + 1]!]));
      i += 2;
    } else if (a.startsWith('--sim=') || a.startsWith('--sysfs=')) {
      lead.push(a);
      i += 1;
    } else break;
  }
  if (!lead.length) return argv;
  const rest = argv.slice(i);
  const dd = rest.indexOf('--');
  return dd < 0 ? [...rest, ...lead] : [...rest.slice(0, dd), ...lead, ...rest.slice(dd)];
}

/** Takes the lock of a simulated host's state file (a no-op for a sysfs tree); returns its release. */
export function lockSimHost(args: ParsedArgs, lock: LockOptions = args.lock ?? {}): () => void {
  const file = args.values.sim;
  return typeof file === 'string' ? lockStateFile(file, lock) : () => undefined;
}

/** The lock every zmdev run that changes a state file holds from loading it to saving it. */
export function lockStateFile(file: string, lock: LockOptions = {}): () => void {
  return acquireApConfigLock({ ...lock, path: `${file}.lock` });
}

/**
 * The AP host a command works on; for a command that changes it, with the lock held for a simulated
 * host's whole load-change-save (so two zmdev runs on one state file never interleave). Refuses a tree
 * without an AP bus, pointing to --sim. Call done() when finished: it saves and unlocks.
 */
export function openApHost(args: ParsedArgs, usage: string, access: 'reads' | 'changes', lock: LockOptions = args.lock ?? {}): { ap: ApHost; host: OpenHost; done(save: boolean): void } {
  const release = access === 'changes' ? lockSimHost(args, lock) : () => undefined;
  try {
    const host = openHost(args, usage);
    if (!host.io.exists(AP_BUS)) {
      throw new ZmdevError({
        code: 'ENOENT',
        message: `${host.label} has no AP bus (${AP_BUS} is missing: this is not an IBM Z host, or the ap module is not loaded); ` +
          'to work on a simulated host, create one with `zmdev sim init host.json` and add `--sim host.json`',
      });
    }
    const ap = new ApHost(host.io, { lock: host.sim ? false : lock });
    return {
      ap,
      host,
      done(save: boolean) {
        try {
          if (save) host.save();
        } finally {
          release();
        }
      },
    };
  } catch (e) {
    release();
    throw e;
  }
}
