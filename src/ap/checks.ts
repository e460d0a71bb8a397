// The checks the kernel makes before it changes an mdev, made first by zmdev so that a refusal
// comes with the APQNs involved and the fix — and nothing is written.
import type { ApMask } from '../mask/ap-mask.js';
import { apqnsOf, formatApqn } from '../mask/apqn.js';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import { readMasks, readMaxIds, reserved, type Masks } from './bus.js';
import { ApError, apqnList } from './errors.js';
import { listMdevMatrices, type MdevMatrix } from './mdev-read.js';

/** The matrix an mdev should hold. */
export interface MatrixTarget {
  adapters: ApMask;
  domains: ApMask;
  controlDomains: ApMask;
}

/** What the checks need to know of the host; read once for a batch of checks. */
export interface HostFacts {
  masks: Masks;
  max: { adapter: number; domain: number };
  mdevs: MdevMatrix[];
}

export function readHostFacts(io: SysfsIO): HostFacts {
  return { masks: readMasks(io), max: readMaxIds(io), mdevs: listMdevMatrices(io) };
}

const hex = (n: number, w: number) => `0x${n.toString(16).padStart(w, '0')}`;

/** ENODEV when an ID is above ap_max_adapter_id / ap_max_domain_id. */
export function checkMax(t: MatrixTarget, facts: Pick<HostFacts, 'max'>, uuid: string): ApError | undefined {
  const over = [
    ...t.adapters.above(facts.max.adapter).map((id) => `adapter ${hex(id, 2)} (highest ${hex(facts.max.adapter, 2)})`),
    ...t.domains.above(facts.max.domain).map((id) => `domain ${hex(id, 4)} (highest ${hex(facts.max.domain, 4)})`),
    ...t.controlDomains.above(facts.max.domain).map((id) => `control domain ${hex(id, 4)} (highest ${hex(facts.max.domain, 4)})`),
  ];
  if (!over.length) return undefined;
  return new ApError({
    code: 'ENODEV',
    message: `mdev ${uuid}: ${over.join(', ')} ${over.length > 1 ? 'are' : 'is'} above the highest ID this host allows ` +
      '(ap_max_adapter_id / ap_max_domain_id); use IDs within the range',
    mdev: uuid,
    precheck: true,
  });
}

function checkReserved(t: MatrixTarget, facts: HostFacts, uuid: string): ApError | undefined {
  const apqns = apqnsOf(t.adapters, t.domains).filter((q) => reserved(facts.masks, q));
  if (!apqns.length) return undefined;
  const adapters = [...new Set(apqns.map((q) => q.adapter))];
  const domains = [...new Set(apqns.map((q) => q.domain))];
  return new ApError({
    code: 'EADDRNOTAVAIL',
    message: `mdev ${uuid}: APQN${apqns.length > 1 ? 's' : ''} ${apqnList(apqns)} ${apqns.length > 1 ? 'are' : 'is'} still reserved for the host ` +
      `by apmask/aqmask; free ${apqns.length > 1 ? 'them' : 'it'} first with \`zmdev masks set apmask=${adapters.map((a) => `-${hex(a, 2)}`).join(',')}\` ` +
      `(the whole adapter${adapters.length > 1 ? 's' : ''}) or \`zmdev masks set aqmask=${domains.map((d) => `-${hex(d, 4)}`).join(',')}\` (the whole domain${domains.length > 1 ? 's' : ''})`,
    apqns,
    mdev: uuid,
    precheck: true,
  });
}

function checkShared(t: MatrixTarget, facts: HostFacts, uuid: string): ApError | undefined {
  for (const other of facts.mdevs) {
    if (other.uuid === uuid) continue;
    const apqns = apqnsOf(t.adapters.and(other.adapters), t.domains.and(other.domains));
    if (!apqns.length) continue;
    return new ApError({
      code: 'EADDRINUSE',
      message: `mdev ${uuid}: APQN${apqns.length > 1 ? 's' : ''} ${apqnList(apqns)} already belong${apqns.length > 1 ? '' : 's'} to mdev ${other.uuid}; ` +
        `an APQN can be in one mdev only: unassign ${apqns.length > 1 ? 'them' : formatApqn(apqns[0]!)} there, or pick other adapters or domains`,
      apqns,
      mdev: other.uuid,
      precheck: true,
    });
  }
  return undefined;
}

/**
 * The first refusal the kernel would give an assign_* write that makes the mdev's matrix `t`
 * (ENODEV, then EADDRNOTAVAIL, then EADDRINUSE), or undefined.
 */
export function checkAssign(t: MatrixTarget, facts: HostFacts, uuid: string): ApError | undefined {
  return checkMax(t, facts, uuid) ?? checkReserved(t, facts, uuid) ?? checkShared(t, facts, uuid);
}

/** The same for an ap_config write, whose order differs: ENODEV comes last. */
export function checkApConfig(t: MatrixTarget, facts: HostFacts, uuid: string): ApError | undefined {
  return checkReserved(t, facts, uuid) ?? checkShared(t, facts, uuid) ?? checkMax(t, facts, uuid);
}

/** Control domains without any usage domain are refused by ap-check at start; zmdev does the same. */
export function checkControlWithoutUsage(t: MatrixTarget, uuid: string): ApError | undefined {
  if (t.controlDomains.isEmpty() || !t.domains.isEmpty()) return undefined;
  return new ApError({
    code: 'EINVAL',
    message: `mdev ${uuid}: control domains without any usage domain give the guest nothing to manage; ` +
      'assign at least one usage domain (--domain), as ap-check requires',
    mdev: uuid,
    precheck: true,
  });
}
