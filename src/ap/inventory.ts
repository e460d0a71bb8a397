// The AP inventory: every card and queue device with the attributes the kernel shows for it, the
// bus-level facts (masks, maxima, features, bindings, default domain), and for every queue whether
// a guest can use it and, if not, why. One listing of the devices, one listing per AP driver (so
// the driver of each device costs no readlink), and ONE readMany for every attribute of every
// device and of the bus: the number of crossings does not grow with the host.
import { ApMask, formatApqn } from '../mask/index.js';
import { SysfsError, type SysfsIO } from '../sysfs/sysfs-io.js';
import { cardName, parseCardName, parseQueueName } from '../mask/ids.js';
import { AP_BUS, cardDir, queueDir } from './paths.js';

/** How lszcrypt names a card's mode, taken from the card's ap_functions bits. */
export type CardMode = 'Accelerator' | 'CCA-Coproc' | 'EP11-Coproc' | 'Unknown';

/** What vfio_ap's `status` attribute of a queue says (docs/kernel.md §2.2); other text is kept as the kernel wrote it. */
export type VfioApStatus = 'assigned' | 'unassigned' | 'in use' | (string & {});

/** `request_count`: a number, or `'-'` while the queue is uninitiated (e.g. after a move to vfio_ap). */
export type RequestCount = number | '-';

/** An AP card device (`/sys/devices/ap/cardXX`). */
export interface ApCard {
  /** Adapter ID (APID), 0..255. */
  id: number;
  /** Device name, e.g. `card0a`. */
  name: string;
  /** zcrypt's card type such as `CEX8C`; only present while the card is bound to cex4card. */
  type: string | undefined;
  mode: CardMode;
  /** Compatible hardware type: 10 = CEX4 … 14 = CEX8. */
  hwtype: number;
  /** Raw hardware type as TAPQ reports it. */
  rawHwtype: number;
  /** The `depth` attribute as read. */
  depth: number;
  /** ap_functions as a number. */
  functions: number;
  /** ap_functions as lszcrypt's FUNCTIONS letters (`S M C D A X N H F R`, `-` for a clear bit). */
  functionLetters: string;
  /** zcrypt's online switch; undefined when the card is not bound to a zcrypt driver. */
  online: boolean | undefined;
  /** Configured (SCLP); undefined if the kernel has no `config` attribute. */
  config: boolean | undefined;
  /** Checkstopped; undefined if the kernel has no `chkstop` attribute. */
  chkstop: boolean | undefined;
  requestCount: RequestCount;
  /** pendingq_count + requestq_count. */
  pending: number;
  /** The bound driver (the basename of the device's `driver` link), null when unbound. */
  driver: string | null;
}

/** An AP queue device (`/sys/devices/ap/cardXX/XX.YYYY`). */
export interface ApQueue {
  adapter: number;
  domain: number;
  /** Device name and APQN text, e.g. `01.001b`. */
  apqn: string;
  config: boolean | undefined;
  chkstop: boolean | undefined;
  /** zcrypt's online switch; only while bound to cex4queue. */
  online: boolean | undefined;
  requestCount: RequestCount;
  /** pendingq_count + requestq_count. */
  pending: number;
  driver: string | null;
  /** vfio_ap's status; only while bound to vfio_ap (and on kernels that have it). */
  status: VfioApStatus | undefined;
  /** The queue's own ap_functions (a live TAPQ), or null when the read failed (see functionsError). */
  functions: number | null;
  /** The errno code of a failed queue ap_functions read (the kernel gives EIO when TAPQ fails). */
  functionsError: string | undefined;
}

/** Facts of /sys/bus/ap. */
export interface ApBusInfo {
  apmask: ApMask;
  aqmask: ApMask;
  /** ap_max_adapter_id; undefined on kernels without it. */
  maxAdapterId: number | undefined;
  maxDomainId: number | undefined;
  /** The `features` words (APSC APXA QACT RC8A APSB); empty when the kernel prints `-` or nothing. */
  features: string[] | undefined;
  /** The `bindings` text without its newline, e.g. `12/12 (complete)`. */
  bindings: string | undefined;
  /** The default domain (`ap_domain`), -1 when none is chosen. */
  apDomain: number;
  /** QCI masks of the machine configuration; null where the kernel prints `not supported`. */
  adapterMask: ApMask | null;
  usageDomainMask: ApMask | null;
  controlDomainMask: ApMask | null;
  /** The AP drivers that are registered (the entries of bus/ap/drivers), e.g. cex4card cex4queue vfio_ap. */
  drivers: string[];
}

/** A device (or bus attribute) that could not be read completely; the device is left out of the inventory. */
export interface InventoryProblem {
  /** `card03`, `03.0004` or `bus/ap`. */
  device: string;
  /** errno code of the first failure (ENOENT for a device that vanished), or EPROTO for unexpected content. */
  code: string;
  /** The first failure's message. */
  message: string;
  /** Every path whose read failed. */
  paths: string[];
}

export interface Inventory {
  bus: ApBusInfo;
  /** Cards in adapter order. */
  cards: ApCard[];
  /** Queues in adapter, then domain order. */
  queues: ApQueue[];
  /** What could not be read; empty on a quiet host. */
  problems: InventoryProblem[];
}

/** lszcrypt's FUNCTIONS letters, one per ap_functions bit from bit 0 (0x80000000) on. */
export const FUNCTION_LETTERS = 'SMCDAXNHFR';

/** ap_functions → the FUNCTIONS column (`-----XN-F-` for a usual EP11 card). */
export function functionLetters(functions: number): string {
  let s = '';
  for (let i = 0; i < FUNCTION_LETTERS.length; i++) s += (functions >>> 0) & (0x80000000 >>> i) ? FUNCTION_LETTERS[i] : '-';
  return s;
}

/** ap_functions → the card's mode, in lszcrypt's order of precedence (CCA, then accelerator, then EP11). */
export function cardMode(functions: number): CardMode {
  if (functions & 0x10000000) return 'CCA-Coproc';
  if (functions & 0x08000000) return 'Accelerator';
  if (functions & 0x04000000) return 'EP11-Coproc';
  return 'Unknown';
}

class BadContent extends Error {}

const line = (s: string) => s.replace(/\n$/, '');

function int(s: string): number {
  const t = line(s);
  if (!/^-?[0-9]+$/.test(t)) throw new BadContent(`expected a decimal number, got ${JSON.stringify(s)}`);
  return Number(t);
}

const flag = (s: string) => int(s) !== 0;

function hex(s: string): number {
  const t = line(s);
  if (!/^0x[0-9a-fA-F]{1,8}$/.test(t)) throw new BadContent(`expected 0x and hex digits, got ${JSON.stringify(s)}`);
  return parseInt(t.slice(2), 16);
}

function requests(s: string): RequestCount {
  return line(s) === '-' ? '-' : int(s);
}

function mask(s: string): ApMask {
  try {
    return ApMask.fromReadFormat(s);
  } catch (e) {
    throw new BadContent((e as Error).message);
  }
}

/** A QCI mask of the bus (`not supported` without QCI). */
function qciMask(s: string): ApMask | null {
  return line(s) === 'not supported' ? null : mask(s);
}

/** The readMany plan: paths in, results out, failures collected per device. */
class Batch {
  readonly paths: string[] = [];
  private results: Array<string | SysfsError> = [];

  add(path: string): number {
    return this.paths.push(path) - 1;
  }

  run(io: SysfsIO): void {
    this.results = io.readMany(this.paths);
  }

  /** Reads of one device: `need` records a failure, `may` takes ENOENT as "the attribute is absent". */
  device(name: string): DeviceReads {
    return new DeviceReads(name, this.paths, this.results);
  }
}

class DeviceReads {
  private failures: Array<{ i: number; path: string; code: string; message: string }> = [];

  constructor(readonly name: string, private paths: string[], private results: Array<string | SysfsError>) {}

  private take<T>(i: number, parse: (s: string) => T, absentOk: boolean): T | undefined {
    const r = this.results[i]!;
    const path = this.paths[i]!;
    if (r instanceof SysfsError) {
      if (!(absentOk && r.code === 'ENOENT')) this.failures.push({ i, path, code: r.code, message: r.message });
      return undefined;
    }
    try {
      return parse(r);
    } catch (e) {
      this.failures.push({ i, path, code: 'EPROTO', message: `${path}: ${(e as Error).message}` });
      return undefined;
    }
  }

  need<T>(i: number, parse: (s: string) => T): T {
    return this.take(i, parse, false) as T;
  }

  may<T>(i: number, parse: (s: string) => T): T | undefined {
    return this.take(i, parse, true);
  }

  /** A read whose failure is a fact of the device rather than a problem (queue ap_functions: EIO). */
  raw(i: number): string | SysfsError {
    return this.results[i]!;
  }

  /** The device's failures in the order its paths were read, or undefined when all went well. */
  problem(): InventoryProblem | undefined {
    this.failures.sort((a, b) => a.i - b.i);
    const f = this.failures[0];
    return f && { device: this.name, code: f.code, message: f.message, paths: this.failures.map((x) => x.path) };
  }
}

const CARD_ATTRS = ['hwtype', 'raw_hwtype', 'depth', 'ap_functions', 'request_count', 'requestq_count', 'pendingq_count'] as const;
const QUEUE_ATTRS = ['request_count', 'requestq_count', 'pendingq_count'] as const;
const SWITCHES = ['config', 'chkstop', 'online'] as const;

function indexOf<K extends string>(b: Batch, dir: string, names: readonly K[]): Record<K, number> {
  return Object.fromEntries(names.map((n) => [n, b.add(`${dir}/${n}`)])) as Record<K, number>;
}

/**
 * Reads every AP card and queue and the bus attributes. Failures of single devices (a card that
 * vanished between the listing and the reads, an unreadable attribute) are reported in
 * `problems` and the device is left out; a failing listing or an unreadable apmask/aqmask/ap_domain
 * throws its SysfsError.
 */
export function readInventory(io: SysfsIO): Inventory {
  const names = io.list(`${AP_BUS}/devices`);
  const drivers = io.list(`${AP_BUS}/drivers`);
  const driverOf = new Map<string, string>();
  for (const d of drivers) {
    for (const dev of io.list(`${AP_BUS}/drivers/${d}`)) {
      if (parseCardName(dev) !== undefined || parseQueueName(dev)) driverOf.set(dev, d);
    }
  }

  const b = new Batch();
  const busAttrs = indexOf(b, AP_BUS, [
    'apmask', 'aqmask', 'ap_domain', 'ap_max_adapter_id', 'ap_max_domain_id', 'features', 'bindings',
    'ap_adapter_mask', 'ap_usage_domain_mask', 'ap_control_domain_mask',
  ]);
  const cardPlans = names.flatMap((n) => {
    const id = parseCardName(n);
    if (id === undefined) return [];
    const dir = cardDir(id);
    return [{ id, at: indexOf(b, dir, CARD_ATTRS), sw: indexOf(b, dir, SWITCHES), type: b.add(`${dir}/type`) }];
  });
  const queuePlans = names.flatMap((n) => {
    const q = parseQueueName(n);
    if (!q) return [];
    const { adapter, domain } = q;
    const dir = queueDir(adapter, domain);
    return [{
      adapter, domain, name: n, at: indexOf(b, dir, QUEUE_ATTRS), sw: indexOf(b, dir, SWITCHES),
      status: b.add(`${dir}/status`), functions: b.add(`${dir}/ap_functions`),
    }];
  });
  b.run(io);

  const problems: InventoryProblem[] = [];
  const bus = readBus(b.device('bus/ap'), busAttrs, drivers, problems);

  const cards: ApCard[] = [];
  for (const p of cardPlans) {
    const r = b.device(cardName(p.id));
    const functions = r.need(p.at.ap_functions, hex);
    const card: ApCard = {
      id: p.id,
      name: cardName(p.id),
      type: r.may(p.type, line),
      mode: cardMode(functions),
      hwtype: r.need(p.at.hwtype, int),
      rawHwtype: r.need(p.at.raw_hwtype, int),
      depth: r.need(p.at.depth, int),
      functions,
      functionLetters: functionLetters(functions),
      online: r.may(p.sw.online, flag),
      config: r.may(p.sw.config, flag),
      chkstop: r.may(p.sw.chkstop, flag),
      requestCount: r.need(p.at.request_count, requests),
      pending: r.need(p.at.pendingq_count, int) + r.need(p.at.requestq_count, int),
      driver: driverOf.get(cardName(p.id)) ?? null,
    };
    const problem = r.problem();
    if (problem) problems.push(problem);
    else cards.push(card);
  }

  const queues: ApQueue[] = [];
  for (const p of queuePlans) {
    const r = b.device(p.name);
    const fn = r.raw(p.functions);
    let functions: number | null = null;
    let functionsError: string | undefined;
    if (fn instanceof SysfsError) functionsError = fn.code;
    else functions = r.need(p.functions, hex);
    const queue: ApQueue = {
      adapter: p.adapter,
      domain: p.domain,
      apqn: formatApqn(p),
      config: r.may(p.sw.config, flag),
      chkstop: r.may(p.sw.chkstop, flag),
      online: r.may(p.sw.online, flag),
      requestCount: r.need(p.at.request_count, requests),
      pending: r.need(p.at.pendingq_count, int) + r.need(p.at.requestq_count, int),
      driver: driverOf.get(p.name) ?? null,
      status: r.may(p.status, line),
      functions,
      functionsError,
    };
    const problem = r.problem();
    if (problem) problems.push(problem);
    else queues.push(queue);
  }
  return { bus, cards, queues, problems };
}

function readBus(r: DeviceReads, at: Record<string, number>, drivers: string[], problems: InventoryProblem[]): ApBusInfo {
  const must = <T>(name: string, parse: (s: string) => T): T => {
    const x = r.raw(at[name]!);
    if (x instanceof SysfsError) throw x;
    return r.need(at[name]!, parse);
  };
  const info: ApBusInfo = {
    apmask: must('apmask', mask),
    aqmask: must('aqmask', mask),
    apDomain: must('ap_domain', int),
    maxAdapterId: r.may(at.ap_max_adapter_id!, int),
    maxDomainId: r.may(at.ap_max_domain_id!, int),
    features: r.may(at.features!, (s) => s.split(/\s+/).filter((w) => w !== '' && w !== '-')),
    bindings: r.may(at.bindings!, line),
    adapterMask: r.may(at.ap_adapter_mask!, qciMask) ?? null,
    usageDomainMask: r.may(at.ap_usage_domain_mask!, qciMask) ?? null,
    controlDomainMask: r.may(at.ap_control_domain_mask!, qciMask) ?? null,
    drivers,
  };
  const problem = r.problem();
  if (problem) {
    // apmask/aqmask/ap_domain with unexpected content make the inventory meaningless.
    if (['apmask', 'aqmask', 'ap_domain'].some((n) => problem.paths.includes(`${AP_BUS}/${n}`))) {
      throw new SysfsError({ code: problem.code, syscall: 'read', path: problem.paths[0]!, explanation: problem.message });
    }
    problems.push(problem);
  }
  return info;
}

/** Why a guest cannot use a queue. */
export type UsabilityReason =
  | { code: 'reserved'; apmaskBit: number; aqmaskBit: number; message: string }
  | { code: 'hwtype'; hwtype: number; message: string }
  | { code: 'deconfigured'; of: 'card' | 'queue'; message: string }
  | { code: 'checkstopped'; of: 'card' | 'queue'; message: string }
  | { code: 'not-bound'; driver: string | null; vfioApLoaded: boolean; message: string };

export interface QueueUsability {
  apqn: string;
  adapter: number;
  domain: number;
  /** True when nothing below stands between the queue and a guest (it is on vfio_ap, free, configured, working). */
  usable: boolean;
  reasons: UsabilityReason[];
}

/** The lowest hardware type vfio_ap takes: 10 = CEX4. */
export const MIN_VFIO_HWTYPE = 10;

/**
 * For every queue: can a guest use it, and if not, why. zcrypt's online switch is not a reason:
 * it only governs the host's own use, and a queue that still has it is on cex4queue, which the
 * reservation by apmask/aqmask already explains.
 */
export function guestUsability(inv: Inventory): QueueUsability[] {
  const cards = new Map(inv.cards.map((c) => [c.id, c]));
  const vfioApLoaded = inv.bus.drivers.includes('vfio_ap');
  return inv.queues.map((q) => {
    const reasons: UsabilityReason[] = [];
    const card = cards.get(q.adapter);
    const reserved = inv.bus.apmask.has(q.adapter) && inv.bus.aqmask.has(q.domain);
    if (reserved) {
      reasons.push({
        code: 'reserved', apmaskBit: q.adapter, aqmaskBit: q.domain,
        message: `${q.apqn} is reserved for the host: apmask bit ${q.adapter} and aqmask bit ${q.domain} are both set; ` +
          `clear one of them (zmdev masks set apmask=-${q.adapter}, or zmdev masks set aqmask=-${q.domain})`,
      });
    }
    const tooOld = card !== undefined && card.hwtype < MIN_VFIO_HWTYPE;
    if (tooOld) {
      reasons.push({
        code: 'hwtype', hwtype: card!.hwtype,
        message: `${q.apqn} is on a card of hardware type ${card!.hwtype}; vfio_ap takes only CEX4 (type 10) and newer`,
      });
    }
    if (card?.config === false || q.config === false) {
      const of = card?.config === false ? 'card' : 'queue';
      reasons.push({
        code: 'deconfigured', of,
        message: of === 'card'
          ? `${card!.name} is deconfigured; configure it (echo 1 > /sys/devices/ap/${card!.name}/config)`
          : `${q.apqn} is deconfigured in the machine's AP configuration`,
      });
    }
    if (card?.chkstop === true || q.chkstop === true) {
      const of = card?.chkstop === true ? 'card' : 'queue';
      reasons.push({
        code: 'checkstopped', of,
        message: `${of === 'card' ? card!.name : q.apqn} is checkstopped; the hardware must be repaired or reset`,
      });
    }
    // A card older than CEX4 already explains why vfio_ap did not take its free queues.
    if (!reserved && q.driver !== 'vfio_ap' && !(tooOld && q.driver === null)) {
      reasons.push({
        code: 'not-bound', driver: q.driver, vfioApLoaded,
        message: !vfioApLoaded
          ? `${q.apqn} is free but the vfio_ap module is not loaded (modprobe vfio_ap)`
          : q.driver === null
            ? `${q.apqn} is free but no driver took it`
            : `${q.apqn} is free but bound to ${q.driver}, not vfio_ap`,
      });
    }
    return { apqn: q.apqn, adapter: q.adapter, domain: q.domain, usable: reasons.length === 0, reasons };
  });
}

/** The queues of one card, in domain order. */
export function queuesOf(inv: Inventory, adapter: number): ApQueue[] {
  return inv.queues.filter((q) => q.adapter === adapter);
}
