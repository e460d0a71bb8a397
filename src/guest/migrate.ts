// Carrying a vfio-ap guest to another host. QEMU marks vfio-ap unmigratable, so the device leaves
// the guest for the move: check that the target mdev gives the same APQNs and that the target guest
// can take it, unplug on the source, migrate, plug on the target. Until the switch-over the source
// guest is still the guest: if anything fails before it, the device is plugged back there.
import type { ApHost } from '../ap/host.js';
import { formatApqn } from '../mask/apqn.js';
import type { ZmdevError } from '../errors.js';
import { attach, detach, guestApqns, listGuestDevices, type AttachResult } from './hotplug.js';
import { checkCpuModel } from './cpu-model.js';
import { CpuFeatureError, DeviceExistsError, DeviceMissingError, GuestError, MatrixMismatchError, MigrationError } from './errors.js';
import { DEFAULT_DEVICE_ID, checkDeviceId } from './qemu-args.js';
import { run, type GuestQmp } from './qmp.js';

export interface MigrateSide {
  qmp: GuestQmp;
  ap: ApHost;
  /** The mdev on that host. */
  uuid: string;
  /** Device id (source: the plugged device's; target: default the source's). */
  id?: string;
}

export type MigrateProgress =
  | { step: 'check'; message: string }
  | { step: 'detach'; message: string }
  | { step: 'migrate'; status: string; transferred?: number; total?: number; message: string }
  | { step: 'attach'; message: string }
  | { step: 'rollback'; message: string }
  | { step: 'done'; message: string };

export interface MigrateOptions {
  source: MigrateSide;
  target: MigrateSide;
  /** Where the target listens, as QMP migrate takes it (tcp:HOST:PORT, unix:PATH, exec:…). */
  uri: string;
  onProgress?: (p: MigrateProgress) => void;
  /** Check the target guest's CPU for `ap` before unplugging anything (true). */
  checkCpu?: boolean;
  /** query-migrate poll interval (100 ms). */
  pollMs?: number;
  /** Give up on the migration after this long and cancel it (10 min). */
  migrateTimeoutMs?: number;
  /** Per QMP command and for the unplug's DEVICE_DELETED (30 s). */
  timeoutMs?: number;
}

export interface MigrateResult {
  status: 'completed';
  source: { uuid: string; id: string };
  target: AttachResult;
  apqns: string[];
  elapsedMs: number;
}

interface MigrationInfo {
  /** Present once migrate has been accepted. */
  status: string;
  ram?: { transferred?: number; total?: number };
  'error-desc'?: string;
}

const key = (apqns: { adapter: number; domain: number }[]) => apqns.map(formatApqn).join(' ');

/** The APQNs must be the same on both sides, in the matrix and in what the guest gets. */
function compareMdevs(source: MigrateSide, target: MigrateSide): string[] {
  const s = source.ap.mdev(source.uuid);
  const t = target.ap.mdev(target.uuid);
  const sGuest = key(guestApqns(source.ap, source.uuid));
  const tGuest = key(guestApqns(target.ap, target.uuid));
  for (const [what, a, b] of [['matrix', key(s.matrix), key(t.matrix)], ['guest matrix', sGuest, tGuest]] as const) {
    if (a !== b) {
      throw new MatrixMismatchError({
        code: 'EINVAL',
        step: 'migrate',
        message: `the target mdev ${t.uuid} does not give the guest the same APQNs as the source mdev ${s.uuid}: ` +
          `${what} ${a || '(empty)'} on the source, ${b || '(empty)'} on the target; nothing was changed — ` +
          'assign the same adapters and domains on the target host (and make sure they are online there) first',
        details: { what, source: a.split(' ').filter(Boolean), target: b.split(' ').filter(Boolean) },
      });
    }
  }
  return sGuest.split(' ').filter(Boolean);
}

/**
 * Unplug, migrate, plug. Every check runs before the source guest is touched. A migration that fails,
 * is refused, or takes longer than migrateTimeoutMs (then it is cancelled) ends with the device plugged
 * back into the source guest; the MigrationError says whether that worked.
 */
export async function migrate(opts: MigrateOptions): Promise<MigrateResult> {
  const { source, target } = opts;
  const started = Date.now();
  const progress = opts.onProgress ?? (() => undefined);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const migrateTimeoutMs = opts.migrateTimeoutMs ?? 600_000;
  const pollMs = opts.pollMs ?? 100;
  const wait = { timeoutMs };
  const sourceId = checkDeviceId(source.id ?? DEFAULT_DEVICE_ID);
  const targetId = checkDeviceId(target.id ?? sourceId);

  progress({ step: 'check', message: `comparing source mdev ${source.uuid} and target mdev ${target.uuid}` });
  const apqns = compareMdevs(source, target);
  const onSource = (await listGuestDevices(source.qmp, wait)).find((d) => d.id === sourceId);
  if (onSource?.type !== 'vfio-ap') {
    throw new DeviceMissingError({
      code: 'ENOENT',
      step: 'migrate',
      message: onSource
        ? `device ${sourceId} of the source guest is a ${onSource.type}, not vfio-ap; name the vfio-ap device's id`
        : `the source guest has no device ${sourceId}; name the vfio-ap device's id (or plug it first with zmdev guest attach)`,
    });
  }
  if (opts.checkCpu ?? true) {
    const cpu = await checkCpuModel(target.qmp, wait);
    if (!cpu.canAttach) {
      throw new CpuFeatureError({
        code: 'ENOTSUP',
        step: 'migrate',
        message: `the target guest's CPU (model ${cpu.model}) has no AP instructions (ap is ${cpu.features.ap}), so the device could not be ` +
          'plugged there after the migration; nothing was changed — start the target QEMU with ap=on in -cpu',
        details: { features: cpu.features },
      });
    }
  }
  const onTarget = (await listGuestDevices(target.qmp, wait)).find((d) => d.type === 'vfio-ap' || d.id === targetId);
  if (onTarget) {
    throw new DeviceExistsError({
      code: 'EEXIST',
      step: 'migrate',
      message: `the target guest already has ${onTarget.type === 'vfio-ap' ? 'a vfio-ap device' : `a device with id ${targetId}`} ` +
        `(${onTarget.path}); nothing was changed`,
    });
  }

  progress({ step: 'detach', message: `unplugging ${sourceId} from the source guest` });
  await detach(source.qmp, sourceId, { timeoutMs });

  const replug = async (why: unknown): Promise<never> => {
    progress({ step: 'rollback', message: `plugging ${sourceId} back into the source guest` });
    let rolledBack = false;
    let again: unknown;
    try {
      await attach(source.qmp, source.ap, source.uuid, { id: sourceId, checkCpu: false, timeoutMs });
      rolledBack = true;
    } catch (e) {
      again = e;
    }
    const reason = (why as Error).message;
    throw new MigrationError({
      code: (why as ZmdevError).code,
      step: 'migrate',
      message: `the migration did not complete (${reason}); ` + (rolledBack
        ? `the source guest keeps running with ${sourceId} plugged back in`
        : `plugging ${sourceId} back into the source guest failed too (${(again as Error).message}): plug it with zmdev guest attach`),
      cause: why,
      rolledBack,
      migrated: false,
    });
  };

  progress({ step: 'migrate', status: 'setup', message: `migrate ${opts.uri}` });
  try {
    await run(source.qmp, 'migrate', 'migrate', { uri: opts.uri }, wait);
    const deadline = Date.now() + migrateTimeoutMs;
    for (;;) {
      const info = await run<MigrationInfo>(source.qmp, 'migrate', 'query-migrate', undefined, wait);
      const { status } = info;
      const ram = info.ram ?? {};
      progress({
        step: 'migrate', status, transferred: ram.transferred, total: ram.total,
        message: `migration ${status}${ram.total ? ` (${ram.transferred} of ${ram.total} bytes of RAM sent)` : ''}`,
      });
      if (status === 'completed') break;
      if (status === 'failed' || status === 'cancelled') {
        throw new GuestError({ code: 'EIO', step: 'migrate', message: `QEMU reports the migration ${[status, info['error-desc']].filter(Boolean).join(': ')}` });
      }
      if (Date.now() > deadline) {
        await run(source.qmp, 'migrate', 'migrate_cancel', undefined, wait);
        throw new GuestError({ code: 'ETIMEDOUT', step: 'migrate', message: `the migration was still ${status} after ${migrateTimeoutMs / 1000} s and was cancelled` });
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } catch (e) {
    return replug(e);
  }

  progress({ step: 'attach', message: `plugging mdev ${target.uuid} into the target guest as ${targetId}` });
  let plugged: AttachResult;
  try {
    plugged = await attach(target.qmp, target.ap, target.uuid, { id: targetId, checkCpu: opts.checkCpu, timeoutMs });
  } catch (e) {
    throw new MigrationError({
      code: (e as ZmdevError).code,
      step: 'migrate',
      message: `the guest migrated, but plugging mdev ${target.uuid} into it on the target failed (${(e as Error).message}); ` +
        'the source guest is stopped (postmigrate); fix the cause and plug it with zmdev guest attach on the target',
      cause: e,
      rolledBack: false,
      migrated: true,
    });
  }
  progress({ step: 'done', message: `the guest runs on the target with ${apqns.join(' ')}` });
  return { status: 'completed', source: { uuid: source.uuid.toLowerCase(), id: sourceId }, target: plugged, apqns, elapsedMs: Date.now() - started };
}
