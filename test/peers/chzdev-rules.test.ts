// Real chzdev/lszdev (Debian 13's s390-tools 2.35 for s390x, run by qemu-user) and zmdev on the
// same 41-ap.rules: chzdev writes, zmdev reads; zmdev writes, lszdev and chzdev read; both refuse
// the same conflicts with autostart definitions and the same short masks. Each run happens in a
// private mount namespace (fixtures/zdev-driver.mjs) over a temporary tree. The sysroot comes
// from fixtures/s390-tools-sysroot.sh; without it (or qemu-user, unshare) the test says so and skips.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ApMask } from '../../src/mask/ap-mask.js';
import { formatRanges } from '../../src/mask/ranges.js';
import {
  formatApRules, parseApRules, persistentMaskAfter, persistentMaskConflicts, readApRules, writeApRules, ZDEV_AP_RULES,
  type DefinedMatrix, type PersistentMasks,
} from '../../src/persist/zdev-ap-rules.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DRIVER = path.join(here, 'fixtures/zdev-driver.mjs');
const SYSROOT = process.env.ZMDEV_S390X_SYSROOT ?? '/var/tmp/zmdev-s390x-sysroot';
const ALL = ApMask.FULL;

function missing(): string[] {
  const out: string[] = [];
  if (spawnSync('qemu-s390x-static', ['--version']).status !== 0) out.push('qemu-s390x-static (apt-get install qemu-user-static)');
  if (!existsSync(path.join(SYSROOT, 'usr/sbin/chzdev'))) out.push(`${SYSROOT}/usr/sbin/chzdev (run test/peers/fixtures/s390-tools-sysroot.sh)`);
  if (spawnSync('unshare', ['-m', 'true']).status !== 0) out.push('unshare -m (needs root)');
  for (const d of ['/etc/udev/rules.d', '/etc/mdevctl.d', '/run/lock']) if (!existsSync(d)) out.push(`${d} (a mount point for the run)`);
  return out;
}

const gaps = missing();
if (gaps.length && process.env.CI) {
  // CI sets all of it up (.ci/run): there a gap is a failure, not a skip.
  t.fail(`real chzdev cannot run: missing ${gaps.join(', ')}`);
  t.end();
} else if (gaps.length) {
  t.comment(`real chzdev not run: missing ${gaps.join(', ')} (.ci/run sets it up)`);
  t.pass('skipped');
  t.end();
} else {
  const tree = mkdtempSync(path.join(tmpdir(), 'zmdev-chzdev-'));
  t.teardown(() => rmSync(tree, { recursive: true, force: true }));
  const root = path.join(tree, 'root');
  const rules = path.join(root, ZDEV_AP_RULES);
  for (const d of ['sys/bus/ap', 'root/etc/udev/rules.d', 'root/etc/mdevctl.d/matrix', 'lock']) mkdirSync(path.join(tree, d), { recursive: true });

  const setActive = (ap: ApMask, aq: ApMask) => {
    writeFileSync(path.join(tree, 'sys/bus/ap/apmask'), `${ap}\n`);
    writeFileSync(path.join(tree, 'sys/bus/ap/aqmask'), `${aq}\n`);
  };
  interface Run { code: number | null; signal: string | null; stdout: string; stderr: string }
  const run = (tool: 'chzdev' | 'lszdev', ...args: string[]): Run => {
    const out = execFileSync('unshare', ['-m', '--propagation', 'private', '--', process.execPath, DRIVER, SYSROOT, tree,
      JSON.stringify([{ tool, args }])], { encoding: 'utf8', maxBuffer: 1 << 22 });
    return (JSON.parse(out) as Run[])[0]!;
  };
  const chzdev = (...args: string[]) => run('chzdev', '--type', 'ap', '-p', ...args);
  // lszdev's table: the PERSISTENT column quotes a mask's host IDs and shows - for a mask not
  // persisted (--pairs prints "" for both an empty mask and a missing one, so it is not used).
  const shown = () => {
    const r = run('lszdev', '--type', 'ap');
    const col = (attr: string) => new RegExp(`^\\s+${attr}\\s+\\S+\\s+(\\S+)\\s*$`, 'm').exec(r.stdout)?.[1];
    return { code: r.code, apmask: col('apmask'), aqmask: col('aqmask') };
  };
  const q = (m: ApMask) => `"${formatRanges(m)}"`;
  const fileText = () => (existsSync(rules) ? readFileSync(rules, 'latin1') : null);
  const clear = () => rmSync(rules, { force: true });

  t.test('chzdev writes, zmdev reads: the same bytes', async (t) => {
    clear();
    const active = { apmask: ALL, aqmask: ALL.without(7) };
    setActive(active.apmask, active.aqmask);
    let r = chzdev('apmask=1-9,11-255');
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, 'Configuring device type in the persistent configuration only\nap device type configured\n');
    const want: PersistentMasks = { apmask: persistentMaskAfter('1-9,11-255', null, active.apmask), aqmask: null };
    t.equal(fileText(), formatApRules(want, { coldplug: false }), 'byte for byte (2.35 writes no coldplug trigger)');
    let read = readApRules(root);
    t.ok(read.exists && read.apmask!.equals(want.apmask!) && read.aqmask === null && read.foreign.length === 0);

    // Relative: from the active mask when the file has no aqmask line, then from the file's.
    r = chzdev('aqmask=-3');
    t.equal(r.code, 0, r.stderr);
    want.aqmask = persistentMaskAfter('-3', null, active.aqmask);
    t.equal(fileText(), formatApRules(want, { coldplug: false }), 'aqmask from the active mask');
    r = chzdev('aqmask=-4,+7');
    t.equal(r.code, 0, r.stderr);
    want.aqmask = persistentMaskAfter('-4,+7', readApRules(root).aqmask, active.aqmask);
    t.ok(want.aqmask.equals(ALL.without(3, 4)), 'from the file, not from sysfs');
    t.equal(fileText(), formatApRules(want, { coldplug: false }));
    read = readApRules(root);
    t.ok(read.apmask!.equals(want.apmask!) && read.aqmask!.equals(want.aqmask));

    // Bad specs: chzdev and zmdev refuse the same ones, and nothing is written.
    const before = fileText();
    for (const spec of ['+1,2', '1,+2', '256', '0x100', 'abc', '1-', '+']) {
      r = chzdev(`apmask=${spec}`);
      t.equal(r.code, 6, `chzdev refuses ${spec}`);
      t.match(r.stderr, `Invalid input string ${spec}`);
      t.throws(() => persistentMaskAfter(spec, read.apmask, ALL), { code: 'EINVAL' }, `zmdev refuses ${spec}`);
    }
    t.equal(fileText(), before, 'unchanged');

    // --remove: one line, then the file.
    t.equal(run('chzdev', '--type', 'ap', '-p', '--remove', 'apmask').code, 0);
    t.equal(fileText(), formatApRules({ apmask: null, aqmask: want.aqmask }, { coldplug: false }));
    t.equal(run('chzdev', '--type', 'ap', '-p', '--remove', 'aqmask').code, 0);
    t.equal(fileText(), null, 'removed when nothing is persisted');
    t.same(readApRules(root).exists, false);
  });

  t.test('zmdev writes, lszdev and chzdev read', async (t) => {
    clear();
    setActive(ALL, ALL);
    for (const coldplug of [true, false]) {
      const m = { apmask: ALL.without(0, 10), aqmask: ApMask.EMPTY };
      writeApRules(root, m, { coldplug });
      t.same(shown(), { code: 0, apmask: q(m.apmask), aqmask: '""' }, `lszdev shows zmdev's masks (coldplug=${coldplug})`);
      writeApRules(root, { apmask: null, aqmask: ALL.without(1) }, { coldplug });
      t.same(shown(), { code: 0, apmask: '-', aqmask: '"0,2-255"' }, 'a mask not persisted shows -');
    }
    // chzdev builds on zmdev's file and drops what zdev does not keep, as zmdev reports it.
    writeApRules(root, { apmask: ALL.without(5, 6), aqmask: null });
    writeFileSync(rules, `# hand\n${fileText()}ACTION=="add", ATTR{../../bus/ap/aqmask}="${ApMask.EMPTY}"\n`);
    const read = readApRules(root);
    t.same(read.foreign, ['# hand', `ACTION=="add", ATTR{../../bus/ap/aqmask}="${ApMask.EMPTY}"`]);
    t.equal(read.aqmask, null, 'a mask line whose first key is not ATTR is not read');
    t.same(shown().aqmask, '-', 'by lszdev neither');
    t.equal(chzdev('apmask=+5').code, 0);
    t.equal(fileText(), formatApRules({ apmask: persistentMaskAfter('+5', read.apmask, ALL), aqmask: null }, { coldplug: false }),
      'chzdev started from the file and dropped the foreign lines');
    writeApRules(root, { apmask: null, aqmask: null });
    t.same(shown(), { code: 0, apmask: '-', aqmask: '-' });
    const pairs = run('lszdev', '--type', 'ap', '--pairs').stdout;
    t.match(pairs, 'ATTRIBUTE="apmask" ACTIVE="0-255" PERSISTENT=""', '--pairs shows a mask not persisted as ""');
  });

  t.test('the masks zdev aborts on, and the odd ones it takes', async (t) => {
    setActive(ALL, ALL);
    const write = (value: string) => writeFileSync(rules, `ATTR{../../bus/ap/apmask}="${value}"\n`);
    for (const value of ['0xffff', `0x${'f'.repeat(62)}`, 'f'.repeat(64), `0x${'f'.repeat(63)}g`]) {
      write(value);
      const r = run('lszdev', '--type', 'ap');
      t.ok(r.code === 134 || r.signal === 'SIGABRT', `lszdev aborts on ${value.length} characters (${r.code ?? r.signal})`);
      t.match(r.stderr, 'ASSERTION FAILED');
      t.throws(() => parseApRules(fileText()!, rules), { code: 'EINVAL' }, 'zmdev refuses it');
    }
    for (const value of [`${'0'.repeat(64)}zz`, `0x${'0'.repeat(64)}junk`, `0x${'F'.repeat(64)}`]) {
      write(value);
      const p = shown();
      t.equal(p.code, 0, `lszdev takes ${value}`);
      t.equal(p.apmask, q(readApRules(root).apmask!), 'and reads what zmdev reads');
    }
    clear();
  });

  t.test('conflicts with autostart definitions: chzdev -p and persistentMaskConflicts decide alike', async (t) => {
    const u1 = '11111111-1111-4111-8111-111111111111';
    const u2 = '22222222-2222-4222-8222-222222222222';
    const def = (start: string, attrs: Array<Record<string, string>>) => JSON.stringify({ mdev_type: 'vfio_ap-passthrough', start, attrs });
    const dir = path.join(root, 'etc/mdevctl.d/matrix');
    writeFileSync(path.join(dir, u1), def('auto', [{ assign_adapter: '5' }, { assign_adapter: '6' }, { assign_domain: '4' }, { assign_domain: '0xab' }]));
    writeFileSync(path.join(dir, u2), def('manual', [{ assign_adapter: '7' }, { assign_domain: '4' }]));
    const defs: DefinedMatrix[] = [
      { uuid: u1, start: 'auto', matrix: { adapters: ApMask.of([5, 6]), domains: ApMask.of([4, 0xab]), controlDomains: ApMask.EMPTY } },
      { uuid: u2, start: 'manual', matrix: { adapters: ApMask.of([7]), domains: ApMask.of([4]), controlDomains: ApMask.EMPTY } },
    ];
    setActive(ALL, ALL);
    writeApRules(root, { apmask: ALL.without(5, 6, 7), aqmask: ALL.without(4, 0xab) });

    const attempt = (attr: 'apmask' | 'aqmask', spec: string) => {
      const cur = readApRules(root);
      const before = { apmask: cur.apmask!, aqmask: cur.aqmask! };
      const after = { ...cur, [attr]: persistentMaskAfter(spec, cur[attr], ALL) };
      const ours = persistentMaskConflicts(after, defs, { before });
      const text = fileText();
      const r = chzdev(`${attr}=${spec}`);
      if (ours.length) {
        t.equal(r.code, 9, `chzdev refuses ${attr}=${spec}`);
        t.equal(fileText(), text, 'and writes nothing');
        const theirs = [...r.stderr.matchAll(/conflicts with defined autostart mdev (\S+) APQN (\d+)\.(\d+)/g)]
          .map((x) => `${x[1]} ${Number(x[2]).toString(16).padStart(2, '0')}.${Number(x[3]).toString(16).padStart(4, '0')}`);
        t.same([...new Set(theirs)].sort(), ours.flatMap((c) => c.apqns.map((q) => `${c.uuid} ${q}`)).sort(), 'the same APQNs');
      } else {
        t.equal(r.code, 0, `chzdev accepts ${attr}=${spec}: ${r.stderr}`);
      }
      return ours.length;
    };
    t.equal(attempt('apmask', '+7'), 0, 'the manual definition is not checked');
    t.equal(attempt('apmask', '+5'), 0, 'adapter 5 back with its domains still free');
    t.equal(attempt('aqmask', '+4'), 1, 'domain 4 back: 05.0004 would be host-owned');
    t.equal(attempt('apmask', '-5'), 0);
    t.equal(attempt('aqmask', '+4,+0xab'), 0, 'no host adapter of the definition');
    t.equal(attempt('apmask', '+5,+6'), 1, 'both adapters back: four APQNs');
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    clear();
  });
}
