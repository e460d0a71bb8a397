// Real mdevctl 1.2.0 driving the FUSE-mounted simulator. mdevctl has no alternate root, so each
// run happens in a private mount namespace (fixtures/mdevctl-driver.mjs under unshare) with the
// mount bound onto /sys and a temporary folder onto /etc/mdevctl.d. The FUSE server answers on
// this process's thread: every child runs asynchronously, and the host is inspected in process.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { defineApMdev } from '../../src/ap/defined.js';
import { ApHost } from '../../src/ap/host.js';
import { ApMask } from '../../src/mask/index.js';
import { createHost, MAX_INSTANCES, type PresetName, type SimHost, type SimSysfs } from '../../src/sim/index.js';
import { mountSysfs, type SysfsMount } from '../../src/sysfs/fuse-mount.js';
import type { SysfsError, SysfsIO, SysfsStat } from '../../src/sysfs/sysfs-io.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DRIVER = path.join(here, 'fixtures/mdevctl-driver.mjs');
const base = mkdtempSync(path.join(tmpdir(), 'zmdev-mdevctl-'));
const mountpoints: string[] = [];

function isMounted(mnt: string): boolean {
  return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mnt);
}

// Whatever happened, leave no mount behind (fusermount -uz needs no answer from this process).
// The bind mounts live in the driver's namespace and die with it.
t.teardown(() => {
  for (const mnt of mountpoints) if (isMounted(mnt)) spawnSync('fusermount', ['-uz', mnt]);
  rmSync(base, { recursive: true, force: true });
});

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: readonly string[], timeout = 60_000): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== 'number' ? String(err) : '') });
    });
  });
}

/** What is missing for these tests, in words; empty when all is there. */
async function missing(): Promise<string[]> {
  const out: string[] = [];
  if (!existsSync('/dev/fuse')) out.push('/dev/fuse');
  for (const [cmd, args] of [['mdevctl', ['--version']], ['unshare', ['--version']], ['mount', ['--version']]] as const) {
    const r = await exec(cmd, args);
    if (r.code !== 0) out.push(`${cmd} (${r.stderr.trim() || `exit ${r.code}`})`);
  }
  return out;
}

/** A SysfsIO that records every write reaching the host, with the count or the errno code. */
class Recorder implements SysfsIO {
  writes: Array<{ path: string; data: string; result: number | string }> = [];
  constructor(readonly inner: SysfsIO) {}
  read(p: string): string { return this.inner.read(p); }
  readMany(ps: readonly string[]): Array<string | SysfsError> { return this.inner.readMany(ps); }
  list(p: string): string[] { return this.inner.list(p); }
  exists(p: string): boolean { return this.inner.exists(p); }
  readlink(p: string): string { return this.inner.readlink(p); }
  stat(p: string): SysfsStat { return this.inner.stat(p); }
  write(p: string, data: string | Uint8Array): number {
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
    try {
      const n = this.inner.write(p, data);
      this.writes.push({ path: p, data: text, result: n });
      return n;
    } catch (e) {
      this.writes.push({ path: p, data: text, result: (e as SysfsError).code });
      throw e;
    }
  }
}

type Step = { mdevctl: string[] } | { ls: string } | { cat: string };
type Result =
  | { mdevctl: string[]; code: number | null; signal: string | null; stdout: string; stderr: string }
  | { ls: string; entries?: string[]; error?: string }
  | { cat: string; content?: string; error?: string };

interface Rig {
  host: SimHost;
  sysfs: SimSysfs;
  rec: Recorder;
  /** The folder bound onto /etc/mdevctl.d. */
  config: string;
  /** Runs the steps in a fresh private namespace; one transcript entry per step. */
  run(steps: Step[]): Promise<Result[]>;
  mount: SysfsMount;
}

async function rig(name: string, preset: PresetName, masks: Record<string, string>): Promise<Rig> {
  const { host, sysfs } = createHost(preset, '6.15');
  for (const [file, value] of Object.entries(masks)) sysfs.write(`bus/ap/${file}`, value);
  const rec = new Recorder(sysfs);
  const dir = path.join(base, name);
  const mnt = path.join(dir, 'sys');
  const config = path.join(dir, 'mdevctl.d');
  // mdevctl's self-check wants the callout and notifier folders.
  for (const d of [mnt, path.join(config, 'scripts.d/callouts'), path.join(config, 'scripts.d/notifiers')]) mkdirSync(d, { recursive: true });
  mountpoints.push(mnt);
  const mount = await mountSysfs(rec, mnt);
  const run = async (steps: Step[]): Promise<Result[]> => {
    const r = await exec('unshare', ['-m', '--propagation', 'private', '--', process.execPath, DRIVER, mnt, config, JSON.stringify(steps)]);
    if (r.code !== 0) throw new Error(`mdevctl driver failed (exit ${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as Result[];
  };
  return { host, sysfs, rec, config, run, mount };
}

const mdevctl = (...args: string[]): Step => ({ mdevctl: args });
const ids = (mask: string) => ApMask.fromReadFormat(mask).ids();
/** The state without its kernel log. */
const withoutLog = (h: SimHost) => ({ ...structuredClone(h.state), log: [] });

const A = '783e6dbb-ea0e-411f-94e2-717eaad438bf';
const B = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const C = '62177883-f1bb-47f0-914d-32a22e3a8804';
const MATRIX = 'devices/vfio_ap/matrix';
/** A's attributes after the modify steps: --index 1 put 0xab before 4, --delattr took adapter 6. */
const ATTRS_A = [{ assign_adapter: '5' }, { assign_domain: '0xab' }, { assign_domain: '4' }, { assign_control_domain: '0xab' }];
const TYPE = `${MATRIX}/mdev_supported_types/vfio_ap-passthrough`;

const lacking = await missing();
if (lacking.length) {
  t.fail(`missing ${lacking.join(', ')}: these tests drive real mdevctl over FUSE; run .ci/run (CI installs fuse3, libfuse2 and mdevctl)`);
} else {
  t.test('kernel-doc host (adapters 05, 06 on vfio_ap): define, modify, start, conflict, stop', async (t) => {
    const r = await rig('kernel-doc', 'kernel-doc', { apmask: '-5,-6\n' });
    t.teardown(() => r.mount.unmount());

    t.test('types: the matrix parent and its one type', async (t) => {
      const [text, json] = await r.run([mdevctl('types'), mdevctl('types', '--dumpjson')]) as Array<Extract<Result, { code: unknown }>>;
      t.same(text, {
        mdevctl: ['types'], code: 0, signal: null, stderr: '',
        stdout: 'matrix\n  vfio_ap-passthrough\n    Available instances: 65536\n    Device API: vfio-ap\n    Name: VFIO AP Passthrough Device\n\n',
      });
      t.equal(json!.code, 0);
      t.same(JSON.parse(json!.stdout), [{ matrix: [{ 'vfio_ap-passthrough': { available_instances: MAX_INSTANCES, device_api: 'vfio-ap', name: 'VFIO AP Passthrough Device' } }] }]);
      t.same(r.rec.writes, [], 'types only reads');
    });

    t.test('define with -t, modify --addattr/--delattr/--index, define with --jsonfile', async (t) => {
      const bJson = path.join(base, 'b.json');
      const cJson = path.join(base, 'c.json');
      // B wants 05.00ab, which A will hold; C takes adapter 06 and domain 0x47 (octal 0107).
      writeFileSync(bJson, JSON.stringify({ mdev_type: 'vfio_ap-passthrough', start: 'manual', attrs: [{ assign_domain: '0xab' }, { assign_adapter: '5' }] }));
      writeFileSync(cJson, JSON.stringify({ mdev_type: 'vfio_ap-passthrough', start: 'auto', attrs: [{ assign_adapter: '0x06' }, { assign_domain: '0107' }, { assign_control_domain: '0107' }] }));
      const out = await r.run([
        mdevctl('define', '-u', A, '-p', 'matrix', '-t', 'vfio_ap-passthrough'),
        mdevctl('modify', '-u', A, '--addattr', 'assign_adapter', '--value', '5'),
        mdevctl('modify', '-u', A, '--addattr', 'assign_domain', '--value', '4'),
        mdevctl('modify', '-u', A, '--addattr', 'assign_adapter', '--value', '6'),
        mdevctl('modify', '-u', A, '--delattr'), // the last one: adapter 6 again
        mdevctl('modify', '-u', A, '--addattr', 'assign_domain', '--value', '0xab', '--index', '1'),
        mdevctl('modify', '-u', A, '--addattr', 'assign_control_domain', '--value', '0xab'),
        mdevctl('define', '-u', B, '-p', 'matrix', '--jsonfile', bJson),
        mdevctl('define', '-u', C, '-p', 'matrix', '--jsonfile', cJson),
        mdevctl('list', '--defined', '--dumpjson'),
        mdevctl('list', '--defined'),
        { cat: `/etc/mdevctl.d/matrix/${A}` },
      ]);
      for (const step of out.slice(0, 9)) t.match(step, { code: 0, stdout: '', stderr: '' }, (step as { mdevctl: string[] }).mdevctl.slice(0, 3).join(' '));
      const listed = out[9] as Extract<Result, { code: unknown }>;
      t.equal(listed.code, 0);
      t.same(JSON.parse(listed.stdout), [{
        matrix: [
          { [A]: { mdev_type: 'vfio_ap-passthrough', start: 'manual', attrs: ATTRS_A } },
          { [B]: { mdev_type: 'vfio_ap-passthrough', start: 'manual', attrs: [{ assign_domain: '0xab' }, { assign_adapter: '5' }] } },
          { [C]: { mdev_type: 'vfio_ap-passthrough', start: 'auto', attrs: [{ assign_adapter: '0x06' }, { assign_domain: '0107' }, { assign_control_domain: '0107' }] } },
        ].sort((x, y) => Object.keys(x)[0]!.localeCompare(Object.keys(y)[0]!)),
      }], 'every definition, attributes as strings exactly as given, in order');
      const lines = (out[10] as Extract<Result, { code: unknown }>).stdout.split('\n').filter(Boolean).sort();
      t.same(lines, [
        `${B} matrix vfio_ap-passthrough manual`, `${C} matrix vfio_ap-passthrough auto`, `${A} matrix vfio_ap-passthrough manual`,
      ].sort());
      // The config file: pretty JSON, two-space indent, no final newline; the same file on the host side.
      const expectedFile = JSON.stringify({ mdev_type: 'vfio_ap-passthrough', start: 'manual', attrs: ATTRS_A }, null, 2);
      t.same(out[11], { cat: `/etc/mdevctl.d/matrix/${A}`, content: expectedFile });
      t.equal(readFileSync(path.join(r.config, 'matrix', A), 'utf8'), expectedFile);
      t.same(r.rec.writes, [], 'defining touches no sysfs attribute');
      t.equal(r.host.state.mdevs.length, 0);
    });

    t.test('start A: create, then each attribute in order, no newlines', async (t) => {
      const out = await r.run([
        mdevctl('start', '-u', A),
        mdevctl('list'),
        mdevctl('list', '--dumpjson'),
        mdevctl('types', '--dumpjson'),
        { ls: '/sys/bus/mdev/devices' },
        { cat: `/sys/bus/mdev/devices/${A}/matrix` },
      ]);
      t.match(out[0], { code: 0, stderr: '' });
      t.same(r.rec.writes, [
        { path: `${TYPE}/create`, data: A, result: 36 },
        { path: `${MATRIX}/${A}/assign_adapter`, data: '5', result: 1 },
        { path: `${MATRIX}/${A}/assign_domain`, data: '0xab', result: 4 },
        { path: `${MATRIX}/${A}/assign_domain`, data: '4', result: 1 },
        { path: `${MATRIX}/${A}/assign_control_domain`, data: '0xab', result: 4 },
      ]);
      const m = r.host.mdev(A)!;
      t.same([ids(m.apm), ids(m.aqm), ids(m.adm)], [[5], [4, 0xab], [0xab]], 'the matrix in the simulator');
      t.same([ids(m.shadow.apm), ids(m.shadow.aqm), ids(m.shadow.adm)], [[5], [4, 0xab], [0xab]], 'the guest matrix');
      t.equal(r.sysfs.read(`${MATRIX}/${A}/matrix`), '05.0004\n05.00ab\n');
      t.equal(r.sysfs.read(`${MATRIX}/${A}/guest_matrix`), '05.0004\n05.00ab\n');
      t.equal(r.sysfs.read(`${MATRIX}/${A}/control_domains`), '00ab\n');
      t.equal(r.host.state.availableInstances, MAX_INSTANCES - 1);
      t.match(out[1], { code: 0, stdout: new RegExp(`^${A} matrix vfio_ap-passthrough manual \\(defined\\)\n`) }, 'list: active, and defined too');
      t.same(JSON.parse((out[2] as { stdout: string }).stdout), [{ matrix: [{ [A]: { mdev_type: 'vfio_ap-passthrough', start: 'manual', attrs: ATTRS_A } }] }],
        'the active device, with the attributes of its definition');
      t.match(JSON.parse((out[3] as { stdout: string }).stdout), [{ matrix: [{ 'vfio_ap-passthrough': { available_instances: MAX_INSTANCES - 1 } }] }]);
      t.same(out[4], { ls: '/sys/bus/mdev/devices', entries: [A] });
      t.same(out[5], { cat: `/sys/bus/mdev/devices/${A}/matrix`, content: '05.0004\n05.00ab\n' });
    });

    t.test('start B (05.00ab is A\'s): EADDRINUSE, rolled back, the host as before', async (t) => {
      const before = structuredClone(r.host.state);
      r.rec.writes.length = 0;
      const out = await r.run([mdevctl('start', '-u', B), { ls: '/sys/bus/mdev/devices' }, { ls: `/sys/${MATRIX}` }, mdevctl('list')]);
      const start = out[0] as Extract<Result, { code: unknown }>;
      t.not(start.code, 0, 'mdevctl start fails');
      t.match(start.stderr, /Failed to write 5 to attribute assign_adapter/);
      t.match(start.stderr, /Address already in use \(os error 98\)/, "the kernel's errno, as mdevctl words it");
      t.same(r.rec.writes, [
        { path: `${TYPE}/create`, data: B, result: 36 },
        { path: `${MATRIX}/${B}/assign_domain`, data: '0xab', result: 4 },
        { path: `${MATRIX}/${B}/assign_adapter`, data: '5', result: 'EADDRINUSE' },
        { path: `${MATRIX}/${B}/remove`, data: '1', result: 1 },
      ], 'create, the attributes up to the refused one, then remove');
      t.same(withoutLog(r.host), { ...structuredClone(before), log: [] }, 'the whole state as before, apart from the log');
      t.same(r.host.state.log.slice(0, before.log.length), before.log, 'earlier log lines kept');
      t.same(r.host.state.log.slice(before.log.length),
        [`vfio_ap_mdev ${B}: Userspace may not assign queue 05.00ab to mdev: already assigned to ${A}`], 'one line for the shared APQN');
      t.same(out[1], { ls: '/sys/bus/mdev/devices', entries: [A] }, 'no stale entry for B');
      t.same(out[2], { ls: `/sys/${MATRIX}`, entries: [A, 'driver', 'features', 'mdev_supported_types'].sort() });
      t.match(out[3], { code: 0, stdout: new RegExp(`^${A} [^\n]*\n\n?$`) }, 'only A is active');
    });

    t.test('start C next to A, then stop both', async (t) => {
      r.rec.writes.length = 0;
      const resetsBefore = r.host.queue(5, 4)!.resets;
      const out = await r.run([
        mdevctl('start', '-u', C),
        { ls: '/sys/bus/mdev/devices' },
        mdevctl('stop', '-u', C),
        mdevctl('stop', '-u', A),
        { ls: '/sys/bus/mdev/devices' },
        { ls: `/sys/${MATRIX}` },
        { ls: `/sys/${TYPE}/devices` },
        { cat: `/sys/${TYPE}/available_instances` },
        mdevctl('list'),
        mdevctl('list', '--defined'),
      ]);
      t.match(out[0], { code: 0, stderr: '' });
      t.same(out[1], { ls: '/sys/bus/mdev/devices', entries: [C, A].sort() });
      t.match(out[2], { code: 0, stderr: '' });
      t.match(out[3], { code: 0, stderr: '' });
      t.same(r.rec.writes, [
        { path: `${TYPE}/create`, data: C, result: 36 },
        { path: `${MATRIX}/${C}/assign_adapter`, data: '0x06', result: 4 },
        { path: `${MATRIX}/${C}/assign_domain`, data: '0107', result: 4 },
        { path: `${MATRIX}/${C}/assign_control_domain`, data: '0107', result: 4 },
        { path: `${MATRIX}/${C}/remove`, data: '1', result: 1 },
        { path: `${MATRIX}/${A}/remove`, data: '1', result: 1 },
      ]);
      t.same(out.slice(4, 8), [
        { ls: '/sys/bus/mdev/devices', entries: [] },
        { ls: `/sys/${MATRIX}`, entries: ['driver', 'features', 'mdev_supported_types'] },
        { ls: `/sys/${TYPE}/devices`, entries: [] },
        { cat: `/sys/${TYPE}/available_instances`, content: `${MAX_INSTANCES}\n` },
      ], 'no stale entry anywhere in the mount');
      t.same(r.host.state.mdevs, []);
      t.ok(r.host.queue(5, 4)!.resets > resetsBefore, "A's queues were reset when it went away");
      t.match(out[8], { code: 0, stdout: /^\n?$/ }, 'nothing active');
      t.equal((out[9] as { stdout: string }).stdout.split('\n').filter(Boolean).length, 3, 'the three definitions stay');
    });
  });

  t.test('seed host: the product documentation mdev through mdevctl, and a reserved APQN refused', async (t) => {
    const r = await rig('seed', 'seed', { apmask: '-0x01,-0x0a\n', aqmask: '-0x0002\n' });
    t.teardown(() => r.mount.unmount());
    const good = path.join(base, 'seed-good.json');
    const bad = path.join(base, 'seed-bad.json');
    writeFileSync(good, JSON.stringify({ mdev_type: 'vfio_ap-passthrough', start: 'manual', attrs: [
      { assign_adapter: '0x01' }, { assign_adapter: '0x0a' }, { assign_domain: '0x0002' }, { assign_control_domain: '0x0002' }] }));
    // Adapter 00 is still the host's, and so is domain 0x0001: 00.0001 is reserved.
    writeFileSync(bad, JSON.stringify({ mdev_type: 'vfio_ap-passthrough', start: 'manual', attrs: [
      { assign_domain: '0x0001' }, { assign_adapter: '0x00' }] }));
    const before = structuredClone(r.host.state);
    const out = await r.run([
      mdevctl('define', '-u', B, '-p', 'matrix', '--jsonfile', good),
      mdevctl('define', '-u', C, '-p', 'matrix', '--jsonfile', bad),
      mdevctl('start', '-u', C),
      { ls: '/sys/bus/mdev/devices' },
    ]);
    t.match(out[0], { code: 0 });
    t.match(out[1], { code: 0 });
    t.not((out[2] as { code: number }).code, 0);
    t.match((out[2] as { stderr: string }).stderr, /Failed to write 0x00 to attribute assign_adapter.*Cannot assign requested address \(os error 99\)/s);
    t.same(out[3], { ls: '/sys/bus/mdev/devices', entries: [] });
    t.same(r.host.state, before, 'EADDRNOTAVAIL logs nothing: the host exactly as before');
    t.same(r.rec.writes.map((w) => [path.basename(w.path), w.data, w.result]),
      [['create', C, 36], ['assign_domain', '0x0001', 6], ['assign_adapter', '0x00', 'EADDRNOTAVAIL'], ['remove', '1', 1]]);

    const run = await r.run([mdevctl('start', '-u', B), { cat: `/sys/bus/mdev/devices/${B}/guest_matrix` }, mdevctl('list')]);
    t.match(run[0], { code: 0, stderr: '' });
    t.equal(r.sysfs.read(`${MATRIX}/${B}/matrix`), '01.0002\n0a.0002\n');
    t.same(run[1], { cat: `/sys/bus/mdev/devices/${B}/guest_matrix`, content: '01.0002\n0a.0002\n' });
    t.equal(r.sysfs.read(`${MATRIX}/${B}/control_domains`), '0002\n');
    t.match(run[2], { stdout: new RegExp(`^${B} matrix vfio_ap-passthrough manual \\(defined\\)\n`) });
    const stop = await r.run([mdevctl('stop', '-u', B), { ls: '/sys/bus/mdev/devices' }, { ls: `/sys/${MATRIX}` }]);
    t.match(stop[0], { code: 0, stderr: '' });
    t.same(stop[1], { ls: '/sys/bus/mdev/devices', entries: [] });
    t.same(stop[2], { ls: `/sys/${MATRIX}`, entries: ['driver', 'features', 'mdev_supported_types'] });
    t.same(r.host.state.mdevs, []);
  });

  t.test("zmdev defines, mdevctl lists and starts it, zmdev sees it running as defined", async (t) => {
    const r = await rig('zmdev-defines', 'seed', { apmask: '-1,-10\n', aqmask: '-2\n' });
    t.teardown(() => r.mount.unmount());
    // zmdev's own files under a root of their own, then the same bytes where mdevctl reads them.
    const root = path.join(base, 'zmdev-root');
    const h = new ApHost(r.sysfs, { lock: false });
    const d = defineApMdev(root, { uuid: B, start: 'auto', active: h.masks(), matrix: { adapters: ApMask.of([1, 10]), domains: ApMask.of([2]), controlDomains: ApMask.of([2]) } });
    mkdirSync(path.join(r.config, 'matrix'), { recursive: true });
    const bytes = readFileSync(path.join(root, 'etc/mdevctl.d/matrix', B));
    writeFileSync(path.join(r.config, 'matrix', B), bytes);
    const out = await r.run([mdevctl('list', '-d'), mdevctl('list', '-d', '-u', B, '--dumpjson'), mdevctl('start', '-u', B), mdevctl('list')]);
    t.match(out[0], { code: 0, stdout: `${B} matrix vfio_ap-passthrough auto\n\n` });
    t.match(out[1], { code: 0, stdout: `${bytes.toString('utf8')}\n` }, "mdevctl prints zmdev's file as its own");
    t.match(out[2], { code: 0, stderr: '' });
    t.same(r.rec.writes.map((w) => [path.basename(w.path), w.data]),
      [['create', B], ['assign_adapter', '0x01'], ['assign_adapter', '0x0a'], ['assign_domain', '0x0002'], ['assign_control_domain', '0x0002']], "mdevctl writes zmdev's attrs in order");
    const m = h.mdev(B);
    t.same([m.adapters.ids(), m.domains.ids(), m.controlDomains.ids()], [d.matrix.adapters.ids(), d.matrix.domains.ids(), d.matrix.controlDomains.ids()], 'running with the matrix zmdev defined');
    t.match(out[3], { stdout: new RegExp(`^${B} matrix vfio_ap-passthrough auto \\(defined\\)\n`) });
  });
}
