// The simulated host as plain data: everything the model knows, JSON-serialisable as it stands,
// so that a state file, a FUSE server and a test all see the same thing. Masks are kept in the
// kernel's read format (`0x` + 64 hex digits); the rules turn them into ApMask values.
import { ApMask } from '../mask/index.js';
import { isProfileName, type ProfileName } from './profiles.js';

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

/** What is wrong with a value that should be a SimState; empty when it is valid. */
export function checkState(x: unknown): string[] {
  const errs: string[] = [];
  const s = x as Record<string, unknown>;
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return ['state: expected an object'];
  const int = (v: unknown, where: string, lo: number, hi: number) => {
    if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) errs.push(`${where}: expected an integer from ${lo} to ${hi}, got ${JSON.stringify(v)}`);
  };
  const bool = (v: unknown, where: string) => {
    if (typeof v !== 'boolean') errs.push(`${where}: expected true or false, got ${JSON.stringify(v)}`);
  };
  const mask = (v: unknown, where: string) => {
    if (typeof v !== 'string' || !HEX_MASK.test(v)) errs.push(`${where}: expected 0x and 64 lowercase hex digits, got ${JSON.stringify(v)}`);
  };
  const arr = (v: unknown, where: string): unknown[] => {
    if (Array.isArray(v)) return v;
    errs.push(`${where}: expected an array`);
    return [];
  };
  const obj = (v: unknown, where: string): Record<string, unknown> => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    errs.push(`${where}: expected an object`);
    return {};
  };
  if (s.format !== STATE_FORMAT) errs.push(`format: expected ${JSON.stringify(STATE_FORMAT)}, got ${JSON.stringify(s.format)}`);
  if (!isProfileName(s.profile)) errs.push(`profile: expected "6.15", "6.0" or "5.15", got ${JSON.stringify(s.profile)}`);
  const h = obj(s.host, 'host');
  bool(h.qci, 'host.qci');
  for (const [i, f] of arr(h.facilities, 'host.facilities').entries()) {
    if (!FACILITIES.includes(f as string)) errs.push(`host.facilities[${i}]: expected one of ${FACILITIES.join(' ')}, got ${JSON.stringify(f)}`);
  }
  int(h.na, 'host.na', 0, 255);
  int(h.nd, 'host.nd', 0, 255);
  const ids = new Set<number>();
  for (const [i, a0] of arr(h.adapters, 'host.adapters').entries()) {
    const a = obj(a0, `host.adapters[${i}]`);
    const w = `host.adapters[${i}]`;
    int(a.id, `${w}.id`, 0, 255);
    if (ids.has(a.id as number)) errs.push(`${w}.id: adapter ${String(a.id)} is listed twice`);
    ids.add(a.id as number);
    int(a.generation, `${w}.generation`, 4, 8);
    if (!['A', 'C', 'P'].includes(a.mode as string)) errs.push(`${w}.mode: expected "A", "C" or "P", got ${JSON.stringify(a.mode)}`);
    int(a.hwtype, `${w}.hwtype`, 10, 14);
    int(a.rawHwtype, `${w}.rawHwtype`, 10, 255);
    int(a.depth, `${w}.depth`, 0, 255);
    int(a.functions, `${w}.functions`, 0, 0xffffffff);
    int(a.maxMsgSize, `${w}.maxMsgSize`, 0, 0xffffffff);
    for (const k of ['config', 'chkstop', 'online', 'bound']) bool(a[k], `${w}.${k}`);
    int(a.requestCount, `${w}.requestCount`, 0, Number.MAX_SAFE_INTEGER);
  }
  for (const k of ['domains', 'controlDomains']) {
    for (const [i, d] of arr(h[k], `host.${k}`).entries()) int(d, `host.${k}[${i}]`, 0, 255);
  }
  mask(s.apmask, 'apmask');
  mask(s.aqmask, 'aqmask');
  const b = obj(s.bus, 'bus');
  int(b.apDomain, 'bus.apDomain', -1, 255);
  int(b.configTime, 'bus.configTime', 5, 120);
  bool(b.pollThread, 'bus.pollThread');
  int(b.pollTimeout, 'bus.pollTimeout', 0, 120000000000);
  bool(b.interrupts, 'bus.interrupts');
  int(b.scans, 'bus.scans', 0, Number.MAX_SAFE_INTEGER);
  bool(s.vfioApLoaded, 'vfioApLoaded');
  for (const [i, q0] of arr(s.queues, 'queues').entries()) {
    const w = `queues[${i}]`;
    const q = obj(q0, w);
    int(q.adapter, `${w}.adapter`, 0, 255);
    int(q.domain, `${w}.domain`, 0, 255);
    if (!(q.driver === null || q.driver === 'cex4queue' || q.driver === 'vfio_ap')) {
      errs.push(`${w}.driver: expected "cex4queue", "vfio_ap" or null, got ${JSON.stringify(q.driver)}`);
    }
    for (const k of ['initiated', 'config', 'chkstop', 'online']) bool(q[k], `${w}.${k}`);
    int(q.requestCount, `${w}.requestCount`, 0, Number.MAX_SAFE_INTEGER);
    int(q.resetRc, `${w}.resetRc`, 0, 255);
    int(q.resets, `${w}.resets`, 0, Number.MAX_SAFE_INTEGER);
  }
  const uuids = new Set<string>();
  for (const [i, m0] of arr(s.mdevs, 'mdevs').entries()) {
    const w = `mdevs[${i}]`;
    const m = obj(m0, w);
    if (typeof m.uuid !== 'string' || !UUID.test(m.uuid)) errs.push(`${w}.uuid: expected a lowercase UUID, got ${JSON.stringify(m.uuid)}`);
    else if (uuids.has(m.uuid)) errs.push(`${w}.uuid: ${m.uuid} is listed twice`);
    uuids.add(m.uuid as string);
    for (const k of ['apm', 'aqm', 'adm']) mask(m[k], `${w}.${k}`);
    const sh = obj(m.shadow, `${w}.shadow`);
    for (const k of ['apm', 'aqm', 'adm']) mask(sh[k], `${w}.shadow.${k}`);
    if (!(m.guest === null || (typeof m.guest === 'string' && m.guest !== ''))) errs.push(`${w}.guest: expected a guest name or null`);
  }
  int(s.availableInstances, 'availableInstances', 0, MAX_INSTANCES);
  for (const k of ['log', 'uevents']) {
    for (const [i, l] of arr(s[k], k).entries()) if (typeof l !== 'string') errs.push(`${k}[${i}]: expected a string`);
  }
  return errs;
}

/** A deep copy (states are plain data). */
export function cloneState(s: SimState): SimState {
  return structuredClone(s);
}

export const EMPTY_MATRIX: MatrixState = Object.freeze({
  apm: ApMask.EMPTY.toString(), aqm: ApMask.EMPTY.toString(), adm: ApMask.EMPTY.toString(),
});
