// Ready-made hosts: the product documentation's host, the kernel document's host, an empty one
// and a large one. Every preset boots like a kernel: default masks, all queues on cex4queue.
import { ApMask } from '../mask/index.js';
import type { ProfileName } from './profiles.js';
import {
  MAX_INSTANCES, STATE_FORMAT, type AdapterState, type CardGeneration, type CardMode, type QueueState, type SimState,
} from './state.js';

export type PresetName = 'seed' | 'kernel-doc' | 'empty' | 'large';
export const PRESET_NAMES: readonly PresetName[] = ['seed', 'kernel-doc', 'empty', 'large'];

/** TAPQ facility bits (bit 0 = 0x80000000), as lszcrypt's letters S M C D A X N H F R name them. */
const FN = { S: 0x80000000, M: 0x40000000, C: 0x20000000, D: 0x10000000, A: 0x08000000, X: 0x04000000, N: 0x02000000, F: 0x00800000 };
const FUNCTIONS: Record<CardMode, number> = {
  A: (FN.M | FN.C | FN.A | FN.N | FN.F) >>> 0,
  C: (FN.S | FN.D | FN.N | FN.F) >>> 0,
  P: (FN.X | FN.N | FN.F) >>> 0,
};

/** A configured, online card of the given family and mode with the usual TAPQ values. */
export function makeAdapter(id: number, generation: CardGeneration, mode: CardMode): AdapterState {
  return {
    // depth is what the attribute shows: the TAPQ queue-depth field (7) plus one.
    id, generation, mode, hwtype: generation + 6, rawHwtype: generation + 6, depth: 8,
    functions: FUNCTIONS[mode], maxMsgSize: 12288, config: true, chkstop: false, online: true, bound: true, requestCount: 0,
  };
}

export function makeQueue(adapter: number, domain: number): QueueState {
  return {
    adapter, domain, driver: 'cex4queue', initiated: true, config: true, chkstop: false, online: true,
    requestCount: 0, resetRc: 0, resets: 0,
  };
}

interface PresetSpec {
  adapters: AdapterState[];
  domains: number[];
  controlDomains: number[];
}

function spec(name: PresetName): PresetSpec {
  switch (name) {
    case 'seed':
      return {
        adapters: [makeAdapter(0x00, 8, 'A'), makeAdapter(0x01, 8, 'C'), makeAdapter(0x0a, 8, 'P')],
        domains: [0x01, 0x02, 0x04, 0x1b],
        controlDomains: [0x01, 0x02, 0x04, 0x1b],
      };
    case 'kernel-doc':
      return {
        adapters: [makeAdapter(0x05, 8, 'C'), makeAdapter(0x06, 8, 'C')],
        domains: [0x04, 0x47, 0xab, 0xff],
        controlDomains: [0x04, 0x47, 0xab, 0xff],
      };
    case 'empty':
      return { adapters: [], domains: [], controlDomains: [] };
    case 'large': {
      const modes: CardMode[] = ['A', 'C', 'P'];
      const adapters = Array.from({ length: 0x40 }, (_, id) => makeAdapter(id, (5 + (id % 4)) as CardGeneration, modes[id % 3]!));
      const domains = Array.from({ length: 0x55 }, (_, d) => d);
      return { adapters, domains, controlDomains: domains };
    }
  }
}

/** A freshly booted host: masks all ones, every queue bound to cex4queue, vfio_ap loaded. */
export function presetState(name: PresetName, profile: ProfileName = '6.15'): SimState {
  const p = spec(name);
  const queues = p.adapters.flatMap((a) => p.domains.map((d) => makeQueue(a.id, d)));
  return {
    format: STATE_FORMAT,
    profile,
    host: {
      qci: true, facilities: ['APSC', 'APXA', 'QACT', 'RC8A'], na: 255, nd: 255,
      adapters: p.adapters, domains: p.domains, controlDomains: p.controlDomains,
    },
    apmask: ApMask.FULL.toString(),
    aqmask: ApMask.FULL.toString(),
    bus: { apDomain: p.domains[0] ?? -1, configTime: 30, pollThread: false, pollTimeout: 250000, interrupts: true, scans: 1 },
    vfioApLoaded: true,
    queues,
    mdevs: [],
    availableInstances: MAX_INSTANCES,
    log: [],
    uevents: [],
  };
}
