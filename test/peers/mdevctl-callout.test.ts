// Real mdevctl 1.2.0 with zmdev installed as its callout (zmdev mdevctl-callout --install), driving
// the FUSE-mounted simulator in a private mount namespace (fixtures/mdevctl-driver.mjs binds the
// mount onto /sys, the image's etc/mdevctl.d onto /etc/mdevctl.d and its run onto /run). mdevctl
// must refuse, before any sysfs write, what the kernel or the next boot would refuse, and let the
// rest through; listings of active mdevs carry the callout's attributes.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { main } from '../../src/cli/main.js';
import { ApMask } from '../../src/mask/index.js';
import { createHost } from '../../src/sim/index.js';
import { mountSysfs } from '../../src/sysfs/fuse-mount.js';
import type { SysfsError, SysfsIO, SysfsStat } from '../../src/sysfs/sysfs-io.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DRIVER = path.join(here, 'fixtures/mdevctl-driver.mjs');
const base = mkdtempSync(path.join(tmpdir(), 'zmdev-callout-peer-'));
const mountpoints: string[] = [];

function isMounted(mnt: string): boolean {
  return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mnt);
}
t.teardown(() => {
  for (const mnt of mountpoints) if (isMounted(mnt)) spawnSync('fusermount', ['-uz', mnt]);
  rmSync(base, { recursive: true, force: true });
});

interface Exec { code: number | null; stdout: string; stderr: string }
function exec(cmd: string, args: readonly string[], timeout = 120_000): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== 'number' ? String(err) : '') });
    });
  });
}

async function missing(): Promise<string[]> {
  const out: string[] = [];
  if (!existsSync('/dev/fuse')) out.push('/dev/fuse');
  if (!existsSync(path.join(here, '../../dist/cli/main.js'))) out.push('dist/ (npm run build:ts: the installed callout runs bin/zmdev.js)');
  for (const [cmd, args] of [['mdevctl', ['--version']], ['unshare', ['--version']], ['mount', ['--version']]] as const) {
    const r = await exec(cmd, args);
    if (r.code !== 0) out.push(`${cmd} (${r.stderr.trim() || `exit ${r.code}`})`);
  }
  return out;
}

/** Every write that reaches the host, with its count or errno code. */
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

type Step = { mdevctl: string[] } | { cat: string } | { ls: string };
interface Ran { mdevctl: string[]; code: number | null; signal: string | null; stdout: string; stderr: string }
const mdevctl = (...args: string[]): Step => ({ mdevctl: args });

const A = '783e6dbb-ea0e-411f-94e2-717eaad438bf';
const B = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const C = '62177883-f1bb-47f0-914d-32a22e3a8804';
const D = 'a1f0c3e2-5b6d-4e7f-8a9b-0c1d2e3f4a5b';
const F = 'c2d3e4f5-0617-4829-9a0b-1c2d3e4f5061';
const G = 'd3e4f506-1728-493a-ab1c-2d3e4f506172';
const TYPE = 'vfio_ap-passthrough';
const MATRIX = 'devices/vfio_ap/matrix';
const ids = (mask: string) => ApMask.fromReadFormat(mask).ids();

const lacking = await missing();
if (lacking.length) {
  t.fail(`missing ${lacking.join(', ')}: these tests drive real mdevctl 1.2.0 over FUSE with zmdev as its callout`);
} else {
  t.test('mdevctl 1.2.0 with zmdev as its callout, on the kernel-doc host (adapters 05, 06 free)', async (t) => {
    const { host, sysfs } = createHost('kernel-doc', '6.15');
    sysfs.write('bus/ap/apmask', '-5,-6\n');
    const rec = new Recorder(sysfs);
    const root = path.join(base, 'root');
    const config = path.join(root, 'etc/mdevctl.d');
    const mnt = path.join(base, 'sys');
    for (const d of [mnt, path.join(config, 'scripts.d/callouts'), path.join(config, 'scripts.d/notifiers'), path.join(root, 'run/lock')]) mkdirSync(d, { recursive: true });
    let out = '';
    t.equal(await main(['mdevctl-callout', '--install', '--root', root], { stdout: (s) => void (out += s), stderr: (s) => void (out += s) }), 0);
    t.equal(out, `installed ${config}/scripts.d/callouts/00-zmdev (read by mdevctl 1.2.0)\n`, 'into the one directory 1.2.0 reads');
    mountpoints.push(mnt);
    const mount = await mountSysfs(rec, mnt);
    t.teardown(() => mount.unmount());
    const run = async (steps: Step[]): Promise<Array<Ran & { content?: string; entries?: string[] }>> => {
      const r = await exec('unshare', ['-m', '--propagation', 'private', '--', process.execPath, DRIVER, mnt, config, JSON.stringify(steps), path.join(root, 'run')]);
      if (r.code !== 0) throw new Error(`mdevctl driver failed (exit ${r.code}): ${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    const json = (name: string, start: string, attrs: Record<string, string>[]) => {
      const file = path.join(base, `${name}.json`);
      writeFileSync(file, JSON.stringify({ mdev_type: TYPE, start, attrs }));
      return file;
    };
    const defined = (u: string) => existsSync(path.join(config, 'matrix', u));

    t.test('define: autostart overlaps and APQNs the boot masks keep are refused; the rest is written', async (t) => {
      const r = await run([
        mdevctl('define', '-u', A, '-p', 'matrix', '--jsonfile', json('a', 'auto', [{ assign_adapter: '0x05' }, { assign_domain: '4' }])),
        mdevctl('define', '-u', B, '-p', 'matrix', '--jsonfile', json('b-auto', 'auto', [{ assign_adapter: '5' }, { assign_domain: '0x04' }, { assign_domain: '0xab' }])),
        mdevctl('define', '-u', B, '-p', 'matrix', '--jsonfile', json('b', 'manual', [{ assign_adapter: '5' }, { assign_domain: '0x04' }, { assign_domain: '0xab' }])),
        mdevctl('define', '-u', C, '-p', 'matrix', '--jsonfile', json('c', 'auto', [{ assign_adapter: '7' }, { assign_domain: '4' }])),
        mdevctl('define', '-u', D, '-p', 'matrix', '--jsonfile', json('d', 'manual', [{ assign_adapter: '7' }, { assign_domain: '4' }])),
        mdevctl('modify', '-u', B, '--auto'),
        mdevctl('list', '--defined'),
      ]);
      t.match(r[0], { code: 0, stdout: '', stderr: '' }, 'A: autostart, 05.0004 free');
      t.equal(r[1]!.code, 1, 'B as autostart: refused');
      t.equal(r[1]!.stderr,
        `00-zmdev: zmdev: EADDRINUSE: autostart mdev ${B} refused: it shares APQNs 05.0004 with autostart mdev ${A} (an APQN belongs to one mdev, so at boot the second could not start): ` +
        'take the shared adapters or domains out of one definition, or make one start manually (mdevctl modify -u UUID --manual)\n' +
        `Error: callout script "/etc/mdevctl.d/scripts.d/callouts/00-zmdev" failed with return code 1\n`, "mdevctl shows zmdev's one line, prefixed with the script's name");
      t.match(r[2], { code: 0, stderr: '' }, 'B as manual: defined');
      t.equal(r[3]!.code, 1, 'C: 07.0004 is kept for the host at boot');
      t.match(r[3]!.stderr, /^00-zmdev: zmdev: EADDRNOTAVAIL: autostart mdev 62177883-\S+ refused: the persistent AP masks \(\/etc\/udev\/rules\.d\/41-ap\.rules, or sysfs where it sets none\) keep 07\.0004 for the host/);
      t.match(r[4], { code: 0 }, 'D as manual: defined (the start decides)');
      t.equal(r[5]!.code, 1, 'modify B --auto: the same overlap');
      t.match(r[5]!.stderr, /shares APQNs 05\.0004 with autostart mdev 783e6dbb/);
      t.same([defined(A), defined(B), defined(C), defined(D)], [true, true, false, true]);
      t.match(JSON.parse(readFileSync(path.join(config, 'matrix', B), 'utf8')), { start: 'manual' }, 'B stays manual');
      t.same(r[6]!.stdout.split('\n').filter(Boolean).sort(), [`${A} matrix ${TYPE} auto`, `${B} matrix ${TYPE} manual`, `${D} matrix ${TYPE} manual`].sort());
      t.same(rec.writes, [], 'defining writes nothing to sysfs');
    });

    t.test('start: what zmdev mdev create would refuse is refused before any sysfs write', async (t) => {
      rec.writes.length = 0;
      const r = await run([mdevctl('start', '-u', A)]);
      t.match(r[0], { code: 0, stderr: '' });
      const m = host.mdev(A)!;
      t.same([ids(m.apm), ids(m.aqm), ids(m.adm)], [[5], [4], []], "A on the host with its definition's matrix");
      t.same(rec.writes.map((w) => [path.basename(w.path), w.data, w.result]), [['create', A, 36], ['assign_adapter', '0x05', 4], ['assign_domain', '4', 1]]);

      const before = structuredClone(host.state);
      rec.writes.length = 0;
      const refused = await run([mdevctl('start', '-u', B), mdevctl('start', '-u', D), { ls: '/sys/bus/mdev/devices' }]);
      t.equal(refused[0]!.code, 1, 'B: 05.0004 is held by A');
      t.match(refused[0]!.stderr, new RegExp(`^00-zmdev: zmdev: EADDRINUSE: .*05\\.0004.*${A}`));
      t.match(refused[0]!.stderr, /callout script "\/etc\/mdevctl\.d\/scripts\.d\/callouts\/00-zmdev" failed with return code 1\n$/);
      t.equal(refused[1]!.code, 1, 'D: 07.0004 is still the host\'s');
      t.match(refused[1]!.stderr, /^00-zmdev: zmdev: EADDRNOTAVAIL: .*07\.0004 is still reserved for the host/);
      t.same(refused[2]!.entries, [A]);
      t.same(rec.writes, [], 'not one sysfs write: no create, no assign, no remove');
      t.same(host.state, before, 'the host exactly as before, its kernel log included');
    });

    t.test("the callout's attributes: define of a running mdev, list of active ones, an empty one", async (t) => {
      rec.writes.length = 0;
      const r = await run([
        mdevctl('start', '-u', F, '-p', 'matrix', '--jsonfile', json('f', 'manual', [{ assign_domain: '0xab' }, { assign_adapter: '0x06' }, { assign_domain: '0107' }, { assign_control_domain: '0xab' }])),
        mdevctl('list', '--dumpjson', '-u', F),
      ]);
      t.match(r[0], { code: 0, stderr: '' }, 'a transient start');
      t.same(JSON.parse(r[1]!.stdout), { mdev_type: TYPE, start: 'manual', attrs: [{ assign_adapter: '6' }, { assign_domain: '71' }, { assign_domain: '171' }, { assign_control_domain: '171' }] },
        "an active mdev without a definition: listed with the callout's attrs");
      const q = await run([
        mdevctl('list'),
        mdevctl('define', '-u', F),
        { cat: `/etc/mdevctl.d/matrix/${F}` },
        mdevctl('start', '-u', G, '-p', 'matrix', '-t', TYPE),
        mdevctl('list'),
        mdevctl('list', '--dumpjson'),
        mdevctl('list', '-v', '-u', G),
      ]);
      const [, ...rest] = q;
      t.match(q[0], { code: 0 });
      const rr = [r[0]!, ...rest];
      t.match(rr[1], { code: 0, stderr: '' }, 'defined from the running device');
      t.same(rr[2]!.content, JSON.stringify({ mdev_type: TYPE, start: 'manual', attrs: [{ assign_adapter: '6' }, { assign_domain: '71' }, { assign_domain: '171' }, { assign_control_domain: '171' }] }, null, 2),
        "its attrs from zmdev's get attributes: decimal, sorted, adapters, domains, control domains");
      t.match(rr[3], { code: 0, stderr: '' }, 'an empty mdev');
      t.match(rr[4], { code: 0, stderr: '' }, 'list works with an empty active mdev (ap-check\'s [{}] would not parse)');
      t.same(rr[4]!.stdout.split('\n').filter(Boolean).sort(),
        [`${A} matrix ${TYPE} auto (defined)`, `${F} matrix ${TYPE} manual (defined)`, `${G} matrix ${TYPE} manual`].sort());
      const dump = JSON.parse(rr[5]!.stdout) as Array<Record<string, Array<Record<string, { attrs: unknown }>>>>;
      const byUuid = Object.fromEntries(dump[0]!.matrix!.map((e) => Object.entries(e)[0]!));
      t.same(byUuid[A]!.attrs, [{ assign_adapter: '0x05' }, { assign_domain: '4' }], 'a defined active mdev is listed with its definition\'s attrs, not the callout\'s');
      t.same(byUuid[G]!.attrs, [], 'the empty one: no attrs');
      t.match(rr[6], { code: 0, stderr: '' });
      const m = host.mdev(F)!;
      t.same([ids(m.apm), ids(m.aqm), ids(m.adm)], [[6], [0x47, 0xab], [0xab]]);
      t.equal(sysfs.read(`${MATRIX}/${F}/matrix`), '06.0047\n06.00ab\n');
    });

    t.test('stop and undefine pass the callout', async (t) => {
      const r = await run([mdevctl('stop', '-u', A), mdevctl('stop', '-u', F), mdevctl('stop', '-u', G), mdevctl('undefine', '-u', D), { ls: '/sys/bus/mdev/devices' }]);
      for (const s of r.slice(0, 4)) t.match(s, { code: 0, stderr: '' });
      t.same(r[4]!.entries, []);
      t.notOk(defined(D));
      t.same(host.state.mdevs, []);
    });
  });
}
