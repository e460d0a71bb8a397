// Event fan-out. Every listener owns a FIFO queue, so each event reaches each interested listener exactly
// once and listeners never take events from one another. A queue is bounded: a listener nobody reads
// must not hold every event of a long session, so past the bound the oldest event is dropped and
// counted. The hub also keeps a short history, so a wait that times out can say which events did arrive.
import { ExecInterruptedError, QmpError, StateError, TimeoutError, preview } from './errors.js';
import { DEFAULT_TIMEOUT_MS, armDeadline, resolveTimeout, throwIfAborted, type WaitOptions } from './deadline.js';
import type { JsonObject, QmpEvent } from './message.js';

/** A test on an event's `data` (the whole event comes second, e.g. for its name). */
export type EventPredicate = (data: JsonObject, event: QmpEvent) => boolean;

export interface ListenerOptions {
  /** Event name or names to accept; all events when absent (a catch-all). */
  names?: string | Iterable<string>;
  /** Accept only events whose data passes; a predicate that throws counts as "no" and is logged. */
  where?: EventPredicate;
  /**
   * Most events kept unread (the client's maxQueuedEvents, 1000 by default). When one more arrives the
   * oldest queued one is dropped and `dropped` counts it (the first drop is also logged as a warning).
   * Infinity keeps every event; choose it only for a listener that is surely read.
   */
  maxQueued?: number;
}

/** Events a listener keeps unread unless told otherwise; about 200 KB of typical events. */
export const DEFAULT_MAX_QUEUED_EVENTS = 1000;

type Waiter = {
  resolve: (event: QmpEvent | undefined) => void;
  reject: (err: Error) => void;
  /** Iterators end quietly where get() rejects. */
  iterating: boolean;
};

/** Hooks from the hub into the listener's owner; kept private to this module. */
interface HubLink {
  live(): boolean;
  remove(listener: EventListener): void;
  predicateFailed(listener: EventListener, err: unknown): void;
  overflowed(listener: EventListener, limit: number): void;
  defaultTimeoutMs(): number | undefined;
  recentSince(seq: number): QmpEvent[];
  seq(): number;
}

export class EventListener implements AsyncIterable<QmpEvent>, Disposable {
  /** The names accepted, or undefined for every event. */
  readonly names: ReadonlySet<string> | undefined;
  readonly #where: EventPredicate | undefined;
  readonly #hub: HubLink;
  readonly #maxQueued: number;
  #dropped = 0;
  #queue: QmpEvent[] = [];
  #head = 0;
  #waiters: Waiter[] = [];
  #removed = false;

  /** @internal Listeners are made by QmpClient.listen(). */
  constructor(hub: HubLink, opts: ListenerOptions, maxQueued: number) {
    const names = opts.names;
    this.names = names === undefined ? undefined : new Set(typeof names === 'string' ? [names] : names);
    this.#where = opts.where;
    this.#hub = hub;
    this.#maxQueued = maxQueued;
  }

  /** Events queued and not yet taken. */
  get size(): number { return this.#queue.length - this.#head; }

  /** How many events are kept unread at most. */
  get maxQueued(): number { return this.#maxQueued; }

  /** Events dropped, oldest first, because the queue was full; never reset. */
  get dropped(): number { return this.#dropped; }

  /** True once remove() (or dispose) ran. */
  get removed(): boolean { return this.#removed; }

  /** @internal Offer an event; queued (or handed to a waiter) when it passes the filters. */
  offer(event: QmpEvent): void {
    if (this.names !== undefined && !this.names.has(event.event)) return;
    if (this.#where !== undefined) {
      try {
        if (!this.#where(event.data, event)) return;
      } catch (err) {
        this.#hub.predicateFailed(this, err);
        return;
      }
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve(event);
      return;
    }
    this.#queue.push(event);
    if (this.size > this.#maxQueued) {
      this.#shift();
      if (this.#dropped++ === 0) this.#hub.overflowed(this, this.#maxQueued);
    }
  }

  /** Take the next event without waiting. */
  take(): QmpEvent | undefined {
    return this.size === 0 ? undefined : this.#shift();
  }

  #shift(): QmpEvent {
    const event = this.#queue[this.#head++] as QmpEvent;
    // Compact now and then so a long-lived queue does not keep every event it ever held.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return event;
  }

  /** Wait for the next accepted event. Rejects with TimeoutError, AbortError, ExecInterruptedError, or InvalidTimeoutError. */
  get(opts?: WaitOptions): Promise<QmpEvent> {
    return this.#next(opts, false, undefined) as Promise<QmpEvent>;
  }

  /** @internal get() whose timeout error lists the events that arrived meanwhile. */
  getReporting(opts: WaitOptions | undefined, what: string): Promise<QmpEvent> {
    return this.#next(opts, false, what) as Promise<QmpEvent>;
  }

  /** Drop and return the queued events. */
  clear(): QmpEvent[] {
    const out = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    return out;
  }

  /** Stop receiving; queued events are dropped, get() calls waiting now reject with StateError. */
  remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    this.#hub.remove(this);
    this.clear();
    this.#endWaiters(() => new StateError(`waiting for ${this.#label()}`, 'idle', undefined,
      'the listener was removed while a get() was waiting'));
  }

  [Symbol.dispose](): void { this.remove(); }

  /** Iterate events as they come; ends when the listener is removed or the session ends (no timeout). */
  [Symbol.asyncIterator](): AsyncIterator<QmpEvent> {
    return {
      next: async () => {
        const event = await this.#next(undefined, true, undefined);
        return event === undefined ? { done: true, value: undefined } : { done: false, value: event };
      },
      return: async () => ({ done: true, value: undefined }),
    };
  }

  /** @internal The session ended: queued events stay readable, waiters are released. */
  sessionEnded(reason: string, cause: unknown): void {
    this.#endWaiters(() => new ExecInterruptedError(`waiting for ${this.#label()}`, undefined, reason, cause));
  }

  #next(opts: WaitOptions | undefined, iterating: boolean, reportAs: string | undefined): Promise<QmpEvent | undefined> {
    const what = reportAs ?? `waiting for ${this.#label()}`;
    let timeoutMs: number | undefined;
    try {
      // Iteration is a subscription that ends with the listener or the session, so it has no timer.
      timeoutMs = iterating ? undefined : resolveTimeout(opts?.timeoutMs, this.#hub.defaultTimeoutMs());
      throwIfAborted(opts?.signal, what);
    } catch (err) {
      return Promise.reject(err);
    }
    const ready = this.take();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.#removed || !this.#hub.live()) {
      if (iterating) return Promise.resolve(undefined);
      return Promise.reject(this.#removed
        ? new StateError(what, 'idle', undefined, 'the listener was removed; make a new one with listen()')
        : new StateError(what, 'idle', 'running', 'connect() first; events only come during a session'));
    }
    const startSeq = this.#hub.seq();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (event) => { deadline.clear(); resolve(event); },
        reject: (err) => { deadline.clear(); reject(err); },
        iterating,
      };
      const deadline = armDeadline({ timeoutMs, signal: opts?.signal }, what, (err) => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(err);
      }, reportAs === undefined ? undefined : (ms) => {
        const seen = this.#hub.recentSince(startSeq);
        return new TimeoutError(what, ms, seen.length === 0
          ? 'no events at all arrived meanwhile'
          : `events seen meanwhile: ${seen.map(summarize).join(', ')}`, seen);
      });
      this.#waiters.push(waiter);
    });
  }

  #endWaiters(makeError: () => Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      if (w.iterating) w.resolve(undefined);
      else w.reject(makeError());
    }
  }

  #label(): string {
    return this.names === undefined ? 'any event' : `event ${[...this.names].join('|')}`;
  }
}

/** Name and data of an event, short, for error messages. */
export function summarize(event: QmpEvent): string {
  return `${event.event} ${preview(event.data, 100)}`;
}

/** The listeners of one client and the recent-event history. */
export class EventHub implements HubLink {
  readonly #listeners = new Set<EventListener>();
  readonly #history: QmpEvent[];
  readonly #historySize: number;
  readonly #onWarn: (err: QmpError) => void;
  readonly #maxQueued: number;
  readonly #defaultTimeout: number | undefined;
  #seq = 0;
  #live = false;

  constructor(historySize: number, onWarn: (err: QmpError) => void, maxQueued = DEFAULT_MAX_QUEUED_EVENTS,
    defaultTimeoutMs: number | undefined = DEFAULT_TIMEOUT_MS) {
    this.#defaultTimeout = defaultTimeoutMs;
    this.#historySize = historySize;
    this.#history = [];
    this.#onWarn = onWarn;
    this.#maxQueued = checkMaxQueued('maxQueuedEvents', maxQueued);
  }

  listen(opts: ListenerOptions = {}): EventListener {
    const max = opts.maxQueued === undefined ? this.#maxQueued : checkMaxQueued('maxQueued', opts.maxQueued);
    const listener = new EventListener(this, opts, max);
    this.#listeners.add(listener);
    return listener;
  }

  get listenerCount(): number { return this.#listeners.size; }

  dispatch(event: QmpEvent): void {
    this.#seq++;
    this.#history.push(event);
    if (this.#history.length > this.#historySize) this.#history.shift();
    for (const l of this.#listeners) l.offer(event);
  }

  /** The last events seen, oldest first. */
  history(): QmpEvent[] { return this.#history.slice(); }

  setLive(live: boolean, reason = '', cause?: unknown): void {
    this.#live = live;
    if (!live) for (const l of this.#listeners) l.sessionEnded(reason, cause);
  }

  live(): boolean { return this.#live; }
  defaultTimeoutMs(): number | undefined { return this.#defaultTimeout; }
  seq(): number { return this.#seq; }
  remove(listener: EventListener): void { this.#listeners.delete(listener); }

  recentSince(seq: number): QmpEvent[] {
    const count = Math.min(this.#seq - seq, this.#history.length);
    return this.#history.slice(this.#history.length - count);
  }

  predicateFailed(listener: EventListener, err: unknown): void {
    this.#onWarn(new QmpError({
      code: 'EINVAL',
      message: `an event filter of the listener for ${listenerLabel(listener)} ` +
        'threw; the event was treated as not matching, fix the predicate',
      cause: err,
    }));
  }

  overflowed(listener: EventListener, limit: number): void {
    this.#onWarn(new QmpError({
      code: 'ENOBUFS',
      message: `the listener for ${listenerLabel(listener)} holds ${limit} unread events, so it dropped the oldest; ` +
        'read it, remove it when done, or raise maxQueued (further drops are only counted in listener.dropped)',
    }));
  }
}

function listenerLabel(listener: EventListener): string {
  return listener.names === undefined ? 'all events' : [...listener.names].join('|');
}

/** A queue bound: a positive integer, or Infinity for none. */
function checkMaxQueued(name: string, value: number): number {
  if (value !== Infinity && (!Number.isSafeInteger(value) || value < 1)) {
    throw new QmpError({ code: 'EINVAL', message: `${name} must be a positive integer or Infinity, not ${String(value)}` });
  }
  return value;
}
