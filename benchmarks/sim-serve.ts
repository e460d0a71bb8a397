// A FUSE server for the simulator benchmarks, in its own process (a synchronous reader in the
// process that serves the mount would wait for itself): `sim-serve.js KIND MOUNTPOINT` serves the
// large preset through the lazy tree (`lazy`), the previous tree (`eager`), or a SysfsIO that
// answers every call at once without any tree (`null`: what the FUSE transport itself costs).
const [kind, mnt] = process.argv.slice(2) as [string, string];
const { mountSysfs, unmountOnSignals } = await import('../src/sysfs/fuse-mount.js');
const { SimHost, presetState } = await import('../src/sim/index.js');
const { SimSysfs } = await import('../src/sim/sysfs.js');
const { EagerSimSysfs } = await import('./baselines/sim-sysfs-eager.js');
type SysfsIO = import('../src/sysfs/sysfs-io.js').SysfsIO;

const DIRS = /^(devices(\/ap(\/card[0-9a-f]{2}(\/[0-9a-f]{2}\.[0-9a-f]{4})?)?)?)?$/;
const host = new SimHost(presetState('large', '6.15'));
const nullIO: SysfsIO = {
  read: () => '0\n',
  readMany: (paths) => paths.map(() => '0\n'),
  write: (_p, data) => data.length,
  list: () => [],
  exists: () => true,
  readlink: () => '',
  // devices, devices/ap, cards and queues are directories; every other name is an attribute.
  stat: (p) => (DIRS.test(p) ? { kind: 'dir', mode: 0o755 } : { kind: 'file', mode: 0o444 }),
};
const io = kind === 'null' ? nullIO : kind === 'eager' ? new EagerSimSysfs(host) : new SimSysfs(host);
const mount = await mountSysfs(io, mnt, { fsname: `zmdev-bench-${kind}` });
unmountOnSignals(mount);
process.stdout.write('ready\n');
setInterval(() => {}, 1 << 30);
