// The simulated host as plain data: everything the model knows, JSON-serialisable as it stands,
// so that a state file, a FUSE server and a test all see the same thing. Masks are kept in the
// kernel's read format (`0x` + 64 hex digits); the rules turn them into ApMask values.
import { ApMask, formatApqn } from '../mask/index.js';
import { CAPABILITIES, isProfileName, type ProfileName } from './profiles.js';

export const STATE_FORMAT = 'zmdev-sim/1';

/** The card families the simulator knows: CEX4 (hwtype 10) to CEX8 (hwtype 14). */
export type CardGeneration = 4 | 5 | 6 | 7 | 8;
/** A = accelerator, C = CCA coprocessor, P = EP11 coprocessor. */
export type CardMode = 'A' | 'C' | 'P';
export type QueueDriver = 'cex4queue' | 'vfio_ap';

export interface AdapterState {
  id: number;
  generation: CardGeneration;
  mode: CardMode;
  /** Compatible hardware type: 10 (CEX4) .. 14 (CEX8). */
  hwtype: number;
  /** Raw TAPQ type (may be newer than hwtype). */
  rawHwtype: number;
  /** TAPQ queue depth field (lszcrypt shows it plus one). */
  depth: number;
  /** TAPQ facility bits, shown as ap_functions. */
  functions: number;
  maxMsgSize: number;
  config: boolean;
  chkstop: boolean;
  /** zcrypt's online switch of the card. */
  online: boolean;
  /** Bound to cex4card (cards never follow the masks; only a manual unbind takes them away). */
  bound: boolean;
  requestCount: number;
}

export interface QueueState {
  adapter: number;
  domain: number;
  /** The bound driver, or null when the queue is unbound. */
  driver: QueueDriver | null;
  /** False once a driver let go of the queue until zcrypt binds it again (request_count reads `-`). */
  initiated: boolean;
  config: boolean;
  chkstop: boolean;
  /** zcrypt's online switch of the queue. */
  online: boolean;
  requestCount: number;
  /** Response code of the last reset (0 normal, 3 deconfigured, 4 checkstopped). */
  resetRc: number;
  /** How many resets (ZAPQ) the queue has had; the simulator's witness of docs/kernel.md §6. */
  resets: number;
}

export interface MatrixState {
  apm: string;
  aqm: string;
  adm: string;
}

export interface MdevState extends MatrixState {
  /** Lowercase UUID. */
  uuid: string;
  /** The shadow APCB: what the guest has or would get (guest_matrix). */
  shadow: MatrixState;
  /** The guest that holds the mdev open, or null. */
  guest: string | null;
  /**
   * The eventfds a VMM registered through VFIO_DEVICE_SET_IRQS: IRQ index (decimal) → fd. Absent
   * when none is registered; an index is below the profile's VFIO_AP_NUM_IRQS.
   */
  eventfds?: Record<string, number>;
}

export interface HostConfigState {
  /** QCI is available (false: the bus's masks print `not supported`, features `-`). */
  qci: boolean;
  /** QCI facility flags among APSC APXA QACT RC8A APSB. APXA raises the ID maxima. */
  facilities: string[];
  /** QCI Na and Nd (used when APXA is installed and they are non-zero). */
  na: number;
  nd: number;
  /** Adapters in the configuration (QCI APM), each with its card's properties. */
  adapters: AdapterState[];
  /** Usage domains (QCI AQM). */
  domains: number[];
  /** Control domains (QCI ADM). */
  controlDomains: number[];
}

export interface BusState {
  apDomain: number;
  configTime: number;
  pollThread: boolean;
  pollTimeout: number;
  interrupts: boolean;
  scans: number;
}

export interface SimState {
  format: typeof STATE_FORMAT;
  profile: ProfileName;
  host: HostConfigState;
  apmask: string;
  aqmask: string;
  bus: BusState;
  vfioApLoaded: boolean;
  /** Queue devices, sorted by adapter then domain. */
  queues: QueueState[];
  /** mdevs in creation order. */
  mdevs: MdevState[];
  availableInstances: number;
  /** Kernel log lines (dmesg without timestamps). */
  log: string[];
  /** KOBJ_CHANGE uevents, as `<devpath> VAR=value` strings. */
  uevents: string[];
}

/** All instances the mdev type offers: 256 adapters × 256 domains. */
export const MAX_INSTANCES = 65536;

const FACILITIES = ['APSC', 'APXA', 'QACT', 'RC8A', 'APSB'];
const HEX_MASK = /^0x[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const IRQ_INDEX = /^(0|[1-9][0-9]*)$/;
const FD_MAX = 0x7fffffff;

type Obj = Record<string, unknown>;

const join = (at: string, key: string | undefined): string => (key === undefined ? at : `${at}.${key}`);

/**
 * Collects what is wrong, each problem with the path of the value in the state. Every object is
 * checked against the fields declared for it: a field nobody declared is a problem too, so that
 * nothing reaches the model unchecked.
 */
class Problems {
  readonly list: string[] = [];

  add(where: string, what: string): void {
    this.list.push(`${where}: ${what}`);
  }

  // The checks take the path of the value as its parent and its key, and join them only to
  // report: a large state has tens of thousands of fields, nearly all of them fine.

  int(v: unknown, at: string, key: string | undefined, lo: number, hi: number): void {
    if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) this.add(join(at, key), `expected an integer from ${lo} to ${hi}, got ${JSON.stringify(v)}`);
  }

  bool(v: unknown, at: string, key?: string): void {
    if (typeof v !== 'boolean') this.add(join(at, key), `expected true or false, got ${JSON.stringify(v)}`);
  }

  mask(v: unknown, at: string, key?: string): boolean {
    if (typeof v === 'string' && HEX_MASK.test(v)) return true;
    this.add(join(at, key), `expected 0x and 64 lowercase hex digits, got ${JSON.stringify(v)}`);
    return false;
  }

  arr(v: unknown, where: string): unknown[] {
    if (Array.isArray(v)) return v;
    this.add(where, 'expected an array');
    return [];
  }

  /** The object's fields (an empty object when it is none), after refusing undeclared ones. */
  obj(v: unknown, where: string, fields: ReadonlySet<string>): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.add(where, 'expected an object');
      return {};
    }
    for (const k in v) if (!fields.has(k)) this.add(`${where}.${k}`, 'not a field of the state (misspelt, or from another version?)');
    return v as Obj;
  }
}

/** One part of the state, owned by one subsystem of the simulated kernel. */
interface StatePart {
  /** The top-level fields it owns. */
  fields: readonly string[];
  check(s: Obj, p: Problems): void;
}

/** The state file's own fields. */
const FILE_PART: StatePart = {
  fields: ['format', 'profile'],
  check(s, p) {
    if (s.format !== STATE_FORMAT) p.add('format', `expected ${JSON.stringify(STATE_FORMAT)}, got ${JSON.stringify(s.format)}`);
    if (!isProfileName(s.profile)) p.add('profile', `expected "6.15", "6.0" or "5.15", got ${JSON.stringify(s.profile)}`);
  },
};

const fieldSet = (names: readonly string[]): ReadonlySet<string> => new Set(names);
const HOST_FIELDS = fieldSet(['qci', 'facilities', 'na', 'nd', 'adapters', 'domains', 'controlDomains']);
const BUS_FIELDS = fieldSet(['apDomain', 'configTime', 'pollThread', 'pollTimeout', 'interrupts', 'scans']);
const ADAPTER_FIELDS = fieldSet(['id', 'generation', 'mode', 'hwtype', 'rawHwtype', 'depth', 'functions', 'maxMsgSize', 'config', 'chkstop',
  'online', 'bound', 'requestCount']);
const QUEUE_FIELDS = fieldSet(['adapter', 'domain', 'driver', 'initiated', 'config', 'chkstop', 'online', 'requestCount', 'resetRc', 'resets']);

/** The AP bus: the machine's AP configuration, the masks, the bus attributes, the queue devices. */
const AP_PART: StatePart = {
  fields: ['host', 'apmask', 'aqmask', 'bus', 'queues'],
  check(s, p) {
    const h = p.obj(s.host, 'host', HOST_FIELDS);
    p.bool(h.qci, 'host', 'qci');
    for (const [i, f] of p.arr(h.facilities, 'host.facilities').entries()) {
      if (!FACILITIES.includes(f as string)) p.add(`host.facilities[${i}]`, `expected one of ${FACILITIES.join(' ')}, got ${JSON.stringify(f)}`);
    }
    p.int(h.na, 'host', 'na', 0, 255);
    p.int(h.nd, 'host', 'nd', 0, 255);
    const ids = new Set<number>();
    for (const [i, a0] of p.arr(h.adapters, 'host.adapters').entries()) {
      const w = `host.adapters[${i}]`;
      const a = p.obj(a0, w, ADAPTER_FIELDS);
      p.int(a.id, w, 'id', 0, 255);
      if (ids.has(a.id as number)) p.add(`${w}.id`, `adapter ${String(a.id)} is listed twice`);
      ids.add(a.id as number);
      p.int(a.generation, w, 'generation', 4, 8);
      if (!['A', 'C', 'P'].includes(a.mode as string)) p.add(`${w}.mode`, `expected "A", "C" or "P", got ${JSON.stringify(a.mode)}`);
      p.int(a.hwtype, w, 'hwtype', 10, 14);
      p.int(a.rawHwtype, w, 'rawHwtype', 10, 255);
      p.int(a.depth, w, 'depth', 0, 255);
      p.int(a.functions, w, 'functions', 0, 0xffffffff);
      p.int(a.maxMsgSize, w, 'maxMsgSize', 0, 0xffffffff);
      for (const k of ['config', 'chkstop', 'online', 'bound']) p.bool(a[k], w, k);
      p.int(a.requestCount, w, 'requestCount', 0, Number.MAX_SAFE_INTEGER);
    }
    for (const k of ['domains', 'controlDomains']) {
      for (const [i, d] of p.arr(h[k], `host.${k}`).entries()) p.int(d, `host.${k}[${i}]`, undefined, 0, 255);
    }
    p.mask(s.apmask, 'apmask');
    p.mask(s.aqmask, 'aqmask');
    const b = p.obj(s.bus, 'bus', BUS_FIELDS);
    p.int(b.apDomain, 'bus', 'apDomain', -1, 255);
    p.int(b.configTime, 'bus', 'configTime', 5, 120);
    p.bool(b.pollThread, 'bus', 'pollThread');
    p.int(b.pollTimeout, 'bus', 'pollTimeout', 0, 120000000000);
    p.bool(b.interrupts, 'bus', 'interrupts');
    p.int(b.scans, 'bus', 'scans', 0, Number.MAX_SAFE_INTEGER);
    for (const [i, q0] of p.arr(s.queues, 'queues').entries()) {
      const w = `queues[${i}]`;
      const q = p.obj(q0, w, QUEUE_FIELDS);
      p.int(q.adapter, w, 'adapter', 0, 255);
      p.int(q.domain, w, 'domain', 0, 255);
      if (!(q.driver === null || q.driver === 'cex4queue' || q.driver === 'vfio_ap')) {
        p.add(`${w}.driver`, `expected "cex4queue", "vfio_ap" or null, got ${JSON.stringify(q.driver)}`);
      }
      for (const k of ['initiated', 'config', 'chkstop', 'online']) p.bool(q[k], w, k);
      p.int(q.requestCount, w, 'requestCount', 0, Number.MAX_SAFE_INTEGER);
      p.int(q.resetRc, w, 'resetRc', 0, 255);
      p.int(q.resets, w, 'resets', 0, Number.MAX_SAFE_INTEGER);
    }
  },
};

const MDEV_FIELDS = fieldSet(['uuid', 'apm', 'aqm', 'adm', 'shadow', 'guest', 'eventfds']);
const MATRIX_FIELDS = fieldSet(['apm', 'aqm', 'adm']);

/** vfio_ap: whether it is loaded, its mdevs (one APQN in one mdev at most), the instances left. */
const VFIO_AP_PART: StatePart = {
  fields: ['vfioApLoaded', 'mdevs', 'availableInstances'],
  check(s, p) {
    p.bool(s.vfioApLoaded, 'vfioApLoaded');
    const irqs = isProfileName(s.profile) ? CAPABILITIES[s.profile].vfioNumIrqs : null;
    const uuids = new Set<string>();
    const matrices: Array<{ i: number; uuid: string; apm: ApMask; aqm: ApMask }> = [];
    for (const [i, m0] of p.arr(s.mdevs, 'mdevs').entries()) {
      const w = `mdevs[${i}]`;
      const m = p.obj(m0, w, MDEV_FIELDS);
      if (typeof m.uuid !== 'string' || !UUID.test(m.uuid)) p.add(`${w}.uuid`, `expected a lowercase UUID, got ${JSON.stringify(m.uuid)}`);
      else if (uuids.has(m.uuid)) p.add(`${w}.uuid`, `${m.uuid} is listed twice`);
      uuids.add(m.uuid as string);
      const masks = ['apm', 'aqm', 'adm'].map((k) => p.mask(m[k], w, k));
      if (masks[0] && masks[1]) {
        matrices.push({ i, uuid: String(m.uuid), apm: ApMask.fromReadFormat(m.apm as string), aqm: ApMask.fromReadFormat(m.aqm as string) });
      }
      const sh = p.obj(m.shadow, `${w}.shadow`, MATRIX_FIELDS);
      for (const k of ['apm', 'aqm', 'adm']) p.mask(sh[k], `${w}.shadow`, k);
      if (!(m.guest === null || (typeof m.guest === 'string' && m.guest !== ''))) p.add(`${w}.guest`, 'expected a guest name or null');
      if (m.eventfds !== undefined) checkEventfds(p, m.eventfds, `${w}.eventfds`, irqs);
    }
    checkExclusive(p, matrices);
    p.int(s.availableInstances, 'availableInstances', undefined, 0, MAX_INSTANCES);
  },
};

/** IRQ index → eventfd, as VFIO_DEVICE_SET_IRQS registers them (the profile bounds the index). */
function checkEventfds(p: Problems, v: unknown, where: string, irqs: number | null): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return p.add(where, 'expected an object of IRQ index → eventfd');
  for (const [k, fd] of Object.entries(v)) {
    if (!IRQ_INDEX.test(k)) p.add(`${where}.${k}`, 'expected a decimal IRQ index as the key');
    else if (irqs !== null && Number(k) >= irqs) {
      p.add(`${where}.${k}`, `IRQ index ${k} does not exist on this kernel profile (VFIO_AP_NUM_IRQS is ${irqs})`);
    }
    p.int(fd, where, k, 0, FD_MAX);
  }
}

/**
 * vfio_ap never lets two mdevs hold one APQN (it refuses the assign with EADDRINUSE). A state
 * that has them anyway is refused, each pair of mdevs once with the first APQN they share. An
 * owner table keeps this linear in the APQNs the mdevs hold.
 */
function checkExclusive(p: Problems, matrices: ReadonlyArray<{ i: number; uuid: string; apm: ApMask; aqm: ApMask }>): void {
  const owner = new Int32Array(65536).fill(-1);
  const pairs = new Map<string, { a: number; b: number; first: number; count: number }>();
  matrices.forEach((m, j) => {
    const domains = m.aqm.ids();
    for (const adapter of m.apm.ids()) {
      for (const domain of domains) {
        const key = (adapter << 8) | domain;
        const o = owner[key]!;
        if (o < 0) {
          owner[key] = j;
          continue;
        }
        const id = `${o} ${j}`;
        const pair = pairs.get(id);
        if (pair) pair.count++;
        else pairs.set(id, { a: o, b: j, first: key, count: 1 });
      }
    }
  });
  for (const { a, b, first, count } of pairs.values()) {
    const x = matrices[a]!;
    const y = matrices[b]!;
    const more = count > 1 ? ` (and ${count - 1} more)` : '';
    p.add(`mdevs[${y.i}]`, `mdev ${y.uuid} holds APQN ${formatApqn({ adapter: first >> 8, domain: first & 0xff })}${more}, ` +
      `which mdev ${x.uuid} (mdevs[${x.i}]) holds too; an APQN can be in one mdev only`);
  }
}

/** The kernel's own record: the log and the uevents. */
const KERNEL_PART: StatePart = {
  fields: ['log', 'uevents'],
  check(s, p) {
    for (const k of ['log', 'uevents']) {
      for (const [i, l] of p.arr(s[k], k).entries()) if (typeof l !== 'string') p.add(`${k}[${i}]`, 'expected a string');
    }
  },
};

const PARTS: readonly StatePart[] = [FILE_PART, AP_PART, VFIO_AP_PART, KERNEL_PART];

/** What is wrong with a value that should be a SimState; empty when it is valid. */
export function checkState(x: unknown): string[] {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return ['state: expected an object'];
  const p = new Problems();
  const fields = new Set(PARTS.flatMap((part) => part.fields));
  for (const k of Object.keys(x)) if (!fields.has(k)) p.add(k, 'not a field of the state (misspelt, or from another version?)');
  for (const part of PARTS) part.check(x as Obj, p);
  return p.list;
}

/** A deep copy (states are plain data). */
export function cloneState(s: SimState): SimState {
  return structuredClone(s);
}

export const EMPTY_MATRIX: MatrixState = Object.freeze({
  apm: ApMask.EMPTY.toString(), aqm: ApMask.EMPTY.toString(), adm: ApMask.EMPTY.toString(),
});
