// The steps of an apply, as explicit objects (what, why, before, after) that --dry-run and --json
// print, and their order: in each scope, what releases APQNs before the masks and what takes them
// after (mdevs that release, then masks that free and reserve, then mdevs that take), the
// persistent scope (files) before the active one (sysfs).
import type { ApMask } from '../mask/ap-mask.js';
import { idHex } from '../mask/ids.js';
import type { ApMatrix, HostMasks } from '../mask/matrix.js';
import type { PersistentMasks } from '../persist/zdev-ap-rules.js';
import { formatDesiredMask } from './desired.js';

/** A definition as apply compares and writes it. */
export interface DefinitionState {
  start: 'auto' | 'manual';
  type: string;
  matrix: ApMatrix;
}

export type ApplyStep =
  | StepBase<'persistent-masks', PersistentMasks>
  | StepBase<'active-masks', HostMasks>
  | (StepBase<'define' | 'redefine' | 'undefine', DefinitionState | null> & { uuid: string })
  | (StepBase<'create' | 'configure' | 'remove', ApMatrix | null> & { uuid: string });

export type StepKind = ApplyStep['kind'];

interface StepBase<K extends string, S> {
  kind: K;
  scope: 'persistent' | 'active';
  /** release: gives APQNs up; masks; take: claims APQNs. */
  phase: 'release' | 'masks' | 'take';
  what: string;
  why: string;
  before: S;
  after: S;
}

const PHASES = ['release', 'masks', 'take'] as const;

/** The steps in the order they run: persistent scope, then active; in each, release, masks, take. */
export function orderSteps(steps: readonly ApplyStep[]): ApplyStep[] {
  const rank = (s: ApplyStep) => (s.scope === 'persistent' ? 0 : 3) + PHASES.indexOf(s.phase);
  // Array.prototype.sort is stable: within one rank the steps keep the file's order.
  return [...steps].sort((a, b) => rank(a) - rank(b));
}

const hexIds = (m: ApMask, kind: 'adapter' | 'domain') => m.ids().map((id) => idHex(id, kind));

function matrixJson(m: ApMatrix | null) {
  return m && { adapters: hexIds(m.adapters, 'adapter'), domains: hexIds(m.domains, 'domain'), controlDomains: hexIds(m.controlDomains, 'domain') };
}

function stateJson(s: ApplyStep['before']): unknown {
  if (s === null) return null;
  if ('apmask' in s) {
    const mask = (m: ApMask | null) => (m === null ? null : formatDesiredMask(m));
    return { apmask: mask(s.apmask), aqmask: mask(s.aqmask) };
  }
  if ('start' in s) return { start: s.start, type: s.type, ...matrixJson(s.matrix) };
  return matrixJson(s);
}

/** A step as --json prints it: masks as chzdev lists, IDs as hex strings. */
export function stepJson(s: ApplyStep): Record<string, unknown> {
  return {
    kind: s.kind, scope: s.scope, phase: s.phase, ...('uuid' in s ? { uuid: s.uuid } : {}),
    what: s.what, why: s.why, before: stateJson(s.before), after: stateJson(s.after),
  };
}

/** The steps as --dry-run and apply print them: one numbered line each, the reason indented below. */
export function stepsText(steps: readonly ApplyStep[]): string {
  return steps.map((s, i) => `${i + 1}. ${s.what}\n   because ${s.why}\n`).join('');
}

/** Short words for a matrix in sentences: `01,0a x 0002 (control 0002)`. */
export function matrixWords(m: ApMatrix): string {
  const list = (mask: ApMask, w: number) => mask.ids().map((id) => id.toString(16).padStart(w, '0')).join(',') || '-';
  return `${list(m.adapters, 2)} x ${list(m.domains, 4)} (control ${list(m.controlDomains, 4)})`;
}
