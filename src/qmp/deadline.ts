// One place that turns {timeoutMs, signal} into a single "give up" callback, so every wait (connect,
// execute, event get) cancels and cleans up the same way.
import { AbortError, InvalidTimeoutError, TimeoutError } from './errors.js';

/**
 * The longest timeout, in ms: 2^31-1, about 24.8 days. Node runs a longer timer after 1 ms (with a
 * warning), so a larger value would give up at once instead of waiting longer.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * What every wait gets unless the caller or the client's defaultTimeoutMs says otherwise: 30 s, what
 * libvirt allows a QEMU monitor. A silent or stuck server must not hang the caller for ever.
 */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Check a timeout before anything is sent: a number of milliseconds from 0 to MAX_TIMEOUT_MS, or
 * undefined (returned as is). Throws InvalidTimeoutError (code EINVAL) naming the value and the limit;
 * `name` names the option in that message (a CLI can pass its own, e.g. "--timeout").
 */
export function checkTimeoutMs(value: unknown, name = 'timeoutMs'): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_TIMEOUT_MS)) {
    throw new InvalidTimeoutError(name, value, MAX_TIMEOUT_MS);
  }
  return value;
}

export interface WaitOptions {
  /**
   * Give up after this many milliseconds, at most MAX_TIMEOUT_MS. Absent: the client's defaultTimeoutMs
   * (30 s unless set). null or Infinity: no timeout, only the signal (or the session's end) stops the wait.
   */
  timeoutMs?: number | null;
  /** Give up when this signal aborts. */
  signal?: AbortSignal;
}

/**
 * The timer a wait arms, in ms, or undefined for none: the caller's value, else `fallback`. Throws
 * InvalidTimeoutError for a value that is neither null, Infinity nor a timer Node can hold.
 */
export function resolveTimeout(value: number | null | undefined, fallback: number | undefined, name = 'timeoutMs'):
number | undefined {
  if (value === undefined) return fallback;
  if (value === null || value === Infinity) return undefined;
  return checkTimeoutMs(value, name);
}

/** A wait with its timeout resolved (undefined: no timer). */
export interface ResolvedWait {
  timeoutMs: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface Deadline {
  /** Stop the timer and detach from the signal; call once the wait is over. */
  clear(): void;
}

/**
 * Arm the timeout and the signal. `onGiveUp` gets a TimeoutError or AbortError and is called at most once.
 * `describe` names the wait in error messages; `timeoutError` lets a caller build a richer TimeoutError.
 */
export function armDeadline(
  opts: ResolvedWait,
  what: string,
  onGiveUp: (err: TimeoutError | AbortError) => void,
  timeoutError: (ms: number) => TimeoutError = (ms) =>
    new TimeoutError(what, ms, 'the QMP session is still usable; raise timeoutMs if QEMU is just slow'),
): Deadline {
  let timer: NodeJS.Timeout | undefined;
  const signal = opts.signal;
  const onAbort = (): void => { clear(); onGiveUp(new AbortError(what, signal?.reason)); };
  const clear = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    signal?.removeEventListener('abort', onAbort);
  };
  const ms = opts.timeoutMs;
  if (ms !== undefined) {
    timer = setTimeout(() => { clear(); onGiveUp(timeoutError(ms)); }, ms);
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  return { clear };
}

/** Throw at once if the signal has already fired, before anything is sent. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new AbortError(what, signal.reason);
}
