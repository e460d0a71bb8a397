// ApMatrix: the one matrix value (adapters, domains, control domains) that an mdev holds, a guest
// asks for, ap_config carries and a plan checks. The rules that decide whether a matrix may be
// had — the IDs the host allows, the APQNs apmask/aqmask keep for the host, the APQNs another
// mdev holds — are pure functions here returning findings: the simulator turns a finding into the
// kernel's errno and log line, the SDK into the user's sentence. One rule book, two voices.
import { ApMask } from './ap-mask.js';
import { apqnsOf, type Apqn } from './apqn.js';
import type { IdKind } from './ids.js';

export interface ApMatrix {
  readonly adapters: ApMask;
  readonly domains: ApMask;
  readonly controlDomains: ApMask;
}

/** A matrix with its owner: an mdev (by UUID) or a plan's guest (by name). */
export interface OwnedMatrix extends ApMatrix {
  readonly uuid: string;
}

export const EMPTY_MATRIX: ApMatrix = Object.freeze({ adapters: ApMask.EMPTY, domains: ApMask.EMPTY, controlDomains: ApMask.EMPTY });

/** The host's apmask and aqmask: an APQN in both stays with the host's default drivers. */
export interface HostMasks {
  readonly apmask: ApMask;
  readonly aqmask: ApMask;
}

/** The IDs the host allows: ap_max_adapter_id and ap_max_domain_id. */
export interface MaxIds {
  readonly adapter: number;
  readonly domain: number;
}

/** True when both masks reserve the APQN for the host. */
export function isReserved(masks: HostMasks, q: Apqn): boolean {
  return masks.apmask.has(q.adapter) && masks.aqmask.has(q.domain);
}

// ---- findings ----

export interface IdAboveMax {
  kind: IdKind;
  id: number;
  max: number;
}

/** IDs of the matrix above what the host allows (the kernel answers ENODEV). */
export function idsAboveMax(m: ApMatrix, max: MaxIds): IdAboveMax[] {
  return [
    ...m.adapters.above(max.adapter).map((id): IdAboveMax => ({ kind: 'adapter', id, max: max.adapter })),
    ...m.domains.above(max.domain).map((id): IdAboveMax => ({ kind: 'domain', id, max: max.domain })),
    ...m.controlDomains.above(max.domain).map((id): IdAboveMax => ({ kind: 'control domain', id, max: max.domain })),
  ];
}

/** APQNs of the matrix that apmask/aqmask still keep for the host (EADDRNOTAVAIL). */
export function reservedApqns(m: Pick<ApMatrix, 'adapters' | 'domains'>, masks: HostMasks): Apqn[] {
  return apqnsOf(m.adapters.and(masks.apmask), m.domains.and(masks.aqmask));
}

export interface HeldApqns {
  /** The matrix holding them (an mdev's UUID). */
  owner: string;
  apqns: Apqn[];
}

/**
 * APQNs of the matrix that other matrices already hold (EADDRINUSE), owner by owner in the order
 * given; `self` is skipped. Control domains are never exclusive.
 */
export function heldElsewhere(m: Pick<ApMatrix, 'adapters' | 'domains'>, others: readonly OwnedMatrix[], self?: string): HeldApqns[] {
  const out: HeldApqns[] = [];
  for (const o of others) {
    if (o.uuid === self) continue;
    const apqns = apqnsOf(m.adapters.and(o.adapters), m.domains.and(o.domains));
    if (apqns.length) out.push({ owner: o.uuid, apqns });
  }
  return out;
}

/**
 * What a mask write takes from mdevs: the APQNs it would give back to the host (newly reserved
 * adapters × the other mask, or the other way round) that an mdev holds (EBUSY), owner by owner.
 */
export function reclaimedFromMdevs(newlyReserved: Pick<ApMatrix, 'adapters' | 'domains'>, mdevs: readonly OwnedMatrix[]): HeldApqns[] {
  return heldElsewhere(newlyReserved, mdevs);
}

/** Control domains without a usage domain: ap-check refuses such an mdev at start. */
export function controlWithoutUsage(m: ApMatrix): boolean {
  return !m.controlDomains.isEmpty() && m.domains.isEmpty();
}
