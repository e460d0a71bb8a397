// The difference between a desired state and the host, in both of chzdev's scopes: the host read
// once (active masks, running mdevs, the rule file, the definitions), the final state checked as a
// whole before anything is written (what the kernel, chzdev -p and ap-check would refuse on the
// way), and the steps that lead there.
import { ZmdevError } from '../errors.js';
import type { ApMask } from '../mask/ap-mask.js';
import { apqnsOf, formatApqn, type Apqn } from '../mask/apqn.js';
import type { Uuid } from '../mask/ids.js';
import { heldElsewhere, reservedApqns, type ApMatrix, type HostMasks } from '../mask/matrix.js';
import { apDefinitions } from '../ap/defined.js';
import type { ApHost } from '../ap/host.js';
import { readMdevMatrix } from '../ap/mdev-read.js';
import { MDEV_TYPE } from '../ap/paths.js';
import { persistentMaskConflicts, readApRules, type PersistentMasks } from '../persist/zdev-ap-rules.js';
import type { DesiredState } from './desired.js';
import { matrixWords, orderSteps, type ApplyStep, type DefinitionState } from './steps.js';

/** What apply compares with: the host as it is now. */
export interface HostView {
  active: HostMasks;
  persistent: PersistentMasks;
  definitions: Map<Uuid, DefinitionState>;
  running: Map<Uuid, ApMatrix>;
}

/** Reads the host once; definition files mdevctl could not read are refused (their state is unknown). */
export function readHostView(host: ApHost, root: string): HostView {
  const { definitions, problems } = apDefinitions(root);
  if (problems.length) {
    throw new ZmdevError({
      code: 'EINVAL',
      message: `${problems.map((p) => p.error.message).join('; ')}; the host's definitions cannot be compared while one is unreadable: ` +
        'correct or remove that file first (zmdev mdev list --defined lists the problems)',
    });
  }
  const rules = readApRules(root);
  return {
    active: host.masks(),
    persistent: { apmask: rules.apmask, aqmask: rules.aqmask },
    definitions: new Map(definitions.map((d) => [d.definition.uuid, { start: d.definition.start, type: d.definition.type, matrix: d.matrix }])),
    running: new Map(host.mdevs().map((u) => [u as Uuid, stripUuid(readMdevMatrix(host.io, u as Uuid))])),
  };
}

function stripUuid(m: ApMatrix): ApMatrix {
  return { adapters: m.adapters, domains: m.domains, controlDomains: m.controlDomains };
}

export function sameMatrix(a: ApMatrix, b: ApMatrix): boolean {
  return a.adapters.equals(b.adapters) && a.domains.equals(b.domains) && a.controlDomains.equals(b.controlDomains);
}

function sameMask(a: ApMask | null, b: ApMask | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

function meet(a: ApMatrix, b: ApMatrix): ApMatrix {
  return { adapters: a.adapters.and(b.adapters), domains: a.domains.and(b.domains), controlDomains: a.controlDomains.and(b.controlDomains) };
}

const apqnsIn = (m: ApMatrix): Apqn[] => apqnsOf(m.adapters, m.domains);
const autoApqns = (d: DefinitionState | null | undefined): Set<string> => new Set(d?.start === 'auto' ? apqnsIn(d.matrix).map(formatApqn) : []);

/** The state after the apply: the file's parts over the host's. */
interface Final {
  active: HostMasks;
  persistent: PersistentMasks;
  definitions: Map<Uuid, DefinitionState>;
  running: Map<Uuid, ApMatrix>;
  /** UUIDs the file names (or --prune removes): the others are left alone. */
  named: Set<Uuid>;
}

function finalState(view: HostView, desired: DesiredState, prune: boolean): Final {
  const definitions = new Map(prune ? [] : view.definitions);
  const running = new Map(prune ? [] : view.running);
  const named = new Set<Uuid>(prune ? [...view.definitions.keys(), ...view.running.keys()] : []);
  for (const d of desired.mdevs) {
    named.add(d.uuid);
    definitions.delete(d.uuid);
    running.delete(d.uuid);
    if (d.defined) definitions.set(d.uuid, { start: d.autostart ? 'auto' : 'manual', type: MDEV_TYPE, matrix: d.matrix });
    if (d.running) running.set(d.uuid, d.matrix);
  }
  return {
    active: { apmask: desired.active.apmask ?? view.active.apmask, aqmask: desired.active.aqmask ?? view.active.aqmask },
    persistent: {
      apmask: desired.persistent.apmask === undefined ? view.persistent.apmask : desired.persistent.apmask,
      aqmask: desired.persistent.aqmask === undefined ? view.persistent.aqmask : desired.persistent.aqmask,
    },
    definitions, running, named,
  };
}

const listApqns = (qs: readonly Apqn[]) => qs.map(formatApqn).join(', ');

/**
 * Refuses a final state that the kernel, chzdev -p or ap-check would refuse on the way, before
 * anything is written: a running mdev on APQNs the active masks keep for the host or another mdev
 * holds, a mask that reserves APQNs an mdev left alone holds, persistent masks that keep an
 * autostart definition's APQNs for the host (the masks of the file's own definitions in full,
 * the others' only where the file returns bits to the host, as chzdev -p decides), and autostart
 * definitions sharing APQNs with one the file leaves alone.
 */
function checkFinal(view: HostView, f: Final): void {
  const running = [...f.running].map(([uuid, m]) => ({ uuid, ...m }));
  for (const m of running) {
    const reserved = reservedApqns(m, f.active);
    if (reserved.length && (f.named.has(m.uuid) || !reservedApqns(m, view.active).length)) {
      throw new ZmdevError({
        code: f.named.has(m.uuid) ? 'EADDRNOTAVAIL' : 'EBUSY',
        message: `mdev ${m.uuid} would hold APQN${reserved.length > 1 ? 's' : ''} ${listApqns(reserved)} that the active masks keep for the host; ` +
          `${f.named.has(m.uuid) ? 'free them in "masks"/"active" (clear the adapter in apmask or the domain in aqmask) or take them out of the mdev'
            : 'that mdev is not in the file and is left alone: leave those bits clear, or add the mdev to the file'}`,
      });
    }
    for (const other of running) {
      if (other.uuid <= m.uuid || (!f.named.has(m.uuid) && !f.named.has(other.uuid))) continue;
      const [held] = heldElsewhere(m, [other]);
      if (held) {
        throw new ZmdevError({
          code: 'EADDRINUSE',
          message: `mdevs ${m.uuid} and ${other.uuid} would both run holding APQN${held.apqns.length > 1 ? 's' : ''} ${listApqns(held.apqns)}; ` +
            'an APQN belongs to one mdev at a time: take them out of one, stop one ("running": false), or list the other in the file',
        });
      }
    }
  }
  const defs = [...f.definitions].map(([uuid, d]) => ({ uuid, start: d.start, matrix: d.matrix }));
  const effectiveBefore = { apmask: view.persistent.apmask ?? view.active.apmask, aqmask: view.persistent.aqmask ?? view.active.aqmask };
  const conflicts = [
    ...persistentMaskConflicts(f.persistent, defs.filter((d) => f.named.has(d.uuid)), { active: f.active }),
    ...persistentMaskConflicts(f.persistent, defs.filter((d) => !f.named.has(d.uuid)), { active: f.active, before: effectiveBefore }),
  ];
  if (conflicts.length) {
    throw new ZmdevError({
      code: 'EBUSY',
      message: `the persistent masks would keep APQNs of autostart definitions for the host: ${conflicts.map((c) => `${c.uuid} (${c.apqns.join(', ')})`).join('; ')}; ` +
        'at the next boot these mdevs could not start: free them in "masks"/"persistent", or let the definitions start manually ("autostart": false)',
    });
  }
  const auto = defs.filter((d) => d.start === 'auto');
  for (const a of auto.filter((d) => f.named.has(d.uuid))) {
    for (const b of auto.filter((d) => !f.named.has(d.uuid))) {
      const shared = apqnsOf(a.matrix.adapters.and(b.matrix.adapters), a.matrix.domains.and(b.matrix.domains));
      if (shared.length) {
        throw new ZmdevError({
          code: 'EADDRINUSE',
          message: `autostart definitions ${a.uuid} and ${b.uuid} (not in the file) would share APQN${shared.length > 1 ? 's' : ''} ${listApqns(shared)}; ` +
            'at boot only the first to start gets them: take them out of one, or add the other to the file',
        });
      }
    }
  }
}

const maskChange = (before: ApMask | null, after: ApMask | null) => !sameMask(before, after);

/**
 * The steps that make the host hold the desired state, in the order they run (steps.ts), after
 * the final state has passed every check. No steps: the host already matches.
 */
export function planApply(view: HostView, desired: DesiredState, opts: { prune?: boolean } = {}): ApplyStep[] {
  const prune = opts.prune ?? false;
  const f = finalState(view, desired, prune);
  checkFinal(view, f);
  const steps: ApplyStep[] = [];
  if (maskChange(view.persistent.apmask, f.persistent.apmask) || maskChange(view.persistent.aqmask, f.persistent.aqmask)) {
    steps.push({
      kind: 'persistent-masks', scope: 'persistent', phase: 'masks', before: view.persistent, after: f.persistent,
      what: f.persistent.apmask === null && f.persistent.aqmask === null ? 'remove the rule file 41-ap.rules (no mask persisted)' : 'write the persistent masks to 41-ap.rules',
      why: 'the file\'s "masks"/"persistent" differ from the rule file',
    });
  }
  if (!view.active.apmask.equals(f.active.apmask) || !view.active.aqmask.equals(f.active.aqmask)) {
    steps.push({ kind: 'active-masks', scope: 'active', phase: 'masks', before: view.active, after: f.active, what: 'write the active masks (apmask, aqmask)', why: 'the file\'s "masks"/"active" differ from sysfs' });
  }
  const uuids = [...new Set([...desired.mdevs.map((d) => d.uuid), ...(prune ? [...view.definitions.keys(), ...view.running.keys()] : [])])];
  const inFile = new Set(desired.mdevs.map((d) => d.uuid));
  for (const uuid of uuids) {
    const why = (text: string) => (inFile.has(uuid) ? text : 'it is not in the file and --prune removes what the file does not name');
    const wantDef = f.definitions.get(uuid) ?? null;
    const curDef = view.definitions.get(uuid) ?? null;
    if (curDef && !wantDef) {
      steps.push({ kind: 'undefine', scope: 'persistent', phase: 'release', uuid, before: curDef, after: null, what: `undefine mdev ${uuid} (remove its mdevctl definition)`, why: why('the file says "defined": false') });
    } else if (!curDef && wantDef) {
      steps.push({ kind: 'define', scope: 'persistent', phase: 'take', uuid, before: null, after: wantDef, what: `define mdev ${uuid}: ${matrixWords(wantDef.matrix)}, start ${wantDef.start}`, why: 'it has no definition yet' });
    } else if (curDef && wantDef && (curDef.start !== wantDef.start || curDef.type !== wantDef.type || !sameMatrix(curDef.matrix, wantDef.matrix))) {
      // It takes when it gives an autostart APQN it did not have; otherwise it only releases.
      const had = autoApqns(curDef);
      const takes = [...autoApqns(wantDef)].some((q) => !had.has(q));
      steps.push({
        kind: 'redefine', scope: 'persistent', phase: takes ? 'take' : 'release', uuid, before: curDef, after: wantDef,
        what: `rewrite the definition of mdev ${uuid}: ${matrixWords(wantDef.matrix)}, start ${wantDef.start}`,
        why: `the definition holds ${matrixWords(curDef.matrix)}, start ${curDef.start}${curDef.type === wantDef.type ? '' : `, type ${curDef.type}`}`,
      });
    }
    const want = f.running.get(uuid) ?? null;
    const cur = view.running.get(uuid) ?? null;
    if (cur && !want) {
      steps.push({ kind: 'remove', scope: 'active', phase: 'release', uuid, before: cur, after: null, what: `remove mdev ${uuid} (stop it)`, why: why('the file says "running": false') });
    } else if (!cur && want) {
      steps.push({ kind: 'create', scope: 'active', phase: 'take', uuid, before: null, after: want, what: `create mdev ${uuid}: ${matrixWords(want)}`, why: 'it is not running' });
    } else if (cur && want && !sameMatrix(cur, want)) {
      // What it gives up goes before the masks, what it gains after: never two owners, never a reserved APQN held.
      const common = meet(cur, want);
      const why = `it holds ${matrixWords(cur)}`;
      if (!sameMatrix(common, cur)) steps.push({ kind: 'configure', scope: 'active', phase: 'release', uuid, before: cur, after: common, what: `take from mdev ${uuid} what the file does not give it: ${matrixWords(common)} left`, why });
      if (!sameMatrix(common, want)) steps.push({ kind: 'configure', scope: 'active', phase: 'take', uuid, before: common, after: want, what: `give mdev ${uuid} what the file adds: ${matrixWords(want)}`, why });
    }
  }
  return orderSteps(steps);
}
