// zmdev sim: create a simulated AP host, read its kernel log, serve it over FUSE like /sys.
import { existsSync, statSync } from 'node:fs';
import { ZmdevError } from '../../errors.js';
import { mountSysfs, unmountOnSignals } from '../../sim/fuse-mount.js';
import { SimHost } from '../../sim/host.js';
import { PRESET_NAMES, presetState, type PresetName } from '../../sim/presets.js';
import { PROFILE_NAMES, type ProfileName } from '../../sim/profiles.js';
import { loadState, saveState } from '../../sim/state-file.js';
import { SimSysfs } from '../../sim/sysfs.js';
import type { Command } from '../command.js';
import { EXIT_OK, UsageError, type CliIO } from '../context.js';
import { asRefusal, printJson, reportRefusal } from '../report.js';
import { lockStateFile } from '../host.js';

const initUsage = `usage: zmdev sim init FILE [--preset ${PRESET_NAMES.join('|')}] [--kernel ${PROFILE_NAMES.join('|')}] [--force]`;

function pick<T extends string>(value: unknown, allowed: readonly T[], flag: string, fallback: T, usage: string): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new UsageError(`${flag} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`, usage);
  return value as T;
}

export const simInit: Command = {
  path: ['sim', 'init'],
  summary: 'create a simulated AP host in a state file',
  usage: initUsage,
  help: `${initUsage}

Writes a new simulated host to FILE (JSON, written atomically). Every other command works on it
with --sim FILE and saves it back.

  --preset NAME   seed        the product documentation's host: adapters 00 (CEX8A), 01 (CEX8C),
                              0a (CEX8P); domains 0x0001, 0x0002, 0x0004, 0x001b (default)
                  kernel-doc  the kernel document's host: adapters 05 and 06; domains 0x04,
                              0x47, 0xab, 0xff
                  empty       no adapters, no domains
                  large       adapters 0x00-0x3f x domains 0x00-0x54, CEX5 to CEX8
  --kernel VER    6.15 (default, mainline), 6.0 (no ap_config, no features file), or 5.15
                  (classic: EBUSY while a guest is attached, no guest_matrix)
  --force         replace FILE if it exists`,
  options: { preset: { type: 'string' }, kernel: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
  run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('give exactly one FILE', initUsage);
    const file = positionals[0]!;
    const preset = pick<PresetName>(values.preset, PRESET_NAMES, '--preset', 'seed', initUsage);
    const kernel = pick<ProfileName>(values.kernel, PROFILE_NAMES, '--kernel', '6.15', initUsage);
    if (existsSync(file) && !values.force) {
      return reportRefusal(io, new ZmdevError({ code: 'EEXIST', message: `${file} already exists; give --force to replace it, or another FILE` }), values.json === true);
    }
    const state = presetState(preset, kernel);
    saveState(file, state);
    const summary = { file, preset, kernel, adapters: state.host.adapters.length, domains: state.host.domains.length };
    if (values.json) printJson(io, summary);
    else io.stdout(`created ${file}: preset ${preset}, kernel ${kernel}, ${summary.adapters} adapters, ${summary.domains} domains\n`);
    return EXIT_OK;
  },
};

const logUsage = 'usage: zmdev sim log FILE [--json]';

export const simLog: Command = {
  path: ['sim', 'log'],
  summary: 'print the kernel log (dmesg) of a simulated host',
  usage: logUsage,
  help: `${logUsage}\n\nPrints the kernel messages the simulated AP bus and vfio_ap driver logged, oldest first.`,
  options: { json: { type: 'boolean' } },
  run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('give exactly one FILE', logUsage);
    let log: readonly string[];
    try {
      log = loadState(positionals[0]!).log;
    } catch (err) {
      return reportRefusal(io, asRefusal(err), values.json === true);
    }
    if (values.json) printJson(io, { log });
    else io.stdout(log.map((l) => `${l}\n`).join(''));
    return EXIT_OK;
  },
};

const mountUsage = 'usage: zmdev sim mount FILE MOUNTPOINT [--json]';

export const simMount: Command = {
  path: ['sim', 'mount'],
  summary: 'serve a simulated host over FUSE as a tree laid out like /sys',
  usage: mountUsage,
  help: `${mountUsage}

Serves the simulated host in FILE at MOUNTPOINT (an existing empty directory) until SIGINT or
SIGTERM: MOUNTPOINT/bus/ap/apmask, MOUNTPOINT/devices/vfio_ap/matrix/…, and so on. Shells,
mdevctl and zmdev --sysfs MOUNTPOINT see the kernel's bytes and errno through real syscalls.
Every accepted write is saved to FILE at once. FILE's lock (FILE.lock) is held while it is
served, so other zmdev runs that change FILE wait. Needs root (or FUSE rights) and /dev/fuse.
With --json the progress lines go to stderr and {"file", "mountpoint", "signal"} is printed once
unmounted; a refusal prints {"error": {…}}.`,
  options: { json: { type: 'boolean' } },
  async run({ positionals, lock, values }, io) {
    const json = values.json === true;
    if (positionals.length !== 2) throw new UsageError('give FILE and MOUNTPOINT', mountUsage);
    const [file, mountpoint] = positionals as [string, string];
    // Every accepted write changes FILE: hold its lock for the whole time it is served.
    let release: () => void;
    try {
      release = lockStateFile(file, lock);
    } catch (err) {
      return reportRefusal(io, asRefusal(err), json);
    }
    try {
      return await serve(file, mountpoint, io, json);
    } finally {
      release();
    }
  },
};

async function serve(file: string, mountpoint: string, io: CliIO, json: boolean): Promise<number> {
  let host: SimHost;
  try {
    host = new SimHost(loadState(file));
  } catch (err) {
    return reportRefusal(io, asRefusal(err), json);
  }
  let mount;
  try {
    if (!statSync(mountpoint).isDirectory()) {
      throw new ZmdevError({ code: 'ENOTDIR', message: `mountpoint ${mountpoint} is not a directory; give an existing empty directory` });
    }
    mount = await mountSysfs(new SimSysfs(host), mountpoint, { onChange: () => saveState(file, host.state) });
  } catch (err) {
    const known = asRefusal(err);
    return reportRefusal(io, known instanceof ZmdevError ? known
      : new ZmdevError({ code: 'EMOUNT', message: `FUSE could not mount ${mountpoint}: ${(err as Error).message}`, cause: err }), json);
  }
  io.stderr(`zmdev: holding ${file}.lock while serving: other zmdev runs that change ${file} wait until it is unmounted\n`);
  // Progress is for people; with --json stdout carries only the JSON.
  const progress = json ? io.stderr : io.stdout;
  progress(`serving ${file} at ${mountpoint}; SIGINT or SIGTERM unmounts\n`);
  const signal = await new Promise<string>((resolve) => unmountOnSignals(mount, { onUnmounted: (s) => resolve(s) }));
  saveState(file, host.state);
  progress(`unmounted ${mountpoint} (${signal})\n`);
  if (json) printJson(io, { file, mountpoint, signal });
  return EXIT_OK;
}
