// The same scenarios two ways: on SimSysfs in process, and on RealSysfs rooted at a FUSE mount of
// an identical simulated host (real open/read/write/readdir/readlink/lstat through the kernel).
// Both transcripts (content or errno code of every operation) and both final states must be equal.
// The FUSE server answers on this process's thread, so RealSysfs runs in a child process started
// asynchronously; nothing here touches the mount synchronously.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { ApMask } from '../../src/mask/index.js';
import { createHost, type PresetName, type ProfileName } from '../../src/sim/index.js';
import { mountSysfs } from '../../src/sysfs/fuse-mount.js';
import { runScenario, type Entry, type Op } from './fixtures/scenario.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const base = mkdtempSync(path.join(tmpdir(), 'zmdev-same-'));
const mountpoints: string[] = [];
let hungAttempts = 0;
// Room for one scenario to hang until the watchdog and run again.
t.setTimeout(600_000);

function isMounted(mnt: string): boolean {
  return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mnt);
}

// Whatever happened, leave no mount behind (fusermount -uz needs no answer from this process).
t.teardown(() => {
  for (const mnt of mountpoints) if (isMounted(mnt)) spawnSync('fusermount', ['-uz', mnt]);
  rmSync(base, { recursive: true, force: true });
});

if (!existsSync('/dev/fuse')) {
  t.fail('/dev/fuse is missing: these tests need FUSE; run .ci/run (CI installs fuse3 and libfuse2)');
}

/** Runs the ops on RealSysfs in a child process with this process's loader (tap's TypeScript). */
function runReal(root: string, ops: readonly Op[], name: string): Promise<Entry[]> {
  const opsFile = path.join(base, `${name}.ops.json`);
  const outFile = path.join(base, `${name}.out.json`);
  writeFileSync(opsFile, JSON.stringify(ops));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv, path.join(here, 'fixtures/run-real.ts'), root, opsFile, outFile],
      { timeout: 150_000, maxBuffer: 1 << 24 }, (err, _stdout, stderr) => {
        if (err) return reject(new Error(`run-real failed: ${err.message}\n${stderr}`));
        resolve(JSON.parse(readFileSync(outFile, 'utf8')) as Entry[]);
      });
  });
}

interface Setup {
  preset: PresetName;
  profile: ProfileName;
}

/** Runs a scenario both ways and compares transcripts and final states. */
async function same(t: Test, name: string, setup: Setup, ops: Op[]): Promise<Entry[]> {
  const inProcess = createHost(setup.preset, setup.profile);
  const expected = runScenario(inProcess.sysfs, ops);

  // Known, not yet understood: about one run in several, one FUSE request of a scenario is never
  // answered and the child waits in the kernel for good. The watchdog aborts the connection
  // (umount -f) so the attempt fails at once instead of at tap's timeout, says so, and the scenario
  // runs once more on a fresh mount and host; two hangs fail the test.
  let served = createHost(setup.preset, setup.profile); // replaced by each attempt
  let got: Entry[] | undefined;
  for (let attempt = 1; got === undefined; attempt++) {
    if (attempt > 1) served = createHost(setup.preset, setup.profile);
    const mnt = path.join(base, `${name}-${attempt}`);
    mkdirSync(mnt);
    mountpoints.push(mnt);
    const mount = await mountSysfs(served.sysfs, mnt);
    let hung = false;
    const watchdog = setTimeout(() => {
      hung = true;
      execFile('umount', ['-f', mnt], () => undefined);
    }, 120_000);
    try {
      got = await runReal(mnt, ops, `${name}-${attempt}`);
    } catch (e) {
      if (!hung || attempt >= 2) throw e;
      t.comment(`attempt ${attempt}: a FUSE request went unanswered for 120 s; connection aborted, running the scenario again`);
      hungAttempts++;
    } finally {
      clearTimeout(watchdog);
      await mount.unmount();
    }
  }
  t.equal(got.length, expected.length, 'as many outcomes both ways');
  const codes = (tr: Entry[]) => tr.map(withoutSyscall);
  const [g, e] = [codes(got), codes(expected)];
  const firstDiff = e.findIndex((x, i) => JSON.stringify(x) !== JSON.stringify(g[i]));
  t.same(firstDiff === -1 ? null : { fuse: g[firstDiff], inProcess: e[firstDiff] }, null, 'no operation differs');
  t.same(g, e, 'same transcript (contents, counts, entries, errno codes)');
  t.same(served.host.state, inProcess.host.state, 'same final state (masks, queues, mdevs, kernel log, uevents)');
  syscallDiffs.push(...got.flatMap((x, i) => {
    const y = expected[i]!;
    return 'err' in x.out && 'err' in y.out && x.out.syscall !== y.out.syscall
      ? [{ op: x.op, path: x.path, code: x.out.err, fuse: x.out.syscall, inProcess: y.out.syscall }] : [];
  }));
  return expected;
}

/** An outcome with the errno code only; the syscall named by each side is compared apart. */
function withoutSyscall(e: Entry): Entry {
  if (!('err' in e.out)) {
    if (e.op !== 'readMany') return e;
    return { ...e, out: { ok: (e.out.ok as Entry['out'][]).map((o) => ('err' in o ? { err: o.err } : o)) } };
  }
  return { ...e, out: { err: e.out.err } };
}

const syscallDiffs: Array<Record<string, string | undefined>> = [];

const A = '62177883-f1bb-47f0-914d-32a22e3a8804';
const B = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const TYPE = 'devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough';
const mdev = (u: string, attr = '') => `devices/vfio_ap/matrix/${u}${attr ? `/${attr}` : ''}`;
const read = (p: string): Op => ({ op: 'read', path: p });
const write = (p: string, data: string): Op => ({ op: 'write', path: p, data });
const list = (p: string): Op => ({ op: 'list', path: p });
const stat = (p: string): Op => ({ op: 'stat', path: p });
const readlink = (p: string): Op => ({ op: 'readlink', path: p });
const exists = (p: string): Op => ({ op: 'exists', path: p });
const views = (u: string): Op[] => ['matrix', 'guest_matrix', 'control_domains', 'ap_config'].map((a) => read(mdev(u, a)));

/** The canonical ap_config text (three read-format masks, 201 bytes). */
const apConfig = (apm: number[], aqm: number[], adm: number[]) =>
  `${ApMask.of(apm).toString()},${ApMask.of(aqm).toString()},${ApMask.of(adm).toString()}\n`;

/** The kernel document's walk-through (vfio-ap.rst and docs/kernel.md §9) on the kernel-doc host. */
const kernelDoc: Op[] = [
  read('bus/ap/apmask'), read('bus/ap/aqmask'), list('bus/ap/drivers/vfio_ap'),
  // Free adapters 5 and 6 (state P of docs/kernel.md §9.2: every 05.* and 06.* queue on vfio_ap).
  write('bus/ap/apmask', '-5,-6\n'),
  write('bus/ap/apmask', '0X41\n'), // EINVAL: uppercase X in absolute mode
  write('bus/ap/aqmask', '-0-255,+1-16,+0x128'), // EINVAL: 0x128 is above 255
  read('bus/ap/apmask'), read('bus/ap/aqmask'), read('bus/ap/bindings'),
  list('bus/ap/drivers/vfio_ap'), list('bus/ap/drivers/cex4queue'),
  readlink('bus/ap/devices/05.0004/driver'), readlink('bus/ap/devices/card05'),
  // The matrix device and its type.
  list('devices/vfio_ap/matrix'), read('devices/vfio_ap/matrix/features'), readlink('class/mdev_bus/matrix'),
  list(TYPE), stat(`${TYPE}/create`), read(`${TYPE}/create`), read(`${TYPE}/available_instances`),
  read(`${TYPE}/name`), read(`${TYPE}/device_api`), read(`${TYPE}/description`),
  // Create A, and three refused creates.
  write(`${TYPE}/create`, `${A}\n`),
  write(`${TYPE}/create`, A.toUpperCase()), // EEXIST: the UUID is case-insensitive
  write(`${TYPE}/create`, 'not-a-uuid'),
  write(`${TYPE}/create`, `${'g'.repeat(8)}-9237-493f-93c8-c5597f8006a3`),
  read(`${TYPE}/available_instances`), list(`${TYPE}/devices`), list('bus/mdev/devices'),
  readlink(`bus/mdev/devices/${A}`), readlink(mdev(A, 'mdev_type')), readlink(mdev(A, 'driver')),
  list(mdev(A)), stat(mdev(A, 'assign_adapter')), stat(mdev(A, 'matrix')), stat(mdev(A, 'ap_config')), stat(mdev(A, 'remove')),
  ...views(A), read(mdev(A, 'assign_adapter')),
  // Assign in several notations: decimal, hex, octal (0253 = 0xab), with and without newline.
  write(mdev(A, 'assign_adapter'), '5\n'), ...views(A),
  write(mdev(A, 'assign_domain'), '0x4\n'),
  write(mdev(A, 'assign_domain'), '0253\n'),
  write(mdev(A, 'assign_domain'), '4'), // re-assign: success, nothing changes
  write(mdev(A, 'assign_control_domain'), '0xab'),
  write(mdev(A, 'assign_control_domain'), '+4\n'),
  ...views(A),
  // The in-use mask refusal: 05.0004 and 05.00ab are A's (EBUSY on 6.x, accepted on 5.15).
  write('bus/ap/apmask', '+5\n'),
  read('bus/ap/apmask'), list('bus/ap/drivers/vfio_ap'),
  write('bus/ap/apmask', '-5\n'),
  // Then the second mask of the document: domains 4, 0x47, 0xab, 0xff leave the host.
  write('bus/ap/aqmask', '-4,-0x47,-0xab,-0xff\n'),
  read('bus/ap/aqmask'), read('bus/ap/bindings'),
  // Refusals: EINVAL, ERANGE, ENODEV, and the empty write that never reaches the driver.
  write(mdev(A, 'assign_adapter'), '08'),
  write(mdev(A, 'assign_adapter'), '-1'),
  write(mdev(A, 'assign_adapter'), ' 5'),
  write(mdev(A, 'assign_adapter'), '5\n\n'),
  write(mdev(A, 'assign_adapter'), '0x'),
  write(mdev(A, 'assign_domain'), '99999999999999999999999'),
  write(mdev(A, 'assign_adapter'), '0x100'),
  write(mdev(A, 'assign_domain'), '256\n'),
  write(mdev(A, 'assign_control_domain'), '0400'),
  write(mdev(A, 'assign_adapter'), ''),
  write(mdev(A, 'matrix'), '5'), // EACCES: read-only
  write(mdev(A), '5'), // EISDIR
  ...views(A),
  // B: over-provisioning, then EADDRNOTAVAIL (07.0001 is still reserved) and EADDRINUSE.
  write(`${TYPE}/create`, B),
  write(mdev(B, 'assign_adapter'), '7'),
  write(mdev(B, 'assign_domain'), '1'),
  ...views(B),
  write(mdev(B, 'unassign_adapter'), '7'),
  write(mdev(B, 'assign_domain'), '4'),
  write(mdev(B, 'assign_adapter'), '5'),
  ...views(B),
  // Adapter sharing with disjoint domains is allowed.
  write(mdev(B, 'unassign_domain'), '4'),
  write(mdev(B, 'assign_domain'), '0x47'),
  write(mdev(B, 'assign_adapter'), '5'),
  write(mdev(B, 'assign_adapter'), '6'),
  write(mdev(B, 'assign_control_domain'), '0xab'), // control domains may be shared
  ...views(B),
  // Mask changes that touch no mdev's APQN now that both masks are narrowed.
  write('bus/ap/apmask', '+5\n'),
  write('bus/ap/aqmask', '+0xff\n'),
  read('bus/ap/apmask'), read('bus/ap/aqmask'), list('bus/ap/drivers/vfio_ap'),
  read('bus/ap/devices/05.0004/status'), read('bus/ap/devices/06.00ff/status'),
  // ap_config: read, a canonical write with junk after it, refusals, read back.
  read(mdev(A, 'ap_config')),
  write(mdev(A, 'ap_config'), `${apConfig([5, 6], [4, 0xab], [4])}junk`),
  ...views(A),
  write(mdev(A, 'ap_config'), `0x${'0'.repeat(64)}\n`), // EINVAL: one mask
  write(mdev(A, 'ap_config'), apConfig([5], [0x47], [])), // EADDRINUSE: 05.0047 is B's
  write(mdev(A, 'ap_config'), apConfig([0xff], [1], [])), // EADDRNOTAVAIL: ff.0001 is reserved
  write(mdev(A, 'ap_config'), `${ApMask.of([5]).toString()},${ApMask.of([4]).toString()}`), // EINVAL: no third token
  ...views(A),
  // remove: 0 does nothing, garbage is EINVAL, 1 removes.
  write(mdev(B, 'remove'), '0'),
  write(mdev(B, 'remove'), 'x'),
  write(mdev(B, 'remove'), '1\n'),
  exists(mdev(B)), read(mdev(B, 'matrix')), list('bus/mdev/devices'), read(`${TYPE}/available_instances`),
  write(mdev(A, 'unassign_adapter'), '6'), write(mdev(A, 'unassign_domain'), '0xab'), write(mdev(A, 'unassign_control_domain'), '4'),
  ...views(A),
  write(mdev(A, 'remove'), '1'),
  list('devices/vfio_ap/matrix'), list(`${TYPE}/devices`), list('bus/mdev/devices'), read(`${TYPE}/available_instances`),
  read('bus/ap/devices/05.0004/reset'), read('bus/ap/devices/05.0004/request_count'),
  { op: 'readMany', paths: ['bus/ap/apmask', mdev(A, 'matrix'), `${TYPE}/create`, 'bus/ap/aqmask', 'devices/ap'] },
];

for (const profile of ['6.15', '6.0', '5.15'] as const) {
  t.test(`kernel document walk-through, profile ${profile}`, async (t) => {
    const tr = await same(t, `kernel-doc-${profile}`, { preset: 'kernel-doc', profile }, kernelDoc);
    // The transcript itself must show the refusals the scenario is about.
    const codes = new Set(tr.flatMap((e) => ('err' in e.out ? [e.out.err] : [])));
    const want = profile === '5.15'
      ? ['EINVAL', 'ERANGE', 'ENODEV', 'EEXIST', 'EADDRNOTAVAIL', 'EADDRINUSE', 'EACCES', 'EISDIR', 'ENOENT']
      : ['EINVAL', 'ERANGE', 'ENODEV', 'EEXIST', 'EADDRNOTAVAIL', 'EADDRINUSE', 'EBUSY', 'EACCES', 'EISDIR', 'ENOENT'];
    for (const code of want) t.ok(codes.has(code), `the scenario met ${code}`);
  });
}

t.test('seed host: the product documentation procedure, then a walk of the whole tree', async (t) => {
  const ops: Op[] = [
    { op: 'walk', path: '' },
    write('bus/ap/apmask', '-0x01,-0x0a\n'),
    write('bus/ap/aqmask', '-0x0002\n'),
    write(`${TYPE}/create`, B),
    write(mdev(B, 'assign_adapter'), '0x01\n'),
    write(mdev(B, 'assign_adapter'), '0x0a\n'),
    write(mdev(B, 'assign_domain'), '0x0002\n'),
    write(mdev(B, 'assign_control_domain'), '0x0002\n'),
    ...views(B),
    read('bus/ap/devices/01.0002/status'),
    // A queue unbound by hand takes its adapter out of guest_matrix; binding it back returns it.
    write('bus/ap/drivers/vfio_ap/unbind', '0a.0002\n'),
    ...views(B),
    write('bus/ap/drivers/vfio_ap/unbind', '0a.0002\n'),
    write('bus/ap/drivers/vfio_ap/bind', '0a.0002\n'),
    write('bus/ap/drivers/cex4queue/bind', '00.0001\n'),
    ...views(B),
    write('bus/ap/apmask', '+1\n'),
    write('devices/ap/card01/config', '0\n'),
    read('devices/ap/card01/online'), ...views(B),
    write('devices/ap/card01/config', '1\n'),
    { op: 'walk', path: '' },
    write(mdev(B, 'remove'), '1'),
    { op: 'walk', path: 'devices' },
  ];
  const tr = await same(t, 'seed', { preset: 'seed', profile: '6.15' }, ops);
  t.ok(tr.length > 400, `the walks covered the tree (${tr.length} outcomes)`);
});

t.test('large host: every card and queue attribute', async (t) => {
  const tr = await same(t, 'large', { preset: 'large', profile: '6.15' }, [{ op: 'inventory' }]);
  const reads = tr.filter((e) => e.op === 'read');
  t.ok(reads.length > 50_000, `${reads.length} attributes read`);
  t.same(reads.filter((e) => 'err' in e.out).map((e) => e.path), [], 'every attribute readable');
});

t.test('the failing syscall is named alike both ways', async (t) => {
  const kinds = [...new Set(syscallDiffs.map((d) => `${d.op} ${d.code}: fuse ${d.fuse}, in process ${d.inProcess}`))];
  t.same(kinds, [], 'no refusal names another syscall');
  t.comment(`FUSE requests left unanswered (the scenario then ran again): ${hungAttempts}`);
});
