// The FUSE server serves any SysfsIO and lives in ../sysfs; this name stays for the importers
// that still reach it through the simulator.
export * from '../sysfs/fuse-mount.js';
