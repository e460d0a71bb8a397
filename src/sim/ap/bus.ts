// The AP bus: apmask/aqmask writes with their in-use refusal and rebinding (kernel.md §1.2-§1.4), driver
// binding of queue and card devices, the driver bind/unbind files, and the bus attributes (kernel.md §1.1).
import type { GrammarError } from '../../errors.js';
import { ApMask, parseKernelId, parseKernelMask } from '../../mask/index.js';
import { cardName, type SimHost } from '../host.js';
import { refuse } from '../refusal.js';
import type { QueueDriver, QueueState } from '../state.js';
import { checkNotInUse, queueLeaving, queueProbed } from './vfio-ap.js';
import { parseCardName, parseQueueName } from '../../mask/ids.js';

export type MaskName = 'apmask' | 'aqmask';

/** A write to /sys/bus/ap/apmask or aqmask (kernel.md §1.3). */
export function writeMask(host: SimHost, which: MaskName, bytes: Uint8Array): void {
  const old = which === 'apmask' ? host.apmask : host.aqmask;
  let next: ApMask;
  try {
    next = parseKernelMask(bytes, old);
  } catch (e) {
    refuse('EINVAL', (e as GrammarError).message);
  }
  if (next.equals(old)) return;
  const added = next.andNot(old);
  if (!added.isEmpty() && host.caps.inUseCheck) {
    if (which === 'apmask') checkNotInUse(host, added, host.aqmask);
    else checkNotInUse(host, host.apmask, added);
  }
  host.state[which] = next.toString();
  reviseBindings(host);
  host.uevent('devices/ap', `${which.toUpperCase()}=${next.toString()}\n`);
}

/** Reprobes every queue whose reservation and driver class disagree (kernel.md §1.4). */
export function reviseBindings(host: SimHost): void {
  for (const q of host.state.queues) {
    if (host.reserved(q.adapter, q.domain) !== (q.driver === 'cex4queue')) {
      detach(host, q);
      probe(host, q);
    }
  }
}

/** The queue's driver lets go of it (vfio_ap's remove effects included). */
export function detach(host: SimHost, q: QueueState): void {
  if (q.driver === 'vfio_ap') queueLeaving(host, q);
  q.driver = null;
  q.initiated = false;
}

/**
 * Which driver accepts an unbound queue: cex4queue when reserved; otherwise vfio_ap (if loaded),
 * which takes CEX4 (hwtype 10) and newer only — older queues stay unbound.
 */
export function probe(host: SimHost, q: QueueState): void {
  if (host.reserved(q.adapter, q.domain)) attach(host, q, 'cex4queue');
  else if (host.state.vfioApLoaded && host.adapter(q.adapter)!.hwtype >= 10) attach(host, q, 'vfio_ap');
}

function attach(host: SimHost, q: QueueState, driver: QueueDriver): void {
  q.driver = driver;
  // zcrypt (re)initialises the queue; vfio_ap leaves it as the bus left it.
  if (driver === 'cex4queue') q.initiated = true;
  else queueProbed(host, q);
}

export type ApDriverName = 'cex4card' | 'cex4queue' | 'vfio_ap';

/** The device a driver-core bind/unbind write names, compared as sysfs_streq does. */
function findDevice(host: SimHost, bytes: Uint8Array): { card?: number; queue?: QueueState } {
  const name = Buffer.from(bytes).toString('latin1').replace(/\n$/, '');
  const card = parseCardName(name);
  if (card !== undefined) return host.adapter(card) ? { card } : {};
  const apqn = parseQueueName(name);
  const q = apqn && host.queue(apqn.adapter, apqn.domain);
  return q ? { queue: q } : {};
}

/** bus/ap/drivers/<driver>/bind. */
export function bindDriver(host: SimHost, driver: ApDriverName, bytes: Uint8Array): void {
  const dev = findDevice(host, bytes);
  if (dev.card !== undefined && driver === 'cex4card') {
    const a = host.adapter(dev.card)!;
    if (a.bound) refuse('EBUSY', `${cardName(a.id)} is already bound to cex4card`);
    a.bound = true;
    return;
  }
  const q = dev.queue;
  if (!q || driver === 'cex4card') refuse('ENODEV', `no device of that name that ${driver} can drive`);
  if (q.driver !== null) refuse('EBUSY', `queue is already bound to ${q.driver}; unbind it first`);
  if (host.reserved(q.adapter, q.domain) !== (driver === 'cex4queue')) {
    refuse('ENODEV', driver === 'vfio_ap'
      ? 'the queue is reserved for the host by apmask/aqmask; free it there first'
      : 'the queue is not reserved for the host; add it to apmask and aqmask first');
  }
  attach(host, q, driver);
}

/** bus/ap/drivers/<driver>/unbind. */
export function unbindDriver(host: SimHost, driver: ApDriverName, bytes: Uint8Array): void {
  const dev = findDevice(host, bytes);
  if (dev.card !== undefined && driver === 'cex4card' && host.adapter(dev.card)!.bound) {
    host.adapter(dev.card)!.bound = false;
    return;
  }
  const q = dev.queue;
  if (!q || q.driver !== driver) refuse('ENODEV', `no device of that name is bound to ${driver}`);
  detach(host, q);
}

/** `bindings`: bound/total queue devices, `(complete)` once scanned and all bound. */
export function readBindings(host: SimHost): string {
  const total = host.state.queues.length;
  const bound = host.state.queues.filter((q) => q.driver !== null).length;
  return `${bound}/${total}${bound === total && host.state.bus.scans > 0 ? ' (complete)' : ''}\n`;
}

const FACILITY_ORDER = ['APSC', 'APXA', 'QACT', 'RC8A', 'APSB'];

export function readFeatures(host: SimHost): string {
  if (!host.state.host.qci) return '-\n';
  const f = FACILITY_ORDER.filter((x) => host.state.host.facilities.includes(x));
  return f.length ? `${f.join(' ')}\n` : '';
}

export function readQciMask(host: SimHost, m: ApMask): string {
  return host.state.host.qci ? `${m.toString()}\n` : 'not supported\n';
}

/** A scanf("%i")/("%d") conversion: leading space, sign, digits; trailing text ignored. null: no number. */
export function scanInt(bytes: Uint8Array, anyBase: boolean): number | null {
  const m = (anyBase ? /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/ : /^\s*([+-]?)([0-9]+)/)
    .exec(Buffer.from(bytes).toString('latin1'));
  if (!m) return null;
  const t = m[2]!;
  const v = /^0[xX]/.test(t) ? parseInt(t.slice(2), 16) : anyBase && t.length > 1 && t.startsWith('0') ? parseInt(t, 8) : parseInt(t, 10);
  return m[1] === '-' ? -v : v;
}

export function writeApDomain(host: SimHost, bytes: Uint8Array): void {
  const v = scanInt(bytes, true);
  if (v === null || v < 0 || v > host.maxDomainId || !host.aqmask.has(v)) {
    refuse('EINVAL', `the default domain must be a number from 0 to ${host.maxDomainId} whose aqmask bit is set`);
  }
  host.state.bus.apDomain = v;
}

export function writeConfigTime(host: SimHost, bytes: Uint8Array): void {
  const v = scanInt(bytes, false);
  if (v === null || v < 5 || v > 120) refuse('EINVAL', 'config_time takes seconds from 5 to 120');
  host.state.bus.configTime = v;
}

/** kstrtobool: y/Y/t/T/1, n/N/f/F/0, on/off. */
export function parseBool(bytes: Uint8Array): boolean | null {
  const s = Buffer.from(bytes).toString('latin1');
  const c = s[0];
  if (c !== undefined && 'yYtT1'.includes(c)) return true;
  if (c !== undefined && 'nNfF0'.includes(c)) return false;
  if (c === 'o' || c === 'O') {
    const d = s[1];
    if (d === 'n' || d === 'N') return true;
    if (d === 'f' || d === 'F') return false;
  }
  return null;
}

export function writePollThread(host: SimHost, bytes: Uint8Array): void {
  const v = parseBool(bytes);
  if (v === null) refuse('EINVAL', 'poll_thread takes 1/0, y/n or on/off');
  host.state.bus.pollThread = v;
}

export function writePollTimeout(host: SimHost, bytes: Uint8Array): void {
  let v: bigint;
  try {
    v = parseKernelId(bytes);
  } catch (e) {
    refuse((e as GrammarError).code, (e as GrammarError).message);
  }
  if (v > 120000000000n) refuse('EINVAL', 'poll_timeout takes nanoseconds up to 120000000000');
  host.state.bus.pollTimeout = Number(v);
}
