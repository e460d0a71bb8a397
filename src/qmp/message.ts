// QMP wire messages: their types, and the checks that turn a received line into one of them.
import {
  DeserializationError, GreetingError, MessageTooDeepError, UnexpectedTypeError, clip, preview, stringifySafe,
} from './errors.js';

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

/** 1024 levels: what QEMU's own JSON parser accepts as input; its replies nest far less. */
export const DEFAULT_MAX_MESSAGE_DEPTH = 1024;

/**
 * True when the JSON text nests more than `limit` levels of objects and arrays. One pass over the text,
 * counting brackets outside strings, so a hostile message costs no more than its length and no stack.
 * Malformed text is left for JSON.parse to refuse.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  // Every level takes at least one character.
  if (text.length <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character, `\"` included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Parse one line into a JSON object; anything else (too deep, not JSON, not an object) is a protocol error. */
export function decodeLine(line: string, maxDepth: number = DEFAULT_MAX_MESSAGE_DEPTH): JsonObject {
  if (nestsDeeperThan(line, maxDepth)) throw new MessageTooDeepError(maxDepth, line);
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
    throw new GreetingError(address, `the first message has no "QMP" object (${preview(msg, 120)})`);
  }
  const version = body['version'];
  const caps = body['capabilities'];
  const qemu = isObject(version) ? version['qemu'] : undefined;
  if (!isObject(version) || !isObject(qemu) || !['major', 'minor', 'micro'].every((k) => typeof qemu[k] === 'number')) {
    throw new GreetingError(address, `the greeting has no version.qemu {major, minor, micro} (${preview(msg, 120)})`);
  }
  if (!Array.isArray(caps) || !caps.every((c) => typeof c === 'string')) {
    throw new GreetingError(address, `the greeting has no capabilities list of strings (${preview(msg, 120)})`);
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
    throw new UnexpectedTypeError(`an event whose name is not a string (${preview(msg, 120)})`, msg);
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
    desc: typeof body['desc'] === 'string' ? body['desc'] : stringifySafe(err),
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
