// zmdev: AP crypto passthrough for KVM on IBM Z, as a typed library.
export * from './mask/index.js';
export { ZmdevError, GrammarError, errnoOf, type Grammar } from './errors.js';
