// SimSysfs: the SysfsIO of a simulated host. The root is composed of subsystems, each adding its
// entries under bus/, class/ and devices/ and registering its mdev parents with the one mdev core
// (bus/mdev, class/mdev_bus). The AP bus with vfio_ap is the subsystem there is today.
import { ApTree } from './ap/tree.js';
import type { SimHost } from './host.js';
import { MdevBus, type MdevParent } from './mdev-bus.js';
import { dir, VirtualSysfs, type DirNode, type Entries } from './vfs.js';

export type { SimNode } from './vfs.js';

/** One device subsystem of the simulated kernel. */
export interface Subsystem {
  /** Entries under bus/ (bus/mdev is the mdev core's). */
  bus(): Entries;
  /** Entries under class/ (class/mdev_bus is the mdev core's). */
  classes(): Entries;
  /** Entries under devices/. */
  devices(): Entries;
  /** The parents of mdevs it has registered right now. */
  mdevParents(): readonly MdevParent[];
}

/** The root of a tree made of these subsystems and the mdev core that serves them all. */
export function composeRoot(make: (mdevBus: MdevBus) => readonly Subsystem[]): DirNode {
  const subsystems: Subsystem[] = [];
  const mdevBus = new MdevBus(() => subsystems.flatMap((s) => s.mdevParents()));
  subsystems.push(...make(mdevBus));
  const merged = (part: (s: Subsystem) => Entries): Entries => Object.assign({}, ...subsystems.map(part));
  return dir(() => ({
    bus: () => dir(() => ({ ...merged((s) => s.bus()), mdev: () => dir(() => mdevBus.busEntries()) })),
    class: () => dir(() => ({ ...merged((s) => s.classes()), mdev_bus: () => dir(() => mdevBus.classEntries()) })),
    devices: () => dir(() => merged((s) => s.devices())),
  }));
}

export class SimSysfs extends VirtualSysfs {
  constructor(readonly host: SimHost) {
    super(composeRoot((mdevBus) => [new ApTree(host, mdevBus)]));
  }
}
