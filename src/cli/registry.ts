// Every zmdev command and group, in the order the overview lists them.
import { listCmd, masksCmd, masksSetCmd } from './commands/ap.js';
import { applyCmd, exportCmd } from './commands/apply.js';
import { bootCheckCmd } from './commands/boot-check.js';
import { checkCmd } from './commands/check.js';
import { convertCmd } from './commands/convert.js';
import { demoCmd } from './commands/demo.js';
import { guestAttach, guestCpuCheck, guestDetach, qemuArgsCmd, xmlHostdevCmd, xmlNodedevCmd } from './commands/guest.js';
import { maskEval } from './commands/mask-eval.js';
import { mdevAssign, mdevCreate, mdevList, mdevRemove, mdevShow, mdevUnassign } from './commands/mdev.js';
import { mdevDefine, mdevModify, mdevStart, mdevStop, mdevUndefine } from './commands/mdev-defined.js';
import { mdevctlCallout } from './commands/mdevctl-callout.js';
import { recoverCmd } from './commands/recover.js';
import { simInit, simLog, simMount } from './commands/sim.js';
import { sysfsCat, sysfsLs, sysfsWrite } from './commands/sysfs.js';
import type { Command, GroupDecl } from './declare.js';

export const commands: Command[] = [
  listCmd, masksCmd, masksSetCmd, mdevCreate, mdevList, mdevShow, mdevAssign, mdevUnassign, mdevRemove,
  mdevDefine, mdevUndefine, mdevModify, mdevStart, mdevStop, bootCheckCmd, applyCmd, exportCmd, mdevctlCallout, convertCmd, checkCmd, recoverCmd,
  maskEval, simInit, simLog, simMount, sysfsCat, sysfsWrite, sysfsLs, demoCmd,
  qemuArgsCmd, xmlHostdevCmd, xmlNodedevCmd, guestCpuCheck, guestAttach, guestDetach,
];

export const groups: GroupDecl[] = [
  { word: 'masks', summary: 'The masks that keep queues with the host' },
  { word: 'mdev', summary: 'vfio-ap mediated devices: create, inspect, change, remove; define, start and stop them across reboots' },
  { word: 'mask', summary: 'Mask writes evaluated without a host' },
  { word: 'sim', summary: 'The simulated host: create it, read its kernel log, serve it over FUSE' },
  { word: 'sysfs', summary: 'Raw attribute access, as cat, echo and ls, with the kernel\'s errno' },
  { word: 'xml', summary: 'libvirt XML for an mdev' },
  { word: 'guest', summary: 'A running guest over QMP: its CPU, hot plug and unplug' },
];

/** The commands below a group of words (`mdev` → mdev create, mdev list …). */
export function commandsUnder(words: string[]): Command[] {
  return commands.filter((c) => c.words.length > words.length && words.every((w, i) => c.words[i] === w));
}
