// The write-ahead record of a multi-step change, for a process that dies half-way (SIGKILL, power):
// before the first write the whole plan — every step with its undo — is written durably to a file
// (fsynced, atomically replaced), each step is marked once it is done, and the file is removed at
// the end. The next change finds a record left behind and refuses to start; recovery undoes the
// recorded steps newest first, including the one that was in flight (every undo zmdev plans is
// harmless when its step never happened: unassign of an ID not assigned, a mask written back to the
// value it had, remove of an mdev that is not there).
import { lstatSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ZmdevError } from '../errors.js';
import { readRegularFile, writeFileAtomic } from '../files/atomic.js';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import { isSysfsError } from './errors.js';
import type { Step, SysfsWrite } from './journal.js';

export const CHANGE_RECORD_FORMAT = 'zmdev-change/1';
/** Where records live on a real host: gone at reboot, as the half-done change is. */
export const DEFAULT_RECORD_DIR = '/run/zmdev';
const RECORD_FILE = 'change.json';

export interface ChangeRecord {
  format: typeof CHANGE_RECORD_FORMAT;
  /** What the change was, for messages (`assign 4b05… adapters 0x01`). */
  what: string;
  pid: number;
  started: string;
  steps: Step[];
  /** How many steps are known to be done; the step at this index may or may not have happened. */
  done: number;
}

export interface RecoveryReport {
  record: ChangeRecord;
  /** The undo writes made (or, with dryRun, that would be made), newest step first. */
  undone: SysfsWrite[];
  dryRun: boolean;
}

function isStep(s: unknown): s is Step {
  const w = (x: unknown): x is SysfsWrite =>
    typeof x === 'object' && x !== null && typeof (x as SysfsWrite).path === 'string' && typeof (x as SysfsWrite).value === 'string';
  return w(s) && ((s as Step).undo === null || w((s as Step).undo));
}

/** The durable record of the change in progress, in one directory. */
export class ChangeLog {
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = path.join(dir, RECORD_FILE);
  }

  /** The record left by a change that did not finish, or null. A record that cannot be read is an error. */
  pending(): ChangeRecord | null {
    let text: string;
    try {
      if (!lstatSync(this.dir, { throwIfNoEntry: false })) return null;
      this.#checkDir();
      text = readRegularFile(this.file, { noFollow: true });
    } catch (e) {
      if (e instanceof ZmdevError && e.code === 'ENOENT') return null;
      throw e;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
    const r = data as ChangeRecord | null;
    if (!r || r.format !== CHANGE_RECORD_FORMAT || !Array.isArray(r.steps) || !r.steps.every(isStep) ||
        !Number.isInteger(r.done) || r.done < 0 || r.done > r.steps.length || typeof r.what !== 'string') {
      throw new ZmdevError({
        code: 'EBADMSG',
        message: `the change record ${this.file} is not one zmdev wrote (or is damaged); inspect it, put the host right by hand, then remove it`,
      });
    }
    return r;
  }

  /** Refuses to start a change while an earlier one is unfinished. */
  requireNone(): void {
    const r = this.pending();
    if (!r) return;
    throw new ZmdevError({
      code: 'EINPROGRESS',
      message: `an earlier change did not finish (process ${r.pid}, ${r.started}: ${r.what}; ${r.done} of ${r.steps.length} writes done); ` +
        'run `zmdev recover` to undo it (`zmdev recover --dry-run` shows the writes first), then try again',
    });
  }

  begin(what: string, steps: readonly Step[]): ChangeRecord {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new ZmdevError({ code: (e as NodeJS.ErrnoException).code!, message: `cannot make the change record directory ${this.dir}: ${(e as Error).message}`, cause: e });
    }
    this.#checkDir();
    const record: ChangeRecord = { format: CHANGE_RECORD_FORMAT, what, pid: process.pid, started: new Date().toISOString(), steps: [...steps], done: 0 };
    this.#save(record);
    return record;
  }

  mark(record: ChangeRecord, done: number): void {
    record.done = done;
    this.#save(record);
  }

  finish(): void {
    rmSync(this.file, { force: true });
  }

  /**
   * The directory must be this user's own and writable by nobody else, and not a symlink: the
   * record tells a later root process what to write where, so nobody else may plant or edit it.
   */
  #checkDir(): void {
    const st = lstatSync(this.dir);
    const uid = process.geteuid!();
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
      const what = st.isSymbolicLink() ? 'a symbolic link' : !st.isDirectory() ? 'not a directory' : st.uid !== uid ? `owned by uid ${st.uid}` : 'writable by group or others';
      throw new ZmdevError({
        code: 'EPERM',
        message: `the change record directory ${this.dir} is ${what}: it must be a directory of uid ${uid} that only it can write; remove it (it is recreated) or choose another with ZMDEV_RUN_DIR`,
      });
    }
  }

  #save(record: ChangeRecord): void {
    writeFileAtomic(this.file, `${JSON.stringify(record, null, 2)}\n`, 0o600);
  }

  /**
   * Undoes an unfinished change: the undo of every step up to and including the one in flight,
   * newest first. An undo of a create whose mdev is gone counts as done. If an undo is refused,
   * the record keeps what is left and the error says so.
   */
  recover(io: SysfsIO, opts: { dryRun?: boolean } = {}): RecoveryReport | null {
    const record = this.pending();
    if (!record) return null;
    const last = Math.min(record.done, record.steps.length - 1);
    const todo: Array<{ index: number; undo: SysfsWrite }> = [];
    for (let i = last; i >= 0; i--) {
      const undo = record.steps[i]!.undo;
      if (undo) todo.push({ index: i, undo });
    }
    const report: RecoveryReport = { record, undone: todo.map((u) => u.undo), dryRun: opts.dryRun === true };
    if (opts.dryRun) return report;
    for (const { index, undo } of todo) {
      try {
        io.write(undo.path, undo.value);
      } catch (e) {
        // The step never happened, or its mdev went with an earlier undo: nothing left to undo.
        if (isSysfsError(e, 'ENOENT')) continue;
        if (!(e instanceof ZmdevError)) throw e;
        this.mark(record, index);
        throw new ZmdevError({
          code: e.code,
          message: `recovery stopped: undoing ${JSON.stringify(record.steps[index]!.value)} at ${record.steps[index]!.path} ` +
            `(writing ${JSON.stringify(undo.value)} to ${undo.path}) failed: ${e.message}; the record ${this.file} keeps ` +
            `steps 1 to ${index + 1} to undo: fix the cause and run \`zmdev recover\` again`,
          cause: e,
        });
      }
    }
    this.finish();
    return report;
  }
}
