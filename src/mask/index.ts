export { ApMask, MASK_BITS, MASK_BYTES } from './ap-mask.js';
export {
  parseKernelMask, parseApConfig, formatApConfig, parseKernelId, parseChzdevMask, sysfsStoreView, toBytes,
  SYSFS_PAGE_SIZE, applyKernelMaskWrite, type KernelMaskWrite, type WriteInput,
} from './grammar.js';
export { formatRanges, quoteRanges } from './ranges.js';
export {
  formatApqn, parseApqn, apqnNumber, apqnFromNumber, apqnsOf, formatMatrix, parseMatrix, formatControlDomains,
  type Apqn, type MatrixBounds, type ParsedMatrix,
} from './apqn.js';
export {
  MaskTable, MatrixTable, parseKernelMasks, formatMasks, unionOf, intersectionOf, countEach, findSharedApqns,
  type BatchParse, type Matrix, type SharedApqns,
} from './batch.js';
