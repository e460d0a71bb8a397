// The host as a desired-state file (zmdev export): both masks in both scopes, and every vfio-ap mdev
// that is defined or running, so that applying the file to a copy of the host gives the same host.
import { ZmdevError } from '../errors.js';
import type { ApHost } from '../ap/host.js';
import { MDEV_TYPE } from '../ap/paths.js';
import { DESIRED_FORMAT, desiredIds, formatDesiredMask, type DesiredFile, type DesiredMdevFile } from './desired.js';
import { readHostView, sameMatrix } from './diff.js';
import { matrixWords } from './steps.js';

/**
 * The host's state in the file's form. Refused where the format has no words for the host: a
 * definition of another type than vfio_ap-passthrough, or an mdev whose running matrix differs
 * from its definition's (the file gives an mdev one matrix).
 */
export function exportDesired(host: ApHost, root: string): DesiredFile {
  return host.locked(() => {
    const view = readHostView(host, root);
    const uuids = [...new Set([...view.definitions.keys(), ...view.running.keys()])].sort();
    const mdevs = uuids.map((uuid): DesiredMdevFile => {
      const def = view.definitions.get(uuid);
      const run = view.running.get(uuid);
      if (def && def.type !== MDEV_TYPE) {
        throw new ZmdevError({ code: 'ENOTSUP', message: `the definition of mdev ${uuid} has type ${def.type}; a desired-state file holds ${MDEV_TYPE} mdevs only: fix it with \`zmdev mdev modify ${uuid} --type ${MDEV_TYPE}\`` });
      }
      if (def && run && !sameMatrix(def.matrix, run)) {
        throw new ZmdevError({
          code: 'ENOTSUP',
          message: `mdev ${uuid} runs with ${matrixWords(run)} but is defined with ${matrixWords(def.matrix)}; a desired-state file gives an mdev one matrix: ` +
            `make them agree first (zmdev mdev modify ${uuid} … for the definition, zmdev mdev assign/unassign ${uuid} … for the running mdev)`,
        });
      }
      const m = (def?.matrix ?? run)!;
      return {
        uuid,
        adapters: desiredIds(m.adapters, 'adapter'),
        domains: desiredIds(m.domains, 'domain'),
        controlDomains: desiredIds(m.controlDomains, 'control domain'),
        defined: def !== undefined,
        running: run !== undefined,
        autostart: def?.start === 'auto',
      };
    });
    const persisted = (m: typeof view.persistent.apmask) => (m === null ? null : formatDesiredMask(m));
    return {
      format: DESIRED_FORMAT,
      masks: {
        active: { apmask: formatDesiredMask(view.active.apmask), aqmask: formatDesiredMask(view.active.aqmask) },
        persistent: { apmask: persisted(view.persistent.apmask), aqmask: persisted(view.persistent.aqmask) },
      },
      mdevs,
    };
  });
}

/** The file's text: two-space JSON and a final newline. */
export function formatDesired(file: DesiredFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
