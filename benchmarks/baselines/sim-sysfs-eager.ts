// The simulator's sysfs view as it was before lookups went one component at a time: every lookup
// builds every entry of every directory on its path. Kept for the benchmarks only, so that the
// lazy tree of src/sim is measured against it in the same run; the model underneath is the same.
import path from 'node:path';
import { parseKernelId } from '../../src/mask/index.js';
import { sysfsStoreView } from '../../src/mask/index.js';
import { SysfsError, type SysfsIO, type SysfsStat, type Syscall } from '../../src/sysfs/sysfs-io.js';
import {
  bindDriver, readBindings, readFeatures, readQciMask, scanInt, unbindDriver, writeApDomain, writeConfigTime, writeMask,
  writePollThread, writePollTimeout, type ApDriverName,
} from '../../src/sim/ap/bus.js';
import { setAdapterConfig } from '../../src/sim/events.js';
import { resetQueue } from '../../src/sim/ap/filter.js';
import { apqnName, cardName, type SimHost } from '../../src/sim/host.js';
import { KernelRefusal, refuse } from '../../src/sim/refusal.js';
import type { AdapterState, MdevState, QueueState } from '../../src/sim/state.js';
import {
  assign, createMdev, queueStatus, readApConfig, readControlDomains, readMatrix, removeMdev, unassign, writeApConfig,
  type AssignTarget,
} from '../../src/sim/ap/vfio-ap.js';

type Store = (bytes: Uint8Array) => void;

/** A node of the simulated tree, built on demand from the model. */
export type SimNode =
  | { kind: 'dir'; entries: () => Record<string, () => SimNode> }
  | { kind: 'file'; mode: number; show?: () => string; store?: Store }
  | { kind: 'link'; target: string };

const ro = (show: () => string): SimNode => ({ kind: 'file', mode: 0o444, show });
const rw = (show: () => string, store: Store): SimNode => ({ kind: 'file', mode: 0o644, show, store });
const wo = (store: Store): SimNode => ({ kind: 'file', mode: 0o200, store });
const link = (target: string): SimNode => ({ kind: 'link', target });
const dir = (entries: () => Record<string, () => SimNode>): SimNode => ({ kind: 'dir', entries });
const num = (n: number | bigint) => `${n}\n`;
const hex8 = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}\n`;

/** sscanf("%d") of a 0/1 switch (card config, online). */
function switchValue(bytes: Uint8Array, what: string): boolean {
  const v = scanInt(bytes, false);
  if (v !== 0 && v !== 1) refuse('EINVAL', `${what} takes 0 or 1`);
  return v === 1;
}

const MAX_HOPS = 40;
const NONE: Record<string, () => SimNode> = {};

/** The UUID of a create write (the checks the mdev core makes are not repeated here). */
function uuidOf(b: Uint8Array): string {
  return Buffer.from(b.subarray(0, 36)).toString('latin1').toLowerCase();
}

export class EagerSimSysfs implements SysfsIO {
  constructor(readonly host: SimHost) {}

  read(p: string): string {
    const { node } = this.open(p, true, 'open');
    if (node.kind === 'dir') throw this.error('EISDIR', 'read', p, 'a directory has no content; use list()');
    const f = node as Extract<SimNode, { kind: 'file' }>;
    if (!(f.mode & 0o444) || !f.show) throw this.error('EACCES', 'open', p, 'the attribute is write-only');
    return f.show();
  }

  readMany(paths: readonly string[]): Array<string | SysfsError> {
    this.batch = new Map();
    try {
      return this.readEach(paths);
    } finally {
      this.batch = null;
    }
  }

  private readEach(paths: readonly string[]): Array<string | SysfsError> {
    return paths.map((p) => {
      try {
        return this.read(p);
      } catch (e) {
        if (e instanceof SysfsError) return e;
        /* c8 ignore next 2 -- read() throws only SysfsError */
        throw e;
      }
    });
  }

  write(p: string, data: string | Uint8Array): number {
    const { node } = this.open(p, true, 'open');
    if (node.kind === 'dir') throw this.error('EISDIR', 'open', p, 'a directory cannot be written');
    const f = node as Extract<SimNode, { kind: 'file' }>;
    if (!(f.mode & 0o222) || !f.store) throw this.error('EACCES', 'open', p, 'the attribute is read-only');
    const view = sysfsStoreView(data);
    if (view === null) return 0;
    try {
      f.store(view);
    } catch (e) {
      /* c8 ignore next -- stores throw only KernelRefusal; anything else is a simulator bug to surface */
      if (!(e instanceof KernelRefusal)) throw e;
      throw new SysfsError({ code: e.code, syscall: 'write', path: p, written: Buffer.from(view).toString('latin1'), explanation: e.explanation });
    }
    return view.length;
  }

  list(p: string): string[] {
    const { node } = this.open(p, true, 'open');
    if (node.kind !== 'dir') throw this.error('ENOTDIR', 'open', p, 'not a directory');
    return Object.keys(node.entries()).sort();
  }

  exists(p: string): boolean {
    try {
      this.open(p, true, 'stat');
      return true;
    } catch {
      return false;
    }
  }

  readlink(p: string): string {
    const { node } = this.open(p, false, 'readlink');
    if (node.kind !== 'link') throw this.error('EINVAL', 'readlink', p, 'not a symbolic link');
    return node.target;
  }

  stat(p: string): SysfsStat {
    const { node } = this.open(p, false, 'stat');
    if (node.kind === 'dir') return { kind: 'dir', mode: 0o755 };
    if (node.kind === 'link') return { kind: 'link', mode: 0o777 };
    return { kind: 'file', mode: node.mode };
  }

  /** The node at a path, following links inside it (and at its end when `follow`). */
  node(p: string, follow = true): SimNode {
    return this.open(p, follow, 'stat').node;
  }

  private error(code: string, syscall: Syscall, p: string, explanation: string): SysfsError {
    return new SysfsError({ code, syscall, path: p, explanation });
  }

  private open(p: string, follow: boolean, syscall: Syscall): { node: SimNode; at: string[] } {
    let todo = p.split('/').filter((x) => x !== '' && x !== '.');
    let at: string[] = [];
    let node: SimNode = this.root();
    let hops = 0;
    while (todo.length) {
      const name = todo.shift()!;
      if (name === '..') {
        at = at.slice(0, -1);
        node = this.at(at);
        continue;
      }
      if (node.kind !== 'dir') throw this.error('ENOTDIR', syscall, p, `${at.join('/')} is not a directory`);
      const entries = this.entriesOf(node, at);
      const make = Object.hasOwn(entries, name) ? entries[name] : undefined;
      if (!make) throw this.error('ENOENT', syscall, p, `no such file or directory`);
      const next = make();
      if (next.kind === 'link' && (todo.length > 0 || follow)) {
        /* c8 ignore next -- the simulated tree has no link cycles; kept so that a future one fails like the VFS */
        if (++hops > MAX_HOPS) throw this.error('ELOOP', syscall, p, 'too many levels of symbolic links');
        todo = [...path.posix.join('/', ...at, next.target).split('/').filter(Boolean), ...todo];
        at = [];
        node = this.root();
        continue;
      }
      at.push(name);
      node = next;
    }
    return { node, at };
  }

  // Within one readMany the host does not change, so a directory's entries are built once.
  private batch: Map<string, Record<string, () => SimNode>> | null = null;

  private entriesOf(node: Extract<SimNode, { kind: 'dir' }>, at: string[]): Record<string, () => SimNode> {
    if (!this.batch) return node.entries();
    const key = at.join('/');
    let entries = this.batch.get(key);
    if (!entries) this.batch.set(key, (entries = node.entries()));
    return entries;
  }

  private at(parts: string[]): SimNode {
    let node = this.root();
    for (const name of parts) node = (node as Extract<SimNode, { kind: 'dir' }>).entries()[name]!();
    return node;
  }

  // ---- the tree ----

  private root(): SimNode {
    const h = this.host;
    const loaded = () => h.state.vfioApLoaded;
    return dir(() => ({
      bus: () => dir(() => ({
        ap: () => this.apBus(),
        mdev: () => dir(() => ({
          devices: () => dir(() => (loaded() ? this.mdevLinks('../../../devices/vfio_ap/matrix/') : {})),
          drivers: () => dir(() => (loaded()
            ? { vfio_ap_mdev: () => dir(() => this.mdevLinks('../../../../devices/vfio_ap/matrix/')) }
            : NONE)),
        })),
        ...(loaded() ? {
          matrix: () => dir(() => ({
            devices: () => dir(() => ({ matrix: () => link('../../../devices/vfio_ap/matrix') })),
            drivers: () => dir(() => ({ vfio_ap: () => dir(() => ({ matrix: () => link('../../../../devices/vfio_ap/matrix') })) })),
          })),
        } : {}),
      })),
      class: () => dir(() => ({
        mdev_bus: () => dir(() => (loaded() ? { matrix: () => link('../../devices/vfio_ap/matrix') } : NONE)),
      })),
      devices: () => dir(() => ({
        ap: () => dir(() => Object.fromEntries(h.state.host.adapters.map((a) => [cardName(a.id), () => this.card(a)]))),
        ...(loaded() ? { vfio_ap: () => dir(() => ({ matrix: () => this.matrixDevice() })) } : {}),
      })),
    }));
  }

  private mdevLinks(prefix: string): Record<string, () => SimNode> {
    return Object.fromEntries(this.host.state.mdevs.map((m) => [m.uuid, () => link(prefix + m.uuid)]));
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

  private matrixDevice(): SimNode {
    const h = this.host;
    const s = h.state;
    const features = h.caps.matrixFeatures;
    return dir(() => ({
      driver: () => link('../../../bus/matrix/drivers/vfio_ap'),
      ...(features !== null ? { features: () => ro(() => features) } : {}),
      mdev_supported_types: () => dir(() => ({
        'vfio_ap-passthrough': () => dir(() => ({
          name: () => ro(() => 'VFIO AP Passthrough Device\n'),
          device_api: () => ro(() => 'vfio-ap\n'),
          available_instances: () => ro(() => num(s.availableInstances)),
          create: () => wo((b) => void createMdev(h, uuidOf(b))),
          devices: () => dir(() => this.mdevLinks('../../../')),
        })),
      })),
      ...Object.fromEntries(s.mdevs.map((m) => [m.uuid, () => this.mdevDir(m)])),
    }));
  }

  private mdevDir(m: MdevState): SimNode {
    const h = this.host;
    const caps = h.caps;
    const pair = (t: AssignTarget) => ({
      [`assign_${t}`]: () => wo((b) => assign(h, m, t, b)),
      [`unassign_${t}`]: () => wo((b) => unassign(h, m, t, b)),
    });
    return dir(() => ({
      ...pair('adapter'),
      ...pair('domain'),
      ...pair('control_domain'),
      matrix: () => ro(() => readMatrix(h, m)),
      control_domains: () => ro(() => readControlDomains(m)),
      ...(caps.guestMatrix ? { guest_matrix: () => ro(() => readMatrix(h, m.shadow)) } : {}),
      ...(caps.apConfig ? { ap_config: () => rw(() => readApConfig(m), (b) => writeApConfig(h, m, b)) } : {}),
      remove: () => wo((b) => void (parseKernelId(b) !== 0n && removeMdev(h, m))),
      mdev_type: () => link('../mdev_supported_types/vfio_ap-passthrough'),
      driver: () => link('../../../../bus/mdev/drivers/vfio_ap_mdev'),
    }));
  }
}
