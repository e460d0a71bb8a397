// Reading vfio-ap mediated devices: which exist, their matrix (M), what the guest gets (the
// guest matrix S) and why the two differ.
import { ApMask } from '../mask/ap-mask.js';
import { apqnsOf, parseControlDomains, parseMatrix, type Apqn } from '../mask/apqn.js';
import { parseApConfig } from '../mask/grammar.js';
import { idDigits, parseUuid, type Uuid } from '../mask/ids.js';
import type { ApMatrix } from '../mask/matrix.js';
import { mdevsOfParent } from '../mdev/devices.js';
import type { SysfsIO } from '../sysfs/sysfs-io.js';
import { ApError, isSysfsError } from './errors.js';
import { AP_BUS, MATRIX_DEVICE, mdevDir, queueDir } from './paths.js';

/** ENOENT (before anything is read or written) when vfio_ap is not loaded. */
export function requireMatrixDevice(io: SysfsIO): void {
  if (!io.exists(MATRIX_DEVICE)) {
    throw new ApError({
      code: 'ENOENT',
      message: `${MATRIX_DEVICE} does not exist: the vfio_ap module is not loaded; load it with \`modprobe vfio_ap\``,
      path: MATRIX_DEVICE,
      precheck: true,
    });
  }
}

/** Checks the UUID, then that the mdev exists (ENOENT otherwise); returns the UUID in lowercase. */
export function requireMdev(io: SysfsIO, uuid: string): Uuid {
  const id = parseUuid(uuid);
  requireMatrixDevice(io);
  if (!io.exists(mdevDir(id))) {
    throw new ApError({ code: 'ENOENT', message: `mdev ${id} does not exist (zmdev mdev list shows the mdevs of this host)`, mdev: id, path: mdevDir(id), precheck: true });
  }
  return id;
}

/** The UUIDs of the vfio-ap mdevs that exist, sorted. */
export function listMdevs(io: SysfsIO): Uuid[] {
  return mdevsOfParent(io, MATRIX_DEVICE);
}

/** An mdev's matrix M, with its UUID. */
export interface MdevMatrix extends ApMatrix {
  uuid: Uuid;
}

/** M of one mdev: from ap_config where the kernel has it, else from matrix and control_domains. */
export function readMdevMatrix(io: SysfsIO, uuid: Uuid): MdevMatrix {
  const dir = mdevDir(uuid);
  const [apConfig, matrix, control] = io.readMany([`${dir}/ap_config`, `${dir}/matrix`, `${dir}/control_domains`]);
  if (typeof apConfig === 'string') return { uuid, ...parseApConfig(apConfig) };
  if (typeof matrix !== 'string') throw matrix;
  if (typeof control !== 'string') throw control;
  const parsed = parseMatrix(matrix);
  return { uuid, adapters: parsed.adapters, domains: parsed.domains, controlDomains: parseControlDomains(control) };
}

/** M of every mdev. */
export function listMdevMatrices(io: SysfsIO): MdevMatrix[] {
  return listMdevs(io).map((u) => readMdevMatrix(io, u));
}

/** Why an adapter, domain or control domain of M does not reach the guest. */
export interface FilterReason {
  kind: 'adapter' | 'domain' | 'control-domain';
  id: number;
  reason: string;
  /** The queue that caused an adapter to be filtered, when there is one. */
  queue?: Apqn;
}

export interface MdevInfo extends MdevMatrix {
  matrix: Apqn[];
  /** What the guest gets (or would get); null on kernels without guest_matrix (before 6.0). */
  guestMatrix: Apqn[] | null;
  guestAdapters: ApMask | null;
  guestDomains: ApMask | null;
  /** Every difference between matrix and guest matrix, explained. */
  filtered: FilterReason[];
}

function hostConfig(io: SysfsIO): { apm: ApMask | null; aqm: ApMask | null; adm: ApMask | null } {
  // Without the QCI facility the kernel prints "not supported": the configuration is unknown.
  const read = (attr: string): ApMask | null => {
    const [t] = io.readMany([`${AP_BUS}/${attr}`]);
    if (typeof t !== 'string') throw t!;
    return t.startsWith('0x') ? ApMask.fromReadFormat(t) : null;
  };
  return { apm: read('ap_adapter_mask'), aqm: read('ap_usage_domain_mask'), adm: read('ap_control_domain_mask') };
}

/** Why the queue of an APQN would keep its adapter from the guest, or undefined when it is passable. */
function queueProblem(io: SysfsIO, q: Apqn): string | undefined {
  const dir = queueDir(q.adapter, q.domain);
  if (!io.exists(dir)) return 'has no queue device';
  try {
    const driver = io.readlink(`${dir}/driver`).split('/').pop();
    if (driver !== 'vfio_ap') return `is bound to ${driver}, not vfio_ap`;
  } catch (e) {
    if (!isSysfsError(e, 'ENOENT')) throw e;
    return 'is not bound to any driver';
  }
  return undefined;
}

const hex2 = (n: number) => idDigits(n, 'adapter');
const hex4 = (n: number) => idDigits(n, 'domain');

export function readMdev(io: SysfsIO, uuid: string): MdevInfo {
  const id = requireMdev(io, uuid);
  const m = readMdevMatrix(io, id);
  const [gm] = io.readMany([`${mdevDir(id)}/guest_matrix`]);
  const guest = typeof gm === 'string' ? parseMatrix(gm) : null;
  if (guest === null && gm instanceof Error && !isSysfsError(gm, 'ENOENT')) throw gm;
  const filtered: FilterReason[] = [];
  const h = hostConfig(io);
  if (guest) {
    for (const d of m.domains.andNot(guest.domains)) {
      filtered.push({ kind: 'domain', id: d, reason: `domain ${hex4(d)} is not in the host's AP configuration (ap_usage_domain_mask); it reaches the guest once it is configured` });
    }
    for (const a of m.adapters.andNot(guest.adapters)) {
      if (h.apm && !h.apm.has(a)) {
        filtered.push({ kind: 'adapter', id: a, reason: `adapter ${hex2(a)} is not in the host's AP configuration (ap_adapter_mask); it reaches the guest once it is configured` });
        continue;
      }
      const bad = m.domains.and(h.aqm ?? ApMask.FULL).ids().map((d) => ({ adapter: a, domain: d }))
        .map((q) => ({ q, problem: queueProblem(io, q) })).find((x) => x.problem);
      filtered.push(bad
        ? { kind: 'adapter', id: a, queue: bad.q, reason: `adapter ${hex2(a)} is filtered because queue ${hex2(a)}.${hex4(bad.q.domain)} ${bad.problem}; the architecture passes whole adapters only` }
        : { kind: 'adapter', id: a, reason: `adapter ${hex2(a)} is filtered because one of its queues failed its last reset` });
    }
  }
  if (h.adm) {
    for (const d of m.controlDomains.andNot(h.adm)) {
      filtered.push({ kind: 'control-domain', id: d, reason: `control domain ${hex4(d)} is not in the host's ap_control_domain_mask; the guest does not get it` });
    }
  }
  return {
    ...m,
    matrix: apqnsOf(m.adapters, m.domains),
    guestMatrix: guest ? guest.apqns : null,
    guestAdapters: guest ? guest.adapters : null,
    guestDomains: guest ? guest.domains : null,
    filtered,
  };
}
