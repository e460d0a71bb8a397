// zmdev sim: create a simulated AP host, read its kernel log, serve it over FUSE like /sys.
import { existsSync, statSync } from 'node:fs';
import { ZmdevError } from '../../errors.js';
import { mountSysfs, unmountOnSignals } from '../../sysfs/fuse-mount.js';
import { PRESET_NAMES, presetState } from '../../sim/presets.js';
import { PROFILE_NAMES } from '../../sim/profiles.js';
import { saveState } from '../../sim/state-file.js';
import { command } from '../declare.js';
import { asRefusal } from '../report.js';

const fileArg = { name: 'FILE', help: 'the state file of the simulated host (JSON)' } as const;

export const simInit = command({
  words: ['sim', 'init'],
  summary: 'create a simulated AP host in a state file',
  args: [fileArg],
  options: {
    preset: { type: 'string', value: 'NAME', choices: PRESET_NAMES, help: `seed        the product documentation's host: adapters 00 (CEX8A), 01 (CEX8C),
            0a (CEX8P); domains 0x0001, 0x0002, 0x0004, 0x001b (default)
kernel-doc  the kernel document's host: adapters 05 and 06; domains 0x04,
            0x47, 0xab, 0xff
empty       no adapters, no domains
large       adapters 0x00-0x3f x domains 0x00-0x54, CEX5 to CEX8` },
    kernel: { type: 'string', value: 'VER', choices: PROFILE_NAMES, help: `6.15 (default, mainline), 6.0 (no ap_config, no features file), or 5.15
(classic: EBUSY while a guest is attached, no guest_matrix)` },
    force: { type: 'boolean', help: 'replace FILE if it exists' },
  },
  stateFile: 'creates',
  json: 'print {"file", "preset", "kernel", "adapters", "domains"}',
  description: `Writes a new simulated host to FILE (JSON, written atomically). Every other command works on it
with --sim FILE and saves it back.`,
  examples: ['zmdev sim init host.json --preset kernel-doc --kernel 6.0'],
  run({ args, opts }) {
    const file = args.FILE;
    const preset = opts.preset ?? 'seed';
    const kernel = opts.kernel ?? '6.15';
    if (existsSync(file) && !opts.force) {
      throw new ZmdevError({ code: 'EEXIST', message: `${file} already exists; give --force to replace it, or another FILE` });
    }
    const state = presetState(preset, kernel);
    saveState(file, state);
    const summary = { file, preset, kernel, adapters: state.host.adapters.length, domains: state.host.domains.length };
    return { json: summary, text: `created ${file}: preset ${preset}, kernel ${kernel}, ${summary.adapters} adapters, ${summary.domains} domains\n` };
  },
});

export const simLog = command({
  words: ['sim', 'log'],
  summary: 'print the kernel log (dmesg) of a simulated host',
  args: [fileArg],
  options: {},
  stateFile: 'reads',
  json: 'print {"log": [line, …]}',
  description: 'Prints the kernel messages the simulated AP bus and vfio_ap driver logged, oldest first.',
  run({ host }) {
    const log = host!.sim!.state.log;
    return { json: { log }, text: log.map((l) => `${l}\n`).join('') };
  },
});

export const simMount = command({
  words: ['sim', 'mount'],
  summary: 'serve a simulated host over FUSE as a tree laid out like /sys',
  args: [fileArg, { name: 'MOUNTPOINT', help: 'an existing empty directory' }],
  options: {},
  // Every accepted write changes FILE: its lock is held for as long as it is served.
  stateFile: 'changes',
  json: 'progress lines go to stderr; {"file", "mountpoint", "signal"} is printed once unmounted',
  description: `Serves the simulated host in FILE at MOUNTPOINT until SIGINT or SIGTERM: MOUNTPOINT/bus/ap/apmask,
MOUNTPOINT/devices/vfio_ap/matrix/…, and so on. Shells, mdevctl and zmdev --sysfs MOUNTPOINT see
the kernel's bytes and errno through real syscalls. Every accepted write is saved to FILE at once.
FILE's lock (FILE.lock) is held while it is served, so other zmdev runs that change FILE wait.
Needs root (or FUSE rights) and /dev/fuse.`,
  async run({ args, opts, host, io }) {
    const { FILE: file, MOUNTPOINT: mountpoint } = args;
    const sim = host!.sim!;
    let mount;
    try {
      if (!statSync(mountpoint).isDirectory()) {
        throw new ZmdevError({ code: 'ENOTDIR', message: `mountpoint ${mountpoint} is not a directory; give an existing empty directory` });
      }
      mount = await mountSysfs(host!.io, mountpoint, { onChange: () => saveState(file, sim.state) });
    } catch (err) {
      const known = asRefusal(err);
      throw known instanceof ZmdevError ? known
        : new ZmdevError({ code: 'EMOUNT', message: `FUSE could not mount ${mountpoint}: ${(err as Error).message}`, cause: err });
    }
    // Progress is for people; with --json stdout carries only the JSON.
    const progress = opts.json ? io.stderr : io.stdout;
    io.stderr(`zmdev: holding ${file}.lock while serving: other zmdev runs that change ${file} wait until it is unmounted\n`);
    progress(`serving ${file} at ${mountpoint}; SIGINT or SIGTERM unmounts\n`);
    const signal = await new Promise<string>((resolve) => unmountOnSignals(mount, { onUnmounted: (s) => resolve(s) }));
    progress(`unmounted ${mountpoint} (${signal})\n`);
    return { json: { file, mountpoint, signal }, text: '' };
  },
});
