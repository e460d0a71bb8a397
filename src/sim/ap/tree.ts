// The AP subsystem's part of the tree: bus/ap with its attributes and drivers, the card and queue
// devices under devices/ap, and, while vfio_ap is loaded, the matrix device (bus/matrix,
// devices/vfio_ap/matrix) as a parent of the mdev core with one type, vfio_ap-passthrough.
// Every directory answers one name at a time: a card by its number, a queue by its APQN, an
// attribute from a table made once.
import { setAdapterConfig } from '../events.js';
import { apqnName, cardName, type SimHost } from '../host.js';
import type { MdevBus, MdevParent } from '../mdev-bus.js';
import { refuse } from '../refusal.js';
import type { AdapterState, QueueState } from '../state.js';
import type { Subsystem } from '../sysfs.js';
import { dir, fixed, link, num, ro, rw, tableDir, wo, type Lookup, type SimNode, type Table } from '../vfs.js';
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
const CARD = /^card([0-9a-f]{2})$/;
const QUEUE = /^([0-9a-f]{2})\.([0-9a-f]{4})$/;

/** sscanf("%d") of a 0/1 switch (card config, online). */
function switchValue(bytes: Uint8Array, what: string): boolean {
  const v = scanInt(bytes, false);
  if (v !== 0 && v !== 1) refuse('EINVAL', `${what} takes 0 or 1`);
  return v === 1;
}

/** The card a device name names (`card0a`), if the host has it. */
function cardNamed(h: SimHost, name: string): AdapterState | undefined {
  const m = CARD.exec(name);
  return m ? h.adapter(parseInt(m[1]!, 16)) : undefined;
}

/** The queue a device name names (`0a.001b`), if the host has it. */
function queueNamed(h: SimHost, name: string): QueueState | undefined {
  const m = QUEUE.exec(name);
  return m ? h.queue(parseInt(m[1]!, 16), parseInt(m[2]!, 16)) : undefined;
}

interface Card {
  h: SimHost;
  a: AdapterState;
}

const CARD_DIR: Table<Card> = {
  hwtype: ({ a }) => ro(() => num(a.hwtype)),
  raw_hwtype: ({ a }) => ro(() => num(a.rawHwtype)),
  depth: ({ a }) => ro(() => num(a.depth)),
  ap_functions: ({ a }) => ro(() => hex8(a.functions)),
  request_count: ({ h, a }) => rw(() => num(a.requestCount), () => {
    a.requestCount = 0;
    for (const q of h.queuesOfAdapter(a.id)) q.requestCount = 0;
  }),
  requestq_count: () => ro(() => num(0)),
  pendingq_count: () => ro(() => num(0)),
  modalias: ({ a }) => ro(() => `ap:t${a.hwtype.toString(16).toUpperCase().padStart(2, '0')}\n`),
  config: ({ h, a }) => rw(() => num(a.config ? 1 : 0), (b) => setAdapterConfig(h, a.id, switchValue(b, 'config'))),
  chkstop: ({ a }) => ro(() => num(a.chkstop ? 1 : 0)),
  max_msg_size: ({ a }) => ro(() => num(a.maxMsgSize)),
  // Only while cex4card holds the card.
  driver: ({ a }) => (a.bound ? link('../../../bus/ap/drivers/cex4card') : undefined),
  type: ({ a }) => (a.bound ? ro(() => `CEX${a.generation}${a.mode}\n`) : undefined),
  online: ({ h, a }) => (a.bound ? rw(() => num(a.config && !a.chkstop && a.online ? 1 : 0), (b) => {
    const on = switchValue(b, 'online');
    if (on && !a.config) refuse('ENODEV', `${cardName(a.id)} is deconfigured; configure it first (echo 1 > config)`);
    a.online = on;
    for (const q of h.queuesOfAdapter(a.id)) q.online = on;
  }) : undefined),
  load: ({ a }) => (a.bound ? ro(() => num(0)) : undefined),
};

function cardDir(h: SimHost, a: AdapterState): SimNode {
  return tableDir(CARD_DIR, { h, a }, {
    lookup(name) {
      const q = queueNamed(h, name);
      return q && q.adapter === a.id ? queueDir(h, a, q) : undefined;
    },
    list: () => h.queuesOfAdapter(a.id).map(apqnName),
  });
}

interface Queue {
  h: SimHost;
  a: AdapterState;
  q: QueueState;
}

const QUEUE_DIR: Table<Queue> = {
  request_count: ({ q }) => rw(() => (q.initiated ? num(q.requestCount) : '-\n'), () => void (q.requestCount = 0)),
  requestq_count: () => ro(() => num(0)),
  pendingq_count: () => ro(() => num(0)),
  reset: ({ q }) => rw(() => 'No Reset Timer set.\n', () => resetQueue(q)),
  interrupt: ({ h, q }) => ro(() => (q.initiated && h.state.bus.interrupts ? 'Interrupts enabled.\n' : 'Interrupts disabled.\n')),
  config: ({ q }) => ro(() => num(q.config ? 1 : 0)),
  chkstop: ({ q }) => ro(() => num(q.chkstop ? 1 : 0)),
  ap_functions: ({ a }) => ro(() => hex8(a.functions)),
  driver: ({ q }) => (q.driver ? link(`../../../../bus/ap/drivers/${q.driver}`) : undefined),
  // zcrypt's attributes, while cex4queue holds the queue.
  online: ({ a, q }) => (q.driver === 'cex4queue' ? rw(() => num(q.config && !q.chkstop && q.online ? 1 : 0), (b) => {
    const on = switchValue(b, 'online');
    if (on && (!q.config || !a.config)) refuse('ENODEV', `queue ${apqnName(q)} or its card is deconfigured`);
    if (on && !a.online) refuse('EINVAL', `${cardName(a.id)} is offline; set the card online first`);
    q.online = on;
  }) : undefined),
  load: ({ q }) => (q.driver === 'cex4queue' ? ro(() => num(0)) : undefined),
  status: ({ h, q }) => (q.driver === 'vfio_ap' && h.caps.queueStatus ? ro(() => queueStatus(h, q)) : undefined),
};

const queueDir = (h: SimHost, a: AdapterState, q: QueueState): SimNode => tableDir(QUEUE_DIR, { h, a, q });

const BUS_DIR: Table<SimHost> = {
  ap_domain: (h) => rw(() => num(h.state.bus.apDomain), (b) => writeApDomain(h, b)),
  ap_control_domain_mask: (h) => ro(() => readQciMask(h, h.config.adm)),
  ap_usage_domain_mask: (h) => ro(() => readQciMask(h, h.config.aqm)),
  ap_adapter_mask: (h) => ro(() => readQciMask(h, h.config.apm)),
  ap_interrupts: (h) => ro(() => num(h.state.bus.interrupts ? 1 : 0)),
  config_time: (h) => rw(() => num(h.state.bus.configTime), (b) => writeConfigTime(h, b)),
  poll_thread: (h) => rw(() => num(h.state.bus.pollThread ? 1 : 0), (b) => writePollThread(h, b)),
  poll_timeout: (h) => rw(() => num(h.state.bus.pollTimeout), (b) => writePollTimeout(h, b)),
  ap_max_domain_id: (h) => ro(() => num(h.maxDomainId)),
  ap_max_adapter_id: (h) => ro(() => num(h.maxAdapterId)),
  apmask: (h) => rw(() => `${h.state.apmask}\n`, (b) => writeMask(h, 'apmask', b)),
  aqmask: (h) => rw(() => `${h.state.aqmask}\n`, (b) => writeMask(h, 'aqmask', b)),
  scans: (h) => rw(() => num(h.state.bus.scans), () => void h.state.bus.scans++),
  bindings: (h) => ro(() => readBindings(h)),
  features: (h) => ro(() => readFeatures(h)),
  devices: (h) => dir({
    lookup(name) {
      const a = cardNamed(h, name);
      if (a) return link(`../../../devices/ap/${name}`);
      const q = queueNamed(h, name);
      return q && link(`../../../devices/ap/${cardName(q.adapter)}/${name}`);
    },
    list: () => [...h.state.host.adapters.map((a) => cardName(a.id)), ...h.state.queues.map(apqnName)],
  }),
  drivers: (h) => tableDir(DRIVERS, h),
};

/** One AP driver's directory: bind, unbind, and a link per device it holds. */
function driverDir(h: SimHost, name: ApDriverName): SimNode {
  const holds = name === 'cex4card'
    ? (dev: string) => cardNamed(h, dev)?.bound === true
    : (dev: string) => queueNamed(h, dev)?.driver === name;
  const target = (dev: string) => (name === 'cex4card' ? dev : `${cardName(parseInt(dev.slice(0, 2), 16))}/${dev}`);
  return tableDir(BIND, { h, name }, {
    lookup: (dev) => (holds(dev) ? link(`../../../../devices/ap/${target(dev)}`) : undefined),
    list: () => (name === 'cex4card'
      ? h.state.host.adapters.filter((a) => a.bound).map((a) => cardName(a.id))
      : h.state.queues.filter((q) => q.driver === name).map(apqnName)),
  });
}

const BIND: Table<{ h: SimHost; name: ApDriverName }> = {
  bind: ({ h, name }) => wo((b) => bindDriver(h, name, b)),
  unbind: ({ h, name }) => wo((b) => unbindDriver(h, name, b)),
};

const DRIVERS: Table<SimHost> = {
  cex4card: (h) => driverDir(h, 'cex4card'),
  cex4queue: (h) => driverDir(h, 'cex4queue'),
  vfio_ap: (h) => (h.state.vfioApLoaded ? driverDir(h, 'vfio_ap') : undefined),
};

const MATRIX_BUS: Table<null> = {
  devices: () => dir({ lookup: (n) => (n === 'matrix' ? link(`../../../${MATRIX}`) : undefined), list: () => ['matrix'] }),
  drivers: () => dir({
    lookup: (n) => (n === 'vfio_ap'
      ? dir({ lookup: (m) => (m === 'matrix' ? link(`../../../../${MATRIX}`) : undefined), list: () => ['matrix'] })
      : undefined),
    list: () => ['vfio_ap'],
  }),
};

interface Tree {
  h: SimHost;
  tree: ApTree;
}

const BUSES: Table<Tree> = {
  ap: ({ h }) => tableDir(BUS_DIR, h),
  matrix: ({ h }) => (h.state.vfioApLoaded ? tableDir(MATRIX_BUS, null) : undefined),
};

const DEVICES: Table<Tree> = {
  ap: ({ h }) => dir({
    lookup(name) {
      const a = cardNamed(h, name);
      return a && cardDir(h, a);
    },
    list: () => h.state.host.adapters.map((a) => cardName(a.id)),
  }),
  vfio_ap: ({ h, tree }) => (h.state.vfioApLoaded
    ? dir({ lookup: (n) => (n === 'matrix' ? tree.matrixDevice() : undefined), list: () => ['matrix'] })
    : undefined),
};

interface Mdev {
  h: SimHost;
  uuid: string;
}

const pair = (t: AssignTarget): Table<Mdev> => ({
  [`assign_${t}`]: ({ h, uuid }) => wo((b) => assign(h, h.mdev(uuid)!, t, b)),
  [`unassign_${t}`]: ({ h, uuid }) => wo((b) => unassign(h, h.mdev(uuid)!, t, b)),
});

/** vfio_ap's attributes of one mdev. */
const MDEV_DIR: Table<Mdev> = {
  ...pair('adapter'),
  ...pair('domain'),
  ...pair('control_domain'),
  matrix: ({ h, uuid }) => ro(() => readMatrix(h, h.mdev(uuid)!)),
  control_domains: ({ h, uuid }) => ro(() => readControlDomains(h.mdev(uuid)!)),
  guest_matrix: ({ h, uuid }) => (h.caps.guestMatrix ? ro(() => readMatrix(h, h.mdev(uuid)!.shadow)) : undefined),
  ap_config: ({ h, uuid }) => (h.caps.apConfig
    ? rw(() => readApConfig(h.mdev(uuid)!), (b) => writeApConfig(h, h.mdev(uuid)!, b))
    : undefined),
};

const MATRIX_DIR: Table<SimHost> = {
  driver: () => link('../../../bus/matrix/drivers/vfio_ap'),
  features: (h) => {
    const features = h.caps.matrixFeatures;
    return features !== null ? ro(() => features) : undefined;
  },
};

export class ApTree implements Subsystem {
  /** The matrix device as a parent of mdevs. */
  private readonly parent: MdevParent;
  readonly bus: Lookup;
  readonly classes: Lookup = { lookup: () => undefined, list: () => [] };
  readonly devices: Lookup;

  constructor(private readonly host: SimHost, private readonly mdevBus: MdevBus) {
    const h = host;
    const type = {
      id: TYPE,
      name: 'VFIO AP Passthrough Device',
      deviceApi: 'vfio-ap',
      availableInstances: () => num(h.state.availableInstances),
      create: (uuid: string) => void createMdev(h, uuid),
    };
    const instance = (uuid: string) => ({ uuid, type: TYPE });
    this.parent = {
      path: MATRIX,
      driver: 'vfio_ap_mdev',
      types: () => [type],
      mdevs: () => h.state.mdevs.map((m) => instance(m.uuid)),
      mdev: (uuid) => (h.mdev(uuid) ? instance(uuid) : undefined),
      mdevEntries: (uuid) => fixed(MDEV_DIR, { h, uuid }),
      remove: (uuid) => removeMdev(h, h.mdev(uuid)!),
    };
    this.bus = fixed(BUSES, { h, tree: this });
    this.devices = fixed(DEVICES, { h, tree: this });
  }

  mdevParents(): MdevParent[] {
    return this.host.state.vfioApLoaded ? [this.parent] : [];
  }

  /** devices/vfio_ap/matrix: its own attributes, then what the mdev core adds for a parent. */
  matrixDevice(): SimNode {
    return tableDir(MATRIX_DIR, this.host, this.mdevBus.parentEntries(this.parent));
  }
}
