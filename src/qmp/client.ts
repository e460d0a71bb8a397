// The QMP client: one session at a time over one socket, many commands in flight matched by id, events
// fanned out to listeners. Modelled on python qemu.qmp (runstate, pending map, per-listener queues) with
// Node's primitives: a Promise per command and callbacks on socket data instead of reader tasks.
import type net from 'node:net';
import {
  AbortError, BadReplyError, ConnectError, ExecInterruptedError, ExecuteError, GreetingError, NegotiationError,
  QmpError, ServerParseError, StateError, TimeoutError, preview,
} from './errors.js';
import {
  DEFAULT_TIMEOUT_MS, armDeadline, resolveTimeout, throwIfAborted, type Deadline, type ResolvedWait, type WaitOptions,
} from './deadline.js';
import { EventHub, type EventListener, type EventPredicate, type ListenerOptions } from './events.js';
import { DEFAULT_MAX_MESSAGE_BYTES, LineSplitter } from './framing.js';
import {
  DEFAULT_MAX_MESSAGE_DEPTH, decodeLine, errorBody, parseGreeting, toEvent,
  type Greeting, type JsonObject, type QmpEvent, type Runstate,
} from './message.js';
import { describeAddress, openSocket, type QmpAddress } from './transport.js';

/** Where diagnostics go; the client logs nothing unless given one. */
export interface QmpLogger {
  debug?(message: string, detail?: unknown): void;
  warn?(message: string, detail?: unknown): void;
}

export interface QmpClientOptions {
  /** Names this client in log lines. */
  name?: string;
  logger?: QmpLogger;
  /** Longest message accepted, in bytes (10 MiB). */
  maxMessageBytes?: number;
  /** Deepest nesting of objects and arrays accepted in a message (1024); deeper ones end the session
   *  with MessageTooDeepError before they are parsed. */
  maxMessageDepth?: number;
  /** Most events each listener keeps unread before it drops the oldest (1000); a listener's own
   *  maxQueued overrides it. Infinity keeps every event. */
  maxQueuedEvents?: number;
  /** How many recent events to keep for error reports (100). */
  historySize?: number;
  /**
   * The timeout of every connect(), execute() and event wait that gives none (30 s). null or Infinity
   * makes them wait without one; a value Node's timers cannot hold throws InvalidTimeoutError.
   */
  defaultTimeoutMs?: number | null;
  /** Called on every runstate change, synchronously, so no transition is missed. */
  onRunstate?: (state: Runstate, previous: Runstate) => void;
}

export interface ConnectOptions extends WaitOptions {
  /** Send qmp_capabilities (true). With false the session starts un-negotiated; QEMU then refuses every
   *  command except qmp_capabilities with CommandNotFound. */
  negotiate?: boolean;
}

export interface ExecuteOptions extends WaitOptions {
  /** Send as `exec-oob` (needs the oob capability, which connect() enables when QEMU offers it). */
  oob?: boolean;
}

/** How long the end of a session waits for its last writes to leave before it closes the socket anyway. */
const CLOSE_GRACE_MS = 1000;

/** Prefix of the ids this client assigns; ids of raw messages must not use it. */
export const ID_PREFIX = '__zmdev#';

interface Pending {
  sent: JsonObject;
  command: string;
  what: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  deadline: Deadline | undefined;
  /** For id-less commands, which stay in their FIFO slot after a timeout so the reply still lines up. */
  abandoned: boolean;
}

type Phase = 'greeting' | 'negotiating' | 'running';

/** Per-connection state; replaced on every connect so a late callback of an old socket touches nothing. */
class Session {
  phase: Phase = 'greeting';
  greeting: Greeting | undefined;
  oob = false;
  readonly pending = new Map<string, Pending>();
  readonly idless: Pending[] = [];
  readonly abandoned = new Set<string>();
  corked = false;
  /** Until running, messages and failures wait here for the handshake to take them. */
  readonly inbox: Array<JsonObject | Error> = [];
  inboxWaiter: (() => void) | undefined;
  ended = false;
  constructor(readonly socket: net.Socket, readonly address: string) {}

  deliver(item: JsonObject | Error): void {
    this.inbox.push(item);
    this.inboxWaiter?.();
  }
}

export class QmpClient {
  readonly name: string;
  readonly #logger: QmpLogger;
  readonly #maxBytes: number;
  readonly #maxDepth: number;
  readonly #defaultTimeout: number | undefined;
  readonly #hub: EventHub;
  #state: Runstate = 'idle';
  readonly #onRunstate: ((state: Runstate, previous: Runstate) => void) | undefined;
  #stateWaiters: Array<{ state: Runstate; resolve: () => void }> = [];
  #session: Session | undefined;
  #abortConnect: ((reason: string) => void) | undefined;
  #seq = 0;
  #lastError: Error | undefined;

  constructor(opts: QmpClientOptions = {}) {
    this.name = opts.name ?? 'qmp';
    this.#logger = opts.logger ?? {};
    this.#maxBytes = positiveInteger('maxMessageBytes', opts.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES);
    this.#maxDepth = positiveInteger('maxMessageDepth', opts.maxMessageDepth, DEFAULT_MAX_MESSAGE_DEPTH);
    this.#defaultTimeout = resolveTimeout(opts.defaultTimeoutMs, DEFAULT_TIMEOUT_MS, 'defaultTimeoutMs');
    this.#hub = new EventHub(opts.historySize ?? 100, (err) => this.#warn(err.message, err), opts.maxQueuedEvents,
      this.#defaultTimeout);
    this.#onRunstate = opts.onRunstate;
  }

  get runstate(): Runstate { return this.#state; }

  /** The greeting of the current session. */
  get greeting(): Greeting | undefined { return this.#session?.greeting; }

  /** True when this session negotiated the oob capability. */
  get oobEnabled(): boolean { return this.#session?.oob ?? false; }

  /** Why the last session ended on its own (protocol error, socket error); undefined after a clean one. */
  get lastError(): Error | undefined { return this.#lastError; }

  /** Resolves once the client is in `state` (at once if it is). */
  whenRunstate(state: Runstate): Promise<void> {
    if (this.#state === state) return Promise.resolve();
    return new Promise((resolve) => this.#stateWaiters.push({ state, resolve }));
  }

  /**
   * Open a session: connect, read the greeting, negotiate (enabling oob when offered). Rejects with
   * ConnectError, GreetingError or NegotiationError (both ConnectErrors), TimeoutError, AbortError,
   * InvalidTimeoutError, or StateError unless idle; on failure the client is idle again.
   */
  async connect(address: QmpAddress, opts: ConnectOptions = {}): Promise<Greeting> {
    if (this.#state !== 'idle') {
      throw new StateError('connect()', this.#state, 'idle', 'disconnect() first; the client does not reconnect by itself');
    }
    const where = describeAddress(address);
    const timeoutMs = resolveTimeout(opts.timeoutMs, this.#defaultTimeout);
    throwIfAborted(opts.signal, `QMP connect to ${where}`);
    this.#setState('connecting');
    this.#lastError = undefined;
    this.#hub.setLive(true);
    const started = Date.now();
    // disconnect() during connect aborts it through the same signal as the caller's.
    const local = new AbortController();
    this.#abortConnect = (reason) => local.abort(reason);
    const signal = opts.signal ? AbortSignal.any([opts.signal, local.signal]) : local.signal;
    let socket: net.Socket | undefined;
    try {
      socket = await openSocket(address, { timeoutMs, signal });
      const session = new Session(socket, where);
      this.#session = session;
      this.#attach(session);
      const rest = timeoutMs === undefined ? undefined : Math.max(0, timeoutMs - (Date.now() - started));
      await this.#handshake(session, opts.negotiate ?? true, { timeoutMs: rest, signal });
      session.phase = 'running';
      this.#abortConnect = undefined;
      this.#setState('running');
      // Messages that came in the same read as the last handshake message are handled now, in order.
      // (A failure there already ended the session; its error needs no second report.)
      const early = session.inbox.splice(0).filter((m): m is JsonObject => !(m instanceof Error));
      for (const msg of early) this.#onReply(session, msg);
      return session.greeting as Greeting;
    } catch (err) {
      this.#abortConnect = undefined;
      socket?.destroy();
      const session = this.#session;
      if (session) this.#end(session, 'connect() failed', undefined, false);
      else this.#goIdle('connect() failed', undefined);
      throw err;
    }
  }

  /**
   * Run a command and resolve with its `return` value. Rejects with ExecuteError (QEMU refused it),
   * TimeoutError / AbortError (the session stays usable; a late reply is dropped), ExecInterruptedError
   * (the session ended first), BadReplyError, InvalidTimeoutError (nothing sent), or StateError unless running.
   */
  execute<T = unknown>(command: string, args?: JsonObject, opts: ExecuteOptions = {}): Promise<T> {
    const msg: JsonObject = { [opts.oob ? 'exec-oob' : 'execute']: command };
    if (args !== undefined) msg['arguments'] = args;
    msg['id'] = this.#nextId();
    return this.#submit(msg, opts) as Promise<T>;
  }

  /**
   * Send a message built by the caller. Its `id`, if any, must be a string outside the client's own
   * `__zmdev#` space and not in flight; without an id the reply is the next id-less one (QEMU answers
   * in-band commands in order), and an id-less error is then taken as that command's reply.
   */
  executeMessage<T = unknown>(msg: JsonObject, opts: WaitOptions = {}): Promise<T> {
    const id = msg['id'];
    if (id !== undefined && (typeof id !== 'string' || id.startsWith(ID_PREFIX) || this.#session?.pending.has(id))) {
      return Promise.reject(new QmpError({
        code: 'EINVAL',
        message: `message id ${JSON.stringify(id)} is not usable: ids must be strings, must not start with ` +
          `${JSON.stringify(ID_PREFIX)} and must not be in flight; leave it out or pick another`,
      }));
    }
    return this.#submit(msg, opts) as Promise<T>;
  }

  /**
   * A listener for events by name(s) and data; remove it (or `using`) when done. No names: every event.
   * It keeps at most maxQueued unread events, dropping the oldest (counted in `dropped`).
   */
  listen(opts?: ListenerOptions): EventListener {
    return this.#hub.listen(opts);
  }

  /**
   * Wait for one event. Register before sending the command that causes it:
   * `const gone = qmp.waitForEvent('DEVICE_DELETED', (d) => d.device === 'rng0', {timeoutMs}); await qmp.execute('device_del', …); await gone;`
   * The TimeoutError lists the events seen meanwhile.
   */
  async waitForEvent(name: string | string[], where?: EventPredicate, opts?: WaitOptions): Promise<QmpEvent> {
    const listener = this.#hub.listen({ names: name, where });
    const label = `waiting for event ${typeof name === 'string' ? name : name.join('|')}${where ? ' with matching data' : ''}`;
    try {
      return await listener.getReporting(opts, label);
    } finally {
      listener.remove();
    }
  }

  /** The last events seen (up to historySize), oldest first. */
  get recentEvents(): QmpEvent[] { return this.#hub.history(); }

  /**
   * End the session cleanly: pending calls reject with ExecInterruptedError, queued writes are flushed,
   * the socket is closed. Never throws; a no-op when idle. During connect() it makes connect() reject.
   */
  async disconnect(): Promise<void> {
    if (this.#state === 'connecting') {
      const closed = this.whenRunstate('idle');
      this.#abortConnect?.('disconnect() was called while connecting');
      await closed;
      return;
    }
    const session = this.#session;
    if (this.#state !== 'running' || session === undefined) return;
    const closed = new Promise<void>((resolve) => session.socket.once('close', () => resolve()));
    this.#end(session, 'disconnect() was called', undefined, false);
    await closed;
  }

  // ---- sending ----

  #nextId(): string {
    this.#seq++;
    return ID_PREFIX + String(this.#seq).padStart(5, '0');
  }

  #submit(msg: JsonObject, opts: WaitOptions): Promise<unknown> {
    const session = this.#session;
    const command = (msg['execute'] ?? msg['exec-oob']) as string;
    const what = `QMP command ${command}`;
    if (this.#state !== 'running' || session === undefined) {
      return Promise.reject(new StateError(what, this.#state, 'running', 'connect() first'));
    }
    let timeoutMs: number | undefined;
    try {
      timeoutMs = resolveTimeout(opts.timeoutMs, this.#defaultTimeout);
      throwIfAborted(opts.signal, what);
    } catch (err) {
      return Promise.reject(err);
    }
    const id = msg['id'] as string | undefined;
    return new Promise((resolve, reject) => {
      const entry: Pending = { sent: msg, command, what, resolve, reject, deadline: undefined, abandoned: false };
      if (timeoutMs !== undefined || opts.signal !== undefined) {
        entry.deadline = armDeadline({ timeoutMs, signal: opts.signal }, what, (err) => this.#abandon(session, entry, id, err));
      }
      if (id === undefined) session.idless.push(entry);
      else session.pending.set(id, entry);
      this.#write(session, JSON.stringify(msg));
    });
  }

  /** Give up on a command; its reply, if it ever comes, is dropped. */
  #abandon(session: Session, entry: Pending, id: string | undefined, err: TimeoutError | AbortError): void {
    entry.abandoned = true;
    if (id !== undefined) {
      session.pending.delete(id);
      session.abandoned.add(id);
    }
    entry.reject(err);
  }

  #write(session: Session, line: string): void {
    // Writes of one tick leave in one writev: pipelined commands cost one syscall, not one each.
    if (!session.corked) {
      session.corked = true;
      session.socket.cork();
      process.nextTick(() => {
        session.corked = false;
        session.socket.uncork();
      });
    }
    session.socket.write(line + '\n');
  }

  // ---- receiving ----

  #attach(session: Session): void {
    const splitter = new LineSplitter(this.#maxBytes, (line) => this.#onLine(session, line));
    const { socket } = session;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk);
      } catch (err) {
        this.#fail(session, err as Error);
      }
    });
    let socketError: Error | undefined;
    socket.on('error', (err) => { socketError = err; });
    socket.on('close', () => {
      if (!session.ended) {
        const err = new ConnectError(session.address, `the connection was closed by the peer${socketError ? ` (${socketError.message})` : ''}`,
          socketError, socketError ? undefined : 'ECONNRESET');
        this.#fail(session, err);
      }
    });
  }

  #onLine(session: Session, line: string): void {
    if (session.ended) return;
    let msg: JsonObject;
    try {
      msg = decodeLine(line, this.#maxDepth);
      // Before the greeting nothing counts as an event: the first message must be the greeting.
      if (session.phase !== 'greeting' && 'event' in msg) {
        this.#hub.dispatch(toEvent(msg));
        return;
      }
    } catch (err) {
      this.#fail(session, err as Error);
      return;
    }
    if (session.phase !== 'running') {
      session.deliver(msg);
      return;
    }
    this.#onReply(session, msg);
  }

  #onReply(session: Session, msg: JsonObject): void {
    const id = msg['id'];
    if (id === undefined) {
      const head = session.idless.shift();
      if (head !== undefined) {
        if (head.abandoned) this.#debug('dropped the late reply of an abandoned id-less command', msg);
        else this.#settle(head, msg);
        return;
      }
      if ('error' in msg) {
        this.#fail(session, new ServerParseError(msg, errorBody(msg).desc));
        return;
      }
      this.#warn(`dropped an id-less message that answers nothing: ${preview(msg, 200)}`, msg);
      return;
    }
    const key = typeof id === 'string' ? id : JSON.stringify(id);
    const entry = session.pending.get(key);
    if (entry === undefined) {
      if (session.abandoned.delete(key)) this.#debug(`dropped the late reply to ${key} (its caller gave up)`, msg);
      else this.#warn(`dropped a reply with unknown id ${JSON.stringify(id)}`, msg);
      return;
    }
    session.pending.delete(key);
    this.#settle(entry, msg);
  }

  #settle(entry: Pending, msg: JsonObject): void {
    entry.deadline?.clear();
    if ('return' in msg) entry.resolve(msg['return']);
    else if ('error' in msg) {
      const { errorClass, desc } = errorBody(msg);
      entry.reject(new ExecuteError(entry.sent, msg, errorClass, desc));
    } else entry.reject(new BadReplyError(entry.sent, msg));
  }

  // ---- session setup ----

  async #handshake(session: Session, negotiate: boolean, opts: ResolvedWait): Promise<void> {
    const next = (what: string): Promise<JsonObject> => new Promise((resolve, reject) => {
      const take = (): void => {
        const item = session.inbox.shift() as JsonObject | Error;
        session.inboxWaiter = undefined;
        deadline.clear();
        if (item instanceof Error) reject(item);
        else resolve(item);
      };
      const deadline = armDeadline(opts, `QMP connect to ${session.address}: ${what}`, (err) => {
        session.inboxWaiter = undefined;
        reject(err);
      });
      if (session.inbox.length > 0) take();
      else session.inboxWaiter = take;
    });
    let greetingMsg: JsonObject;
    try {
      greetingMsg = await next('waiting for the greeting');
    } catch (err) {
      throw wrapSetup(err, (cause) => new GreetingError(session.address, `no greeting (${(cause as Error).message})`, cause));
    }
    session.greeting = parseGreeting(greetingMsg, session.address);
    if (!negotiate) return;
    session.phase = 'negotiating';
    const oob = session.greeting.capabilities.includes('oob');
    const id = this.#nextId();
    const sent: JsonObject = { execute: 'qmp_capabilities', arguments: { enable: oob ? ['oob'] : [] }, id };
    this.#write(session, JSON.stringify(sent));
    let reply: JsonObject;
    try {
      reply = await next('waiting for the qmp_capabilities reply');
    } catch (err) {
      throw wrapSetup(err, (cause) => new NegotiationError(session.address, `no reply (${(cause as Error).message})`, cause));
    }
    if (reply['id'] !== id) {
      throw new NegotiationError(session.address, `expected the reply to qmp_capabilities, got ${preview(reply, 160)}`);
    }
    if ('error' in reply) {
      const { errorClass, desc } = errorBody(reply);
      const cause = new ExecuteError(sent, reply, errorClass, desc);
      throw new NegotiationError(session.address, `QEMU refused qmp_capabilities: ${errorClass}: ${desc}`, cause);
    }
    session.oob = oob;
  }

  // ---- ending ----

  /** A failure inside the session: log it, remember it, end the session. */
  #fail(session: Session, err: Error): void {
    if (session.ended) return;
    if (session.phase !== 'running') {
      // During connect() the failure belongs to connect()'s caller.
      session.deliver(err);
      return;
    }
    this.#warn(`QMP session with ${session.address} ended: ${err.message}`, err);
    this.#end(session, err.message, err, true);
  }

  #end(session: Session, reason: string, cause: Error | undefined, record: boolean): void {
    session.ended = true;
    if (record) this.#lastError = cause;
    this.#setState('disconnecting');
    const { socket } = session;
    // Flush what was written, then close; the peer need not cooperate. A peer that stopped reading would
    // hold the flush, and so disconnect(), for ever: after a grace period the socket is closed regardless.
    if (!socket.destroyed) {
      socket.end(() => socket.destroy());
      const force = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      force.unref();
      socket.once('close', () => clearTimeout(force));
    }
    const entries = [...session.pending.values(), ...session.idless];
    session.pending.clear();
    session.idless.length = 0;
    session.abandoned.clear();
    for (const entry of entries) {
      if (entry.abandoned) continue;
      entry.deadline?.clear();
      entry.reject(new ExecInterruptedError(entry.what, entry.command, reason, cause));
    }
    this.#goIdle(reason, cause);
  }

  #goIdle(reason: string, cause: unknown): void {
    this.#session = undefined;
    this.#hub.setLive(false, reason, cause);
    this.#setState('idle');
  }

  #setState(state: Runstate): void {
    const previous = this.#state;
    this.#state = state;
    const ready = this.#stateWaiters.filter((w) => w.state === state);
    if (ready.length > 0) this.#stateWaiters = this.#stateWaiters.filter((w) => w.state !== state);
    for (const w of ready) w.resolve();
    this.#onRunstate?.(state, previous);
  }

  #debug(message: string, detail: unknown): void { this.#logger.debug?.(`${this.name}: ${message}`, detail); }
  #warn(message: string, detail: unknown): void { this.#logger.warn?.(`${this.name}: ${message}`, detail); }
}

/** A size option: a positive integer, or the default when absent. */
function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new QmpError({ code: 'EINVAL', message: `${name} must be a positive integer, not ${String(value)}` });
  }
  return value;
}

/** Keep typed errors (timeout, abort, protocol) as they are; wrap anything else into the setup error. */
function wrapSetup(err: unknown, wrap: (cause: unknown) => Error): Error {
  if (err instanceof TimeoutError || err instanceof AbortError || err instanceof ConnectError) return err;
  return wrap(err);
}
