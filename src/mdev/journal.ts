// The change journal: every multi-step change (mask writes, mdev create and configure, assign and
// unassign of several IDs) runs as a list of planned writes, each with the write that undoes it.
// On a kernel refusal the undo writes run newest first, so the host is left as it was; if an undo
// is refused too, the error carries both the refusal and exactly what is left undone.
import { ZmdevError } from '../errors.js';
import type { SysfsError, SysfsIO } from '../sysfs/sysfs-io.js';
import type { ChangeLog } from './change-record.js';
import { isSysfsError } from './errors.js';

/** One write(2) of `value` to the attribute at `path` (relative to the sysfs root). */
export interface SysfsWrite {
  path: string;
  value: string;
}

/** A planned write and the write that puts back what it changes. */
export interface Step extends SysfsWrite {
  /** null when nothing needs putting back (an earlier step's undo covers it, e.g. the mdev's remove). */
  undo: SysfsWrite | null;
}

export interface NotUndone {
  step: Step;
  /** Why the undo failed (or why it was not tried). */
  error: ZmdevError;
}

/** A change was refused and undoing it failed too: the host is not as it was. */
export class UndoError extends ZmdevError {
  /** The refusal that started the undo; its code is this error's code. */
  readonly refusal: ZmdevError;
  /** The steps whose changes are still on the host, newest first. */
  readonly notUndone: NotUndone[];

  constructor(refusal: ZmdevError, notUndone: NotUndone[]) {
    const left = notUndone.map((n) => `${JSON.stringify(n.step.value)} written to ${n.step.path} (${n.error.code}: ${n.error.message})`);
    super({
      code: refusal.code,
      message: `${refusal.message}; undoing the earlier writes failed, so the host is left changed: ${left.join('; ')}; ` +
        'put these back by hand (each undo write is listed in the error\'s notUndone) before trying again',
      cause: refusal,
    });
    this.refusal = refusal;
    this.notUndone = notUndone;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      refusal: this.refusal.toJSON(),
      notUndone: this.notUndone.map((n) => ({ path: n.step.path, value: n.step.value, undo: n.step.undo, error: n.error.toJSON() })),
    };
  }
}

/** What a kernel refusal of `step` means; `undone` steps before it were put back. */
export type RefusalOf = (err: SysfsError, step: Step, undone: number) => ZmdevError;

/** A durable record of the change while it runs (see change-record.ts), and what to call it. */
export interface Recording {
  log: ChangeLog;
  what: string;
}

/**
 * Runs the steps in order. A kernel refusal (a SysfsError) undoes the steps done so far, newest
 * first, and throws `refusal(…)` — or an UndoError when an undo fails (the remaining undos are
 * still tried: the closer to the old state, the better). Anything else is passed on as it is: it
 * is not the kernel's answer, and undoing on a bug's word could do more harm.
 *
 * With `recording`, a change of more than one step is written ahead to its change record, each
 * step marked as it completes; the record goes when the change is done or fully undone, and stays
 * for `recover` when the process dies, a failure is not the kernel's, or an undo fails.
 */
export function runSteps(io: SysfsIO, steps: readonly Step[], refusal: RefusalOf, recording?: Recording): void {
  const rec = recording && steps.length > 1 ? { log: recording.log, record: recording.log.begin(recording.what, steps) } : undefined;
  const done: Step[] = [];
  for (const step of steps) {
    try {
      io.write(step.path, step.value);
    } catch (e) {
      if (!isSysfsError(e)) throw e;
      const failed = undo(io, done);
      const refused = refusal(e, step, done.length);
      if (failed.length) throw new UndoError(refused, failed);
      rec?.log.finish();
      throw refused;
    }
    done.push(step);
    rec?.log.mark(rec.record, done.length);
  }
  rec?.log.finish();
}

/** Undoes done steps newest first; returns those whose undo failed. */
function undo(io: SysfsIO, done: readonly Step[]): NotUndone[] {
  const failed: NotUndone[] = [];
  for (const step of [...done].reverse()) {
    if (!step.undo) continue;
    try {
      io.write(step.undo.path, step.undo.value);
    } catch (e) {
      if (!(e instanceof ZmdevError)) throw e;
      failed.push({ step, error: e });
    }
  }
  return failed;
}
