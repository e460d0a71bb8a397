// Typed failures of the QMP client. Each one names what happened and what the caller can do next;
// `code` is an errno name where one fits, or QEMU's own error class for refused commands.
import { ZmdevError } from '../errors.js';
import type { QmpEvent, Runstate } from './message.js';

/** Base class of every error the QMP client raises. */
export class QmpError extends ZmdevError {}

/** The socket could not be opened (or the session could not be set up; see the subclasses). */
export class ConnectError extends QmpError {
  readonly address: string;
  constructor(address: string, what: string, cause?: unknown, code?: string) {
    super({
      code: code ?? systemCode(cause) ?? 'ECONNREFUSED',
      message: `QMP connect to ${address} failed: ${what}`,
      cause,
    });
    this.address = address;
  }
}

/** The server's first message was not a QMP greeting; the peer is probably not a QMP monitor. */
export class GreetingError extends ConnectError {
  constructor(address: string, what: string, cause?: unknown) {
    super(address, `${what}; check that the address is a QEMU -qmp socket (not -monitor or a serial port)`,
      cause, 'EPROTO');
  }
}

/** `qmp_capabilities` was refused or answered oddly; the session was closed. */
export class NegotiationError extends ConnectError {
  constructor(address: string, what: string, cause?: unknown) {
    super(address, `capabilities negotiation failed: ${what}; ` +
      'if another client already negotiated on this socket, connect with {negotiate: false}', cause, 'EPROTO');
  }
}

/** QEMU ran the command and refused it; `code` is QEMU's error class (`CommandNotFound`, `DeviceNotFound`, …). */
export class ExecuteError extends QmpError {
  readonly errorClass: string;
  readonly desc: string;
  readonly command: string;
  readonly sent: Record<string, unknown>;
  readonly received: Record<string, unknown>;
  constructor(sent: Record<string, unknown>, received: Record<string, unknown>, errorClass: string, desc: string) {
    const command = commandName(sent);
    super({ code: errorClass, message: `QEMU refused ${command}: ${errorClass}: ${desc}` });
    this.errorClass = errorClass;
    this.desc = desc;
    this.command = command;
    this.sent = sent;
    this.received = received;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), command: this.command, class: this.errorClass, desc: this.desc };
  }
}

/** The session ended while a call was waiting; for a command, whether QEMU ran it is unknown. */
export class ExecInterruptedError extends QmpError {
  readonly command: string | undefined;
  constructor(what: string, command: string | undefined, reason: string, cause?: unknown) {
    super({
      code: 'ECONNRESET',
      message: `${what} was interrupted: ${reason}` + (command === undefined ? '' :
        '; QEMU may or may not have run it, so check the guest state after reconnecting before retrying'),
      cause,
    });
    this.command = command;
  }
}

/** The server sent something QMP does not allow; the session is closed because the stream can no longer be trusted. */
export class ProtocolError extends QmpError {}

/** A line that is not JSON. `raw` keeps the line (cut to 4 KiB) for the report. */
export class DeserializationError extends ProtocolError {
  readonly raw: string;
  constructor(raw: string, cause: unknown) {
    super({
      code: 'EBADMSG',
      message: `QMP server sent a line that is not JSON (${clip(raw, 120)}); the session was closed, ` +
        'check that the peer is a QMP monitor and reconnect',
      cause,
    });
    this.raw = clip(raw, 4096);
  }
}

/** JSON of the wrong shape: not an object, or an event whose name is not a string. */
export class UnexpectedTypeError extends ProtocolError {
  readonly received: unknown;
  constructor(what: string, received: unknown) {
    super({ code: 'EPROTO', message: `QMP server sent ${what}; the session was closed, reconnect to go on` });
    this.received = received;
  }
}

/** A line longer than the limit (10 MiB by default); the rest of the stream cannot be framed. */
export class MessageTooLargeError extends ProtocolError {
  readonly limit: number;
  constructor(limit: number) {
    super({
      code: 'EMSGSIZE',
      message: `QMP server sent a message longer than ${limit} bytes; the session was closed, ` +
        'raise maxMessageBytes if such replies are expected',
    });
    this.limit = limit;
  }
}

/**
 * A message nested more than the limit (1024 levels by default), refused before it is parsed. V8 parses
 * any depth, but everything that later walks the value recursively (JSON.stringify in an error message,
 * a caller's own code) overflows the stack on it, so such a message must never reach anyone.
 */
export class MessageTooDeepError extends ProtocolError {
  readonly limit: number;
  /** The start of the message (4 KiB at most), for the report. */
  readonly raw: string;
  constructor(limit: number, raw: string) {
    super({
      code: 'EMSGSIZE',
      message: `QMP server sent a message nested more than ${limit} levels deep (${clip(raw, 60)}); the session was closed, ` +
        'raise maxMessageDepth if such replies are expected',
    });
    this.limit = limit;
    this.raw = clip(raw, 4096);
  }
}

/** A reply with neither `return` nor `error`; only the caller that owns it fails, the session goes on. */
export class BadReplyError extends ProtocolError {
  readonly sent: Record<string, unknown>;
  readonly received: Record<string, unknown>;
  constructor(sent: Record<string, unknown>, received: Record<string, unknown>) {
    super({
      code: 'EPROTO',
      message: `QMP reply to ${commandName(sent)} has neither "return" nor "error" (${preview(received, 120)}); ` +
        'the server does not follow the QMP spec',
    });
    this.sent = sent;
    this.received = received;
  }
}

/**
 * An `error` reply without `id` while no id-less command was pending: the server could not parse what it
 * read, so some reply may never come. The session is closed rather than guessing which call failed.
 */
export class ServerParseError extends ProtocolError {
  readonly received: Record<string, unknown>;
  constructor(received: Record<string, unknown>, desc: string) {
    super({
      code: 'EPROTO',
      message: `QMP server could not parse its input (${desc}); the session was closed because replies can no longer ` +
        'be matched to commands: make sure nothing else writes to this QMP socket, then reconnect',
    });
    this.received = received;
  }
}

/** A call that does not fit the client's runstate (e.g. execute while idle). */
export class StateError extends QmpError {
  readonly state: Runstate;
  readonly required: Runstate | undefined;
  constructor(what: string, state: Runstate, required?: Runstate, hint?: string) {
    super({
      code: required === 'idle' ? 'EISCONN' : 'ENOTCONN',
      message: `${what} needs the QMP client to be ${required ?? 'usable'}, but it is ${state}` +
        (hint ? `; ${hint}` : ''),
    });
    this.state = state;
    this.required = required;
  }
}

/** No answer in time. For commands the session stays usable and a late reply is dropped. */
export class TimeoutError extends QmpError {
  readonly timeoutMs: number;
  /** For event waits: the events that arrived meanwhile (none matched). */
  readonly seen: readonly QmpEvent[];
  constructor(what: string, timeoutMs: number, hint: string, seen: readonly QmpEvent[] = []) {
    super({ code: 'ETIMEDOUT', message: `${what} timed out after ${timeoutMs} ms; ${hint}` });
    this.timeoutMs = timeoutMs;
    this.seen = seen;
  }
}

/** A timeout Node's timers cannot hold (or no number of milliseconds at all); nothing was sent or armed. */
export class InvalidTimeoutError extends QmpError {
  readonly value: unknown;
  /** The longest timeout accepted, in milliseconds. */
  readonly limit: number;
  constructor(name: string, value: unknown, limit: number) {
    super({
      code: 'EINVAL',
      message: `${name} ${typeof value === 'string' ? JSON.stringify(value) : String(value)} is not a usable timeout: ` +
        `it must be a number of milliseconds from 0 to ${limit} (about ${Math.floor(limit / 8_640_000) / 10} days), ` +
        'the longest timer Node can hold',
    });
    this.value = value;
    this.limit = limit;
  }
}

/** The caller's AbortSignal fired. For commands the session stays usable and a late reply is dropped. */
export class AbortError extends QmpError {
  constructor(what: string, reason: unknown) {
    super({
      code: 'ECANCELED',
      message: `${what} was aborted by the caller` +
        (reason instanceof Error ? `: ${reason.message}` : typeof reason === 'string' ? `: ${reason}` : ''),
      cause: reason,
    });
  }
}

function systemCode(cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function commandName(sent: Record<string, unknown>): string {
  const name = sent['execute'] ?? sent['exec-oob'];
  return typeof name === 'string' ? name : 'command';
}

/**
 * JSON text of a received value for messages. With maxMessageDepth raised past what JSON.stringify can
 * recurse, building an error message must still not throw.
 */
export function stringifySafe(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '(a value nested too deeply to show)';
  }
}

/** Short JSON text of a received value for messages. */
export function preview(value: unknown, max: number): string {
  return clip(stringifySafe(value), max);
}

/** Short form of a peer's text for messages. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
