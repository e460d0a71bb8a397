// What the guest layer needs of a QMP session: commands and events. A QmpClient is one; so is any
// wrapper that passes these through (a test that stands in for what TCG cannot run, a logger).
import type { QmpClient } from '../qmp/client.js';
import { ExecuteError } from '../qmp/errors.js';
import { QemuRefusedError } from './errors.js';

export type GuestQmp = Pick<QmpClient, 'execute' | 'waitForEvent' | 'listen'>;

/** Runs a command; QEMU's refusal becomes a QemuRefusedError naming the step (code = QEMU's class). */
export async function run<T>(qmp: GuestQmp, step: string, command: string, args?: Record<string, unknown>,
  opts: { timeoutMs?: number; hint?: (err: ExecuteError) => string | undefined } = {}): Promise<T> {
  try {
    return await qmp.execute<T>(command, args, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
  } catch (e) {
    if (e instanceof ExecuteError) throw new QemuRefusedError(e, step, opts.hint?.(e));
    throw e;
  }
}
