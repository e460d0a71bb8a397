// zmdev boot-check: which autostart vfio-ap definitions will start at the next boot, and why not.
import { bootCheck } from '../../ap/boot-check.js';
import { readMaxIds } from '../../ap/bus.js';
import { AP_BUS } from '../../ap/paths.js';
import { command } from '../declare.js';

export const bootCheckCmd = command({
  words: ['boot-check'],
  summary: 'say whether each autostart vfio-ap definition will start at the next boot, and why not',
  args: [],
  options: {},
  host: 'reads',
  json: 'print {"definitions": [{"uuid", "starts", "reasons": [{"kind", "message", "apqns"?}]}], "rulesLoadVfioAp", "problems": [{"path", "error"}]}\n(kind: reserved, overlap, no-vfio-ap, above-max, type)',
  description: `At boot the AP bus gives every ID to the host, udev applies zdev's rule file (the persisted
masks, then loads vfio_ap), and mdevctl starts the autostart definitions one by one; one
that fails is only logged, and mdevctl still exits 0. boot-check reads the same files under
the root and names each failure beforehand: APQNs the persistent masks keep for the host,
APQNs another autostart definition holds, vfio_ap loaded by nothing, IDs above the host's
maximum (when the host is there to say it), a type that is not vfio_ap-passthrough; and a
definition file mdevctl could not read (it then starts none). Exit 1 when any would fail.`,
  examples: ['zmdev boot-check --sim host.json', 'zmdev boot-check --root /mnt/image'],
  run({ host: session }) {
    const max = session!.io.exists(AP_BUS) ? readMaxIds(session!.io) : undefined;
    const r = bootCheck(session!.configRoot, max);
    const lines = r.verdicts.map((v) => (v.starts
      ? `${v.uuid}: starts at boot\n`
      : `${v.uuid}: will not start at boot:\n${v.reasons.map((x) => `  - ${x.message}\n`).join('')}`));
    const problems = r.problems.map((p) => `${p.path}: cannot be read (${p.error.message}); mdevctl starts no definition of its parent\n`);
    const failing = r.problems.length > 0 || r.verdicts.some((v) => !v.starts);
    return {
      json: { definitions: r.verdicts, rulesLoadVfioAp: r.rulesLoadVfioAp, problems: r.problems.map((p) => ({ path: p.path, error: p.error.toJSON() })) },
      text: (lines.join('') || 'no autostart definitions\n') + problems.join(''),
      ...(failing ? { status: 1 } : {}),
    };
  },
});
