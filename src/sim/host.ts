// SimHost: one simulated AP host, its state (plain data) and the lookups every rule needs.
// The rules themselves live in ap-bus.ts, vfio-ap.ts, filter.ts and events.ts.
import { ApMask, type Apqn } from '../mask/index.js';
import { CAPABILITIES, type Capabilities } from './profiles.js';
import type { AdapterState, MatrixState, MdevState, QueueState, SimState } from './state.js';
import { cardName, queueName } from '../mask/ids.js';
import { isReserved } from '../mask/matrix.js';

/** A matrix as mask values. */
export interface Matrix {
  apm: ApMask;
  aqm: ApMask;
  adm: ApMask;
}

export function toMatrix(m: MatrixState): Matrix {
  return { apm: ApMask.fromReadFormat(m.apm), aqm: ApMask.fromReadFormat(m.aqm), adm: ApMask.fromReadFormat(m.adm) };
}

export function fromMatrix(m: Matrix): MatrixState {
  return { apm: m.apm.toString(), aqm: m.aqm.toString(), adm: m.adm.toString() };
}

const key = (a: number, d: number) => (a << 8) | d;

export class SimHost {
  private index: { byApqn: Map<number, QueueState>; byAdapter: Map<number, QueueState[]> } | null = null;
  /** A scan is adding host resources: filtering waits for its end (docs/kernel.md §4.5). */
  scanPending = false;

  constructor(readonly state: SimState) {}

  get caps(): Readonly<Capabilities> {
    return CAPABILITIES[this.state.profile];
  }

  get apmask(): ApMask {
    return ApMask.fromReadFormat(this.state.apmask);
  }

  get aqmask(): ApMask {
    return ApMask.fromReadFormat(this.state.aqmask);
  }

  /** ap_max_adapter_id: QCI Na with APXA (when non-zero), else 63. */
  get maxAdapterId(): number {
    return this.apxa && this.state.host.na !== 0 ? this.state.host.na : 63;
  }

  /** ap_max_domain_id: QCI Nd with APXA (when non-zero), else 15. */
  get maxDomainId(): number {
    return this.apxa && this.state.host.nd !== 0 ? this.state.host.nd : 15;
  }

  get apxa(): boolean {
    return this.state.host.facilities.includes('APXA');
  }

  /** H: the host's AP configuration as masks. */
  get config(): Matrix {
    const h = this.state.host;
    return { apm: ApMask.of(h.adapters.map((a) => a.id)), aqm: ApMask.of(h.domains), adm: ApMask.of(h.controlDomains) };
  }

  adapter(id: number): AdapterState | undefined {
    return this.state.host.adapters.find((a) => a.id === id);
  }

  queue(adapter: number, domain: number): QueueState | undefined {
    return this.indexes().byApqn.get(key(adapter, domain));
  }

  /** The queue devices of one card, in domain order (a sysfs read of a big host asks often). */
  queuesOfAdapter(adapter: number): readonly QueueState[] {
    return this.indexes().byAdapter.get(adapter) ?? [];
  }

  private indexes(): { byApqn: Map<number, QueueState>; byAdapter: Map<number, QueueState[]> } {
    if (!this.index) {
      const byApqn = new Map<number, QueueState>();
      const byAdapter = new Map<number, QueueState[]>();
      for (const q of this.state.queues) {
        byApqn.set(key(q.adapter, q.domain), q);
        const list = byAdapter.get(q.adapter);
        if (list) list.push(q);
        else byAdapter.set(q.adapter, [q]);
      }
      this.index = { byApqn, byAdapter };
    }
    return this.index;
  }

  /** Adds queue devices (kept sorted) or removes them. */
  setQueues(queues: QueueState[]): void {
    this.state.queues = queues.sort((x, y) => key(x.adapter, x.domain) - key(y.adapter, y.domain));
    this.index = null;
  }

  queuesOf(adapters: ApMask, domains: ApMask): QueueState[] {
    return this.state.queues.filter((q) => adapters.has(q.adapter) && domains.has(q.domain));
  }

  mdev(uuid: string): MdevState | undefined {
    return this.state.mdevs.find((m) => m.uuid === uuid);
  }

  /** The mdev whose matrix holds the APQN (at most one: exclusivity). */
  holder(adapter: number, domain: number): MdevState | undefined {
    return this.state.mdevs.find((m) => {
      const x = toMatrix(m);
      return x.apm.has(adapter) && x.aqm.has(domain);
    });
  }

  /** Reserved for the host's default drivers: apmask bit AND aqmask bit. */
  reserved(adapter: number, domain: number): boolean {
    return isReserved({ apmask: this.apmask, aqmask: this.aqmask }, { adapter, domain });
  }

  inConfig(adapter: number, domain: number): boolean {
    return this.adapter(adapter) !== undefined && this.state.host.domains.includes(domain);
  }

  log(line: string): void {
    this.state.log.push(line);
  }

  uevent(devpath: string, vars: string): void {
    this.state.uevents.push(`${devpath} ${vars}`);
  }
}

export function apqnName(a: Apqn | QueueState): string {
  return queueName(a);
}

export { cardName };
