// Will each autostart vfio-ap definition start at the next boot? At boot the AP bus comes up with
// every ID the host's (apmask and aqmask all ones), udev applies zdev's rule file (the persisted masks,
// then `kmod load vfio_ap`), and mdevctl starts the autostart definitions of the matrix device one
// by one — logging a failure and going on, exiting 0 whatever happened. This says beforehand which
// would fail, and why, from the files that decide it.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { idHex } from '../mask/ids.js';
import { idsAboveMax, type MaxIds } from '../mask/matrix.js';
import { ZmdevError } from '../errors.js';
import { readRegularFile } from '../files/atomic.js';
import type { DefinitionProblem } from '../persist/mdevctl-files.js';
import { autostartOverlaps, persistentMaskConflicts, readApRules } from '../persist/zdev-ap-rules.js';
import { apDefinitions } from './defined.js';
import { MDEV_TYPE } from './paths.js';

export type BootFailure = 'reserved' | 'overlap' | 'no-vfio-ap' | 'above-max' | 'type';

export interface BootReason {
  kind: BootFailure;
  message: string;
  apqns?: string[];
}

export interface BootVerdict {
  uuid: string;
  starts: boolean;
  reasons: BootReason[];
}

export interface BootReport {
  verdicts: BootVerdict[];
  /** Definition files mdevctl could not read (mdevctl 1.2.0 then starts none of that parent's). */
  problems: DefinitionProblem[];
  /** Whether the rule file loads vfio_ap (else only modules-load.d can). */
  rulesLoadVfioAp: boolean;
}

/** Whether <root>/etc/modules-load.d/*.conf names vfio_ap (systemd loads those at boot). */
function modulesLoadVfioAp(root: string): boolean {
  const dir = path.join(root, 'etc/modules-load.d');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.conf'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ZmdevError({ code: (e as NodeJS.ErrnoException).code!, message: `cannot list ${dir}: ${(e as Error).message}`, cause: e });
  }
  return names.some((n) => readRegularFile(path.join(dir, n)).split('\n').some((l) => l.replace(/#.*/, '').trim() === 'vfio_ap'));
}

/** The verdict for every autostart vfio-ap definition under the root; `max` from the host when known. */
export function bootCheck(root: string, max?: MaxIds): BootReport {
  const { definitions, problems } = apDefinitions(root);
  const rules = readApRules(root);
  const vfioAp = rules.exists || modulesLoadVfioAp(root);
  const auto = definitions.filter((d) => d.definition.start === 'auto')
    .map((d) => ({ uuid: d.definition.uuid, start: d.definition.start, matrix: d.matrix, type: d.definition.type }));
  const overlaps = autostartOverlaps(auto);
  const verdicts = auto.map((d): BootVerdict => {
    const reasons: BootReason[] = [];
    if (d.type !== MDEV_TYPE) reasons.push({ kind: 'type', message: `its type is ${d.type}; the matrix device has only ${MDEV_TYPE}` });
    if (!vfioAp) {
      reasons.push({ kind: 'no-vfio-ap', message: 'nothing loads vfio_ap at boot (no zdev rule file, no modules-load.d entry), so the matrix device is not there; persist a mask with `zmdev masks set -p` or add vfio_ap to /etc/modules-load.d' });
    }
    // At boot a mask the rule file does not set is the kernel's: every ID the host's.
    const reserved = persistentMaskConflicts(rules, [d]);
    for (const c of reserved) {
      reasons.push({ kind: 'reserved', apqns: c.apqns, message: `the persistent masks keep ${c.apqns.join(' ')} for the host; free them with \`zmdev masks set -p\`` });
    }
    for (const o of overlaps.filter((x) => x.a === d.uuid || x.b === d.uuid)) {
      const other = o.a === d.uuid ? o.b : o.a;
      reasons.push({ kind: 'overlap', apqns: o.apqns, message: `autostart definition ${other} holds ${o.apqns.join(' ')} too: only the first of the two to start gets them` });
    }
    for (const a of max ? idsAboveMax(d.matrix, max) : []) {
      reasons.push({ kind: 'above-max', message: `${a.kind} ${idHex(a.id, a.kind)} is above this host's maximum ${idHex(a.max, a.kind)}` });
    }
    return { uuid: d.uuid, starts: reasons.length === 0, reasons };
  });
  return { verdicts, problems, rulesLoadVfioAp: rules.exists };
}
