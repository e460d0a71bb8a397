// zmdev mdev …: create, inspect, change and remove vfio-ap mediated devices.
import { formatApId, parseApId, type IdKind } from '../../ap/ids.js';
import type { MatrixChange, ChangeResult } from '../../ap/mdev.js';
import type { MdevInfo } from '../../ap/mdev-read.js';
import { formatApqn } from '../../mask/apqn.js';
import type { ApMask } from '../../mask/ap-mask.js';
import { noPositionals, uuidArg, type Command, type OptionSpec, type ParsedArgs } from '../command.js';
import { UsageError } from '../context.js';
import { hostHelp, hostOptions } from '../host.js';
import { optionList, runOnAp } from '../ap-run.js';
import { printJson } from '../report.js';

const idOptions: OptionSpec = {
  adapter: { type: 'string', multiple: true },
  domain: { type: 'string', multiple: true },
  'control-domain': { type: 'string', multiple: true },
};

const idHelp = `  --adapter ID          an adapter (repeat for more); decimal, 0x hex or leading-0 octal
  --domain ID           a usage domain (repeat for more)
  --control-domain ID   a control domain (repeat for more)`;

function idsOf(args: ParsedArgs): MatrixChange {
  const read = (opt: string, kind: IdKind) => optionList(args.values[opt]).map((t) => parseApId(t, kind));
  return { adapters: read('adapter', 'adapter'), domains: read('domain', 'domain'), controlDomains: read('control-domain', 'control domain') };
}

const ids = (m: ApMask, kind: IdKind) => m.ids().map((i) => formatApId(i, kind));

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

const createUsage = 'usage: zmdev mdev create [--uuid U] [--adapter ID]… [--domain ID]… [--control-domain ID]… [--dry-run] [--json] [--sim FILE | --sysfs DIR]';

export const mdevCreate: Command = {
  path: ['mdev', 'create'],
  summary: 'create a vfio-ap mdev holding the given adapters, domains and control domains',
  usage: createUsage,
  help: `${createUsage}

Checks first what the kernel would refuse (IDs above the maximum, APQNs still reserved for the
host, APQNs of another mdev, control domains without usage domains), then creates the mdev and
assigns the IDs (in one ap_config write where the kernel has it). If the kernel refuses
anything, the new mdev is removed again. Prints the UUID.

  --uuid U              the mdev's UUID (default: a new random one)
${idHelp}
  --dry-run             run the checks and stop

${hostHelp}`,
  options: { ...hostOptions, ...idOptions, uuid: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
  run(args, io) {
    if (args.positionals.length) throw new UsageError(`unexpected ${JSON.stringify(args.positionals[0])}`, createUsage);
    const dryRun = args.values['dry-run'] === true;
    const uuid = typeof args.values.uuid === 'string' ? uuidArg(args.values.uuid, createUsage, '--uuid') : undefined;
    return runOnAp(args, createUsage, io, dryRun ? 'reads' : 'changes', (ap, json) => {
      const r = ap.createMdev({ ...idsOf(args), uuid, dryRun });
      if (json) printJson(io, { uuid: r.uuid, method: r.method, writes: r.writes, dryRun });
      else io.stdout(dryRun ? `the checks pass: mdev ${r.uuid} can be created\n` : `${r.uuid}\n`);
    });
  },
};

const listUsage = 'usage: zmdev mdev list [--json] [--sim FILE | --sysfs DIR]';

export const mdevList: Command = {
  path: ['mdev', 'list'],
  summary: 'list the vfio-ap mdevs with their matrix',
  usage: listUsage,
  help: `${listUsage}\n\n${hostHelp}`,
  options: { ...hostOptions, json: { type: 'boolean' } },
  run(args, io) {
    noPositionals(mdevList, args);
    return runOnAp(args, listUsage, io, 'reads', (ap, json) => {
      const infos = ap.mdevs().map((u) => ap.mdev(u));
      if (json) printJson(io, infos.map(mdevJson));
      else io.stdout(infos.map((i) => `${i.uuid}  ${i.matrix.map(formatApqn).join(' ') || '(empty)'}\n`).join('') || '(no mdevs)\n');
    });
  },
};

const showUsage = 'usage: zmdev mdev show UUID [--json] [--sim FILE | --sysfs DIR]';

export const mdevShow: Command = {
  path: ['mdev', 'show'],
  summary: 'show an mdev: its matrix, what the guest gets, and why the two differ',
  usage: showUsage,
  help: `${showUsage}

--json prints {"uuid", "adapters", "domains", "controlDomains", "matrix", "guestMatrix", "filtered"}
(IDs as numbers, APQNs as "01.0002").

${hostHelp}`,
  options: { ...hostOptions, json: { type: 'boolean' } },
  run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('give one UUID', showUsage);
    const uuid = uuidArg(args.positionals[0]!, showUsage);
    return runOnAp(args, showUsage, io, 'reads', (ap, json) => {
      const info = ap.mdev(uuid);
      if (json) printJson(io, mdevJson(info));
      else io.stdout(mdevText(info));
    });
  },
};

function changeCommand(verb: 'assign' | 'unassign'): Command {
  const usage = `usage: zmdev mdev ${verb} UUID [--adapter ID]… [--domain ID]… [--control-domain ID]… [--dry-run] [--json] [--sim FILE | --sysfs DIR]`;
  return {
    path: ['mdev', verb],
    summary: verb === 'assign' ? 'add adapters, domains or control domains to an mdev' : 'take adapters, domains or control domains from an mdev',
    usage,
    help: `${usage}

${verb === 'assign'
    ? 'Checks the resulting matrix as the kernel would, then writes one ID at a time; if the kernel\nrefuses one, the IDs already written are taken back.'
    : 'A running guest loses the queues at once (hot unplug).'}

${idHelp}
  --dry-run             show the writes and stop

${hostHelp}`,
    options: { ...hostOptions, ...idOptions, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
    run(args, io) {
      if (args.positionals.length !== 1) throw new UsageError('give one UUID', usage);
      const uuid = uuidArg(args.positionals[0]!, usage);
      const dryRun = args.values['dry-run'] === true;
      return runOnAp(args, usage, io, dryRun ? 'reads' : 'changes', (ap, json) => {
        const change = idsOf(args);
        const r = verb === 'assign' ? ap.assign(uuid, change, { dryRun }) : ap.unassign(uuid, change, { dryRun });
        if (json) printJson(io, { uuid: r.uuid, method: r.method, writes: r.writes, dryRun });
        else io.stdout(changeText(r, dryRun));
      });
    },
  };
}

export const mdevAssign = changeCommand('assign');
export const mdevUnassign = changeCommand('unassign');

const removeUsage = 'usage: zmdev mdev remove UUID [--json] [--sim FILE | --sysfs DIR]';

export const mdevRemove: Command = {
  path: ['mdev', 'remove'],
  summary: 'remove an mdev (its queues stay with vfio_ap, unassigned)',
  usage: removeUsage,
  help: `${removeUsage}\n\n${hostHelp}`,
  options: { ...hostOptions, json: { type: 'boolean' } },
  run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('give one UUID', removeUsage);
    const uuid = uuidArg(args.positionals[0]!, removeUsage);
    return runOnAp(args, removeUsage, io, 'changes', (ap, json) => {
      ap.removeMdev(uuid);
      if (json) printJson(io, { removed: uuid });
      else io.stdout(`removed ${uuid}\n`);
    });
  },
};
