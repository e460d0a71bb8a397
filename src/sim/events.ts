// Things that happen to a host from outside sysfs: the machine's AP configuration changes, a
// queue checkstops, a guest opens or closes an mdev, the vfio_ap module comes or goes, requests
// are processed. A test (and the CLI's demo) triggers them; each follows the kernel's reaction.
import { ApMask, formatApqn } from '../mask/index.js';
import { detach, probe } from './ap/bus.js';
import { refilterAll, resetQueue } from './ap/filter.js';
import { cardName, toMatrix, type SimHost } from './host.js';
import { makeAdapter, makeQueue } from './presets.js';
import { refuse } from './refusal.js';
import type { AdapterState, CardGeneration, CardMode, MdevState, QueueState } from './state.js';
import { attachGuest as attach, releaseGuest as release } from './ap/vfio-ap.js';

export interface NewAdapter {
  id: number;
  generation?: CardGeneration;
  mode?: CardMode;
  /** Anything else of the card (hwtype, depth, functions ...). */
  overrides?: Partial<Omit<AdapterState, 'id'>>;
}

function mdevOf(host: SimHost, uuid: string): MdevState {
  const m = host.mdev(uuid.toLowerCase());
  if (!m) refuse('ENOENT', `no mdev ${uuid}`);
  return m;
}

function queueOf(host: SimHost, adapter: number, domain: number): QueueState {
  const q = host.queue(adapter, domain);
  if (!q) refuse('ENOENT', `no queue device ${formatApqn({ adapter, domain })}`);
  return q;
}

/** The end of a scan that added resources: mdevs are filtered again, S.adm recomputed. */
function scanAdded(host: SimHost): void {
  host.state.bus.scans++;
  refilterAll(host, true);
}

/** New queue devices appear and are probed (reserved → cex4queue, else vfio_ap if loaded). */
function addQueues(host: SimHost, queues: QueueState[]): void {
  for (const q of queues) q.driver = null;
  host.setQueues([...host.state.queues, ...queues]);
  host.scanPending = true;
  for (const q of queues) probe(host, q);
  host.scanPending = false;
}

/** Queue devices go away; vfio_ap lets go of its own first. */
function removeQueues(host: SimHost, gone: (q: QueueState) => boolean): void {
  for (const q of host.state.queues.filter(gone)) detach(host, q);
  host.setQueues(host.state.queues.filter((q) => !gone(q)));
}

/** An adapter enters the host configuration (its card and queues appear, over-provisioning goes live). */
export function addAdapter(host: SimHost, spec: NewAdapter): void {
  if (!Number.isInteger(spec.id) || spec.id < 0 || spec.id > 255) refuse('EINVAL', `adapter ID ${spec.id} is not 0..255`);
  if (host.adapter(spec.id)) refuse('EEXIST', `adapter ${spec.id} is already configured`);
  const a = { ...makeAdapter(spec.id, spec.generation ?? 8, spec.mode ?? 'C'), ...spec.overrides, id: spec.id };
  host.state.host.adapters = [...host.state.host.adapters, a].sort((x, y) => x.id - y.id);
  addQueues(host, host.state.host.domains.map((d) => makeQueue(a.id, d)));
  scanAdded(host);
}

/** An adapter leaves the host configuration: it leaves every S, then its devices go. */
export function removeAdapter(host: SimHost, id: number): void {
  if (!host.adapter(id)) refuse('ENOENT', `adapter ${id} is not configured`);
  host.state.host.adapters = host.state.host.adapters.filter((a) => a.id !== id);
  dropFromShadows(host, ApMask.of([id]), ApMask.EMPTY);
  removeQueues(host, (q) => q.adapter === id);
  host.state.bus.scans++;
}

/** A usage domain enters the host configuration. */
export function addDomain(host: SimHost, d: number): void {
  if (!Number.isInteger(d) || d < 0 || d > 255) refuse('EINVAL', `domain ${d} is not 0..255`);
  if (host.state.host.domains.includes(d)) refuse('EEXIST', `domain ${d} is already configured`);
  host.state.host.domains = [...host.state.host.domains, d].sort((x, y) => x - y);
  addQueues(host, host.state.host.adapters.map((a) => makeQueue(a.id, d)));
  scanAdded(host);
}

/** A usage domain leaves the host configuration. */
export function removeDomain(host: SimHost, d: number): void {
  if (!host.state.host.domains.includes(d)) refuse('ENOENT', `domain ${d} is not configured`);
  host.state.host.domains = host.state.host.domains.filter((x) => x !== d);
  dropFromShadows(host, ApMask.EMPTY, ApMask.of([d]));
  removeQueues(host, (q) => q.domain === d);
  host.state.bus.scans++;
}

export function addControlDomain(host: SimHost, d: number): void {
  if (!Number.isInteger(d) || d < 0 || d > 255) refuse('EINVAL', `control domain ${d} is not 0..255`);
  if (host.state.host.controlDomains.includes(d)) refuse('EEXIST', `control domain ${d} is already configured`);
  host.state.host.controlDomains = [...host.state.host.controlDomains, d].sort((x, y) => x - y);
  scanAdded(host);
}

/** A control domain leaves the configuration. It stays in S.adm (the kernel's AND-NOT quirk). */
export function removeControlDomain(host: SimHost, d: number): void {
  if (!host.state.host.controlDomains.includes(d)) refuse('ENOENT', `control domain ${d} is not configured`);
  host.state.host.controlDomains = host.state.host.controlDomains.filter((x) => x !== d);
  host.state.bus.scans++;
}

function dropFromShadows(host: SimHost, apids: ApMask, apqis: ApMask): void {
  if (!host.caps.dynamic) return;
  for (const m of host.state.mdevs) {
    const s = toMatrix(m.shadow);
    m.shadow = { ...m.shadow, apm: s.apm.andNot(apids).toString(), aqm: s.aqm.andNot(apqis).toString() };
  }
}

/** SCLP configure/deconfigure of a card (also what a write to its `config` does). */
export function setAdapterConfig(host: SimHost, id: number, on: boolean): void {
  const a = host.adapter(id);
  if (!a) refuse('ENOENT', `adapter ${id} is not configured`);
  if (a.config === on) return;
  a.config = on;
  host.uevent(`devices/ap/${cardName(id)}`, `CONFIG=${on ? 1 : 0}`);
  for (const q of host.state.queues.filter((x) => x.adapter === id)) {
    q.config = on;
    q.resetRc = q.chkstop ? 4 : on ? 0 : 3;
    host.uevent(`devices/ap/${cardName(id)}/${formatApqn(q)}`, `CONFIG=${on ? 1 : 0}`);
  }
  refilterAll(host);
}

/** A queue (or, with domain undefined, every queue of an adapter) enters or leaves checkstop. */
export function setCheckstop(host: SimHost, adapter: number, domain: number | undefined, on: boolean): void {
  const a = host.adapter(adapter);
  if (!a) refuse('ENOENT', `adapter ${adapter} is not configured`);
  const qs = domain === undefined ? host.state.queues.filter((q) => q.adapter === adapter) : [queueOf(host, adapter, domain)];
  if (domain === undefined) a.chkstop = on;
  for (const q of qs) {
    q.chkstop = on;
    q.resetRc = on ? 4 : q.config ? 0 : 3;
  }
  refilterAll(host);
}

/** The next reset of a queue answers with this response code (e.g. 1: not available); filtering reruns. */
export function setResetResponse(host: SimHost, adapter: number, domain: number, rc: number): void {
  queueOf(host, adapter, domain).resetRc = rc;
  refilterAll(host);
}

/** The reset (ZAPQ) of one queue, e.g. what VFIO_DEVICE_RESET does for each linked queue. */
export function resetQueueEvent(host: SimHost, adapter: number, domain: number): void {
  resetQueue(queueOf(host, adapter, domain));
}

/** A guest (QEMU) opens the mdev. */
export function attachGuest(host: SimHost, uuid: string, guest: string): void {
  attach(host, mdevOf(host, uuid), guest);
}

/** The guest closes the mdev. */
export function releaseGuest(host: SimHost, uuid: string): void {
  const m = mdevOf(host, uuid);
  if (m.guest === null) refuse('EINVAL', `mdev ${m.uuid} is not in use by a guest`);
  release(host, m);
}

/** modprobe vfio_ap: the driver binds every unbound queue it may have. */
export function loadVfioAp(host: SimHost): void {
  if (host.state.vfioApLoaded) refuse('EEXIST', 'vfio_ap is already loaded');
  host.state.vfioApLoaded = true;
  for (const q of host.state.queues) if (q.driver === null && !host.reserved(q.adapter, q.domain)) probe(host, q);
}

/** rmmod vfio_ap: refused while mdevs exist; its queues are left unbound. */
export function unloadVfioAp(host: SimHost): void {
  if (!host.state.vfioApLoaded) refuse('ENOENT', 'vfio_ap is not loaded');
  if (host.state.mdevs.length) refuse('EBUSY', `vfio_ap is in use by ${host.state.mdevs.length} mdev(s); remove them first`);
  for (const q of host.state.queues) if (q.driver === 'vfio_ap') detach(host, q);
  host.state.vfioApLoaded = false;
}

/** Requests processed by a queue: its and its card's request_count go up. */
export function processRequests(host: SimHost, adapter: number, domain: number, count: number): void {
  const q = queueOf(host, adapter, domain);
  q.requestCount += count;
  host.adapter(adapter)!.requestCount += count;
}

