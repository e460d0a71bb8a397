// The masks in both of chzdev's scopes: active (sysfs, ApHost.setMasks) and persistent (zdev's
// rule file, applied at boot). A persistent change is checked as chzdev -p checks it — against the
// autostart definitions it would take APQNs from — before anything is written in either scope; the
// rule file is then replaced, and restored if the active change is refused afterwards.
import { InputError } from '../errors.js';
import type { HostMasks } from '../mask/matrix.js';
import { persistentConflictError, persistentMaskAfter, readApRules, writeApRules, persistentMaskConflicts, type PersistentMasks } from '../persist/zdev-ap-rules.js';
import { readRegularFile, writeFileAtomic } from '../files/atomic.js';
import { rmSync } from 'node:fs';
import type { MaskChange, MaskPlan } from './bus.js';
import { checkMaskPlan } from './bus.js';
import { apDefinitions } from './defined.js';
import type { ApHost } from './host.js';

export interface PersistentMaskPlan {
  path: string;
  before: PersistentMasks;
  after: PersistentMasks;
  /** Lines of the rule file that zdev does not keep: the rewrite drops them. */
  dropped: string[];
}

/** Which scopes a change reaches (chzdev: both by default, -a active only, -p persistent only). */
export interface MaskScopes {
  active: boolean;
  persistent: boolean;
}

/** The persistent masks after the change, refused when an autostart definition would lose APQNs. */
export function planPersistentMasks(root: string, change: MaskChange, active: HostMasks): PersistentMaskPlan {
  if (change.grammar === 'kernel') {
    throw new InputError({
      code: 'EINVAL', input: 'kernel',
      message: "the rule file takes chzdev's syntax: drop --kernel to change the persistent masks, or add --active to change only sysfs",
    });
  }
  const read = readApRules(root);
  const before: PersistentMasks = { apmask: read.apmask, aqmask: read.aqmask };
  const after: PersistentMasks = {
    apmask: change.apmask === undefined ? before.apmask : persistentMaskAfter(change.apmask, before.apmask, active.apmask),
    aqmask: change.aqmask === undefined ? before.aqmask : persistentMaskAfter(change.aqmask, before.aqmask, active.aqmask),
  };
  const defs = apDefinitions(root).definitions.map((d) => ({ uuid: d.definition.uuid, start: d.definition.start, matrix: d.matrix }));
  const effectiveBefore = { apmask: before.apmask ?? active.apmask, aqmask: before.aqmask ?? active.aqmask };
  const refusal = persistentConflictError(persistentMaskConflicts(after, defs, { active, before: effectiveBefore }));
  if (refusal) throw refusal;
  return { path: read.path, before, after, dropped: read.foreign };
}

export interface MaskChangeResult {
  active: MaskPlan | null;
  persistent: PersistentMaskPlan | null;
  dryRun: boolean;
}

/**
 * Changes the masks in the given scopes, all or nothing: every check of both scopes first, then the
 * rule file, then sysfs; a refused sysfs change puts the rule file back as it was.
 */
export function setMasksInScopes(host: ApHost, root: string, change: MaskChange, scopes: MaskScopes, opts: { dryRun?: boolean } = {}): MaskChangeResult {
  const dryRun = opts.dryRun ?? false;
  return host.locked(() => {
    // An unfinished change is refused before either scope is looked at (setMasks refuses it too, but later).
    host.changeLog?.requireNone();
    const persistent = scopes.persistent ? planPersistentMasks(root, change, host.masks()) : null;
    if (dryRun) {
      const active = scopes.active ? host.planMasks(change) : null;
      if (active) checkMaskPlan(active);
      return { active, persistent, dryRun };
    }
    if (scopes.active) checkMaskPlan(host.planMasks(change));
    const oldText = persistent && readApRules(root).exists ? readRegularFile(persistent.path) : null;
    if (persistent) writeApRules(root, persistent.after);
    let active: MaskPlan | null = null;
    try {
      active = scopes.active ? host.setMasks(change) : null;
    } catch (e) {
      if (persistent) {
        // The rule file as it was, byte for byte (its foreign lines included).
        if (oldText === null) rmSync(persistent.path, { force: true });
        else writeFileAtomic(persistent.path, oldText, 0o644);
      }
      throw e;
    }
    return { active, persistent, dryRun };
  });
}
