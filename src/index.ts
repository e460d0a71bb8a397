// zmdev: AP crypto passthrough for KVM on IBM Z, as a typed library.
export * from './mask/index.js';
export { ZmdevError, GrammarError, errnoOf, type Grammar } from './errors.js';
export * from './ap/index.js';
export { checkPlan, parsePlan, type Plan, type PlanGuest, type PlanReport } from './plan/check.js';
export { SysfsError, type SysfsIO, type SysfsStat, type Syscall } from './sysfs/sysfs-io.js';
export { RealSysfs } from './sysfs/real.js';
export { createHost, kernelLog, SimHost, SimSysfs, saveState, loadState, presetState, events as simEvents } from './sim/index.js';
export type { PresetName, ProfileName, SimState } from './sim/index.js';
export { mountSysfs, unmountOnSignals, type SysfsMount } from './sysfs/fuse-mount.js';
export * as qmp from './qmp/index.js';
export { QmpClient } from './qmp/index.js';
export * as guest from './guest/index.js';
export * as persist from './persist/index.js';
export * as vfio from './vfio/index.js';
