// zmdev qemu-args / xml / guest …: wiring an mdev into QEMU or libvirt, and hot plug over QMP.
import { checkCpuModel, type CpuApReport } from '../../guest/cpu-model.js';
import { attach, detach, guestApqns, type DetachProgress } from '../../guest/hotplug.js';
import { apCpuFeatures, vfioApDeviceArgs, vfioApDeviceJsonArgs } from '../../guest/qemu-args.js';
import { hostdevXml } from '../../guest/xml.js';
import { nodeDeviceXml } from '../../persist/nodedev-xml.js';
import { formatApqn } from '../../mask/apqn.js';
import { QmpClient } from '../../qmp/client.js';
import { MAX_TIMEOUT_MS } from '../../qmp/index.js';
import { EXIT_REFUSED } from '../context.js';
import { command } from '../declare.js';

/** The longest wait Node's timers can hold, in whole seconds. */
const MAX_TIMEOUT_S = Math.floor(MAX_TIMEOUT_MS / 1000);

/** Shell quoting for the text output only (the arguments themselves are argv elements). */
function shQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

const uuidArg = { name: 'UUID', type: 'uuid', help: "the mdev's UUID; the mdev must exist" } as const;

export const qemuArgsCmd = command({
  words: ['qemu-args'],
  summary: "QEMU's -device argument for an mdev (both forms) and the CPU features it needs",
  args: [uuidArg],
  options: { id: { type: 'string', value: 'ID', help: 'the QEMU device id (default hostdev0)' } },
  host: 'reads',
  json: 'print {"uuid", "args", "jsonArgs", "cpuFeatures", "apqns"} with the arguments as argv arrays',
  description: `Reads the mdev first (it must exist), then prints the -device argument, libvirt's JSON form of it,
and the AP CPU features to add to -cpu.`,
  examples: ['zmdev qemu-args 4b0518fd-9237-493f-93c8-c5597f8006a3 --id ap0 --sim host.json'],
  run({ args, opts, ap }) {
    const uuid = args.UUID;
    const id = opts.id;
    const plain = vfioApDeviceArgs(uuid, { id });
    const apqns = guestApqns(ap(), uuid).map(formatApqn);
    const out = { uuid, args: plain, jsonArgs: vfioApDeviceJsonArgs(uuid, { id }), cpuFeatures: apCpuFeatures(), apqns };
    return { json: out, text: `${out.args.map(shQuote).join(' ')}\n${out.jsonArgs.map(shQuote).join(' ')}\n-cpu MODEL,${out.cpuFeatures}\n` };
  },
});

export const xmlHostdevCmd = command({
  words: ['xml', 'hostdev'],
  summary: 'the libvirt domain <hostdev> element of an mdev',
  args: [uuidArg],
  options: { unmanaged: { type: 'boolean', help: "write managed='no'" } },
  host: 'reads',
  json: 'print {"uuid", "xml"} with the element as a string',
  description: "Reads the mdev first (it must exist), then prints the element for the domain's <devices>.",
  run({ args, opts, ap }) {
    ap().mdev(args.UUID);
    const xml = hostdevXml(args.UUID, opts.unmanaged ? { managed: false } : {});
    return { json: { uuid: args.UUID, xml }, text: xml };
  },
});

export const xmlNodedevCmd = command({
  words: ['xml', 'nodedev'],
  summary: 'the libvirt node-device XML of an mdev, from its current matrix',
  args: [uuidArg],
  options: { define: { type: 'boolean', help: 'the form the product documentation gives to virsh nodedev-define' } },
  host: 'reads',
  json: 'print {"uuid", "xml"} with the XML as a string',
  description: `Prints the full form (with <name>mdev_<uuid>_matrix</name> first, as libvirt's schema wants), or with
--define the form for virsh nodedev-define. Adapters, domains and control domains are written as
0x%02x and 0x%04x.`,
  run({ args, opts, ap }) {
    const xml = nodeDeviceXml(ap().mdev(args.UUID), { define: opts.define });
    return { json: { uuid: args.UUID, xml }, text: xml };
  },
});

const qmpOptions = {
  qmp: { type: 'string', value: 'SOCKET', required: true, help: "the guest's QMP socket: a path, or HOST:PORT" },
  timeout: { type: 'number', value: 'SECONDS', above: 0, max: MAX_TIMEOUT_S, help: 'per QMP step (default 30)' },
} as const;

/** Connects, runs the body, disconnects; QEMU's refusals carry its error class as their code. */
async function withQmp<T>(socket: string, timeoutMs: number, body: (qmp: QmpClient) => Promise<T>): Promise<T> {
  const qmp = new QmpClient({ name: 'zmdev' });
  try {
    await qmp.connect(socket, { timeoutMs });
    return await body(qmp);
  } finally {
    await qmp.disconnect();
  }
}

function cpuText(r: CpuApReport): string {
  const mark = { ok: ' ', error: '!', warning: '!', info: '-' } as const;
  const head = r.source === 'running-cpu'
    ? `running CPU ${r.qomPath} (model ${r.model})`
    : `CPU model ${r.model} (expanded to ${r.expandedTo})`;
  return [
    head,
    ...r.findings.map((f) => ` ${mark[f.severity]} ${f.feature.padEnd(6)} ${f.state.padEnd(7)}${f.message}`),
    r.canAttach ? 'a vfio-ap device can be attached' : 'a vfio-ap device cannot be attached (ap is not on)',
    '',
  ].join('\n');
}

export const guestCpuCheck = command({
  words: ['guest', 'cpu-check'],
  summary: "which AP CPU features (ap, apqci, apft, apqi, appv, appvi) a guest's CPU has, and what that means",
  args: [],
  options: { ...qmpOptions, model: { type: 'string', value: 'NAME[,FEATURE=on|off…]', help: 'ask QEMU to expand this model instead' } },
  description: `Without --model asks the running guest's CPU (its QOM feature properties: what the guest really
has, -cpu options included). With --model asks QEMU to expand that model (query-cpu-model-expansion
full), optionally with features as on -cpu: --model z13,ap=on,apft=on. Under TCG there is no 'host'
model. Exit 0 when a vfio-ap device can be attached (ap on), 1 when not.`,
  async run({ opts }) {
    const timeoutMs = (opts.timeout ?? 30) * 1000;
    const r = await withQmp(opts.qmp, timeoutMs, (qmp) => checkCpuModel(qmp, { model: opts.model, timeoutMs }));
    return { json: r, text: cpuText(r), status: r.canAttach ? 0 : EXIT_REFUSED };
  },
});

export const guestAttach = command({
  words: ['guest', 'attach'],
  summary: 'hot plug an mdev into a running guest as its vfio-ap device',
  args: [uuidArg],
  options: {
    ...qmpOptions,
    id: { type: 'string', value: 'ID', help: 'the device id (default hostdev0)' },
    'no-cpu-check': { type: 'boolean', help: 'do not ask the CPU for ap first' },
  },
  host: 'reads',
  json: 'print {"id", "uuid", "sysfsdev", "apqns", "cpuChecked"}',
  description: `Checks that the mdev gives the guest AP queues, that the guest's CPU has ap, and that the guest has
no vfio-ap device yet (QEMU takes one), then sends device_add. QEMU's refusals exit 1 with QEMU's
error class as the code.`,
  async run({ args, opts, ap }) {
    const timeoutMs = (opts.timeout ?? 30) * 1000;
    const host = ap();
    const r = await withQmp(opts.qmp, timeoutMs, (qmp) => attach(qmp, host, args.UUID, { id: opts.id, checkCpu: !opts['no-cpu-check'], timeoutMs }));
    const apqns = r.apqns.map(formatApqn);
    return {
      json: { id: r.id, uuid: r.uuid, sysfsdev: r.sysfsdev, apqns, cpuChecked: r.cpu !== null },
      text: `attached mdev ${r.uuid} as ${r.id}: the guest gets ${apqns.join(' ')}\n`,
    };
  },
});

function progressLine(p: DetachProgress): string {
  switch (p.phase) {
    case 'requested': return `device_del ${p.id} accepted; waiting for the guest to release it\n`;
    case 'event': return `  (DEVICE_DELETED of ${String(p.event.data['path'])})\n`;
    case 'waiting': return `  still waiting after ${(p.elapsedMs / 1000).toFixed(1)} s\n`;
    case 'deleted': return `  DEVICE_DELETED after ${p.elapsedMs} ms\n`;
  }
}

export const guestDetach = command({
  words: ['guest', 'detach'],
  summary: 'hot unplug a device (device_del) and wait until QEMU reports it deleted',
  args: [],
  options: {
    ...qmpOptions,
    timeout: { type: 'number', value: 'SECONDS', above: 0, max: MAX_TIMEOUT_S, help: 'how long to wait for DEVICE_DELETED (default 30)' },
    id: { type: 'string', value: 'ID', required: true, help: 'the id of the device to unplug' },
  },
  description: `Sends device_del and waits for the DEVICE_DELETED event of that device, with a progress line on
stderr while waiting. A guest that does not release the device in time gives exit 1 (ETIMEDOUT),
naming the events that did arrive.`,
  async run({ opts, io }) {
    const timeoutMs = (opts.timeout ?? 30) * 1000;
    const r = await withQmp(opts.qmp, timeoutMs, (qmp) => detach(qmp, opts.id, { timeoutMs, onProgress: (p) => io.stderr(progressLine(p)) }));
    return { json: r, text: `detached ${r.id}\n` };
  },
});
