// zmdev qemu-args / xml / guest …: wiring an mdev into QEMU or libvirt, and hot plug over QMP.
import { checkCpuModel, type CpuApReport } from '../../guest/cpu-model.js';
import { attach, detach, guestApqns, type DetachProgress } from '../../guest/hotplug.js';
import { apCpuFeatures, vfioApDeviceArgs, vfioApDeviceJsonArgs } from '../../guest/qemu-args.js';
import { hostdevXml, nodeDeviceXml } from '../../guest/xml.js';
import { formatApqn } from '../../mask/apqn.js';
import { QmpClient } from '../../qmp/client.js';
import { uuidArg, type Command } from '../command.js';
import { EXIT_OK, UsageError, type CliIO } from '../context.js';
import { hostHelp, hostOptions, openApHost } from '../host.js';
import { runOnAp } from '../ap-run.js';
import { printJson, reportRefusal } from '../report.js';

/** Shell quoting for the text output only (the arguments themselves are argv elements). */
function shQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

function oneUuid(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError('give one UUID', usage);
  return uuidArg(positionals[0]!, usage);
}

const argsUsage = 'usage: zmdev qemu-args UUID [--id ID] [--json] [--sim FILE | --sysfs DIR]';

export const qemuArgsCmd: Command = {
  path: ['qemu-args'],
  summary: "QEMU's -device argument for an mdev (both forms) and the CPU features it needs",
  usage: argsUsage,
  help: `${argsUsage}

Reads the mdev first (it must exist), then prints the -device argument, libvirt's JSON form of it,
and the AP CPU features to add to -cpu. --json prints {"uuid", "args", "jsonArgs", "cpuFeatures", "apqns"}
with the arguments as argv arrays.

  --id ID      the QEMU device id (default hostdev0)

${hostHelp}`,
  options: { ...hostOptions, id: { type: 'string' }, json: { type: 'boolean' } },
  run(args, io) {
    const uuid = oneUuid(args.positionals, argsUsage);
    return runOnAp(args, argsUsage, io, 'reads', (ap, json) => {
      const id = args.values.id as string | undefined;
      const plain = vfioApDeviceArgs(uuid, { id });
      const apqns = guestApqns(ap, uuid).map(formatApqn);
      const out = { uuid: uuid.toLowerCase(), args: plain, jsonArgs: vfioApDeviceJsonArgs(uuid, { id }), cpuFeatures: apCpuFeatures(), apqns };
      if (json) printJson(io, out);
      else {
        io.stdout(`${out.args.map(shQuote).join(' ')}\n${out.jsonArgs.map(shQuote).join(' ')}\n-cpu MODEL,${out.cpuFeatures}\n`);
      }
    });
  },
};

/** XML as it is, or with --json an object that carries it as a string (JSON means JSON). */
function xmlOut(io: CliIO, json: boolean, uuid: string, xml: string): void {
  if (json) printJson(io, { uuid, xml });
  else io.stdout(xml);
}

const hostdevUsage = 'usage: zmdev xml hostdev UUID [--unmanaged] [--json] [--sim FILE | --sysfs DIR]';

export const xmlHostdevCmd: Command = {
  path: ['xml', 'hostdev'],
  summary: "the libvirt domain <hostdev> element of an mdev",
  usage: hostdevUsage,
  help: `${hostdevUsage}

Reads the mdev first (it must exist), then prints the element for the domain's <devices>.

  --unmanaged  write managed='no'
  --json       print {"uuid", "xml"} with the element as a string

${hostHelp}`,
  options: { ...hostOptions, unmanaged: { type: 'boolean' }, json: { type: 'boolean' } },
  run(args, io) {
    const uuid = oneUuid(args.positionals, hostdevUsage);
    return runOnAp(args, hostdevUsage, io, 'reads', (ap, json) => {
      ap.mdev(uuid);
      xmlOut(io, json, uuid, hostdevXml(uuid, args.values.unmanaged === true ? { managed: false } : {}));
    });
  },
};

const nodedevUsage = 'usage: zmdev xml nodedev UUID [--define] [--json] [--sim FILE | --sysfs DIR]';

export const xmlNodedevCmd: Command = {
  path: ['xml', 'nodedev'],
  summary: 'the libvirt node-device XML of an mdev, from its current matrix',
  usage: nodedevUsage,
  help: `${nodedevUsage}

Prints the full form (with <name>mdev_<uuid>_matrix</name> first, as libvirt's schema wants), or with
--define the form the product documentation gives to virsh nodedev-define. Adapters, domains and
control domains are written as 0x%02x and 0x%04x. --json prints {"uuid", "xml"} with the XML as a string.

${hostHelp}`,
  options: { ...hostOptions, define: { type: 'boolean' }, json: { type: 'boolean' } },
  run(args, io) {
    const uuid = oneUuid(args.positionals, nodedevUsage);
    return runOnAp(args, nodedevUsage, io, 'reads', (ap, json) => {
      xmlOut(io, json, uuid, nodeDeviceXml(ap.mdev(uuid), { define: args.values.define === true }));
    });
  },
};

const qmpOptions = { qmp: { type: 'string' as const }, json: { type: 'boolean' as const }, timeout: { type: 'string' as const } };

function seconds(value: unknown, usage: string, fallback: number): number {
  if (value === undefined) return fallback * 1000;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--timeout takes a number of seconds above 0, not ${JSON.stringify(value)}`, usage);
  return n * 1000;
}

/** Connects, runs the body, reports refusals (QEMU's with its error class), disconnects. */
async function withQmp(values: Record<string, unknown>, usage: string, io: CliIO, timeoutMs: number,
  body: (qmp: QmpClient, json: boolean) => Promise<void>): Promise<number> {
  const socket = values['qmp'];
  if (typeof socket !== 'string') throw new UsageError('give the guest\'s QMP socket with --qmp PATH (or HOST:PORT)', usage);
  const json = values['json'] === true;
  const qmp = new QmpClient({ name: 'zmdev' });
  const session = async (): Promise<number> => {
    try {
      await qmp.connect(socket, { timeoutMs });
      await body(qmp, json);
      return EXIT_OK;
    } catch (e) {
      return reportRefusal(io, e, json);
    }
  };
  return session().finally(() => qmp.disconnect());
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

const cpuUsage = 'usage: zmdev guest cpu-check --qmp SOCKET [--model NAME[,FEATURE=on|off…]] [--timeout SECONDS] [--json]';

export const guestCpuCheck: Command = {
  path: ['guest', 'cpu-check'],
  summary: "which AP CPU features (ap, apqci, apft, apqi, appv, appvi) a guest's CPU has, and what that means",
  usage: cpuUsage,
  help: `${cpuUsage}

Without --model asks the running guest's CPU (its QOM feature properties: what the guest really
has, -cpu options included). With --model asks QEMU to expand that model (query-cpu-model-expansion
full), optionally with features as on -cpu: --model z13,ap=on,apft=on. Under TCG there is no 'host'
model. Exit 0 when a vfio-ap device can be attached (ap on), 1 when not.

  --timeout SECONDS   per QMP step (default 30)`,
  options: { ...qmpOptions, model: { type: 'string' } },
  async run(args, io) {
    const timeoutMs = seconds(args.values.timeout, cpuUsage, 30);
    if (args.positionals.length) throw new UsageError(`unexpected ${JSON.stringify(args.positionals[0])}`, cpuUsage);
    let verdict = EXIT_OK;
    const code = await withQmp(args.values, cpuUsage, io, timeoutMs, async (qmp, json) => {
      const r = await checkCpuModel(qmp, { model: args.values.model as string | undefined, timeoutMs });
      if (json) printJson(io, r);
      else io.stdout(cpuText(r));
      if (!r.canAttach) verdict = 1;
    });
    return code === EXIT_OK ? verdict : code;
  },
};

const attachUsage = 'usage: zmdev guest attach --qmp SOCKET UUID [--id ID] [--no-cpu-check] [--timeout SECONDS] [--json] [--sim FILE | --sysfs DIR]';

export const guestAttach: Command = {
  path: ['guest', 'attach'],
  summary: 'hot plug an mdev into a running guest as its vfio-ap device',
  usage: attachUsage,
  help: `${attachUsage}

Checks that the mdev gives the guest AP queues, that the guest's CPU has ap, and that the guest has
no vfio-ap device yet (QEMU takes one), then sends device_add. QEMU's refusals exit 1 with QEMU's
error class as the code.

  --id ID             the device id (default hostdev0)
  --no-cpu-check      do not ask the CPU for ap first
  --timeout SECONDS   per QMP step (default 30)

${hostHelp}`,
  options: { ...hostOptions, ...qmpOptions, id: { type: 'string' }, 'no-cpu-check': { type: 'boolean' } },
  async run(args, io) {
    const uuid = oneUuid(args.positionals, attachUsage);
    const timeoutMs = seconds(args.values.timeout, attachUsage, 30);
    const json = args.values.json === true;
    let opened;
    try {
      opened = openApHost(args, attachUsage, 'reads');
    } catch (e) {
      return reportRefusal(io, e, json);
    }
    const { ap } = opened;
    try {
      return await withQmp(args.values, attachUsage, io, timeoutMs, async (qmp) => {
        const r = await attach(qmp, ap, uuid, {
          id: args.values.id as string | undefined, checkCpu: args.values['no-cpu-check'] !== true, timeoutMs,
        });
        const apqns = r.apqns.map(formatApqn);
        if (json) printJson(io, { id: r.id, uuid: r.uuid, sysfsdev: r.sysfsdev, apqns, cpuChecked: r.cpu !== null });
        else io.stdout(`attached mdev ${r.uuid} as ${r.id}: the guest gets ${apqns.join(' ')}\n`);
      });
    } finally {
      opened.done(false);
    }
  },
};

const detachUsage = 'usage: zmdev guest detach --qmp SOCKET --id ID [--timeout SECONDS] [--json]';

function progressLine(p: DetachProgress): string {
  switch (p.phase) {
    case 'requested': return `device_del ${p.id} accepted; waiting for the guest to release it\n`;
    case 'event': return `  (DEVICE_DELETED of ${String(p.event.data['path'])})\n`;
    case 'waiting': return `  still waiting after ${(p.elapsedMs / 1000).toFixed(1)} s\n`;
    case 'deleted': return `  DEVICE_DELETED after ${p.elapsedMs} ms\n`;
  }
}

export const guestDetach: Command = {
  path: ['guest', 'detach'],
  summary: 'hot unplug a device (device_del) and wait until QEMU reports it deleted',
  usage: detachUsage,
  help: `${detachUsage}

Sends device_del and waits for the DEVICE_DELETED event of that device, with a progress line on
stderr while waiting. A guest that does not release the device in time gives exit 1 (ETIMEDOUT),
naming the events that did arrive.

  --timeout SECONDS   how long to wait for DEVICE_DELETED (default 30)`,
  options: { ...qmpOptions, id: { type: 'string' } },
  async run(args, io) {
    const timeoutMs = seconds(args.values.timeout, detachUsage, 30);
    const id = args.values.id;
    if (typeof id !== 'string') throw new UsageError('give the device id with --id', detachUsage);
    if (args.positionals.length) throw new UsageError(`unexpected ${JSON.stringify(args.positionals[0])}`, detachUsage);
    return withQmp(args.values, detachUsage, io, timeoutMs, async (qmp, json) => {
      const r = await detach(qmp, id, { timeoutMs, onProgress: (p) => io.stderr(progressLine(p)) });
      if (json) printJson(io, r);
      else io.stdout(`detached ${r.id}\n`);
    });
  },
};
