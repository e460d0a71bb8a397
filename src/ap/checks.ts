// The checks the kernel makes before it changes an mdev, made first by zmdev so that a refusal
// comes with the APQNs involved and the fix — and nothing is written. The rules are the ones in
// mask/matrix.ts; this file gives their findings the user's words.
import type { ApMatrix } from '../mask/matrix.js';
import { controlWithoutUsage, heldElsewhere, idsAboveMax, reservedApqns, type MaxIds } from '../mask/matrix.js';
import { formatApqn } from '../mask/apqn.js';
import { idHex } from '../mask/ids.js';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import { readMasks, readMaxIds, type Masks } from './bus.js';
import { ApError, apqnList } from './errors.js';
import { listMdevMatrices, type MdevMatrix } from './mdev-read.js';

/** The matrix an mdev should hold. */
export type MatrixTarget = ApMatrix;

/** What the checks need to know of the host; read once for a whole change. */
export interface HostFacts {
  masks: Masks;
  max: MaxIds;
  mdevs: MdevMatrix[];
}

export function readHostFacts(io: SysfsIO): HostFacts {
  return { masks: readMasks(io), max: readMaxIds(io), mdevs: listMdevMatrices(io) };
}

const plural = (n: number, one: string, many: string) => (n > 1 ? many : one);

/** ENODEV when an ID is above ap_max_adapter_id / ap_max_domain_id. */
export function checkMax(t: ApMatrix, facts: Pick<HostFacts, 'max'>, uuid: string): ApError | undefined {
  const over = idsAboveMax(t, facts.max).map((f) => `${f.kind} ${idHex(f.id, f.kind)} (highest ${idHex(f.max, f.kind)})`);
  if (!over.length) return undefined;
  return new ApError({
    code: 'ENODEV',
    message: `mdev ${uuid}: ${over.join(', ')} ${plural(over.length, 'is', 'are')} above the highest ID this host allows ` +
      '(ap_max_adapter_id / ap_max_domain_id); use IDs within the range',
    mdev: uuid,
    precheck: true,
  });
}

function checkReserved(t: ApMatrix, facts: HostFacts, uuid: string): ApError | undefined {
  const apqns = reservedApqns(t, facts.masks);
  if (!apqns.length) return undefined;
  const adapters = [...new Set(apqns.map((q) => q.adapter))];
  const domains = [...new Set(apqns.map((q) => q.domain))];
  const n = apqns.length;
  return new ApError({
    code: 'EADDRNOTAVAIL',
    message: `mdev ${uuid}: APQN${plural(n, '', 's')} ${apqnList(apqns)} ${plural(n, 'is', 'are')} still reserved for the host ` +
      `by apmask/aqmask; free ${plural(n, 'it', 'them')} first with \`zmdev masks set apmask=${adapters.map((a) => `-${idHex(a, 'adapter')}`).join(',')}\` ` +
      `(the whole adapter${plural(adapters.length, '', 's')}) or \`zmdev masks set aqmask=${domains.map((d) => `-${idHex(d, 'domain')}`).join(',')}\` (the whole domain${plural(domains.length, '', 's')})`,
    apqns,
    mdev: uuid,
    precheck: true,
  });
}

function checkShared(t: ApMatrix, facts: HostFacts, uuid: string): ApError | undefined {
  const [first] = heldElsewhere(t, facts.mdevs, uuid);
  if (!first) return undefined;
  const { apqns, owner } = first;
  const n = apqns.length;
  return new ApError({
    code: 'EADDRINUSE',
    message: `mdev ${uuid}: APQN${plural(n, '', 's')} ${apqnList(apqns)} already belong${plural(n, 's', '')} to mdev ${owner}; ` +
      `an APQN can be in one mdev only: unassign ${n > 1 ? 'them' : formatApqn(apqns[0]!)} there, or pick other adapters or domains`,
    apqns,
    mdev: owner,
    precheck: true,
  });
}

/**
 * The first refusal the kernel would give an assign_* write that makes the mdev's matrix `t`
 * (ENODEV, then EADDRNOTAVAIL, then EADDRINUSE), or undefined.
 */
export function checkAssign(t: ApMatrix, facts: HostFacts, uuid: string): ApError | undefined {
  return checkMax(t, facts, uuid) ?? checkReserved(t, facts, uuid) ?? checkShared(t, facts, uuid);
}

/** The same for an ap_config write, whose order differs: ENODEV comes last. */
export function checkApConfig(t: ApMatrix, facts: HostFacts, uuid: string): ApError | undefined {
  return checkReserved(t, facts, uuid) ?? checkShared(t, facts, uuid) ?? checkMax(t, facts, uuid);
}

/** Control domains without any usage domain are refused by ap-check at start; zmdev does the same. */
export function checkControlWithoutUsage(t: ApMatrix, uuid: string): ApError | undefined {
  if (!controlWithoutUsage(t)) return undefined;
  return new ApError({
    code: 'EINVAL',
    message: `mdev ${uuid}: control domains without any usage domain give the guest nothing to manage; ` +
      'assign at least one usage domain (--domain), as ap-check requires',
    mdev: uuid,
    precheck: true,
  });
}
