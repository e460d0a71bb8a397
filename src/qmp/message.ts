// QMP wire messages: their types, and the checks that turn a received line into one of them.
import { DeserializationError, GreetingError, UnexpectedTypeError, clip } from './errors.js';

/** Where the client is in a session's life; a call that does not fit raises StateError. */
export type Runstate = 'idle' | 'connecting' | 'running' | 'disconnecting';

/** A JSON object as received from or sent to QEMU. */
export type JsonObject = Record<string, unknown>;

export interface QemuVersion {
  qemu: { major: number; minor: number; micro: number };
  package: string;
}

/** The server's first message, `{"QMP": {"version": …, "capabilities": […]}}`. */
export interface Greeting {
  version: QemuVersion;
  capabilities: string[];
  /** The message as received, for fields this client does not model. */
  raw: JsonObject;
}

/** An asynchronous event, `{"event", "data", "timestamp": {"seconds", "microseconds"}}`. */
export interface QmpEvent {
  event: string;
  data: JsonObject;
  timestamp: { seconds: number; microseconds: number };
}

/** Parse one line into a JSON object; anything else is a protocol error. */
export function decodeLine(line: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new DeserializationError(line, err);
  }
  if (!isObject(value)) {
    throw new UnexpectedTypeError(`${describeJson(value)} where a JSON object was expected (${clip(line, 80)})`, value);
  }
  return value;
}

/** Check and type the greeting; `address` only serves the error message. */
export function parseGreeting(msg: JsonObject, address: string): Greeting {
  const body = msg['QMP'];
  if (!isObject(body)) {
    throw new GreetingError(address, `the first message has no "QMP" object (${clip(JSON.stringify(msg), 120)})`);
  }
  const version = body['version'];
  const caps = body['capabilities'];
  const qemu = isObject(version) ? version['qemu'] : undefined;
  if (!isObject(version) || !isObject(qemu) || !['major', 'minor', 'micro'].every((k) => typeof qemu[k] === 'number')) {
    throw new GreetingError(address, `the greeting has no version.qemu {major, minor, micro} (${clip(JSON.stringify(msg), 120)})`);
  }
  if (!Array.isArray(caps) || !caps.every((c) => typeof c === 'string')) {
    throw new GreetingError(address, `the greeting has no capabilities list of strings (${clip(JSON.stringify(msg), 120)})`);
  }
  return {
    version: {
      qemu: { major: qemu['major'] as number, minor: qemu['minor'] as number, micro: qemu['micro'] as number },
      package: typeof version['package'] === 'string' ? version['package'] : '',
    },
    capabilities: caps as string[],
    raw: msg,
  };
}

/** Type an event message; QEMU always sends data and timestamp, but a missing one must not break listeners. */
export function toEvent(msg: JsonObject): QmpEvent {
  if (typeof msg['event'] !== 'string') {
    throw new UnexpectedTypeError(`an event whose name is not a string (${clip(JSON.stringify(msg), 120)})`, msg);
  }
  const ts = msg['timestamp'];
  return {
    event: msg['event'],
    data: isObject(msg['data']) ? msg['data'] : {},
    timestamp: isObject(ts) && typeof ts['seconds'] === 'number' && typeof ts['microseconds'] === 'number'
      ? { seconds: ts['seconds'], microseconds: ts['microseconds'] }
      : { seconds: 0, microseconds: 0 },
  };
}

/** The `{class, desc}` of an error reply, tolerant of servers that omit one of them. */
export function errorBody(msg: JsonObject): { errorClass: string; desc: string } {
  const err = msg['error'];
  const body = isObject(err) ? err : {};
  return {
    errorClass: typeof body['class'] === 'string' ? body['class'] : 'GenericError',
    desc: typeof body['desc'] === 'string' ? body['desc'] : JSON.stringify(err),
  };
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
