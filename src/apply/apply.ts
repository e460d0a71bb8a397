// Applying a desired state, all or nothing, under the host's configuration lock: the steps run in
// order, each ApHost change through the change journal (which undoes a refusal inside it); each
// step done has an inverse (a file's previous bytes, the masks before, the matrix before, the
// mdev removed or created again), and when a step is refused the steps done are undone newest
// first. The error names the refused step, the refusal with its errno code, and whatever could not
// be put back. A second apply of the same file finds no steps.
import { mkdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { ZmdevError } from '../errors.js';
import { readRegularFile, writeFileAtomic } from '../files/atomic.js';
import type { ApHost } from '../ap/host.js';
import { MATRIX_PARENT } from '../ap/paths.js';
import type { ApMask } from '../mask/ap-mask.js';
import type { ApMatrix, HostMasks } from '../mask/matrix.js';
import { makeDefinition } from '../mdev/definition.js';
import { apAttrs, formatMdevctlConfig, MDEVCTL_DIR } from '../persist/mdevctl-files.js';
import { formatApRules, ZDEV_AP_RULES } from '../persist/zdev-ap-rules.js';
import type { DesiredState } from './desired.js';
import { planApply, readHostView } from './diff.js';
import type { ApplyStep, DefinitionState } from './steps.js';

/** How apply changes files (the rule file, definitions); tests put a failing one in. */
export interface ApplyFiles {
  /** Replaces the file with `text` (its directory made when missing). */
  write(file: string, text: string): void;
  /** Removes the file; nothing when there is none. */
  remove(file: string): void;
}

function fsError(e: unknown, what: string): ZmdevError {
  const err = e as NodeJS.ErrnoException;
  /* c8 ignore next -- node:fs errors always carry an errno code */
  return new ZmdevError({ code: err.code ?? 'EIO', message: `${what} failed: ${err.message}`, cause: e });
}

/** The files of the host, written atomically (mode 0644, as chzdev and mdevctl leave them). */
export const hostFiles: ApplyFiles = {
  write(file, text) {
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    } catch (e) {
      throw fsError(e, `making the directory ${path.dirname(file)}`);
    }
    writeFileAtomic(file, text, 0o644);
  },
  remove(file) {
    try {
      unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw fsError(e, `removing ${file}`);
    }
  },
};

export interface ApplyOptions {
  /** Plan and check only; nothing is written. */
  dryRun?: boolean;
  /** Also remove (stop) every running mdev and undefine every definition the file does not name. */
  prune?: boolean;
  files?: ApplyFiles;
}

export interface ApplyResult {
  /** The steps run (or, with dryRun, that would run); none when the host already matches. */
  steps: ApplyStep[];
  dryRun: boolean;
}

/** A step done, and how to put back what it changed. */
interface Done {
  step: ApplyStep;
  index: number;
  undo(): void;
}

export interface NotPutBack {
  index: number;
  step: ApplyStep;
  error: ZmdevError;
}

/** An apply stopped at a refused step; the steps before it were undone (those in notPutBack could not be). */
export class ApplyError extends ZmdevError {
  constructor(
    readonly index: number,
    readonly step: ApplyStep,
    readonly total: number,
    readonly refusal: ZmdevError,
    readonly notPutBack: NotPutBack[],
  ) {
    const undone = index - 1 - notPutBack.filter((n) => n.index < index).length;
    const left = notPutBack.map((n) => `step ${n.index} (${n.step.what}): ${n.error.code}: ${n.error.message}`);
    super({
      code: refusal.code,
      message: `step ${index} of ${total} (${step.what}) was refused: ${refusal.code}: ${refusal.message}; ` +
        (left.length === 0
          ? `${index === 1 ? 'nothing had been changed' : `the ${undone} step${undone === 1 ? '' : 's'} before it ${undone === 1 ? 'was' : 'were'} undone`}, so the host is as it was`
          : `these could not be put back, so the host is left changed: ${left.join('; ')}; put them back by hand, then apply again`),
      cause: refusal,
    });
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      step: this.index,
      of: this.total,
      what: this.step.what,
      refusal: this.refusal.toJSON(),
      notPutBack: this.notPutBack.map((n) => ({ step: n.index, what: n.step.what, error: n.error.toJSON() })),
    };
  }
}

function previous(file: string): string | null {
  try {
    return readRegularFile(file);
  } catch (e) {
    /* c8 ignore next -- readHostView read this file a moment before, under the same lock */
    if ((e as ZmdevError).code !== 'ENOENT') throw e;
    return null;
  }
}

function definitionText(uuid: string, d: DefinitionState): string {
  return formatMdevctlConfig(makeDefinition({ uuid, parent: MATRIX_PARENT, type: d.type, start: d.start, attrs: apAttrs(d.matrix) }));
}

const idsOf = (m: ApMatrix) => ({ adapters: m.adapters.ids(), domains: m.domains.ids(), controlDomains: m.controlDomains.ids() });

/** The kernel's absolute form of the masks that differ. */
function maskWrite(from: HostMasks, to: HostMasks) {
  const pick = (a: ApMask, b: ApMask) => (a.equals(b) ? undefined : b.toString());
  return { apmask: pick(from.apmask, to.apmask), aqmask: pick(from.aqmask, to.aqmask), grammar: 'kernel' as const };
}

/** Runs one step; returns its inverse. Throws (having changed nothing, or an UndoError) when refused. */
function run(host: ApHost, root: string, files: ApplyFiles, step: ApplyStep): () => void {
  const replace = (file: string, text: string | null) => {
    const old = previous(file);
    if (text === null) files.remove(file);
    else files.write(file, text);
    return () => (old === null ? files.remove(file) : files.write(file, old));
  };
  switch (step.kind) {
    case 'persistent-masks':
      return replace(path.join(root, ZDEV_AP_RULES), formatApRules(step.after));
    case 'define':
    case 'redefine':
    case 'undefine':
      return replace(path.join(root, MDEVCTL_DIR, MATRIX_PARENT, step.uuid), step.after && definitionText(step.uuid, step.after));
    case 'active-masks': {
      const { before, after } = step;
      host.setMasks(maskWrite(before, after));
      return () => void host.setMasks(maskWrite(after, before));
    }
    case 'create':
      host.createMdev({ uuid: step.uuid, ...idsOf(step.after!) });
      return () => host.removeMdev(step.uuid);
    case 'remove':
      host.removeMdev(step.uuid);
      return () => void host.createMdev({ uuid: step.uuid, ...idsOf(step.before!) });
    case 'configure': {
      const { before, after, uuid } = step;
      host.configure(uuid, after!);
      return () => void host.configure(uuid, before!);
    }
  }
}

/**
 * Makes the host hold `desired`: under the host's configuration lock (nothing interleaves), the
 * host read once, the final state checked, the steps planned and run in order; a refused step
 * undoes the steps done, newest first, and throws an ApplyError. A dry run returns the steps
 * unapplied. Only ZmdevErrors (refusals) are undone; anything else is a bug and passed on as it is.
 */
export function applyDesired(host: ApHost, root: string, desired: DesiredState, opts: ApplyOptions = {}): ApplyResult {
  const dryRun = opts.dryRun ?? false;
  const files = opts.files ?? hostFiles;
  return host.locked(() => {
    host.changeLog?.requireNone();
    const steps = planApply(readHostView(host, root), desired, { prune: opts.prune ?? false });
    if (dryRun) return { steps, dryRun };
    const done: Done[] = [];
    for (const [i, step] of steps.entries()) {
      try {
        done.push({ step, index: i + 1, undo: run(host, root, files, step) });
      } catch (e) {
        if (!(e instanceof ZmdevError)) throw e;
        const notPutBack: NotPutBack[] = [];
        // A step whose own undo failed inside the journal left part of itself on the host.
        if (e.name === 'UndoError') notPutBack.push({ index: i + 1, step, error: e });
        for (const d of [...done].reverse()) {
          try {
            d.undo();
          } catch (u) {
            if (!(u instanceof ZmdevError)) throw u;
            notPutBack.push({ index: d.index, step: d.step, error: u });
          }
        }
        throw new ApplyError(i + 1, step, steps.length, e, notPutBack);
      }
    }
    return { steps, dryRun };
  });
}
