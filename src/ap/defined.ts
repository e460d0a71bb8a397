// vfio-ap mdevs that are defined (an mdevctl definition under <root>/etc/mdevctl.d/matrix/) as well
// as, or instead of, active: define, change and remove a definition, start one as an active mdev
// with every kernel check and rollback of createMdev, and stop one. The files are mdevctl's, byte for
// byte, so mdevctl, libvirt and zmdev can take turns on one host.
import { ZmdevError } from '../errors.js';
import { ApMask } from '../mask/ap-mask.js';
import { newUuid, parseUuid, type Uuid } from '../mask/ids.js';
import type { ApMatrix, HostMasks } from '../mask/matrix.js';
import { makeDefinition, type DefinitionAttr, type MdevDefinition, type StartPolicy } from '../mdev/definition.js';
import { apAttrs, apMatrixOfAttrs, readDefinition, readDefinitions, removeDefinition, writeDefinition, type DefinitionProblem } from '../persist/mdevctl-files.js';
import { autostartOverlapError, autostartOverlaps, persistentConflictError, persistentMaskConflicts, readApRules } from '../persist/zdev-ap-rules.js';
import type { ApHost } from './host.js';
import { MATRIX_PARENT, MDEV_TYPE } from './paths.js';

/** A vfio-ap definition with its matrix read from its attrs. */
export interface ApDefinition {
  definition: MdevDefinition;
  matrix: ApMatrix;
}

/**
 * What ap-check refuses when an autostart definition is written: APQNs another autostart definition
 * holds, and APQNs the persistent masks keep for the host (a mask the rule file does not set is the
 * active one, or the boot default when there is no host). A manual definition is not checked.
 */
export function checkAutostart(root: string, candidate: ApDefinition, active?: HostMasks): void {
  if (candidate.definition.start !== 'auto') return;
  const me = { uuid: candidate.definition.uuid, start: candidate.definition.start, matrix: candidate.matrix };
  const others = apDefinitions(root).definitions
    .filter((d) => d.definition.uuid !== me.uuid)
    .map((d) => ({ uuid: d.definition.uuid, start: d.definition.start, matrix: d.matrix }));
  // The candidate comes first, so every pair with it names it as `a`.
  const overlap = autostartOverlapError(autostartOverlaps([me, ...others]).filter((o) => o.a === me.uuid));
  if (overlap) throw overlap;
  const rules = readApRules(root);
  const reserved = persistentConflictError(persistentMaskConflicts(rules, [me], active ? { active } : {}));
  if (reserved) throw reserved;
}

export interface DefineOptions {
  uuid?: string;
  start?: StartPolicy;
  type?: string;
  /** The matrix, written as ordered assign_* attrs; or the attrs as given (from a file). */
  matrix?: ApMatrix;
  attrs?: readonly DefinitionAttr[];
  /** The host's active masks, for the masks the rule file does not set (checkAutostart). */
  active?: HostMasks;
}

function notDefined(uuid: string): ZmdevError {
  return new ZmdevError({ code: 'ENOENT', message: `mdev ${uuid} is not defined (no ${MATRIX_PARENT}/${uuid} under etc/mdevctl.d); \`zmdev mdev list --defined\` lists the definitions` });
}

/** The matrix a definition's attrs give (refusing attrs vfio_ap does not have). */
export function apDefinitionOf(d: MdevDefinition): ApDefinition {
  return { definition: d, matrix: apMatrixOfAttrs(d.attrs, `definition ${d.parent}/${d.uuid}`) };
}

/** The vfio-ap definitions under the root, and the files that could not be read. */
export function apDefinitions(root: string): { definitions: ApDefinition[]; problems: DefinitionProblem[] } {
  const { definitions, problems } = readDefinitions(root, { parent: MATRIX_PARENT });
  return { definitions: definitions.map(apDefinitionOf), problems };
}

export function apDefinition(root: string, uuid: string): ApDefinition {
  const u = parseUuid(uuid);
  const d = readDefinition(root, MATRIX_PARENT, u);
  if (!d) throw notDefined(u);
  return apDefinitionOf(d);
}

/** Writes a new definition (refusing one that exists, as mdevctl does) and returns it. */
export function defineApMdev(root: string, opts: DefineOptions): ApDefinition {
  const uuid: Uuid = opts.uuid === undefined ? newUuid() : parseUuid(opts.uuid);
  if (readDefinition(root, MATRIX_PARENT, uuid)) {
    throw new ZmdevError({ code: 'EEXIST', message: `mdev ${uuid} is already defined under ${MATRIX_PARENT}; change it with \`zmdev mdev modify ${uuid}\` or remove it with \`zmdev mdev undefine ${uuid}\`` });
  }
  const attrs = opts.attrs ?? (opts.matrix ? apAttrs(opts.matrix) : []);
  const d = makeDefinition({ uuid, parent: MATRIX_PARENT, type: opts.type ?? MDEV_TYPE, start: opts.start ?? 'manual', attrs });
  const defined = apDefinitionOf(d);
  checkAutostart(root, defined, opts.active);
  writeDefinition(root, d);
  return defined;
}

export interface ModifyOptions {
  start?: StartPolicy;
  type?: string;
  add?: ApMatrix;
  remove?: ApMatrix;
  /** The attrs as given, replacing the stored ones (mdevctl modify --jsonfile); not with add/remove. */
  attrs?: readonly DefinitionAttr[];
  active?: HostMasks;
}

/** Changes a definition: start policy, type, IDs added or removed (the attrs rewritten in order). */
export function modifyApMdev(root: string, uuid: string, change: ModifyOptions): ApDefinition {
  const { definition: d, matrix } = apDefinition(root, uuid);
  const edit = (m: ApMask, add: ApMask | undefined, remove: ApMask | undefined) => m.or(add ?? ApMask.EMPTY).andNot(remove ?? ApMask.EMPTY);
  const next: ApMatrix = {
    adapters: edit(matrix.adapters, change.add?.adapters, change.remove?.adapters),
    domains: edit(matrix.domains, change.add?.domains, change.remove?.domains),
    controlDomains: edit(matrix.controlDomains, change.add?.controlDomains, change.remove?.controlDomains),
  };
  const touched = change.add !== undefined || change.remove !== undefined;
  const attrs = change.attrs ?? (touched ? apAttrs(next) : d.attrs);
  const nd = makeDefinition({ ...d, type: change.type ?? d.type, start: change.start ?? d.start, attrs });
  const modified = apDefinitionOf(nd);
  checkAutostart(root, modified, change.active);
  writeDefinition(root, nd);
  return modified;
}

/** Removes a definition; an active mdev of that UUID keeps running (as mdevctl undefine leaves it). */
export function undefineApMdev(root: string, uuid: string): void {
  const u = parseUuid(uuid);
  if (!removeDefinition(root, MATRIX_PARENT, u)) throw notDefined(u);
}

/**
 * Starts a definition: creates the mdev with its matrix through createMdev — every check before the
 * first write, and the new mdev removed again if the kernel refuses anything.
 */
export function startApMdev(host: ApHost, root: string, uuid: string, opts: { dryRun?: boolean } = {}) {
  const { definition, matrix } = apDefinition(root, uuid);
  if (definition.type !== MDEV_TYPE) {
    throw new ZmdevError({ code: 'EINVAL', message: `definition ${uuid} has type ${definition.type}; vfio_ap's matrix device has only ${MDEV_TYPE}: fix it with \`zmdev mdev modify ${uuid} --type ${MDEV_TYPE}\`` });
  }
  return host.createMdev({ uuid: definition.uuid, adapters: matrix.adapters.ids(), domains: matrix.domains.ids(), controlDomains: matrix.controlDomains.ids(), dryRun: opts.dryRun });
}
