// The shadow APCB (guest_matrix): which part of an mdev's matrix the guest gets (kernel.md §4.5), and the
// queue resets that go with taking queues away from it (kernel.md §6).
import { ApMask } from '../../mask/index.js';
import { fromMatrix, toMatrix, type Matrix, type SimHost } from '../host.js';
import type { MdevState, QueueState } from '../state.js';

/** An APQN the guest may have: bound to vfio_ap, in this mdev, last reset code acceptable. */
export function passable(host: SimHost, q: QueueState | undefined): boolean {
  if (!q || q.driver !== 'vfio_ap') return false;
  const ok = host.caps.passableRc;
  return ok === null || ok.includes(q.resetRc);
}

/** S.apm and S.aqm for a matrix M on this host (rules 1-4 of kernel.md §4.5). */
export function filterShadow(host: SimHost, m: Matrix): { apm: ApMask; aqm: ApMask } {
  const h = host.config;
  const aqm = m.aqm.and(h.aqm);
  let apm = m.apm.and(h.apm);
  if (!aqm.isEmpty()) {
    const domains = aqm.ids();
    const dropped = apm.ids().filter((a) => domains.some((d) => !passable(host, host.queue(a, d))));
    apm = apm.without(...dropped);
  }
  return { apm, aqm };
}

/** Resets the queues in adapters × domains that vfio_ap holds (ZAPQ; the code follows the queue). */
export function resetQueues(host: SimHost, adapters: ApMask, domains: ApMask): void {
  for (const q of host.queuesOf(adapters, domains)) if (q.driver === 'vfio_ap') resetQueue(q);
}

export function resetQueue(q: QueueState): void {
  q.resets++;
  q.resetRc = q.chkstop ? 4 : q.config ? 0 : 3;
}

/**
 * Runs the filter for one mdev (dynamic profiles only). `adm` also recomputes S.adm = M.adm ∩ H.adm
 * (done by the control-domain attributes, ap_config and scans that added resources). Adapters
 * filtered out of S have their S queues reset.
 */
export function refilter(host: SimHost, mdev: MdevState, adm = false): void {
  if (!host.caps.dynamic) return;
  const m = toMatrix(mdev);
  const old = toMatrix(mdev.shadow);
  const next = filterShadow(host, m);
  const lost = old.apm.andNot(next.apm);
  if (!lost.isEmpty()) resetQueues(host, lost, old.aqm);
  mdev.shadow = fromMatrix({ apm: next.apm, aqm: next.aqm, adm: adm ? m.adm.and(host.config.adm) : old.adm });
}

export function refilterAll(host: SimHost, adm = false): void {
  for (const m of host.state.mdevs) refilter(host, m, adm);
}
