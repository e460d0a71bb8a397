// driverctl's persistent driver overrides: /etc/driverctl.d/<bus>-<device> holding the driver's
// name and a newline (`echo "$drv" >`), which udev's 05-driverctl.rules finds at boot and
// driverctl@<bus>-<device>.service loads. This is how a subchannel stays bound to vfio_ccw.
import { mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { InputError, ZmdevError } from '../errors.js';
import { readRegularFile, writeFileAtomic } from '../files/atomic.js';
import type { DefinitionProblem } from './mdevctl-files.js';

/** driverctl's configuration directory, relative to a configuration root ('/' on a host). */
export const DRIVERCTL_DIR = 'etc/driverctl.d';

export interface DriverOverride {
  /** The bus, as in /sys/bus/<bus>: css for a subchannel, pci, … */
  bus: string;
  /** The device's name on the bus: 0.0.0313, 0000:00:02.0, … */
  device: string;
  /** The driver it binds to: vfio_ccw, vfio-pci, … (`none`: driverctl keeps the device unbound). */
  driver: string;
}

// The file name joins bus and device with '-', and systemd's %I turns every '-' of the unit
// instance back into '/', so neither may hold one: the boot would look for the wrong device.
const BUS = /^[A-Za-z0-9_]+$/;
const DEVICE = /^[A-Za-z0-9_.:]+$/;
const DRIVER = /^[A-Za-z0-9_.:-]+$/;

function checked(o: { bus: string; device: string; driver?: string }): void {
  const rules: Array<[string, string | undefined, RegExp, string]> = [
    ['bus', o.bus, BUS, 'letters, digits and _'],
    ['device', o.device, DEVICE, 'letters, digits and _ . :'],
    ['driver', o.driver, DRIVER, 'letters, digits and _ . : -'],
  ];
  for (const [field, value, rule, chars] of rules) {
    if (value !== undefined && (typeof value !== 'string' || !rule.test(value))) {
      throw new InputError({
        code: 'EINVAL', input: String(value),
        message: `driver override: ${field} ${JSON.stringify(value)} is not a ${field} name (${chars} only); ` +
          `driverctl's file is <bus>-<device> and the boot service reads every '-' in it as '/'`,
      });
    }
  }
}

function fsError(e: unknown, doing: string): ZmdevError {
  const err = e as NodeJS.ErrnoException;
  // Only fs calls land here, and their errors always carry an errno code.
  return new ZmdevError({ code: err.code!, message: `${doing}: ${err.message}`, cause: e });
}

function overrideError(file: string, input: string, message: string): InputError {
  return new InputError({ code: 'EINVAL', input, message: `${file}: ${message}` });
}

/** Reads one override file as driverctl load-override does: `$(< file)`, trailing newlines dropped. */
function readOverride(file: string, name: string): DriverOverride {
  const dash = name.indexOf('-');
  const bus = name.slice(0, dash);
  const device = name.slice(dash + 1);
  if (dash < 0 || !BUS.test(bus) || !DEVICE.test(device)) {
    throw overrideError(file, name, `the name is not <bus>-<device> with a device name free of '-' ` +
      `(udev looks for $SUBSYSTEM-$kernel, and the boot service reads every '-' as '/'); rename it, e.g. css-0.0.0313`);
  }
  const driver = readRegularFile(file).replace(/\n+$/, '');
  if (driver === '') {
    throw overrideError(file, driver, 'the file names no driver (driverctl load-override does nothing at boot); write the driver name and a newline, e.g. vfio_ccw');
  }
  if (!DRIVER.test(driver)) {
    throw overrideError(file, driver, `${JSON.stringify(driver)} is not one driver name (letters, digits and _ . : - on one line); ` +
      `the kernel would store it in driver_override as it is and bind nothing — write the driver name and a newline`);
  }
  return { bus, device, driver };
}

/**
 * Every override under <root>/etc/driverctl.d, by file name. Dot files are passed over (udev's
 * $SUBSYSTEM never starts with '.', and temporary files do). A file driverctl could not load at boot
 * — a name that is not <bus>-<device>, no driver, more than a name — is an entry in `problems`.
 */
export function readDriverOverrides(root: string): { overrides: DriverOverride[]; problems: DefinitionProblem[] } {
  const dir = path.join(root, DRIVERCTL_DIR);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { overrides: [], problems: [] };
    throw fsError(e, `reading the directory ${dir}`);
  }
  const overrides: DriverOverride[] = [];
  const problems: DefinitionProblem[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const file = path.join(dir, name);
    try {
      overrides.push(readOverride(file, name));
    } catch (e) {
      /* c8 ignore next -- every refusal on the way is a ZmdevError; anything else is a bug and propagates */
      if (!(e instanceof ZmdevError)) throw e;
      problems.push({ path: file, error: e });
    }
  }
  return { overrides, problems };
}

/** Writes an override as driverctl set-override saves it (`<driver>\n`, mode 0644); returns its path. */
export function writeDriverOverride(root: string, o: DriverOverride): string {
  checked(o);
  const dir = path.join(root, DRIVERCTL_DIR);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (e) {
    throw fsError(e, `making the directory ${dir}`);
  }
  const file = path.join(dir, `${o.bus}-${o.device}`);
  writeFileAtomic(file, `${o.driver}\n`, 0o644);
  return file;
}

/** Removes an override as driverctl unset-override does (`rm -f`); false when there was none. */
export function removeDriverOverride(root: string, bus: string, device: string): boolean {
  checked({ bus, device });
  const file = path.join(root, DRIVERCTL_DIR, `${bus}-${device}`);
  try {
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fsError(e, `removing ${file}`);
  }
  return true;
}
