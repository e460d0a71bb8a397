// zmdev mdev define | undefine | modify | start | stop: vfio-ap mdevs that survive a reboot, as
// mdevctl definitions under <root>/etc/mdevctl.d/matrix/ (the files mdevctl and libvirt read).
import { apDefinitions, defineApMdev, modifyApMdev, startApMdev, undefineApMdev, type ApDefinition } from '../../ap/defined.js';
import { readMasks } from '../../ap/bus.js';
import { AP_BUS, MDEV_TYPE } from '../../ap/paths.js';
import type { HostMasks } from '../../mask/matrix.js';
import type { HostSession } from '../host.js';
import { ZmdevError } from '../../errors.js';
import { readRegularFile } from '../../files/atomic.js';
import type { StartPolicy } from '../../mdev/definition.js';
import { parseMdevctlConfig } from '../../persist/mdevctl-files.js';
import { parseNodeDeviceXml } from '../../persist/nodedev-xml.js';
import { command } from '../declare.js';
import { definitionJson, ids, idOptions, matrixOf, uuidArg } from './mdev-options.js';

const startOptions = {
  auto: { type: 'boolean', help: 'start it at boot (mdevctl\'s "start": "auto")' },
  manual: { type: 'boolean', help: 'start it only when asked (the default for a new definition)' },
} as const;
const startExclusive: Array<[string, string, string]> = [['auto', 'manual', 'a definition starts at boot or when asked']];

/** The host's active masks where it has an AP bus (an image root may have none: the boot default then). */
function activeMasks(session: HostSession): HostMasks | undefined {
  return session.io.exists(AP_BUS) ? readMasks(session.io) : undefined;
}

function startOf(opts: { auto: boolean; manual: boolean }): StartPolicy | undefined {
  return opts.auto ? 'auto' : opts.manual ? 'manual' : undefined;
}

function definitionText(d: ApDefinition): string {
  const list = (xs: string[]) => (xs.length ? xs.join(' ') : '-');
  return [
    `definition ${d.definition.uuid} (${d.definition.parent}, ${d.definition.type}, start ${d.definition.start})`,
    `  adapters:        ${list(ids(d.matrix.adapters, 'adapter'))}`,
    `  domains:         ${list(ids(d.matrix.domains, 'domain'))}`,
    `  control domains: ${list(ids(d.matrix.controlDomains, 'control domain'))}`,
    '',
  ].join('\n');
}

export const mdevDefine = command({
  words: ['mdev', 'define'],
  summary: 'define a vfio-ap mdev that survives a reboot (an mdevctl definition), without starting it',
  args: [],
  options: {
    uuid: { type: 'uuid', value: 'U', help: "the mdev's UUID (default: a new random one, printed)" },
    ...startOptions,
    ...idOptions,
    jsonfile: { type: 'string', value: 'FILE', help: 'take type and attrs from an mdevctl definition file (mdevctl define --jsonfile)' },
    'nodedev-xml': { type: 'string', value: 'FILE', help: "take UUID, type and attrs from libvirt node-device XML (virsh nodedev-define's input)" },
  },
  exclusive: [...startExclusive, ['jsonfile', 'nodedev-xml', 'the definition comes from one file']],
  check({ opts, usage }) {
    const fromFile = opts.jsonfile !== undefined || opts['nodedev-xml'] !== undefined;
    if (fromFile && (opts.adapter.length || opts.domain.length || opts['control-domain'].length)) {
      usage('--adapter/--domain/--control-domain and a --jsonfile or --nodedev-xml cannot be combined: the file gives the IDs');
    }
  },
  host: 'changes',
  json: 'print {"uuid", "parent", "type", "start", "attrs", "adapters", "domains", "controlDomains"}',
  description: `Writes <root>/etc/mdevctl.d/matrix/<UUID> exactly as mdevctl does (mdevctl list -d, libvirt
and zmdev mdev start read it), with the adapters, domains and control domains as ordered
assign_adapter/assign_domain/assign_control_domain attributes. Nothing is written to sysfs:
zmdev mdev start creates the mdev. A UUID that is already defined is refused.`,
  examples: [
    'zmdev mdev define --auto --adapter 0x01 --adapter 0x0a --domain 0x0002 --control-domain 0x0002 --sim host.json',
    'zmdev mdev define --nodedev-xml my_ap_mdev.xml --root /mnt/image',
  ],
  run({ opts, host, locked }) {
    const root = host!.configRoot;
    let from: { uuid?: string; type?: string; start?: StartPolicy; attrs?: ApDefinition['definition']['attrs'] } = {};
    if (opts.jsonfile !== undefined) {
      const c = parseMdevctlConfig(readRegularFile(opts.jsonfile), opts.jsonfile);
      from = { type: c.type, attrs: c.attrs, start: c.start };
    } else if (opts['nodedev-xml'] !== undefined) {
      const doc = parseNodeDeviceXml(readRegularFile(opts['nodedev-xml']), opts['nodedev-xml']);
      from = { type: doc.type, attrs: doc.attrs, ...(doc.uuid ? { uuid: doc.uuid } : {}) };
    }
    const uuid = opts.uuid ?? from.uuid;
    if (opts.uuid && from.uuid && opts.uuid !== from.uuid) {
      throw new ZmdevError({ code: 'EINVAL', message: `--uuid ${opts.uuid} and the <uuid> ${from.uuid} of ${opts['nodedev-xml']} differ: give one of them` });
    }
    const d = locked(() => defineApMdev(root, {
      active: activeMasks(host!),
      ...(uuid ? { uuid } : {}),
      start: startOf(opts) ?? from.start ?? 'manual',
      type: from.type ?? MDEV_TYPE,
      ...(from.attrs ? { attrs: from.attrs } : { matrix: matrixOf(opts) }),
    }));
    return { json: definitionJson(d), text: `${d.definition.uuid}\n` };
  },
});

export const mdevUndefine = command({
  words: ['mdev', 'undefine'],
  summary: 'remove the definition of a vfio-ap mdev (an active mdev of that UUID keeps running)',
  args: [uuidArg],
  options: {},
  host: 'changes',
  json: 'print {"undefined": UUID}',
  description: 'Removes <root>/etc/mdevctl.d/matrix/<UUID>. The mdev, if it runs, is left alone (zmdev mdev stop\nremoves it).',
  run({ args, host, locked }) {
    locked(() => undefineApMdev(host!.configRoot, args.UUID));
    return { json: { undefined: args.UUID }, text: `undefined ${args.UUID}\n` };
  },
});

const removeOptions = {
  'remove-adapter': { type: 'list', value: 'ID', help: 'an adapter to take out of the definition (repeat for more)' },
  'remove-domain': { type: 'list', value: 'ID', help: 'a usage domain to take out (repeat for more)' },
  'remove-control-domain': { type: 'list', value: 'ID', help: 'a control domain to take out (repeat for more)' },
} as const;

export const mdevModify = command({
  words: ['mdev', 'modify'],
  summary: 'change a definition: start at boot or not, its type, IDs added or taken out',
  args: [uuidArg],
  options: {
    ...startOptions, type: { type: 'string', value: 'TYPE', help: 'the mdev type to store' }, ...idOptions, ...removeOptions,
    jsonfile: { type: 'string', value: 'FILE', help: 'replace type, start and attrs with those of an mdevctl definition file (mdevctl modify --jsonfile)' },
  },
  exclusive: [...startExclusive, ['jsonfile', 'type', 'the file gives the type'], ['jsonfile', 'auto', 'the file gives the start policy'], ['jsonfile', 'manual', 'the file gives the start policy']],
  check({ opts, usage }) {
    const ids = [opts.adapter, opts.domain, opts['control-domain'], opts['remove-adapter'], opts['remove-domain'], opts['remove-control-domain']];
    if (opts.jsonfile !== undefined && ids.some((l) => l.length)) usage('IDs to add or take out and a --jsonfile cannot be combined: the file gives the attrs');
  },
  host: 'changes',
  json: 'print the definition as mdev define --json does',
  description: `Rewrites <root>/etc/mdevctl.d/matrix/<UUID> (as mdevctl modify does); --adapter/--domain/
--control-domain add IDs, --remove-* take them out, and the attrs are written again in
order; --jsonfile replaces type, start and attrs with a file's. An active mdev is not changed:
zmdev mdev assign/unassign change that one.`,
  examples: ['zmdev mdev modify 4b0518fd-9237-493f-93c8-c5597f8006a3 --auto --domain 0x0004 --sim host.json'],
  run({ args, opts, host, locked }) {
    if (opts.jsonfile !== undefined) {
      const c = parseMdevctlConfig(readRegularFile(opts.jsonfile), opts.jsonfile);
      const r = locked(() => modifyApMdev(host!.configRoot, args.UUID, { active: activeMasks(host!), type: c.type, start: c.start, attrs: c.attrs }));
      return { json: definitionJson(r), text: definitionText(r) };
    }
    const add = matrixOf(opts);
    const remove = matrixOf({ adapter: opts['remove-adapter'], domain: opts['remove-domain'], 'control-domain': opts['remove-control-domain'] });
    const touched = [add, remove].some((m) => !m.adapters.isEmpty() || !m.domains.isEmpty() || !m.controlDomains.isEmpty());
    const d = locked(() => modifyApMdev(host!.configRoot, args.UUID, {
      active: activeMasks(host!),
      ...(startOf(opts) ? { start: startOf(opts) } : {}),
      ...(opts.type !== undefined ? { type: opts.type } : {}),
      ...(touched ? { add, remove } : {}),
    }));
    return { json: definitionJson(d), text: definitionText(d) };
  },
});

export const mdevStart = command({
  words: ['mdev', 'start'],
  summary: 'start a defined vfio-ap mdev: create it with the matrix of its definition',
  args: [uuidArg],
  options: { 'dry-run': { type: 'boolean', help: 'run the checks and stop' } },
  host: (opts) => (opts['dry-run'] ? 'reads' : 'changes'),
  json: 'print {"uuid", "method", "writes", "dryRun"}',
  description: `Creates the mdev of <root>/etc/mdevctl.d/matrix/<UUID> with every check of zmdev mdev create
first (IDs above the maximum, APQNs reserved for the host or held by another mdev); if the
kernel refuses a write, the new mdev is removed again. Prints the UUID.`,
  run({ args, opts, host, ap }) {
    const dryRun = opts['dry-run'];
    const r = startApMdev(ap(), host!.configRoot, args.UUID, { dryRun });
    return {
      json: { uuid: r.uuid, method: r.method, writes: r.writes, dryRun },
      text: dryRun ? `the checks pass: defined mdev ${r.uuid} can be started\n` : `${r.uuid}\n`,
    };
  },
});

export const mdevStop = command({
  words: ['mdev', 'stop'],
  summary: 'stop a vfio-ap mdev: remove the active mdev, keep its definition',
  args: [uuidArg],
  options: {},
  host: 'changes',
  json: 'print {"stopped": UUID, "defined": true|false}',
  description: 'Removes the active mdev (as zmdev mdev remove does); its definition, if it has one, stays for\nthe next zmdev mdev start.',
  run({ args, host, ap }) {
    ap().removeMdev(args.UUID);
    const defined = apDefinitions(host!.configRoot).definitions.some((d) => d.definition.uuid === args.UUID);
    return { json: { stopped: args.UUID, defined }, text: `stopped ${args.UUID}${defined ? ' (its definition stays)' : ' (it had no definition)'}\n` };
  },
});
