// Real mdevctl 1.2.0 and zmdev over the same definition files. Definitions need no sysfs: each run
// binds an empty folder onto /sys and a configuration root's etc/mdevctl.d onto /etc/mdevctl.d,
// in a private mount namespace (fixtures/mdevctl-driver.mjs under unshare). zmdev writes and
// mdevctl reads; mdevctl writes and zmdev reads; and for the same files zmdev's listings are
// mdevctl's, byte for byte. Where the two part on purpose, the test says so and pins both sides.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ApMask } from '../../src/mask/index.js';
import { makeDefinition, type MdevDefinition } from '../../src/mdev/definition.js';
import {
  MDEVCTL_DIR, apAttrs, apMatrixOfAttrs, formatMdevctlConfig, mdevctlDumpJson, mdevctlListText, readDefinition, readDefinitions,
  removeDefinition, writeDefinition,
} from '../../src/persist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DRIVER = path.join(here, 'fixtures/mdevctl-driver.mjs');
const base = mkdtempSync(path.join(tmpdir(), 'zmdev-mdevctl-defs-'));
t.teardown(() => rmSync(base, { recursive: true, force: true }));

type Step = { mdevctl: string[] } | { cat: string } | { ls: string };
interface Ran { mdevctl: string[]; code: number | null; signal: string | null; stdout: string; stderr: string }

function missing(): string[] {
  const out: string[] = [];
  for (const [cmd, args] of [['mdevctl', ['--version']], ['unshare', ['--version']], ['mount', ['--version']]] as const) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) out.push(`${cmd} (${(r.stderr ?? '').trim() || r.error?.message || `exit ${r.status}`})`);
  }
  if (process.getuid?.() !== 0) out.push('root (for unshare -m and the bind mounts)');
  return out;
}

let rigs = 0;
/** A configuration root with the folders mdevctl 1.2.0 checks at startup, and a runner over it. */
function rig(): { root: string; config: string; run(steps: Step[]): Ran[] } {
  const root = path.join(base, `root${rigs++}`);
  const config = path.join(root, MDEVCTL_DIR);
  const sys = path.join(root, 'sys');
  for (const d of [sys, path.join(config, 'scripts.d/callouts'), path.join(config, 'scripts.d/notifiers')]) mkdirSync(d, { recursive: true });
  return {
    root, config,
    run(steps) {
      const r = spawnSync('unshare', ['-m', '--propagation', 'private', '--', process.execPath, DRIVER, sys, config, JSON.stringify(steps)],
        { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`mdevctl driver failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
      return JSON.parse(r.stdout) as Ran[];
    },
  };
}

const mdevctl = (...args: string[]): Step => ({ mdevctl: args });
const ok = (stdout: string) => ({ code: 0, signal: null, stdout, stderr: '' });
const AP = 'vfio_ap-passthrough';
const A = '783e6dbb-ea0e-411f-94e2-717eaad438bf';
const B = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const C = 'cc000052-9b13-9b13-9b13-cc23009b1326';
const D = '62177883-f1bb-47f0-914d-32a22e3a8804';
const E = '0a6b7ff5-7ec1-4f26-b8b5-2e4a1d2b5c01';

const lacking = missing();
if (lacking.length) {
  t.fail(`missing ${lacking.join(', ')}: these tests run real mdevctl 1.2.0 in a private mount namespace (CI installs mdevctl)`);
} else {
  t.test('mdevctl is the version these bytes imitate', (t) => {
    t.equal(spawnSync('mdevctl', ['--version'], { encoding: 'utf8' }).stdout, 'mdevctl 1.2.0\n');
    t.end();
  });

  t.test('zmdev writes; mdevctl lists the same definitions, byte for byte as zmdev lists them', (t) => {
    const r = rig();
    const m = { adapters: ApMask.of([1, 0x0a]), domains: ApMask.of([2, 0xab]), controlDomains: ApMask.of([2]) };
    const defs: MdevDefinition[] = [
      makeDefinition({ uuid: A, parent: 'matrix', type: AP, start: 'manual', attrs: apAttrs(m, 'hex') }),
      makeDefinition({ uuid: B, parent: 'matrix', type: AP, start: 'auto', attrs: apAttrs(m, 'decimal') }),
      makeDefinition({ uuid: C, parent: '0.0.0313', type: 'vfio_ccw-io', start: 'auto' }),
      makeDefinition({ uuid: A, parent: '0.0.0314', type: 'vfio_ccw-io', start: 'manual' }),
      // serde_json's escaping, both ways: quote, backslash, slash, control characters, non-ASCII.
      makeDefinition({ uuid: D, parent: '0000:00:02.0', type: 'i915-GVTg_V5_4', start: 'manual', attrs: [{ x: 'q"b\\s/é\t\u0001' }, { y: '' }] }),
    ];
    const files = defs.map((d) => writeDefinition(r.root, d));
    const read = readDefinitions(r.root);
    t.same(read.definitions, [defs[2], defs[3], defs[4], defs[1], defs[0]], 'zmdev reads back what it wrote, in mdevctl order');
    t.same([read.problems, read.skipped], [[], []]);
    const out = r.run([
      mdevctl('list', '-d'),
      mdevctl('list', '-d', '-v'),
      mdevctl('list', '-d', '--dumpjson'),
      mdevctl('list', '-d', '-u', B, '--dumpjson'),
      mdevctl('list', '-d', '-u', D.toUpperCase(), '--dumpjson'),
      mdevctl('list', '-d', '-u', A, '--dumpjson'),
      mdevctl('list', '-d', '-p', 'matrix', '--dumpjson'),
      mdevctl('list', '-d', '-u', E, '--dumpjson'),
      mdevctl('list', '-d', '-u', E),
    ]);
    const all = read.definitions;
    t.same(out[0], { mdevctl: ['list', '-d'], ...ok(mdevctlListText(all)) });
    t.match(out[0]!.stdout, new RegExp(`^${C} 0.0.0313 vfio_ccw-io auto\n${A} 0.0.0314 vfio_ccw-io manual\n`), 'parents in byte order');
    t.same(out[1], { mdevctl: ['list', '-d', '-v'], ...ok(mdevctlListText(all, undefined, { verbose: true })) });
    t.same(out[2]!.stdout, mdevctlDumpJson(all), '--dumpjson');
    t.equal(out[2]!.code, 0);
    t.same(out[3], { mdevctl: out[3]!.mdevctl, ...ok(`${readFileSync(files[1]!, 'utf8')}\n`) }, '-u: the file, and println!\'s newline');
    t.equal(out[3]!.stdout, mdevctlDumpJson(all, { uuid: B }));
    t.equal(out[4]!.stdout, `${readFileSync(files[4]!, 'utf8')}\n`, 'escaped as serde_json escapes, read back unchanged');
    t.equal(out[4]!.stdout, mdevctlDumpJson(all, { uuid: D }));
    t.equal(out[5]!.stdout, mdevctlDumpJson(all, { uuid: A }), '-u under two parents: the tree');
    t.match(out[5]!.stdout, /^\[\n  \{\n    "0.0.0314": \[/);
    t.equal(out[6]!.stdout, mdevctlDumpJson(readDefinitions(r.root, { parent: 'matrix' }).definitions), '-p');
    t.same([out[7]!.stdout, out[8]!.stdout], [mdevctlDumpJson(all, { uuid: E }), mdevctlListText([])], 'no match: [] and an empty line');
    t.same([out[7]!.stdout, out[8]!.stdout], ['[]\n', '\n']);

    // Removing one with zmdev: mdevctl no longer lists it.
    t.equal(removeDefinition(r.root, '0.0.0314', A), true);
    const after = r.run([mdevctl('list', '-d'), mdevctl('list', '-d', '-u', A, '--dumpjson')]);
    t.equal(after[0]!.stdout, mdevctlListText(readDefinitions(r.root).definitions));
    t.equal(after[1]!.stdout, `${formatMdevctlConfig(defs[0]!)}\n`, 'A is left under matrix only');
    t.end();
  });

  t.test('mdevctl writes; zmdev reads the same definitions', (t) => {
    const r = rig();
    const messy = path.join(r.root, 'messy.json');
    writeFileSync(messy, '{\r\n\t"attrs": [ {"assign_adapter": "0x05"} ], "uuid": "ignored",\n "start" : "auto", "mdev_type":"vfio_ap-passthrough"}\n\n');
    const out = r.run([
      mdevctl('define', '-u', A, '-p', 'matrix', '-t', AP),
      mdevctl('define', '-u', B.toUpperCase(), '-p', 'matrix', '-t', AP, '-a'),
      mdevctl('define', '-u', C, '-p', '0.0.0313', '-t', 'vfio_ccw-io', '-a'),
      mdevctl('define', '-u', D, '-p', '0.0.0314', '-t', 'vfio_ccw-io'),
      mdevctl('define', '-u', E, '-p', 'matrix', '--jsonfile', messy),
      mdevctl('modify', '-u', A, '--addattr', 'assign_adapter', '--value', '0x05'),
      mdevctl('modify', '-u', A, '--addattr', 'assign_domain', '--value', '4'),
      mdevctl('modify', '-u', A, '--addattr', 'assign_domain', '--value', '0xab', '--index', '0'),
      mdevctl('modify', '-u', A, '--addattr', 'assign_control_domain', '--value', '0xab'),
      mdevctl('modify', '-u', A, '--delattr', '--index', '1'), // the adapter
      mdevctl('modify', '-u', A, '--addattr', 'assign_adapter', '--value', '6', '--index', '2'),
      mdevctl('modify', '-u', A, '--delattr'), // the last: the control domain
      mdevctl('modify', '-u', A, '--auto'),
      mdevctl('modify', '-u', B, '--manual'),
      mdevctl('modify', '-u', C, '--manual'),
      mdevctl('modify', '-u', C, '--auto'),
      mdevctl('modify', '-u', D, '--manual'), // unchanged, rewritten all the same
      mdevctl('list', '-d'),
      mdevctl('list', '-d', '-v'),
      mdevctl('list', '-d', '--dumpjson'),
    ]);
    for (const step of out.slice(0, 17)) t.same(step, { mdevctl: step.mdevctl, ...ok('') }, step.mdevctl.join(' '));
    const want = [
      makeDefinition({ uuid: C, parent: '0.0.0313', type: 'vfio_ccw-io', start: 'auto' }),
      makeDefinition({ uuid: D, parent: '0.0.0314', type: 'vfio_ccw-io', start: 'manual' }),
      makeDefinition({ uuid: E, parent: 'matrix', type: AP, start: 'auto', attrs: [{ assign_adapter: '0x05' }] }),
      makeDefinition({ uuid: B, parent: 'matrix', type: AP, start: 'manual' }),
      makeDefinition({ uuid: A, parent: 'matrix', type: AP, start: 'auto', attrs: [{ assign_domain: '0xab' }, { assign_domain: '4' }, { assign_adapter: '6' }] }),
    ];
    const read = readDefinitions(r.root);
    t.same(read, { definitions: want, problems: [], skipped: [] });
    for (const d of want) {
      t.equal(readFileSync(path.join(r.config, d.parent, d.uuid), 'utf8'), formatMdevctlConfig(d), `${d.parent}/${d.uuid}: zmdev would write these very bytes`);
      t.same(readDefinition(r.root, d.parent, d.uuid), d);
    }
    const m = apMatrixOfAttrs(read.definitions[4]!.attrs, `${MDEVCTL_DIR}/matrix/${A}`);
    t.same([m.adapters.ids(), m.domains.ids(), m.controlDomains.ids()], [[6], [4, 0xab], []], 'the matrix the kernel would build from A');
    t.equal(out[17]!.stdout, mdevctlListText(want));
    t.equal(out[18]!.stdout, mdevctlListText(want, undefined, { verbose: true }));
    t.equal(out[19]!.stdout, mdevctlDumpJson(want));
    t.end();
  });

  t.test('a bad file next to good ones: mdevctl loses the listing, zmdev lists the good ones and reports the bad one', (t) => {
    const r = rig();
    writeDefinition(r.root, makeDefinition({ uuid: A, parent: 'matrix', type: AP, start: 'auto', attrs: [{ assign_adapter: '5' }] }));
    writeDefinition(r.root, makeDefinition({ uuid: C, parent: '0.0.0313', type: 'vfio_ccw-io', start: 'auto' }));
    const bad = path.join(r.config, 'matrix', B);
    writeFileSync(bad, '{"mdev_type": "vfio_ap-passthrough", "attrs": []}');
    const crash = path.join(r.config, '0.0.0314', D);
    mkdirSync(path.dirname(crash));
    writeFileSync(crash, '{"mdev_type": "vfio_ccw-io", "start": "auto", "attrs": [{"x": 1}]}');
    const out = r.run([
      mdevctl('list', '-d'),
      mdevctl('list', '-d', '-p', 'matrix', '--dumpjson'),
      mdevctl('list', '-d', '-p', '0.0.0314'),
      mdevctl('list', '-d', '-p', '0.0.0313'),
      mdevctl('list', '-d', '-u', A, '--dumpjson'),
    ]);
    t.match(out[0], { code: 1, stdout: '', stderr: 'Error: invalid json\n' }, 'mdevctl: one file without "start" and nothing is listed');
    t.match(out[1], { code: 1, stdout: '', stderr: 'Error: invalid json\n' });
    t.match(out[2], { code: 101, stdout: '', stderr: /^thread 'main' panicked at 'called `Option::unwrap\(\)` on a `None` value'/ }, 'mdevctl 1.2.0 crashes on a number');
    t.same(out[3], { mdevctl: out[3]!.mdevctl, ...ok(mdevctlListText(readDefinitions(r.root, { parent: '0.0.0313' }).definitions)) }, 'a parent without a bad file lists');
    t.same(out[4], { mdevctl: out[4]!.mdevctl, ...ok(mdevctlDumpJson(readDefinitions(r.root).definitions, { uuid: A })) }, '-u narrows before reading');
    const read = readDefinitions(r.root);
    t.same(read.definitions.map((d) => `${d.parent}/${d.uuid}`), [`0.0.0313/${C}`, `matrix/${A}`]);
    t.same(read.problems.map((p) => p.path), [crash, bad]);
    t.match(read.problems[0]!.error, { code: 'EINVAL', message: /the value is not a string \(mdevctl 1.2.0 crashes on it/ });
    t.match(read.problems[1]!.error, { code: 'EINVAL', message: /"start" is missing \(mdevctl: invalid json\)/ });
    t.end();
  });

  t.test('what mdevctl passes over is passed over; a UUID name not spelled as mdevctl writes it is reported', (t) => {
    const r = rig();
    const a = writeDefinition(r.root, makeDefinition({ uuid: A, parent: 'matrix', type: AP, start: 'manual' }));
    const notes = path.join(r.config, 'matrix', 'notes');
    writeFileSync(notes, 'x');
    const link = path.join(r.config, 'matrix', B);
    symlinkSync(a, link);
    const upper = path.join(r.config, 'matrix', C.toUpperCase());
    writeFileSync(upper, formatMdevctlConfig({ type: AP, start: 'auto', attrs: [] }));
    const out = r.run([mdevctl('list', '-d'), mdevctl('list', '-d', '--dumpjson'), mdevctl('modify', '-u', C, '--manual'), { ls: '/etc/mdevctl.d/matrix' }]);
    t.equal(out[0]!.code, 0);
    t.equal(out[0]!.stdout, `${A} matrix ${AP} manual\n\n`, 'list -d: neither the link nor the uppercase file');
    t.match(out[0]!.stderr, /WARN {2}mdevctl\] Can't determine uuid for file 'notes'\n$/);
    t.match(out[1]!.stdout, new RegExp(`"${C}": \\{\n {10}"mdev_type": "${AP}",\n {10}"start": "auto"`), '--dumpjson does show the uppercase file');
    t.match(out[2], { code: 0 });
    t.same(out[3], { ls: '/etc/mdevctl.d/matrix', entries: [A, B, C, C.toUpperCase(), 'notes'].sort() }, 'modify wrote a second, lowercase file');
    t.equal(readFileSync(upper, 'utf8'), formatMdevctlConfig({ type: AP, start: 'auto', attrs: [] }), 'and left the uppercase one as it was');
    rmSync(path.join(r.config, 'matrix', C));
    const read = readDefinitions(r.root);
    t.same(read.definitions.map((d) => d.uuid), [A]);
    t.same(read.skipped, [link, notes].sort());
    t.same(read.problems.map((p) => p.path), [upper]);
    t.match(read.problems[0]!.error, { code: 'EINVAL', message: /mdevctl list -d does not show it and mdevctl modify writes a second file/ });
    t.end();
  });

  // One file per parent, each listed alone with -p: mdevctl refuses exactly what zmdev reports as a
  // problem, and what both read they list in the same bytes. The divergent rows say why.
  t.test('the reading rules, file by file, against mdevctl', (t) => {
    const r = rig();
    const rows: Array<{ text: string | Buffer; note: string; differs?: string }> = [
      { text: '{\n    "mdev_type": "i915-GVTg_V5_8",\n    "start": "auto"\n}\n', note: 'four spaces, no attrs, final newline' },
      { text: '{"attrs":null,"start":"manual","mdev_type":"t"}', note: 'attrs null, any key order' },
      { text: '{"mdev_type":"t","start":"maybe","attrs":[{"a":"1"}]}', note: 'start maybe = manual' },
      { text: '{"mdev_type":"t","start":5}', note: 'start 5 = manual' },
      { text: '{"mdev_type":"t","start":"manual","start":"auto"}', note: 'duplicate keys: the last' },
      { text: '{"mdev_type":"t","start":"auto","x":{"y":[1,2]},"attrs":[{"a":"\\u00e9\\n\\/"}]}', note: 'unknown keys, escapes' },
      { text: '\r\n\t{"mdev_type":"t","start":"auto"}\r\n', note: 'CR LF and tabs around' },
      { text: '', note: 'empty file' },
      { text: '{"mdev_type":"t","start":"manual"} x', note: 'trailing characters' },
      { text: '\ufeff{"mdev_type":"t","start":"manual"}', note: 'a byte-order mark' },
      { text: Buffer.from('{"mdev_type":"t\xff","start":"manual"}', 'latin1'), note: 'not UTF-8' },
      { text: '{"mdev_type":"t\\ud800","start":"manual"}', note: 'a lone surrogate' },
      { text: '[]', note: 'an array' },
      { text: '{"mdev_type":"t"}', note: 'no start' },
      { text: '{"mdev_type":"t","start":null}', note: 'start null' },
      { text: '{"start":"auto"}', note: 'no type' },
      { text: '{"mdev_type":5,"start":"auto"}', note: 'a numeric type (1.2.0 crashes)' },
      { text: '{"mdev_type":"t","start":"auto","attrs":{}}', note: 'attrs an object' },
      { text: '{"mdev_type":"t","start":"auto","attrs":["x"]}', note: 'an attribute not an object' },
      { text: '{"mdev_type":"t","start":"auto","attrs":[{"a":"1","b":"2"}]}', note: 'two keys' },
      { text: '{"mdev_type":"t","start":"auto","attrs":[{}]}', note: 'no key' },
      { text: '{"mdev_type":"t","start":"auto","attrs":[{"a":5}]}', note: 'a numeric value (1.2.0 crashes)' },
      { text: '{"mdev_type":"t","start":"auto","attrs":[{"a":null}]}', note: 'a null value (1.2.0 crashes)' },
      { text: '{"mdev_type":"a b/c","start":"auto"}', note: 'a type that is no sysfs name', differs: 'mdevctl stores any type; zmdev refuses one that cannot be a sysfs directory' },
      { text: '{"mdev_type":"t","start":"auto","attrs":[{"x y":"1"}]}', note: 'an attribute that is no sysfs name', differs: 'mdevctl stores any name; zmdev refuses one that cannot be a sysfs file' },
    ];
    const parent = (i: number) => `p${String(i).padStart(2, '0')}`;
    rows.forEach((row, i) => {
      mkdirSync(path.join(r.config, parent(i)));
      writeFileSync(path.join(r.config, parent(i), A), row.text);
    });
    const out = r.run(rows.map((_, i) => mdevctl('list', '-d', '-p', parent(i), '--dumpjson')));
    rows.forEach((row, i) => {
      const z = readDefinitions(r.root, { parent: parent(i) });
      const m = out[i]!;
      if (row.differs) {
        t.same([m.code, z.problems.length, z.definitions.length], [0, 1, 0], `${row.note}: ${row.differs}`);
      } else if (z.problems.length) {
        t.not(m.code, 0, `${row.note}: refused by both (mdevctl: ${m.stderr.split('\n')[0]})`);
        t.equal(m.stdout, '');
      } else {
        t.same(m, { mdevctl: m.mdevctl, ...ok(mdevctlDumpJson(z.definitions)) }, `${row.note}: read alike`);
      }
    });
    t.end();
  });
}
