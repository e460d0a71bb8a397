// zmdev's QMP client: talks to a QEMU monitor socket; knows nothing of AP.
export {
  QmpClient, ID_PREFIX, type QmpClientOptions, type ConnectOptions, type ExecuteOptions, type QmpLogger,
} from './client.js';
export { EventListener, DEFAULT_MAX_QUEUED_EVENTS, type EventPredicate, type ListenerOptions } from './events.js';
export type { Greeting, QemuVersion, QmpEvent, JsonObject, Runstate } from './message.js';
export type { QmpAddress } from './transport.js';
export { DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, checkTimeoutMs, type WaitOptions } from './deadline.js';
export { DEFAULT_MAX_MESSAGE_BYTES } from './framing.js';
export { DEFAULT_MAX_MESSAGE_DEPTH } from './message.js';
export {
  QmpError, ConnectError, GreetingError, NegotiationError, ExecuteError, ExecInterruptedError, ProtocolError,
  DeserializationError, UnexpectedTypeError, MessageTooLargeError, MessageTooDeepError, BadReplyError, ServerParseError, StateError,
  TimeoutError, AbortError, InvalidTimeoutError,
} from './errors.js';
