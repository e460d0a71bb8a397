// Real libvirt 9.0 (libvirtd with its node-device driver) running the product documentation's
// persistent procedure (seed 000: nodedev-define my_ap_mdev.xml, nodedev-autostart, nodedev-start,
// nodedev-info, nodedev-dumpxml) against the FUSE-mounted simulator: libvirt drives mdevctl
// 1.2.0, mdevctl the simulator, and zmdev then reads what they left. Each run happens in a private
// mount namespace (fixtures/libvirt-driver.mjs under unshare) with the mount bound onto /sys.
//
// libvirt finds ap_matrix and active mdevs through libudev, which wants what every kernel device
// directory has and the simulator does not serve yet: a `uevent` file, a `subsystem` link, and for
// an mdev (an emulated-IOMMU vfio device) an `iommu_group` link into /sys/kernel/iommu_groups.
// UdevView adds exactly these over the simulator's tree, with the kernel's contents.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { main } from '../../src/cli/main.js';
import { createHost, saveState } from '../../src/sim/index.js';
import { mountSysfs } from '../../src/sysfs/fuse-mount.js';
import { SysfsError, type SysfsIO, type SysfsStat } from '../../src/sysfs/sysfs-io.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DRIVER = path.join(here, 'fixtures/libvirt-driver.mjs');

const UUID = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const NAME = `mdev_${UUID.replaceAll('-', '_')}_matrix`;
const MATRIX = 'devices/vfio_ap/matrix';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The node-device XML of seed 000, as the documentation prints it. */
const MY_AP_MDEV = `<device>
    <parent>ap_matrix</parent>
    <capability type="mdev">
        <type id="vfio_ap-passthrough"/>
        <attr name="assign_adapter" value="0x01"/>
        <attr name="assign_adapter" value="0x0a"/>
        <attr name="assign_domain" value="0x0002"/>
        <uuid>${UUID}</uuid>
    </capability>
</device>
`;

function nodedevModule(): string | null {
  for (const dir of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib/s390x-linux-gnu', '/usr/lib64', '/usr/lib']) {
    const so = path.join(dir, 'libvirt/connection-driver/libvirt_driver_nodedev.so');
    if (existsSync(so)) return so;
  }
  return null;
}

function missing(): string[] {
  const out: string[] = [];
  if (process.getuid?.() !== 0) out.push('root (for unshare -m, the bind mounts and the system libvirtd)');
  if (!existsSync('/dev/fuse')) out.push('/dev/fuse (apt-get install fuse3 libfuse2)');
  if (!existsSync('/usr/sbin/libvirtd') || !nodedevModule()) out.push('libvirtd and its node-device driver (apt-get install libvirt-daemon)');
  for (const [cmd, args, pkg] of [['virsh', ['--version'], 'libvirt-clients'], ['mdevctl', ['--version'], 'mdevctl'], ['unshare', ['--version'], 'util-linux']] as const) {
    if (spawnSync(cmd, args).status !== 0) out.push(`${cmd} (apt-get install ${pkg})`);
  }
  return out;
}

/**
 * The simulator's tree with what libudev reads of each device: `uevent` (the kernel's
 * DRIVER=… line; empty for the vfio_ap root device, which has no bus), `subsystem` (the bus),
 * and for each mdev an `iommu_group` link to /sys/kernel/iommu_groups/N, N allocated lowest-free
 * when the mdev appears, as the kernel's IDA does. Writes go to the simulator unchanged.
 */
class UdevView implements SysfsIO {
  private groups = new Map<string, number>();
  constructor(readonly inner: SysfsIO) {}

  private mdevs(): string[] {
    const live = this.inner.list(MATRIX).filter((e) => UUID_RE.test(e));
    for (const u of [...this.groups.keys()]) if (!live.includes(u)) this.groups.delete(u);
    for (const u of live) {
      if (this.groups.has(u)) continue;
      let n = 0;
      while ([...this.groups.values()].includes(n)) n++;
      this.groups.set(u, n);
    }
    return live;
  }

  /** The device directory's extra entries, or null when the path is no device this view knows. */
  private device(dir: string): { uevent: string; subsystem?: string; iommu?: string } | null {
    const driver = () => `DRIVER=${path.basename(this.inner.readlink(`${dir}/driver`))}\n`;
    if (dir === 'devices/vfio_ap') return { uevent: '' };
    if (dir === MATRIX) return { uevent: driver(), subsystem: '../../../bus/matrix' };
    const uuid = dir.startsWith(`${MATRIX}/`) ? dir.slice(MATRIX.length + 1) : '';
    if (this.mdevs().includes(uuid)) return { uevent: driver(), subsystem: '../../../../bus/mdev', iommu: `../../../../kernel/iommu_groups/${this.groups.get(uuid)}` };
    return null;
  }

  /** kernel/iommu_groups/… : directory entries, or a link target, or null. */
  private groupsNode(p: string): { dir: string[] } | { link: string } | null {
    const parts = p.split('/');
    if (parts[0] !== 'kernel') return null;
    if (parts.length === 1) return { dir: ['iommu_groups'] };
    if (parts[1] !== 'iommu_groups') return null;
    this.mdevs();
    if (parts.length === 2) return { dir: [...this.groups.values()].sort((a, b) => a - b).map(String) };
    const uuid = [...this.groups].find(([, n]) => String(n) === parts[2])?.[0];
    if (!uuid) return null;
    if (parts.length === 3) return { dir: ['devices'] };
    if (parts[3] !== 'devices') return null;
    if (parts.length === 4) return { dir: [uuid] };
    if (parts.length === 5 && parts[4] === uuid) return { link: `../../../../${MATRIX}/${uuid}` };
    return null;
  }

  private extra(p: string): { file: string } | { link: string } | { dir: string[] } | null {
    const g = this.groupsNode(p);
    if (g) return g;
    const cut = p.lastIndexOf('/');
    const dev = cut < 0 ? null : this.device(p.slice(0, cut));
    const leaf = p.slice(cut + 1);
    if (dev && leaf === 'uevent') return { file: dev.uevent };
    if (dev?.subsystem && leaf === 'subsystem') return { link: dev.subsystem };
    if (dev?.iommu && leaf === 'iommu_group') return { link: dev.iommu };
    return null;
  }

  private enoent(syscall: 'open' | 'readlink', p: string): never {
    throw new SysfsError({ code: 'ENOENT', syscall, path: p });
  }

  read(p: string): string {
    const e = this.extra(p);
    if (!e) return this.inner.read(p);
    return 'file' in e ? e.file : this.enoent('open', p);
  }
  readMany(ps: readonly string[]): Array<string | SysfsError> {
    return ps.map((p) => { try { return this.read(p); } catch (err) { return err as SysfsError; } });
  }
  write(p: string, data: string | Uint8Array): number { return this.inner.write(p, data); }
  list(p: string): string[] {
    const e = this.extra(p);
    if (e && 'dir' in e) return e.dir;
    const entries = this.inner.list(p);
    if (p === '') entries.push('kernel');
    const dev = this.device(p);
    if (dev) entries.push('uevent', ...(dev.subsystem ? ['subsystem'] : []), ...(dev.iommu ? ['iommu_group'] : []));
    return entries.sort();
  }
  exists(p: string): boolean { return this.extra(p) !== null || this.inner.exists(p); }
  readlink(p: string): string {
    const e = this.extra(p);
    if (!e) return this.inner.readlink(p);
    return 'link' in e ? e.link : this.enoent('readlink', p);
  }
  stat(p: string): SysfsStat {
    const e = this.extra(p);
    if (!e) return this.inner.stat(p);
    if ('file' in e) return { kind: 'file', mode: 0o644 };
    return 'link' in e ? { kind: 'link', mode: 0o777 } : { kind: 'dir', mode: 0o755 };
  }
}

interface Exec { code: number | null; stdout: string; stderr: string }
function exec(cmd: string, args: readonly string[], timeout = 180_000): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== 'number' ? String(err) : '') });
    });
  });
}

type Step = { virsh: string[] } | { restart: true } | { cat: string };
interface Virsh { virsh: string[]; code: number | null; signal: string | null; stdout: string; stderr: string }
const virsh = (...args: string[]): Step => ({ virsh: args });
const ok = (stdout: string) => ({ code: 0, signal: null, stdout, stderr: '' });

const gaps = missing();
if (gaps.length && process.env.CI) {
  // CI installs all of it (.ci/run): there a gap is a failure, not a skip.
  t.fail(`real libvirt cannot run: missing ${gaps.join(', ')}`);
} else if (gaps.length) {
  t.comment(`real libvirt not run: missing ${gaps.join(', ')} (.ci/run installs it)`);
  t.pass('skipped');
} else {
  const base = mkdtempSync(path.join(tmpdir(), 'zmdev-libvirt-'));
  const mnt = path.join(base, 'sys');
  const stateFile = path.join(base, 'host.json');
  // zmdev --sim FILE takes its configuration root at FILE.root: mdevctl's folder lives there.
  const config = path.join(`${stateFile}.root`, 'etc/mdevctl.d');
  const run = path.join(base, 'run');
  const work = path.join(base, 'work');
  for (const d of [mnt, run, work, path.join(config, 'scripts.d/callouts'), path.join(config, 'scripts.d/notifiers')]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(work, 'my_ap_mdev.xml'), MY_AP_MDEV);

  const { host, sysfs } = createHost('seed', '6.15');
  // Adapters 01 and 0a and domain 0002 freed for KVM (the persistent masks are another test's).
  sysfs.write('bus/ap/apmask', '-0x01,-0x0a\n');
  sysfs.write('bus/ap/aqmask', '-0x0002\n');
  const writes: Array<[string, string]> = [];
  const view = new UdevView({
    read: (p) => sysfs.read(p), readMany: (ps) => sysfs.readMany(ps), list: (p) => sysfs.list(p), exists: (p) => sysfs.exists(p),
    readlink: (p) => sysfs.readlink(p), stat: (p) => sysfs.stat(p),
    write: (p, d) => { writes.push([p, typeof d === 'string' ? d : Buffer.from(d).toString('latin1')]); return sysfs.write(p, d); },
  });
  const mount = await mountSysfs(view, mnt);
  t.teardown(async () => {
    await mount.unmount();
    if (readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mnt)) spawnSync('fusermount', ['-uz', mnt]);
    rmSync(base, { recursive: true, force: true });
  });

  const steps: Step[] = [
    virsh('nodedev-list', '--cap', 'ap_matrix'),
    virsh('nodedev-define', path.join(work, 'my_ap_mdev.xml')),
    { cat: `/etc/mdevctl.d/matrix/${UUID}` },
    virsh('nodedev-autostart', NAME),
    virsh('nodedev-start', NAME),
    virsh('nodedev-info', NAME),
    { restart: true },
    virsh('nodedev-info', NAME),
    virsh('nodedev-dumpxml', NAME),
    { cat: `/sys/bus/mdev/devices/${UUID}/matrix` },
  ];
  const r = await exec('unshare', ['-m', '--propagation', 'private', '--', process.execPath, DRIVER, mnt, config, run, work, nodedevModule()!, JSON.stringify(steps)]);
  const log = existsSync(path.join(work, 'libvirtd.log')) ? readFileSync(path.join(work, 'libvirtd.log'), 'utf8') : '';
  if (r.code !== 0) throw new Error(`libvirt driver failed (exit ${r.code}): ${r.stderr}\n${log}`);
  const out = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  const [list, define, definedFile, autostart, start, infoBefore, restart, info, dumpxml, matrix, stopped] = out;
  /** The mdevctl argv libvirtd ran, in order, from its debug log. */
  const mdevctlRuns = [...log.matchAll(/About to run (mdevctl [^\n]*)/g)].map((m) => m[1]!);

  t.test('libvirt finds ap_matrix through libudev', async (t) => {
    t.same(list, { virsh: ['nodedev-list', '--cap', 'ap_matrix'], ...ok('ap_matrix\n\n') });
  });

  t.test('nodedev-define: mdevctl define with the parent address, the file is manual', async (t) => {
    t.same(define, { virsh: ['nodedev-define', path.join(work, 'my_ap_mdev.xml')], ...ok(`Node device '${NAME}' defined from '${path.join(work, 'my_ap_mdev.xml')}'\n\n`) });
    t.ok(mdevctlRuns.includes(`mdevctl define --parent=matrix --jsonfile=/dev/stdin --uuid=${UUID}`), 'the argv of the define');
    const attrs = '    {\n      "assign_adapter": "0x01"\n    },\n    {\n      "assign_adapter": "0x0a"\n    },\n    {\n      "assign_domain": "0x0002"\n    }';
    t.same(definedFile, { cat: `/etc/mdevctl.d/matrix/${UUID}`, content: `{\n  "mdev_type": "vfio_ap-passthrough",\n  "start": "manual",\n  "attrs": [\n${attrs}\n  ]\n}` });
    t.equal(readFileSync(path.join(config, 'matrix', UUID), 'utf8'), (definedFile!.content as string).replace('"manual"', '"auto"'), 'autostart changed only the start key');
  });

  t.test('nodedev-autostart and nodedev-start: mdevctl modify --auto, then start writes the simulator', async (t) => {
    t.same(autostart, { virsh: ['nodedev-autostart', NAME], ...ok(`Device ${NAME} marked as autostarted\n\n`) });
    t.same(start, { virsh: ['nodedev-start', NAME], ...ok(`Device ${NAME} started\n\n`) });
    const modify = mdevctlRuns.indexOf(`mdevctl modify --uuid ${UUID} --auto`);
    const started = mdevctlRuns.indexOf(`mdevctl start --uuid=${UUID}`);
    t.ok(modify > 0 && started > modify, 'modify --auto (separate words), then start by UUID alone');
    // libvirt 9.0 polls only the defined list; activity comes from udev events alone.
    t.same([...new Set(mdevctlRuns.filter((a) => a.startsWith('mdevctl list')))], ['mdevctl list --dumpjson --defined']);
    t.same(writes, [
      [`${MATRIX}/mdev_supported_types/vfio_ap-passthrough/create`, UUID],
      [`${MATRIX}/${UUID}/assign_adapter`, '0x01'],
      [`${MATRIX}/${UUID}/assign_adapter`, '0x0a'],
      [`${MATRIX}/${UUID}/assign_domain`, '0x0002'],
    ], 'mdevctl start: create, then each attribute in order, no newline');
    t.same(matrix, { cat: `/sys/bus/mdev/devices/${UUID}/matrix`, content: '01.0002\n0a.0002\n' });
    t.same(host.state.mdevs.map((m) => m.uuid), [UUID]);
  });

  t.test('nodedev-info: no udev event reaches libvirtd here, so it learns of the start on its next enumeration', async (t) => {
    const lines = (active: string) => `Name:           ${NAME}\nParent:         ap_matrix\nActive:         ${active}\nPersistent:     yes\nAutostart:      yes\n\n`;
    t.same(infoBefore, { virsh: ['nodedev-info', NAME], ...ok(lines('no')) }, 'no udevd: the mdev add event never comes');
    t.same(restart, { restart: { code: 0, signal: null } });
    t.same(info, { virsh: ['nodedev-info', NAME], ...ok(lines('yes')) }, 'a fresh libvirtd enumerates the running mdev');
    t.same(stopped, { stopped: { code: 0, signal: null }, stderr: '' });
  });

  t.test('nodedev-dumpxml: the running device, with its sysfs path, driver and IOMMU group', async (t) => {
    t.same(dumpxml, {
      virsh: ['nodedev-dumpxml', NAME],
      ...ok(`<device>
  <name>${NAME}</name>
  <path>/sys/${MATRIX}/${UUID}</path>
  <parent>ap_matrix</parent>
  <driver>
    <name>vfio_ap_mdev</name>
  </driver>
  <capability type='mdev'>
    <type id='vfio_ap-passthrough'/>
    <uuid>${UUID}</uuid>
    <parent_addr>matrix</parent_addr>
    <iommuGroup number='0'/>
    <attr name='assign_adapter' value='0x01'/>
    <attr name='assign_adapter' value='0x0a'/>
    <attr name='assign_domain' value='0x0002'/>
  </capability>
</device>

`),
    });
    t.notMatch(log, /error : (?!udevGetDMIData)/, 'no libvirt error but the missing DMI table (no /sys/devices/virtual/dmi here)');
  });

  t.test('zmdev reads what libvirt left: the definition and the running mdev', async (t) => {
    saveState(stateFile, host.state);
    let stdout = '';
    let stderr = '';
    const io = { stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s) };
    t.equal(await main(['mdev', 'list', '--defined', '--sim', stateFile], io), 0, stderr);
    t.equal(stdout, `${UUID} matrix vfio_ap-passthrough auto (active)\n\n`, 'as mdevctl list -d prints it, its blank closing line too');
    stdout = '';
    t.equal(await main(['mdev', 'list', '--defined', '--json', '--sim', stateFile], io), 0, stderr);
    const listed = JSON.parse(stdout) as { definitions: Array<Record<string, unknown>>; problems: unknown[] };
    t.same(listed.problems, []);
    t.match(listed.definitions, [{
      uuid: UUID, parent: 'matrix', type: 'vfio_ap-passthrough', start: 'auto',
      attrs: [{ assign_adapter: '0x01' }, { assign_adapter: '0x0a' }, { assign_domain: '0x0002' }],
      adapters: [1, 10], domains: [2], controlDomains: [], active: true,
    }]);
    t.same(readdirSync(path.join(config, 'matrix')), [UUID]);
  });
}
