// The simulated AP host: a model of the s390 AP bus and the vfio_ap driver, SimSysfs over it,
// host events, kernel profiles and presets, and the state file.
import { SimHost } from './host.js';
import { presetState, type PresetName } from './presets.js';
import type { ProfileName } from './profiles.js';
import { SimSysfs } from './sysfs.js';

export { SimHost } from './host.js';
export { SimSysfs, type SimNode } from './sysfs.js';
export { KernelRefusal } from './refusal.js';
export { CAPABILITIES, PROFILE_NAMES, type Capabilities, type ProfileName } from './profiles.js';
export { PRESET_NAMES, presetState, makeAdapter, type PresetName } from './presets.js';
export {
  checkState, cloneState, MAX_INSTANCES, STATE_FORMAT, type AdapterState, type CardGeneration, type CardMode,
  type MdevState, type QueueState, type SimState, type MatrixState, type QueueDriver,
} from './state.js';
export { saveState, loadState } from './state-file.js';
export * as events from './events.js';
export { SimVfioDevice, registeredEventfd, type VfioMdevState } from './vfio-device.js';

/** A simulated host booted from a preset under a kernel profile, with its sysfs view. */
export function createHost(preset: PresetName = 'seed', profile: ProfileName = '6.15'): { host: SimHost; sysfs: SimSysfs } {
  const host = new SimHost(presetState(preset, profile));
  return { host, sysfs: new SimSysfs(host) };
}

/** The kernel log of a host (dmesg lines, oldest first). */
export function kernelLog(host: SimHost): readonly string[] {
  return host.state.log;
}
