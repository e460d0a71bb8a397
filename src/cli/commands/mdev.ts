// zmdev mdev …: create, inspect, change and remove vfio-ap mediated devices.
import { apDefinitions } from '../../ap/defined.js';
import type { ChangeResult } from '../../ap/mdev.js';
import type { MdevInfo } from '../../ap/mdev-read.js';
import { formatApqn } from '../../mask/apqn.js';
import { mdevctlListText } from '../../persist/mdevctl-files.js';
import { command } from '../declare.js';
import { definitionJson, ids, idOptions, idsOf, uuidArg } from './mdev-options.js';


function mdevJson(info: MdevInfo): Record<string, unknown> {
  return {
    uuid: info.uuid,
    adapters: info.adapters.ids(),
    domains: info.domains.ids(),
    controlDomains: info.controlDomains.ids(),
    matrix: info.matrix.map(formatApqn),
    guestMatrix: info.guestMatrix ? info.guestMatrix.map(formatApqn) : null,
    filtered: info.filtered.map((f) => ({ kind: f.kind, id: f.id, reason: f.reason, ...(f.queue ? { queue: formatApqn(f.queue) } : {}) })),
  };
}

function mdevText(info: MdevInfo): string {
  const list = (xs: string[]) => (xs.length ? xs.join(' ') : '-');
  const lines = [
    `mdev ${info.uuid}`,
    `  adapters:        ${list(ids(info.adapters, 'adapter'))}`,
    `  domains:         ${list(ids(info.domains, 'domain'))}`,
    `  control domains: ${list(ids(info.controlDomains, 'control domain'))}`,
    `  matrix:          ${list(info.matrix.map(formatApqn))}`,
    `  guest matrix:    ${info.guestMatrix === null ? '(this kernel has no guest_matrix: the guest gets the matrix when it starts)' : list(info.guestMatrix.map(formatApqn))}`,
    ...info.filtered.map((f) => `  not for the guest: ${f.reason}`),
  ];
  return `${lines.join('\n')}\n`;
}

function changeText(r: ChangeResult, dryRun: boolean): string {
  const w = r.writes.map((x) => `  ${x.attr} ${x.value.trimEnd()}`).join('\n');
  return `${dryRun ? 'would write' : 'wrote'} (${r.method}) for mdev ${r.uuid}:\n${w || '  (nothing to change)'}\n`;
}

export const mdevCreate = command({
  words: ['mdev', 'create'],
  summary: 'create a vfio-ap mdev holding the given adapters, domains and control domains',
  args: [],
  options: {
    uuid: { type: 'uuid', value: 'U', help: "the mdev's UUID (default: a new random one)" },
    ...idOptions,
    'dry-run': { type: 'boolean', help: 'run the checks and stop' },
  },
  host: (opts) => (opts['dry-run'] ? 'reads' : 'changes'),
  json: 'print {"uuid", "method", "writes", "dryRun"}',
  description: `Checks first what the kernel would refuse (IDs above the maximum, APQNs still reserved for the
host, APQNs of another mdev, control domains without usage domains), then creates the mdev and
assigns the IDs (in one ap_config write where the kernel has it). If the kernel refuses
anything, the new mdev is removed again. Prints the UUID.`,
  examples: ['zmdev mdev create --adapter 0x01 --adapter 0x0a --domain 0x0002 --control-domain 0x0002 --sim host.json'],
  run({ opts, ap }) {
    const dryRun = opts['dry-run'];
    const r = ap().createMdev({ ...idsOf(opts), uuid: opts.uuid, dryRun });
    return {
      json: { uuid: r.uuid, method: r.method, writes: r.writes, dryRun },
      text: dryRun ? `the checks pass: mdev ${r.uuid} can be created\n` : `${r.uuid}\n`,
    };
  },
});

export const mdevList = command({
  words: ['mdev', 'list'],
  summary: 'list the vfio-ap mdevs with their matrix (--defined: their definitions)',
  args: [],
  options: { defined: { type: 'boolean', short: 'd', help: 'list the definitions (etc/mdevctl.d/matrix) instead, as mdevctl list -d does' } },
  host: 'reads',
  json: 'print every mdev as mdev show --json does; with --defined {"definitions": [{"uuid", "parent", "type", "start", "attrs",\n"adapters", "domains", "controlDomains", "active"}], "problems": [{"path", "error"}]}',
  description: `One line per mdev: its UUID and the APQNs of its matrix. With --defined, one line per
definition as mdevctl list -d prints it ("UUID matrix TYPE auto|manual", "(active)" when it
runs); a definition file that cannot be read is named on stderr, and the others are listed.`,
  run({ opts, ap, host: session, io }) {
    const host = ap();
    if (opts.defined) {
      const { definitions, problems } = apDefinitions(session!.configRoot);
      const active = new Set(host.mdevs());
      for (const p of problems) io.stderr(`zmdev: skipped ${p.path}: ${p.error.message}\n`);
      return {
        json: { definitions: definitions.map((d) => definitionJson(d, active.has(d.definition.uuid))), problems: problems.map((p) => ({ path: p.path, error: p.error.toJSON() })) },
        text: mdevctlListText(definitions.map((d) => d.definition), active),
        ...(problems.length ? { status: 1 } : {}),
      };
    }
    const infos = host.mdevs().map((u) => host.mdev(u));
    return {
      json: infos.map(mdevJson),
      text: infos.map((i) => `${i.uuid}  ${i.matrix.map(formatApqn).join(' ') || '(empty)'}\n`).join('') || '(no mdevs)\n',
    };
  },
});

export const mdevShow = command({
  words: ['mdev', 'show'],
  summary: 'show an mdev: its matrix, what the guest gets, and why the two differ; defined, active or both',
  args: [uuidArg],
  options: {},
  host: 'reads',
  json: 'print {"uuid", "active", "adapters", "domains", "controlDomains", "matrix", "guestMatrix", "filtered", "definition", "differences"}\n' +
    '(IDs as numbers, APQNs as "01.0002"; the matrix fields are null for a defined mdev that does not run, "definition" is\n' +
    'null for one that has none; "differences" says where the running mdev and its definition part)',
  description: `The matrix the mdev holds, the guest matrix the guest gets, and why an APQN of the one is
missing from the other; and its definition (<root>/etc/mdevctl.d/matrix/<UUID>), if it has one:
whether it starts at boot, and which IDs the running mdev and the definition do not share.`,
  run({ args, ap, host: session }) {
    const host = ap();
    const active = host.mdevs().includes(args.UUID) ? host.mdev(args.UUID) : null;
    const defined = apDefinitions(session!.configRoot).definitions.find((d) => d.definition.uuid === args.UUID) ?? null;
    // Neither: the active mdev's own refusal names the UUID and where to look.
    if (!active && !defined) host.mdev(args.UUID);
    const differences: string[] = [];
    if (!active) differences.push('defined, not running: `zmdev mdev start` creates it');
    if (!defined) differences.push('running, not defined: it will not be there after a reboot (`zmdev mdev define` keeps it)');
    if (active && defined) {
      for (const [what, kind, a, d] of [['adapters', 'adapter', active.adapters, defined.matrix.adapters], ['domains', 'domain', active.domains, defined.matrix.domains],
        ['control domains', 'control domain', active.controlDomains, defined.matrix.controlDomains]] as const) {
        const onlyActive = ids(a.andNot(d), kind);
        const onlyDefined = ids(d.andNot(a), kind);
        if (onlyActive.length) differences.push(`${what} running but not defined: ${onlyActive.join(' ')}`);
        if (onlyDefined.length) differences.push(`${what} defined but not running: ${onlyDefined.join(' ')}`);
      }
    }
    const empty = { adapters: null, domains: null, controlDomains: null, matrix: null, guestMatrix: null, filtered: null };
    const defText = defined
      ? `  definition:      start ${defined.definition.start}, ${defined.definition.type}; ${ids(defined.matrix.adapters, 'adapter').join(' ') || '-'} x ${ids(defined.matrix.domains, 'domain').join(' ') || '-'}` +
        ` (control ${ids(defined.matrix.controlDomains, 'control domain').join(' ') || '-'})\n`
      : '  definition:      none\n';
    return {
      json: { ...(active ? mdevJson(active) : { uuid: args.UUID, ...empty }), active: active !== null, definition: defined && definitionJson(defined), differences },
      text: (active ? mdevText(active) : `mdev ${args.UUID} (not running)\n`) + defText + differences.map((x) => `  ${x}\n`).join(''),
    };
  },
});

function changeCommand(verb: 'assign' | 'unassign') {
  return command({
    words: ['mdev', verb],
    summary: verb === 'assign' ? 'add adapters, domains or control domains to an mdev' : 'take adapters, domains or control domains from an mdev',
    args: [uuidArg],
    options: { ...idOptions, 'dry-run': { type: 'boolean', help: 'show the writes and stop' } },
    host: (opts) => (opts['dry-run'] ? 'reads' : 'changes'),
    json: 'print {"uuid", "method", "writes", "dryRun"}',
    description: verb === 'assign'
      ? 'Checks the resulting matrix as the kernel would, then writes one ID at a time; if the kernel\nrefuses one, the IDs already written are taken back.'
      : 'A running guest loses the queues at once (hot unplug).',
    run({ args, opts, ap }) {
      const dryRun = opts['dry-run'];
      const change = idsOf(opts);
      const host = ap();
      const r = verb === 'assign' ? host.assign(args.UUID, change, { dryRun }) : host.unassign(args.UUID, change, { dryRun });
      return { json: { uuid: r.uuid, method: r.method, writes: r.writes, dryRun }, text: changeText(r, dryRun) };
    },
  });
}

export const mdevAssign = changeCommand('assign');
export const mdevUnassign = changeCommand('unassign');

export const mdevRemove = command({
  words: ['mdev', 'remove'],
  summary: 'remove an mdev (its queues stay with vfio_ap, unassigned)',
  args: [uuidArg],
  options: {},
  host: 'changes',
  json: 'print {"removed": UUID}',
  description: 'Removes the mdev; its queues stay bound to vfio_ap, unassigned, free for another mdev.',
  run({ args, ap }) {
    ap().removeMdev(args.UUID);
    return { json: { removed: args.UUID }, text: `removed ${args.UUID}\n` };
  },
});
