// SimSysfs: the SysfsIO of a simulated host. The root is composed of subsystems, each adding its
// entries under bus/, class/ and devices/ and registering its mdev parents with the one mdev core
// (bus/mdev, class/mdev_bus). The AP bus with vfio_ap is the subsystem there is today.
import { ApTree } from './ap/tree.js';
import type { SimHost } from './host.js';
import { MdevBus, type MdevParent } from './mdev-bus.js';
import { dir, VirtualSysfs, type DirNode, type Lookup, type SimNode } from './vfs.js';

export type { SimNode } from './vfs.js';

/** One device subsystem of the simulated kernel. */
export interface Subsystem {
  /** Its entries under bus/ (bus/mdev is the mdev core's). */
  readonly bus: Lookup;
  /** Its entries under class/ (class/mdev_bus is the mdev core's). */
  readonly classes: Lookup;
  /** Its entries under devices/. */
  readonly devices: Lookup;
  /** The parents of mdevs it has registered right now. */
  mdevParents(): readonly MdevParent[];
}

/** The root of a tree made of these subsystems and the mdev core that serves them all. */
export function composeRoot(make: (mdevBus: MdevBus) => readonly Subsystem[]): DirNode {
  const subsystems: Subsystem[] = [];
  const mdevBus = new MdevBus(() => subsystems.flatMap((s) => s.mdevParents()));
  subsystems.push(...make(mdevBus));
  const only = (name: string, node: () => SimNode): Lookup => ({ lookup: (n) => (n === name ? node() : undefined), list: () => [name] });
  const bus = dir(...subsystems.map((s) => s.bus), only('mdev', () => mdevBus.busDir()));
  const classes = dir(...subsystems.map((s) => s.classes), only('mdev_bus', () => mdevBus.classDir()));
  const devices = dir(...subsystems.map((s) => s.devices));
  return dir({
    lookup: (n) => (n === 'bus' ? bus : n === 'class' ? classes : n === 'devices' ? devices : undefined),
    list: () => ['bus', 'class', 'devices'],
  });
}

export class SimSysfs extends VirtualSysfs {
  constructor(readonly host: SimHost) {
    super(composeRoot((mdevBus) => [new ApTree(host, mdevBus)]));
  }
}
