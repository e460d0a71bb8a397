// Which host a command works on — a simulated one kept in a state file (--sim FILE), or a sysfs
// tree (--sysfs DIR, default /sys) — and the one way to open it: a command that changes a
// simulated host holds the state file's lock from loading it to saving it, so two zmdev runs on
// one file never interleave; one that only reads neither waits nor saves (a state file is
// replaced atomically, so a reader never sees half of one).
import { ApHost } from '../ap/host.js';
import { acquireApConfigLock, AP_CONFIG_LOCK, type LockOptions } from '../ap/lock.js';
import { AP_BUS } from '../ap/paths.js';
import { ZmdevError } from '../errors.js';
import { DEFAULT_RECORD_DIR } from '../mdev/change-record.js';
import { SimHost } from '../sim/host.js';
import { loadState, saveState } from '../sim/state-file.js';
import { SimSysfs } from '../sim/sysfs.js';
import { RealSysfs } from '../sysfs/real.js';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import type { OptionDecl } from './declare.js';

export const hostOptions = {
  sim: { type: 'string', value: 'FILE', help: 'work on the simulated host kept in FILE (see zmdev sim init)' },
  sysfs: { type: 'string', value: 'DIR', help: 'work on the sysfs tree at DIR (default /sys)' },
  root: {
    type: 'string', value: 'DIR',
    help: 'take /etc/mdevctl.d, /etc/udev/rules.d, /etc/driverctl.d, /run/zmdev and the lock under DIR ' +
      '(default: $ZMDEV_ROOT or /; for --sim FILE, FILE.root)',
  },
} as const satisfies Record<string, OptionDecl>;

/**
 * The configuration root of a host: where its /etc and /run are. The machine's own (/) for a
 * sysfs tree unless --root or ZMDEV_ROOT says otherwise; a simulated host has its own beside its
 * state file, so that a command on it never touches this machine's /etc.
 */
export function configRootOf(target: HostTarget): string {
  if (target.root !== undefined) return target.root;
  if (target.sim !== undefined) return `${target.sim}.root`;
  return process.env.ZMDEV_ROOT || '/';
}

/** A path of the host's configuration (an absolute path such as /etc/mdevctl.d) under its root. */
export function underRoot(configRoot: string, absolute: string): string {
  return path.join(configRoot, absolute);
}

export interface HostSession {
  io: SysfsIO;
  /** What the host is, for messages: "simulated host FILE" or "sysfs at DIR". */
  label: string;
  /** The simulated host, when it is one. */
  sim?: SimHost;
  /** The state file of a simulated host. */
  file?: string;
  /** The root of a sysfs tree. */
  root?: string;
  /** Where the host's /etc and /run are (configRootOf). */
  configRoot: string;
}

/** --sim FILE, --sysfs DIR, or neither (the real /sys); --root DIR. */
export interface HostTarget {
  sim?: string;
  sysfs?: string;
  root?: string;
}

/** The lock every zmdev run that changes a state file holds from loading it to saving it. */
export function lockStateFile(file: string, lock: LockOptions = {}): () => void {
  // The lock lives beside the file: name the file's directory, not the lock, when it is missing.
  const dir = path.dirname(file);
  if (!statSync(dir, { throwIfNoEntry: false })) {
    throw new ZmdevError({ code: 'ENOENT', message: `the directory ${dir} of the state file ${file} does not exist: create it first (mkdir -p ${dir}), or give another path` });
  }
  return acquireApConfigLock({ ...lock, path: `${file}.lock` });
}

/**
 * Opens the host; for a change to a simulated host, under its lock. close() saves a changed
 * simulated host (also after a refusal, whose kernel log lines belong to its history) and unlocks.
 */
export function openHostSession(target: HostTarget, access: 'reads' | 'changes', lock: LockOptions = {}): { session: HostSession; close(): void } {
  if (target.sim === undefined) {
    const root = target.sysfs ?? '/sys';
    return { session: { io: new RealSysfs(root), label: `sysfs at ${root}`, root, configRoot: configRootOf(target) }, close: () => undefined };
  }
  const file = target.sim;
  const release = access === 'changes' ? lockStateFile(file, lock) : () => undefined;
  try {
    const sim = new SimHost(loadState(file));
    const session: HostSession = { io: new SimSysfs(sim), label: `simulated host ${file}`, sim, file, configRoot: configRootOf(target) };
    return {
      session,
      close() {
        try {
          if (access === 'changes') saveState(file, sim.state);
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

/**
 * The AP host on a session. Refuses a tree without an AP bus, pointing to --sim. A simulated
 * host is already locked by its session; on a sysfs tree every change takes the s390-tools
 * configuration lock itself.
 */
export function apHostOf(session: HostSession, lock: LockOptions = {}): ApHost {
  if (!session.io.exists(AP_BUS)) {
    throw new ZmdevError({
      code: 'ENOENT',
      message: `${session.label} has no AP bus (${AP_BUS} is missing: this is not an IBM Z host, or the ap module is not loaded); ` +
        'to work on a simulated host, create one with `zmdev sim init host.json` and add `--sim host.json`',
    });
  }
  if (session.sim) return new ApHost(session.io, { lock: false, changeLog: false });
  return new ApHost(session.io, { lock: configLock(session, lock), changeLog: changeLogDir(session.root!, session.configRoot) });
}

/**
 * The s390-tools configuration lock of a host, for changes to its definitions and masks as for its
 * sysfs: false for a simulated host, whose session already holds its state file's lock.
 */
export function configLock(session: HostSession, lock: LockOptions = {}): LockOptions | false {
  if (session.sim) return false;
  // The machine's /run/lock must be there; an image's is made when first needed.
  return { ...lock, path: lock.path ?? underRoot(session.configRoot, AP_CONFIG_LOCK), makeDir: path.resolve(session.configRoot) !== '/' };
}

/**
 * Where the change record of a sysfs tree lives: /run/zmdev (under the configuration root) for
 * the real /sys, and a directory named after the tree for any other (a FUSE-mounted simulator),
 * so two trees never share one; ZMDEV_RUN_DIR replaces <root>/run/zmdev. A simulated host needs
 * none: its state file is saved whole after each command.
 */
export function changeLogDir(root: string, configRoot = '/'): string {
  const base = process.env.ZMDEV_RUN_DIR ?? underRoot(configRoot, DEFAULT_RECORD_DIR);
  const abs = path.resolve(root);
  return abs === '/sys' ? base : path.join(base, 'sysfs', abs);
}

/** `zmdev --sim F cmd …` means `zmdev cmd … --sim F`: host options may stand before the command. */
export function hoistHostOptions(argv: string[]): string[] {
  const lead: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === '--sim' || a === '--sysfs' || a === '--root') {
      lead.push(a, ...(argv[i + 1] === undefined ? [] : [argv[i + 1]!]));
      i += 2;
    } else if (a.startsWith('--sim=') || a.startsWith('--sysfs=') || a.startsWith('--root=')) {
      lead.push(a);
      i += 1;
    } else break;
  }
  if (!lead.length) return argv;
  const rest = argv.slice(i);
  const dd = rest.indexOf('--');
  return dd < 0 ? [...rest, ...lead] : [...rest.slice(0, dd), ...lead, ...rest.slice(dd)];
}
