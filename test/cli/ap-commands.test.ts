import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { zmdev } from './helpers.js';

const U1 = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const U2 = '62177883-f1bb-47f0-914d-32a22e3a8804';

async function seedHost(t: { teardown(fn: () => void): void; equal(a: unknown, b: unknown): void }, kernel = '6.15'): Promise<{ file: string; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-ap-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'host.json');
  const r = await zmdev('sim', 'init', file, '--preset', 'seed', '--kernel', kernel);
  t.equal(r.code, 0);
  return { file, dir };
}

t.test('masks and masks set: lszdev view, preview, apply, JSON', async (t) => {
  const { file } = await seedHost(t);
  const m = await zmdev('masks', '--sim', file);
  t.equal(m.code, 0);
  t.match(m.stdout, /^ATTRIBUTE {2}ACTIVE {3}PERSISTENT\napmask {5}"0-255" {2}-\naqmask {5}"0-255" {2}-\n/);
  const dry = await zmdev('masks', 'set', 'apmask=-0,-10', 'aqmask=-1-2,-4', '--dry-run', '--sim', file);
  t.equal(dry.code, 0);
  t.match(dry.stdout, /apmask: "0-255" -> "1-9,11-255"\naqmask: "0-255" -> "0,3,5-255"\n/);
  t.match(dry.stdout, / {2}01\.0002: cex4queue -> vfio_ap\n/);
  t.notMatch(dry.stdout, /01\.001b/);
  t.match(dry.stdout, /\(dry run: nothing written\)/);
  t.same(JSON.parse((await zmdev('masks', '--json', '--sim', file)).stdout).apmask.ids, '0-255', 'dry run wrote nothing');
  const set = await zmdev('masks', 'set', 'apmask=-0,-10', 'aqmask=-1-2,-4', '--json', '--sim', file);
  t.equal(set.code, 0);
  const body = JSON.parse(set.stdout);
  t.equal(body.moves.length, 11);
  t.same(body.after.apmask.ids, '1-9,11-255');
  const persisted = (mask: string, ids: string) => ({ mask, ids, persistent: { mask, ids } });
  t.same(JSON.parse((await zmdev('masks', '--json', '--sim', file)).stdout), {
    apmask: persisted(`0x7fdf${'f'.repeat(60)}`, '1-9,11-255'),
    aqmask: persisted(`0x97${'f'.repeat(62)}`, '0,3,5-255'),
    rules: `${file}.root/etc/udev/rules.d/41-ap.rules`,
  }, 'both scopes by default, as chzdev');
  const kernel = await zmdev('masks', 'set', '--kernel', 'aqmask=+1', '--sim', file);
  t.match(kernel.stdout, /aqmask: "0,3,5-255" -> "0-1,3,5-255"/);
  const same = await zmdev('masks', 'set', 'aqmask=+1', '--sim', file);
  t.match(same.stdout, /^no change/);
});

t.test('masks set usage and grammar errors', async (t) => {
  const { file } = await seedHost(t);
  for (const [argv, code, re] of [
    [['masks', 'set', '--sim', file], 2, /give apmask=SPEC, aqmask=SPEC or both/],
    [['masks', 'set', 'foo=1', '--sim', file], 2, /"foo=1" is not apmask=SPEC or aqmask=SPEC/],
    [['masks', 'set', 'apmask=1', 'apmask=2', '--sim', file], 2, /apmask is given twice/],
    [['masks', 'set', 'apmask=10-3', '--sim', file], 1, /range end is below its start/],
  ] as Array<[string[], number, RegExp]>) {
    const r = await zmdev(...argv);
    t.equal(r.code, code, argv.join(' '));
    t.match(r.stderr, re, argv.join(' '));
  }
});

t.test('mdev create/show/list/assign/unassign/remove with refusals', async (t) => {
  const { file } = await seedHost(t);
  await zmdev('masks', 'set', 'apmask=-0,-10', 'aqmask=-1-2,-4', '--sim', file);
  const create = await zmdev('mdev', 'create', '--uuid', U1, '--adapter', '0x01', '--adapter', '0x0a', '--domain', '0x0002', '--control-domain', '2', '--sim', file);
  t.equal(create.code, 0);
  t.equal(create.stdout, `${U1}\n`);
  const show = await zmdev('mdev', 'show', U1, '--json', '--sim', file);
  t.same(JSON.parse(show.stdout), {
    uuid: U1, adapters: [1, 10], domains: [2], controlDomains: [2],
    matrix: ['01.0002', '0a.0002'], guestMatrix: ['01.0002', '0a.0002'], filtered: [],
    active: true, definition: null, differences: ['running, not defined: it will not be there after a reboot (`zmdev mdev define` keeps it)'],
  });
  const text = await zmdev('mdev', 'show', U1.toUpperCase(), '--sim', file);
  t.match(text.stdout, /adapters: {8}0x01 0x0a\n {2}domains: {9}0x0002\n {2}control domains: 0x0002\n {2}matrix: {10}01\.0002 0a\.0002\n {2}guest matrix: {4}01\.0002 0a\.0002\n/);

  const dry = await zmdev('mdev', 'create', '--adapter', '1', '--domain', '2', '--dry-run', '--json', '--sim', file);
  t.equal(dry.code, 1, 'the checks refuse 01.0002 even in a dry run');
  t.match(JSON.parse(dry.stdout).error, { code: 'EADDRINUSE', apqns: ['01.0002'], mdev: U1, precheck: true });
  const dryOk = await zmdev('mdev', 'create', '--adapter', '1', '--domain', '4', '--dry-run', '--sim', file);
  t.match(dryOk.stdout, /the checks pass/);

  t.equal((await zmdev('mdev', 'create', '--uuid', U2, '--sim', file)).code, 0);
  const reserved = await zmdev('mdev', 'assign', U2, '--adapter', '1', '--domain', '0x1b', '--sim', file);
  t.equal(reserved.code, 1);
  t.match(reserved.stderr, /EADDRNOTAVAIL: .*01\.001b is still reserved for the host/);
  const tooHigh = await zmdev('mdev', 'assign', U2, '--adapter', '300', '--sim', file);
  t.match(tooHigh.stderr, /ENODEV: adapter 300 is above 255/);
  const badId = await zmdev('mdev', 'assign', U2, '--domain', '08', '--json', '--sim', file);
  t.match(JSON.parse(badId.stdout).error, { code: 'EINVAL', message: /domain "08" is not an ID: a leading 0 means octal/ });
  const assign = await zmdev('mdev', 'assign', U2, '--adapter', '1', '--domain', '4', '--sim', file);
  t.equal(assign.stdout, `wrote (single-writes) for mdev ${U2}:\n  assign_adapter 0x01\n  assign_domain 0x0004\n`);
  const dryAssign = await zmdev('mdev', 'assign', U2, '--adapter', '0', '--dry-run', '--json', '--sim', file);
  t.same(JSON.parse(dryAssign.stdout), { uuid: U2, method: 'single-writes', writes: [{ attr: 'assign_adapter', value: '0x00' }], dryRun: true });
  const list = await zmdev('mdev', 'list', '--sim', file);
  t.equal(list.stdout, `${U1}  01.0002 0a.0002\n${U2}  01.0004\n`);
  t.equal(JSON.parse((await zmdev('mdev', 'list', '--json', '--sim', file)).stdout).length, 2);
  const un = await zmdev('mdev', 'unassign', U2, '--domain', '4', '--sim', file);
  t.match(un.stdout, /unassign_domain 0x0004/);
  const rm = await zmdev('mdev', 'remove', U2, '--sim', file);
  t.equal(rm.stdout, `removed ${U2}\n`);
  const rmJson = await zmdev('mdev', 'remove', U1, '--json', '--sim', file);
  t.same(JSON.parse(rmJson.stdout), { removed: U1 });
  t.equal((await zmdev('mdev', 'list', '--sim', file)).stdout, '(no mdevs)\n');
  const gone = await zmdev('mdev', 'show', U1, '--sim', file);
  t.match(gone.stderr, /ENOENT: mdev .* does not exist/);
  const badUuid = await zmdev('mdev', 'show', '../../etc', '--sim', file);
  t.equal(badUuid.code, 2, 'a malformed UUID is a mistake in the call');
  t.match(badUuid.stderr, /^zmdev: "\.\.\/\.\.\/etc" is not a UUID/);
});

t.test('mdev usage errors', async (t) => {
  const { file } = await seedHost(t);
  for (const argv of [['mdev', 'show'], ['mdev', 'assign'], ['mdev', 'remove'], ['mdev', 'create', 'extra'], ['check']]) {
    t.equal((await zmdev(...argv, '--sim', file)).code, 2, argv.join(' '));
  }
});

t.test('a 5.15 host: no guest matrix, classic rules', async (t) => {
  const { file } = await seedHost(t, '5.15');
  await zmdev('masks', 'set', 'apmask=-0,-10', 'aqmask=-1-2,-4', '--sim', file);
  await zmdev('mdev', 'create', '--uuid', U1, '--adapter', '1', '--domain', '2', '--sim', file);
  const show = await zmdev('mdev', 'show', U1, '--sim', file);
  t.match(show.stdout, /guest matrix: {4}\(this kernel has no guest_matrix/);
  t.equal(JSON.parse((await zmdev('mdev', 'show', U1, '--json', '--sim', file)).stdout).guestMatrix, null);
});

t.test('list and list -V', async (t) => {
  const { file } = await seedHost(t);
  const plain = await zmdev('list', '--sim', file);
  t.match(plain.stdout, /^CARD\.DOM TYPE {2}MODE/);
  t.match(plain.stdout, /\n01\.001b {2}CEX8C CCA-Coproc {2}online/);
  await zmdev('masks', 'set', 'apmask=-0,-10', 'aqmask=-1-2,-4', '--sim', file);
  const v = await zmdev('list', '-V', '--sim', file);
  t.match(v.stdout, /\n00\.0001 .* vfio_ap /);
  const j = JSON.parse((await zmdev('list', '--json', '--sim', file)).stdout);
  t.ok(Array.isArray(j.usability));
});

t.test('check PLAN.json', async (t) => {
  const { file, dir } = await seedHost(t);
  const plan = path.join(dir, 'plan.json');
  writeFileSync(plan, JSON.stringify({ guests: [
    { name: 'Guest1', adapters: [1, 2], domains: [5, 6] },
    { name: 'Guest2', adapters: ['1'], domains: ['6', '7'] },
  ] }));
  const r = await zmdev('check', plan, '--sim', file, '--json');
  t.equal(r.code, 1);
  const body = JSON.parse(r.stdout);
  t.same(body.shared, [{ guests: ['Guest1', 'Guest2'], apqns: ['01.0006'] }]);
  t.ok(body.unavailable.length > 0, 'the seed host has no domains 5-7');
  writeFileSync(plan, JSON.stringify({ guests: [{ name: 'G', adapters: ['0x01'], domains: ['0x0002'], controlDomains: ['0x0002'] }] }));
  const ok = await zmdev('check', plan, '--sim', file);
  t.equal(ok.code, 0);
  t.match(ok.stdout, /01\.0002 is still reserved for the host; free it with `zmdev masks set (apmask=-0x01|aqmask=-0x0002)`\nplan ok: 1 guest/);
  writeFileSync(plan, '{not json');
  const bad = await zmdev('check', plan, '--sim', file);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /EINVAL: .*plan\.json is not JSON/);
  const missing = await zmdev('check', path.join(dir, 'nope.json'), '--sim', file);
  t.match(missing.stderr, /ENOENT/);
  writeFileSync(plan, JSON.stringify({ guests: [{ name: 'G', adapters: [1] }] }));
  t.match((await zmdev('check', plan, '--sim', file)).stderr, /G\.domains must be a list of IDs/);
  t.match(readFileSync(plan, 'utf8'), /guests/);
});

t.test('a tree without an AP bus points to --sim', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-noap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const argv of [['list'], ['masks', '--json'], ['mdev', 'list']]) {
    const r = await zmdev(...argv, '--sysfs', dir);
    t.equal(r.code, 1);
    t.match(r.stdout + r.stderr, /has no AP bus .*zmdev sim init host\.json.*--sim host\.json/);
  }
});

t.test('a simulated host is locked while a command works on it', async (t) => {
  const { file } = await seedHost(t);
  writeFileSync(`${file}.lock`, `${process.pid}\n`);
  t.teardown(() => rmSync(`${file}.lock`, { force: true }));
  // Our own PID holds the lock: the command waits, then gives up with EBUSY naming the owner.
  const started = Date.now();
  const { openHostSession } = await import('../../src/cli/host.js');
  t.throws(() => openHostSession({ sim: file }, 'changes', { timeoutMs: 200 }), { code: 'EBUSY' });
  t.ok(Date.now() - started >= 150);
});

t.test('moves to and from no driver when vfio_ap is not loaded', async (t) => {
  const { file } = await seedHost(t);
  const state = JSON.parse(readFileSync(file, 'utf8'));
  state.vfioApLoaded = false;
  writeFileSync(file, JSON.stringify(state));
  const free = await zmdev('masks', 'set', 'apmask=-0', '--sim', file);
  t.match(free.stdout, / {2}00\.0001: cex4queue -> no driver\n/);
  const back = await zmdev('masks', 'set', 'apmask=+0', '--sim', file);
  t.match(back.stdout, / {2}00\.0001: no driver -> cex4queue\n/);
});

t.test('mdev outputs: nothing to change, JSON of unassign, an empty mdev in the list', async (t) => {
  const { file } = await seedHost(t);
  await zmdev('masks', 'set', 'apmask=-0,-10', 'aqmask=-1-2,-4', '--sim', file);
  await zmdev('mdev', 'create', '--uuid', U1, '--adapter', '1', '--domain', '2', '--sim', file);
  const again = await zmdev('mdev', 'assign', U1, '--adapter', '1', '--sim', file);
  t.equal(again.stdout, `wrote (single-writes) for mdev ${U1}:\n  (nothing to change)\n`);
  const un = await zmdev('mdev', 'unassign', U1, '--domain', '2', '--json', '--sim', file);
  t.same(JSON.parse(un.stdout), { uuid: U1, method: 'single-writes', writes: [{ attr: 'unassign_domain', value: '0x0002' }], dryRun: false });
  await zmdev('mdev', 'create', '--uuid', U2, '--sim', file);
  const list = await zmdev('mdev', 'list', '--sim', file);
  t.equal(list.stdout, `${U1}  (empty)\n${U2}  (empty)\n`, 'adapters without domains give no APQN');
});

t.test('check --json with the masks a plan needs', async (t) => {
  const { file, dir } = await seedHost(t);
  const plan = path.join(dir, 'plan.json');
  writeFileSync(plan, JSON.stringify({ guests: [{ name: 'G', adapters: ['0x01'], domains: ['0x0002'] }] }));
  const r = await zmdev('check', plan, '--json', '--sim', file);
  t.equal(r.code, 0);
  const body = JSON.parse(r.stdout);
  t.same(body.reserved, ['01.0002']);
  t.ok(body.masks.apmask || body.masks.aqmask);
});

t.test('AP commands on a sysfs tree through the real backend', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-tree-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { mkdirSync } = await import('node:fs');
  mkdirSync(path.join(dir, 'bus/ap/devices'), { recursive: true });
  writeFileSync(path.join(dir, 'bus/ap/apmask'), `0x7f${'f'.repeat(62)}\n`);
  writeFileSync(path.join(dir, 'bus/ap/aqmask'), `0x${'f'.repeat(64)}\n`);
  const r = await zmdev('masks', '--json', '--sysfs', dir);
  t.equal(r.code, 0);
  t.same(JSON.parse(r.stdout).apmask.ids, '1-255');
  const mdevs = await zmdev('mdev', 'list', '--sysfs', dir);
  t.equal(mdevs.stdout, '(no mdevs)\n', 'no matrix device: no mdevs');
});

t.test('more command outputs: a dry-run assign in text, create with --json, a plan of two guests', async (t) => {
  const { file, dir } = await seedHost(t);
  await zmdev('masks', 'set', 'apmask=-0,-10', 'aqmask=-1-2,-4', '--sim', file);
  const created = await zmdev('mdev', 'create', '--uuid', U1, '--adapter', '1', '--domain', '2', '--json', '--sim', file);
  t.match(JSON.parse(created.stdout), { uuid: U1, method: 'ap_config', dryRun: false });
  const dry = await zmdev('mdev', 'assign', U1, '--domain', '4', '--dry-run', '--sim', file);
  t.equal(dry.stdout, `would write (single-writes) for mdev ${U1}:\n  assign_domain 0x0004\n`);
  const plan = path.join(dir, 'plan.json');
  writeFileSync(plan, JSON.stringify({ guests: [{ name: 'A', adapters: [0], domains: [1] }, { name: 'B', adapters: [10], domains: [1] }] }));
  const ok = await zmdev('check', plan, '--sim', file);
  t.match(ok.stdout, /plan ok: 2 guests, no APQN shared/);
});
