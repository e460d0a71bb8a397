// Hot plug and unplug of a vfio-ap device over QMP, checked first so that a refusal says why in
// zmdev's words instead of QEMU's, and nothing is sent that QEMU would refuse anyway.
//
// Which vfio-ap devices a guest has: every device with an id is a child of /machine/peripheral,
// every one without of /machine/peripheral-anon, and qom-list gives each child's type as
// "child<vfio-ap>" (QEMU 7.2). There is no query-pci on s390x, and the AP bus itself only exists
// when the machine has AP (not under TCG), so the peripheral containers are the one place to look.
import type { ApHost } from '../ap/host.js';
import { formatApqn, type Apqn } from '../mask/apqn.js';
import type { QmpEvent } from '../qmp/message.js';
import { TimeoutError } from '../qmp/errors.js';
import { checkCpuModel, type CpuApReport } from './cpu-model.js';
import { CpuFeatureError, DetachTimeoutError, DeviceExistsError, MdevUnusableError } from './errors.js';
import { DEFAULT_DEVICE_ID, checkDeviceId, vfioApDeviceProps } from './qemu-args.js';
import { run, type GuestQmp } from './qmp.js';

export interface GuestDevice {
  id: string | null;
  /** QOM type, e.g. vfio-ap, virtio-rng-ccw. */
  type: string;
  path: string;
}

interface QomEntry { name: string; type: string }

/** The guest's user-created devices (with and without id) and their types. */
export async function listGuestDevices(qmp: GuestQmp, opts: { timeoutMs?: number } = {}): Promise<GuestDevice[]> {
  const out: GuestDevice[] = [];
  for (const container of ['peripheral', 'peripheral-anon']) {
    const path = `/machine/${container}`;
    const entries = await run<QomEntry[]>(qmp, 'attach', 'qom-list', { path }, opts);
    for (const e of entries) {
      const m = /^child<(.+)>$/.exec(e.type);
      if (m) out.push({ id: container === 'peripheral' ? e.name : null, type: m[1]!, path: `${path}/${e.name}` });
    }
  }
  return out;
}

export interface AttachProgress {
  step: 'check-mdev' | 'check-cpu' | 'check-devices' | 'device_add' | 'attached';
  message: string;
}

export interface AttachOptions {
  /** Device id (default hostdev0). */
  id?: string;
  /** Where QEMU sees sysfs (default /sys). */
  sysfsRoot?: string;
  /** Check the running CPU's `ap` feature first (default true). false sends device_add without it. */
  checkCpu?: boolean;
  timeoutMs?: number;
  onProgress?: (p: AttachProgress) => void;
}

export interface AttachResult {
  id: string;
  uuid: string;
  sysfsdev: string;
  /** The APQNs the guest gets (the guest matrix; the matrix on kernels without guest_matrix). */
  apqns: Apqn[];
  /** The CPU check, unless it was skipped. */
  cpu: CpuApReport | null;
}

/** The APQNs an mdev gives a guest: its guest matrix, or its matrix on kernels before guest_matrix. */
export function guestApqns(ap: ApHost, uuid: string): Apqn[] {
  const info = ap.mdev(uuid);
  return info.guestMatrix ?? info.matrix;
}

/**
 * Plugs the mdev into the running guest as a vfio-ap device. Checks, in order, before sending
 * anything that changes the guest: the mdev exists and gives the guest at least one APQN; the
 * guest's CPU has `ap` (unless checkCpu is false); the guest has no vfio-ap device yet (QEMU's AP
 * bus holds one) and the id is free. QEMU's own refusal comes back as QemuRefusedError.
 */
export async function attach(qmp: GuestQmp, ap: ApHost, uuid: string, opts: AttachOptions = {}): Promise<AttachResult> {
  const props = vfioApDeviceProps(uuid, { id: opts.id ?? DEFAULT_DEVICE_ID, sysfsRoot: opts.sysfsRoot });
  const id = props.id;
  const mdevUuid = uuid.toLowerCase();
  const progress = opts.onProgress ?? (() => undefined);
  const wait = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs };

  progress({ step: 'check-mdev', message: `reading mdev ${mdevUuid}` });
  const info = ap.mdev(mdevUuid);
  const apqns = info.guestMatrix ?? info.matrix;
  if (apqns.length === 0) {
    const why = info.filtered.map((f) => f.reason);
    throw new MdevUnusableError({
      code: 'ENODEV',
      step: 'attach',
      message: `mdev ${mdevUuid} gives the guest no AP queues (its ${info.guestMatrix ? 'guest matrix' : 'matrix'} is empty` +
        `${why.length ? `: ${why.join('; ')}` : ''}); assign adapters and domains first (zmdev mdev assign ${mdevUuid} --adapter ID --domain ID)`,
      details: { mdev: mdevUuid, filtered: why },
    });
  }

  let cpu: CpuApReport | null = null;
  if (opts.checkCpu ?? true) {
    progress({ step: 'check-cpu', message: "asking the guest's CPU for the AP features" });
    cpu = await checkCpuModel(qmp, wait);
    if (!cpu.canAttach) {
      throw new CpuFeatureError({
        code: 'ENOTSUP',
        step: 'attach',
        message: `the guest's CPU (model ${cpu.model}) has no AP instructions (ap is ${cpu.features.ap}), so QEMU would refuse a vfio-ap device; ` +
          `restart the guest with -cpu ${cpu.model},ap=on,apqci=on,apft=on,apqi=on (KVM only: TCG cannot give ap)`,
        details: { features: cpu.features },
      });
    }
  }

  progress({ step: 'check-devices', message: "listing the guest's devices" });
  const devices = await listGuestDevices(qmp, wait);
  const present = devices.find((d) => d.type === 'vfio-ap');
  if (present) {
    throw new DeviceExistsError({
      code: 'EEXIST',
      step: 'attach',
      message: `the guest already has a vfio-ap device (${present.id === null ? present.path : `id ${present.id}`}) and QEMU's AP bus takes only one; ` +
        `put all APQNs into one mdev, or unplug it first (zmdev guest detach --id ${present.id ?? '…'})`,
      details: { device: present },
    });
  }
  const clash = devices.find((d) => d.id === id);
  if (clash) {
    throw new DeviceExistsError({
      code: 'EEXIST',
      step: 'attach',
      message: `the guest already has a device with id ${id} (a ${clash.type}); pick another id with --id`,
      details: { device: clash },
    });
  }

  progress({ step: 'device_add', message: `device_add vfio-ap id=${id} sysfsdev=${props.sysfsdev}` });
  await run(qmp, 'attach', 'device_add', { ...props }, {
    ...wait,
    hint: (e) => /No 'ap-bus' bus found/.test(e.desc)
      ? 'this machine has no AP bus: it appears only with KVM and a CPU model with ap=on'
      : undefined,
  });
  progress({ step: 'attached', message: `vfio-ap ${id} plugged: the guest AP bus sees ${apqns.map(formatApqn).join(' ')} at its next scan` });
  return { id, uuid: mdevUuid, sysfsdev: props.sysfsdev, apqns, cpu };
}

export type DetachProgress =
  | { phase: 'requested'; id: string }
  | { phase: 'event'; event: QmpEvent; elapsedMs: number }
  | { phase: 'waiting'; elapsedMs: number }
  | { phase: 'deleted'; path: string | undefined; elapsedMs: number };

export interface DetachOptions {
  /** How long to wait for DEVICE_DELETED (30 s). */
  timeoutMs?: number;
  onProgress?: (p: DetachProgress) => void;
  /** How often onProgress hears 'waiting' (1 s). */
  progressIntervalMs?: number;
}

export interface DetachResult {
  id: string;
  path: string | undefined;
  elapsedMs: number;
}

/**
 * Unplugs a device: device_del, then waits for the DEVICE_DELETED whose data.device is the id (QEMU
 * also sends DEVICE_DELETED for inner objects, without `device`). The guest must let go of the
 * device; one that is paused does at once, one idling in an enabled wait within milliseconds, one
 * spinning with interrupts off not before it is stopped.
 */
export async function detach(qmp: GuestQmp, id: string, opts: DetachOptions = {}): Promise<DetachResult> {
  checkDeviceId(id);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const progress = opts.onProgress ?? (() => undefined);
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const stop = new AbortController();
  // Listen before device_del: the event may come before its reply.
  const deleted = qmp.waitForEvent('DEVICE_DELETED', (d) => d['device'] === id, { timeoutMs, signal: stop.signal });
  deleted.catch(() => undefined);
  const others = qmp.listen({ names: 'DEVICE_DELETED', where: (d) => d['device'] !== id });
  void (async () => {
    for await (const event of others) progress({ phase: 'event', event, elapsedMs: elapsed() });
  })();
  const ticker = setInterval(() => progress({ phase: 'waiting', elapsedMs: elapsed() }), opts.progressIntervalMs ?? 1000);
  try {
    try {
      await run(qmp, 'detach', 'device_del', { id }, { timeoutMs });
    } catch (e) {
      stop.abort();
      throw e;
    }
    progress({ phase: 'requested', id });
    let event: QmpEvent;
    try {
      event = await deleted;
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      throw new DetachTimeoutError({
        code: 'ETIMEDOUT',
        step: 'detach',
        message: `QEMU accepted device_del of ${id} but sent no DEVICE_DELETED for it within ${timeoutMs / 1000} s ` +
          `(events seen meanwhile: [${e.seen.map((s) => `${s.event} ${JSON.stringify(s.data)}`).join(', ')}]); ` +
          'the guest has not released the device yet (a guest spinning with interrupts off never does): ' +
          'it stays attached until the guest acknowledges the unplug, so check again later or stop the guest',
        cause: e,
        details: { id, seen: e.seen },
      });
    }
    // QEMU names the QOM path of the device it deleted.
    const path = event.data['path'] as string | undefined;
    progress({ phase: 'deleted', path, elapsedMs: elapsed() });
    return { id, path, elapsedMs: elapsed() };
  } finally {
    clearInterval(ticker);
    others.remove();
  }
}
