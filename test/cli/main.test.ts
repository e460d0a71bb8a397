import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { version } from '../../src/cli/main.js';
import { zmdev } from './helpers.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

t.test('--version', async (t) => {
  t.equal(version(), pkg.version);
  for (const flag of ['--version', '-V']) {
    const r = await zmdev(flag);
    t.equal(r.code, 0);
    t.equal(r.stdout, `zmdev ${pkg.version}\n`);
  }
});

t.test('--help lists the commands', async (t) => {
  for (const flag of ['--help', '-h', 'help']) {
    const r = await zmdev(flag);
    t.equal(r.code, 0);
    t.match(r.stdout, /usage: zmdev <command>/);
    t.match(r.stdout, /mask eval/);
    t.match(r.stdout, /demo/);
  }
  const topic = await zmdev('help', 'mask', 'eval');
  t.match(topic.stdout, /--current MASK/);
});

t.test('no arguments: the overview and exit 2', async (t) => {
  const r = await zmdev();
  t.equal(r.code, 2);
  t.match(r.stdout, /Commands:/);
});

t.test('unknown commands are usage errors', async (t) => {
  const r = await zmdev('frobnicate');
  t.equal(r.code, 2);
  t.match(r.stderr, /'frobnicate' is not a zmdev command/);
  const g = await zmdev('mask', 'nope');
  t.equal(g.code, 2);
  t.match(g.stderr, /'mask nope' is not a command; try 'zmdev mask eval'/);
});

t.test('demo walks the product documentation\'s procedure on a simulated host', async (t) => {
  const r = await zmdev('demo');
  t.equal(r.code, 0);
  t.match(r.stdout, /\$ zmdev sim init host\.json --preset seed --kernel 6\.15\ncreated .*host\.json: preset seed/);
  t.match(r.stdout, /\$ zmdev masks set apmask=-0,-10 aqmask=-1-2,-4 --sim host\.json\napmask: "0-255" -> "1-9,11-255"\naqmask: "0-255" -> "0,3,5-255"\n/);
  t.match(r.stdout, /\n01\.001b .* cex4queue/, '01.001b stays with the host');
  t.match(r.stdout, /matrix: {10}01\.0002 0a\.0002\n {2}guest matrix: {4}01\.0002 0a\.0002\n/);
  t.match(r.stdout, /zmdev: EADDRINUSE: .*01\.0002 already belongs to mdev 4b0518fd-9237-493f-93c8-c5597f8006a3/);
  t.match(r.stdout, /zmdev: EADDRNOTAVAIL: .*01\.001b is still reserved for the host/);
  t.match(r.stdout, /zmdev: EBUSY: the mask change would give APQN 01\.0002 back to the host/);
  t.match(r.stdout, /Guest1 and Guest2 would share APQN 01\.0002/);
  t.match(r.stdout, /vfio_ap_mdev 62177883-f1bb-47f0-914d-32a22e3a8804: Userspace may not assign queue 01\.0002 to mdev: already assigned to 4b0518fd/);
  t.match(r.stdout, /refused at byte 3: white space is not allowed/);
  const old = await zmdev('demo', '--kernel', '5.15');
  t.match(old.stdout, /this kernel has no guest_matrix/);
  t.notMatch(old.stdout, /internal error/);
});

t.test('bin/zmdev.js runs the compiled CLI with real exit codes', async (t) => {
  const bin = new URL('../../bin/zmdev.js', import.meta.url).pathname;
  const built = new URL('../../dist/cli/main.js', import.meta.url).pathname;
  t.ok(existsSync(built), 'dist/ is built (npm ci runs the build; else `npm run build:ts`)');
  const ok = spawnSync(process.execPath, [bin, 'mask', 'eval', '--json', '0x41'], { encoding: 'utf8' });
  t.equal(ok.status, 0);
  t.same(JSON.parse(ok.stdout), { mask: `0x41${'0'.repeat(62)}`, ids: '1,7' });
  const bad = spawnSync(process.execPath, [bin, 'mask', 'eval', '+999'], { encoding: 'utf8' });
  t.equal(bad.status, 1);
  t.match(bad.stderr, /ID is above 255/);
  const usage = spawnSync(process.execPath, [bin, 'mask'], { encoding: 'utf8' });
  t.equal(usage.status, 2);
});

t.test('failures that are not refusals are not dressed up as one', async (t) => {
  const { main } = await import('../../src/cli/main.js');
  const { reportRefusal } = await import('../../src/cli/report.js');
  let stderr = '';
  const broken = { stdout: () => { throw new Error('EPIPE on stdout'); }, stderr: (x: string) => void (stderr += x) };
  t.equal(await main(['mask', 'eval', '0x1'], broken), 70);
  t.match(stderr, /^zmdev: internal error: Error: EPIPE on stdout\n {4}at /);
  stderr = '';
  const dir = (await import('node:fs')).mkdtempSync('/tmp/zmdev-internal-');
  const file = `${dir}/host.json`;
  await main(['sim', 'init', file], { stdout: () => undefined, stderr: () => undefined });
  // A failure inside a command that holds a simulated host still unlocks it and saves it.
  for (const argv of [['masks', '--sim', file], ['sysfs', 'write', 'bus/ap/apmask', '--json', '--sim', file, '--', '-1']]) {
    t.equal(await main(argv, broken), 70, argv.join(' '));
  }
  const plan = `${dir}/plan.json`;
  (await import('node:fs')).writeFileSync(plan, '{"guests": []}');
  t.equal(await main(['check', plan, '--sim', file], broken), 70);
  t.equal(await main(['masks', '--sim', file], { stdout: () => undefined, stderr: () => undefined }), 0, 'the lock was released');
  (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
  t.throws(() => reportRefusal(broken, new TypeError('bug'), false), /bug/);
});
