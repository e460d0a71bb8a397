// The AP subsystem's part of the tree: bus/ap with its attributes and drivers, the card and queue
// devices under devices/ap, and, while vfio_ap is loaded, the matrix device (bus/matrix,
// devices/vfio_ap/matrix) as a parent of the mdev core with one type, vfio_ap-passthrough.
import { setAdapterConfig } from '../events.js';
import { apqnName, cardName, type SimHost } from '../host.js';
import type { MdevBus, MdevParent } from '../mdev-bus.js';
import { refuse } from '../refusal.js';
import type { AdapterState, QueueState } from '../state.js';
import type { Subsystem } from '../sysfs.js';
import { dir, link, num, ro, rw, wo, type Entries, type SimNode } from '../vfs.js';
import {
  bindDriver, readBindings, readFeatures, readQciMask, scanInt, unbindDriver, writeApDomain, writeConfigTime, writeMask,
  writePollThread, writePollTimeout, type ApDriverName,
} from './bus.js';
import { resetQueue } from './filter.js';
import {
  assign, createMdev, queueStatus, readApConfig, readControlDomains, readMatrix, removeMdev, unassign, writeApConfig,
  type AssignTarget,
} from './vfio-ap.js';

const hex8 = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}\n`;
const MATRIX = 'devices/vfio_ap/matrix';
const TYPE = 'vfio_ap-passthrough';

/** sscanf("%d") of a 0/1 switch (card config, online). */
function switchValue(bytes: Uint8Array, what: string): boolean {
  const v = scanInt(bytes, false);
  if (v !== 0 && v !== 1) refuse('EINVAL', `${what} takes 0 or 1`);
  return v === 1;
}

export class ApTree implements Subsystem {
  /** The matrix device as a parent of mdevs. */
  private readonly parent: MdevParent;

  constructor(private readonly host: SimHost, private readonly mdevBus: MdevBus) {
    const h = host;
    this.parent = {
      path: MATRIX,
      driver: 'vfio_ap_mdev',
      types: () => [{
        id: TYPE,
        name: 'VFIO AP Passthrough Device',
        deviceApi: 'vfio-ap',
        availableInstances: () => num(h.state.availableInstances),
        create: (uuid) => void createMdev(h, uuid),
      }],
      mdevs: () => h.state.mdevs.map((m) => ({ uuid: m.uuid, type: TYPE })),
      mdevEntries: (uuid) => this.mdevEntries(uuid),
      remove: (uuid) => removeMdev(h, h.mdev(uuid)!),
    };
  }

  private get loaded(): boolean {
    return this.host.state.vfioApLoaded;
  }

  mdevParents(): MdevParent[] {
    return this.loaded ? [this.parent] : [];
  }

  bus(): Entries {
    return {
      ap: () => this.apBus(),
      ...(this.loaded ? {
        matrix: () => dir(() => ({
          devices: () => dir(() => ({ matrix: () => link(`../../../${MATRIX}`) })),
          drivers: () => dir(() => ({ vfio_ap: () => dir(() => ({ matrix: () => link(`../../../../${MATRIX}`) })) })),
        })),
      } : {}),
    };
  }

  classes(): Entries {
    return {};
  }

  devices(): Entries {
    const h = this.host;
    return {
      ap: () => dir(() => Object.fromEntries(h.state.host.adapters.map((a) => [cardName(a.id), () => this.card(a)]))),
      ...(this.loaded ? { vfio_ap: () => dir(() => ({ matrix: () => this.matrixDevice() })) } : {}),
    };
  }

  private apBus(): SimNode {
    const h = this.host;
    const s = h.state;
    const driver = (name: ApDriverName, members: () => Array<[string, string]>) => dir(() => ({
      bind: () => wo((b) => bindDriver(h, name, b)),
      unbind: () => wo((b) => unbindDriver(h, name, b)),
      ...Object.fromEntries(members().map(([n, t]) => [n, () => link(`../../../../devices/ap/${t}`)])),
    }));
    const queuesOf = (d: ApDriverName) => () => s.queues.filter((q) => q.driver === d)
      .map((q): [string, string] => [apqnName(q), `${cardName(q.adapter)}/${apqnName(q)}`]);
    return dir(() => ({
      ap_domain: () => rw(() => num(s.bus.apDomain), (b) => writeApDomain(h, b)),
      ap_control_domain_mask: () => ro(() => readQciMask(h, h.config.adm)),
      ap_usage_domain_mask: () => ro(() => readQciMask(h, h.config.aqm)),
      ap_adapter_mask: () => ro(() => readQciMask(h, h.config.apm)),
      ap_interrupts: () => ro(() => num(s.bus.interrupts ? 1 : 0)),
      config_time: () => rw(() => num(s.bus.configTime), (b) => writeConfigTime(h, b)),
      poll_thread: () => rw(() => num(s.bus.pollThread ? 1 : 0), (b) => writePollThread(h, b)),
      poll_timeout: () => rw(() => num(s.bus.pollTimeout), (b) => writePollTimeout(h, b)),
      ap_max_domain_id: () => ro(() => num(h.maxDomainId)),
      ap_max_adapter_id: () => ro(() => num(h.maxAdapterId)),
      apmask: () => rw(() => `${s.apmask}\n`, (b) => writeMask(h, 'apmask', b)),
      aqmask: () => rw(() => `${s.aqmask}\n`, (b) => writeMask(h, 'aqmask', b)),
      scans: () => rw(() => num(s.bus.scans), () => void s.bus.scans++),
      bindings: () => ro(() => readBindings(h)),
      features: () => ro(() => readFeatures(h)),
      devices: () => dir(() => Object.fromEntries([
        ...s.host.adapters.map((a) => [cardName(a.id), () => link(`../../../devices/ap/${cardName(a.id)}`)]),
        ...s.queues.map((q) => [apqnName(q), () => link(`../../../devices/ap/${cardName(q.adapter)}/${apqnName(q)}`)]),
      ])),
      drivers: () => dir(() => ({
        cex4card: () => driver('cex4card', () => s.host.adapters.filter((a) => a.bound).map((a) => [cardName(a.id), cardName(a.id)])),
        cex4queue: () => driver('cex4queue', queuesOf('cex4queue')),
        ...(s.vfioApLoaded ? { vfio_ap: () => driver('vfio_ap', queuesOf('vfio_ap')) } : {}),
      })),
    }));
  }

  private card(a: AdapterState): SimNode {
    const h = this.host;
    const queues = () => h.queuesOfAdapter(a.id);
    return dir(() => ({
      hwtype: () => ro(() => num(a.hwtype)),
      raw_hwtype: () => ro(() => num(a.rawHwtype)),
      depth: () => ro(() => num(a.depth)),
      ap_functions: () => ro(() => hex8(a.functions)),
      request_count: () => rw(() => num(a.requestCount), () => {
        a.requestCount = 0;
        for (const q of queues()) q.requestCount = 0;
      }),
      requestq_count: () => ro(() => num(0)),
      pendingq_count: () => ro(() => num(0)),
      modalias: () => ro(() => `ap:t${a.hwtype.toString(16).toUpperCase().padStart(2, '0')}\n`),
      config: () => rw(() => num(a.config ? 1 : 0), (b) => setAdapterConfig(h, a.id, switchValue(b, 'config'))),
      chkstop: () => ro(() => num(a.chkstop ? 1 : 0)),
      max_msg_size: () => ro(() => num(a.maxMsgSize)),
      ...(a.bound ? {
        driver: () => link('../../../bus/ap/drivers/cex4card'),
        type: () => ro(() => `CEX${a.generation}${a.mode}\n`),
        online: () => rw(() => num(a.config && !a.chkstop && a.online ? 1 : 0), (b) => {
          const on = switchValue(b, 'online');
          if (on && !a.config) refuse('ENODEV', `${cardName(a.id)} is deconfigured; configure it first (echo 1 > config)`);
          a.online = on;
          for (const q of queues()) q.online = on;
        }),
        load: () => ro(() => num(0)),
      } : {}),
      ...Object.fromEntries(queues().map((q) => [apqnName(q), () => this.queue(a, q)])),
    }));
  }

  private queue(a: AdapterState, q: QueueState): SimNode {
    const h = this.host;
    return dir(() => ({
      request_count: () => rw(() => (q.initiated ? num(q.requestCount) : '-\n'), () => void (q.requestCount = 0)),
      requestq_count: () => ro(() => num(0)),
      pendingq_count: () => ro(() => num(0)),
      reset: () => rw(() => 'No Reset Timer set.\n', () => resetQueue(q)),
      interrupt: () => ro(() => (q.initiated && h.state.bus.interrupts ? 'Interrupts enabled.\n' : 'Interrupts disabled.\n')),
      config: () => ro(() => num(q.config ? 1 : 0)),
      chkstop: () => ro(() => num(q.chkstop ? 1 : 0)),
      ap_functions: () => ro(() => hex8(a.functions)),
      ...(q.driver ? { driver: () => link(`../../../../bus/ap/drivers/${q.driver}`) } : {}),
      ...(q.driver === 'cex4queue' ? {
        online: () => rw(() => num(q.config && !q.chkstop && q.online ? 1 : 0), (b) => {
          const on = switchValue(b, 'online');
          if (on && (!q.config || !a.config)) refuse('ENODEV', `queue ${apqnName(q)} or its card is deconfigured`);
          if (on && !a.online) refuse('EINVAL', `${cardName(a.id)} is offline; set the card online first`);
          q.online = on;
        }),
        load: () => ro(() => num(0)),
      } : {}),
      ...(q.driver === 'vfio_ap' && h.caps.queueStatus ? { status: () => ro(() => queueStatus(h, q)) } : {}),
    }));
  }

  /** devices/vfio_ap/matrix: its own attributes, then what the mdev core adds for a parent. */
  private matrixDevice(): SimNode {
    const features = this.host.caps.matrixFeatures;
    return dir(() => ({
      driver: () => link('../../../bus/matrix/drivers/vfio_ap'),
      ...(features !== null ? { features: () => ro(() => features) } : {}),
      ...this.mdevBus.parentEntries(this.parent),
    }));
  }

  /** vfio_ap's attributes of one mdev. */
  private mdevEntries(uuid: string): Entries {
    const h = this.host;
    const m = h.mdev(uuid)!;
    const caps = h.caps;
    const pair = (t: AssignTarget) => ({
      [`assign_${t}`]: () => wo((b) => assign(h, m, t, b)),
      [`unassign_${t}`]: () => wo((b) => unassign(h, m, t, b)),
    });
    return {
      ...pair('adapter'),
      ...pair('domain'),
      ...pair('control_domain'),
      matrix: () => ro(() => readMatrix(h, m)),
      control_domains: () => ro(() => readControlDomains(m)),
      ...(caps.guestMatrix ? { guest_matrix: () => ro(() => readMatrix(h, m.shadow)) } : {}),
      ...(caps.apConfig ? { ap_config: () => rw(() => readApConfig(m), (b) => writeApConfig(h, m, b)) } : {}),
    };
  }
}
