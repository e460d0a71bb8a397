// zmdev mdevctl-callout in process, on simulated hosts: every decision and exit status of the
// callout protocol (0 allow, 1 refuse with one line, 2 not my type), the config on stdin read as
// ap-check reads it, get attributes and capabilities byte for byte, live modify, --install and
// --uninstall, and the installed script run for real with awkward arguments.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { main } from '../../src/cli/main.js';
import { readStdin } from '../../src/cli/context.js';
import { CALLOUT_MARK, calloutScript } from '../../src/persist/mdevctl-callout.js';
import { zmdev, type CliRun } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-callout-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const V = '62177883-f1bb-47f0-914d-32a22e3a8804';
const W = '783e6dbb-ea0e-411f-94e2-717eaad438bf';
const TYPE = 'vfio_ap-passthrough';

/** The CLI with `stdin` as standard input. */
async function withStdin(stdin: string | undefined, ...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s), ...(stdin === undefined ? {} : { stdin: () => stdin }) };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

let n = 0;
async function host(preset = 'seed'): Promise<string> {
  const file = path.join(dir, `h${n++}.json`);
  t.equal((await zmdev('sim', 'init', file, '--preset', preset)).code, 0);
  return file;
}

const config = (start: string, attrs: Record<string, string>[]) => JSON.stringify({ mdev_type: TYPE, start, attrs });
const callout = (file: string, event: string, action: string, uuid: string, stdin?: string) =>
  withStdin(stdin, 'mdevctl-callout', '-t', TYPE, '-e', event, '-a', action, '-s', 'none', '-u', uuid, '-p', 'matrix', '--sim', file);
/** One line on stderr, the refusal. */
function refused(t: Test, r: CliRun, pattern: RegExp, why = 'refused'): void {
  t.equal(r.code, 1, why);
  t.equal(r.stdout, '');
  t.match(r.stderr, pattern);
  t.equal(r.stderr.split('\n').length, 2, 'one line');
}
function allowed(t: Test, r: CliRun, why = 'allowed, silently'): void {
  t.same(r, { code: 0, stdout: '', stderr: '' }, why);
}

t.test('exit 2 for every other type; mistakes in the call are 1, never 2', async (t) => {
  const file = await host();
  const base = ['mdevctl-callout', '-e', 'pre', '-a', 'start', '-s', 'none', '-u', U, '-p', 'matrix', '--sim', file];
  t.same(await withStdin('not even JSON', ...base, '-t', 'vfio_ccw-io'), { code: 2, stdout: '', stderr: '' }, 'not mine: silent, stdin unread');
  t.same(await withStdin('', ...base, '-t', 'i915-GVTg_V5_4', '--json'), { code: 2, stdout: '{\n  "mine": false,\n  "type": "i915-GVTg_V5_4"\n}\n', stderr: '' });
  const missing = await zmdev('mdevctl-callout', '-t', 'vfio_ccw-io', '-e', 'pre', '-a', 'start', '-s', 'none', '-u', U, '--sim', file);
  t.equal(missing.code, 1, 'a missing operand is exit 1 even for another type');
  t.match(missing.stderr, /^zmdev: -p PARENT missing: mdevctl gives -t -e -a -s -u -p, once each/);
  t.match(missing.stderr, /usage: zmdev mdevctl-callout \[-t TYPE\] \[-e EVENT\]/);
  const all = await zmdev('mdevctl-callout', '--sim', file);
  t.match(all.stderr, /-t TYPE, -e EVENT, -a ACTION, -s STATE, -u UUID, -p PARENT missing/);
  const twice = await zmdev(...base, '-t', TYPE, '-u', V);
  t.equal(twice.code, 1);
  t.match(twice.stderr, /--uuid is given twice/);
  const unknown = await zmdev(...base, '-t', TYPE, '-x', '1');
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /Unknown option '-x'/);
  refused(t, await zmdev(...base.map((a) => (a === U ? 'not-a-uuid' : a)), '-t', TYPE), /EINVAL: "not-a-uuid" is not a UUID/);
  refused(t, await zmdev(...base.map((a) => (a === 'matrix' ? '0.0.0313' : a)), '-t', TYPE), /EINVAL: -p "0.0.0313": a vfio_ap-passthrough mdev has the parent matrix only/);
  const both = await zmdev('mdevctl-callout', '--install', '--uninstall', '--root', dir);
  t.equal(both.code, 1);
  t.match(both.stderr, /--install and --uninstall exclude each other/);
  const mixed = await zmdev('mdevctl-callout', '--install', '-t', TYPE, '--root', dir);
  t.equal(mixed.code, 1);
  t.match(mixed.stderr, /--install takes none of -t -e -a -s -u -p/);
  const mixed2 = await zmdev('mdevctl-callout', '--uninstall', '-u', U, '--root', dir);
  t.match(mixed2.stderr, /--uninstall takes none of/);
  t.equal((await zmdev('mdev', 'create', '--bogus')).code, 2, 'other commands keep exit 2 for their mistakes');
});

t.test('pre define / pre modify: manual passes; autostart refused on shared APQNs and on the boot masks', async (t) => {
  const file = await host();
  const auto01 = config('auto', [{ assign_adapter: '1' }, { assign_domain: '2' }]);
  allowed(t, await callout(file, 'pre', 'define', U, config('manual', [{ assign_adapter: '1' }, { assign_domain: '2' }])));
  // Nothing persisted: the tools read sysfs, where every APQN is still the host's.
  refused(t, await callout(file, 'pre', 'define', U, auto01),
    /^zmdev: EADDRNOTAVAIL: autostart mdev 4b0518fd-\S+ refused: the persistent AP masks \(\S+41-ap\.rules, or sysfs where it sets none\) keep 01\.0002 for the host, so at boot it could not start: free the adapters with `zmdev masks set --persistent apmask=-0x01` or the domains with `zmdev masks set --persistent aqmask=-0x0002`/);
  // Freed in sysfs only (a mask line missing from the rule file is read from sysfs).
  t.equal((await zmdev('masks', 'set', 'aqmask=-0x0002', '--active', '--sim', file)).code, 0);
  allowed(t, await callout(file, 'pre', 'define', U, auto01));
  // The rule file's aqmask wins over sysfs once it sets one.
  t.equal((await zmdev('masks', 'set', 'aqmask=0-255', '--persistent', '--sim', file)).code, 0);
  refused(t, await callout(file, 'pre', 'define', U, auto01), /keep 01\.0002 for the host/);
  t.equal((await zmdev('masks', 'set', 'apmask=-0x01,-0x0a', 'aqmask=-0x0002,-0x0004', '--persistent', '--sim', file)).code, 0);
  allowed(t, await callout(file, 'pre', 'define', U, auto01));
  const many = config('auto', [{ assign_adapter: '0,1' }, { assign_domain: '2' }, { assign_domain: '0x1b' }]);
  refused(t, await callout(file, 'pre', 'define', U, many), /keep 00\.001b for the host.*apmask=-0x00`.*aqmask=-0x001b`/);

  // Another autostart definition holding 01.0002: a second one is refused, naming it.
  t.equal((await zmdev('mdev', 'define', '--uuid', V, '--auto', '--adapter', '0x01', '--domain', '0x02', '--domain', '0x04', '--sim', file)).code, 0);
  refused(t, await callout(file, 'pre', 'define', U, config('auto', [{ assign_adapter: '0x0a,1' }, { assign_domain: '2' }, { assign_domain: '4' }])),
    new RegExp(`^zmdev: EADDRINUSE: autostart mdev ${U} refused: it shares APQNs 01\\.0002, 01\\.0004 with autostart mdev ${V} \\(an APQN belongs to one mdev, so at boot the second could not start\\): take the shared adapters`));
  refused(t, await callout(file, 'pre', 'define', U, config('auto', [{ assign_adapter: '0,1' }, { assign_domain: '2' }, { assign_domain: '0x1b' }])),
    /EADDRINUSE: .*shares APQNs 01\.0002 with autostart mdev .*; and the persistent AP masks .* keep 00\.001b for the host/);
  allowed(t, await callout(file, 'pre', 'define', U, config('manual', [{ assign_adapter: '1' }, { assign_domain: '2' }])), 'a manual one may share');
  allowed(t, await callout(file, 'pre', 'define', U, config('auto', [{ assign_adapter: '10' }, { assign_domain: '2' }])), 'a different adapter');
  // A manual definition is no obstacle; neither is a file ap-check cannot read.
  t.equal((await zmdev('mdev', 'modify', V, '--manual', '--sim', file)).code, 0);
  const defs = path.join(`${file}.root`, 'etc/mdevctl.d/matrix');
  writeFileSync(path.join(defs, W), '{"mdev_type": "vfio_ap-passthrough", "start": "auto", "attrs": [{"assign_adapter": "1"}, {"assign_domain": "junk"}]}');
  writeFileSync(path.join(defs, 'notes.txt'), 'not a definition');
  allowed(t, await callout(file, 'pre', 'define', U, auto01));
  rmSync(path.join(defs, W));

  // modify: the stored file must exist, and the definition does not conflict with itself.
  refused(t, await callout(file, 'pre', 'modify', U, auto01), new RegExp(`ENOENT: mdev ${U} is not defined \\(no \\S+matrix/${U}\\): define it with mdevctl define`));
  t.equal((await zmdev('mdev', 'modify', V, '--auto', '--sim', file)).code, 0);
  allowed(t, await callout(file, 'pre', 'modify', V, config('auto', [{ assign_adapter: '1' }, { assign_domain: '2' }, { assign_domain: '4' }])));
  t.equal((await zmdev('mdev', 'define', '--uuid', U, '--sim', file)).code, 0);
  refused(t, await callout(file, 'pre', 'modify', U, auto01), /EADDRINUSE: .*shares APQNs 01\.0002 with autostart mdev 62177883/);
  allowed(t, await callout(file, 'pre', 'modify', U, config('manual', [{ assign_adapter: '1' }, { assign_domain: '2' }])));
  // define of a UUID already defined.
  refused(t, await callout(file, 'pre', 'define', U, auto01), new RegExp(`EEXIST: mdev ${U} is already defined \\(\\S+\\): change it with mdevctl modify`));
});

t.test('pre define: a rule file the tools abort on, and a definitions folder that is no folder', async (t) => {
  const file = await host();
  const rules = path.join(`${file}.root`, 'etc/udev/rules.d');
  mkdirSync(rules, { recursive: true });
  writeFileSync(path.join(rules, '41-ap.rules'), 'ATTR{../../bus/ap/apmask}="0xffff"\n');
  refused(t, await callout(file, 'pre', 'define', U, config('auto', [])), /EINVAL: .*41-ap\.rules line 1: .*must be 0x and 64 hex digits/);
  allowed(t, await callout(file, 'pre', 'define', U, config('manual', [])), 'a manual definition reads no masks');
  rmSync(path.join(rules, '41-ap.rules'));
  mkdirSync(path.join(`${file}.root`, 'etc/mdevctl.d'), { recursive: true });
  writeFileSync(path.join(`${file}.root`, 'etc/mdevctl.d/matrix'), '');
  refused(t, await callout(file, 'pre', 'define', U, config('auto', [])), /ENOTDIR: reading the definitions in \S+matrix/);
});

t.test('the config on stdin, read as ap-check reads it', async (t) => {
  const file = await host();
  t.equal((await zmdev('masks', 'set', 'apmask=-0x01,-0x0a', 'aqmask=-0x0002,-0x0004', '--sim', file)).code, 0);
  const pre = (stdin: string) => callout(file, 'pre', 'define', U, stdin);
  refused(t, await callout(file, 'pre', 'define', U), /not JSON \(Unexpected end of JSON input\)/, 'no stdin at all reads as empty');
  refused(t, await pre(''), /EINVAL: the config of 4b0518fd-\S+ on stdin: not JSON \(Unexpected end of JSON input\); mdevctl passes \{"mdev_type"/);
  refused(t, await pre('[]'), /stdin: \[\] is not an object/);
  refused(t, await pre('{"start": "auto"}'), /"mdev_type" is undefined, not "vfio_ap-passthrough"/);
  refused(t, await pre(JSON.stringify({ mdev_type: 'vfio_ccw-io', start: 'auto' })), /"mdev_type" is "vfio_ccw-io"/);
  refused(t, await pre(config('maybe', [])), /"start" is "maybe": ap-check reads only "auto" or "manual"/);
  refused(t, await pre(JSON.stringify({ mdev_type: TYPE, start: 'auto', attrs: {} })), /"attrs" is \{\}, not an array/);
  refused(t, await pre(JSON.stringify({ mdev_type: TYPE, start: 'auto', attrs: ['x'] })), /attrs\[0\] "x" is not an object/);
  refused(t, await pre(JSON.stringify({ mdev_type: TYPE, start: 'auto', attrs: [{ assign_adapter: 5 }] })), /attrs\[0\] assign_adapter: 5 is not a string/);
  refused(t, await pre(config('auto', [{ assign_domain: 'abc' }])), /assign_domain "abc" is not an ID \(.*\); give a decimal, 0x hex or 0-octal number from 0 to 255/);
  refused(t, await pre(config('auto', [{ assign_adapter: '1,256' }])), /assign_adapter 256 is above 255, the highest AP ID/);
  refused(t, await pre(config('auto', [{ ap_config: '0x80,0x40' }])), /ap_config "0x80,0x40" is not three masks/);
  // Comma lists, octal, empty elements, unknown attributes: ap-check's reading. Start absent reads as auto.
  refused(t, await pre(JSON.stringify({ mdev_type: TYPE, attrs: [{ assign_adapter: '0,1' }, { assign_domain: '033' }] })), /autostart mdev .* keep 00\.001b for the host/);
  allowed(t, await pre(config('auto', [{ assign_adapter: '1,,0x0a,' }, { assign_domain: '002' }, { foo: 'bar' }])));
  allowed(t, await pre(JSON.stringify({ mdev_type: TYPE, start: 'auto', attrs: null })));
  const m = (ids: number[]) => `0x${ids.reduce((b, id) => b | (1n << BigInt(255 - id)), 0n).toString(16).padStart(64, '0')}`;
  // ap_config replaces every ID before it.
  allowed(t, await pre(config('auto', [{ assign_adapter: '0' }, { ap_config: `${m([1])},${m([2])},${m([2])}` }])));
  refused(t, await pre(config('auto', [{ assign_domain: '2' }, { ap_config: `${m([0])},${m([27])},${m([])}` }])), /keep 00\.001b for the host/);
});

t.test('pre start: every check of zmdev mdev create, against the live host; nothing created', async (t) => {
  const file = await host();
  const start = (stdin: string, uuid = U) => callout(file, 'pre', 'start', uuid, stdin);
  const cfg = config('manual', [{ assign_adapter: '1' }, { assign_domain: '2' }, { assign_control_domain: '2' }]);
  refused(t, await start(cfg), /^zmdev: EADDRNOTAVAIL: mdev 4b0518fd-\S+: APQN 01\.0002 is still reserved for the host by apmask\/aqmask; free it first/);
  t.equal((await zmdev('masks', 'set', 'apmask=-0x01', 'aqmask=-0x0002', '--active', '--sim', file)).code, 0);
  allowed(t, await start(cfg));
  t.equal((await zmdev('mdev', 'list', '--sim', file)).stdout, '(no mdevs)\n', 'a dry run');
  t.equal((await zmdev('mdev', 'create', '--uuid', V, '--adapter', '1', '--domain', '2', '--sim', file)).code, 0);
  refused(t, await start(cfg), /^zmdev: EADDRINUSE: .*01\.0002.*62177883-f1bb-47f0-914d-32a22e3a8804/);
  refused(t, await start(config('manual', [{ assign_adapter: '1' }, { assign_control_domain: '4' }])), /control domains without any usage domain/);
  refused(t, await start(config('manual', [{ assign_adapter: '0x42' }, { assign_domain: '0x0004' }])), /0x42|42/);
  refused(t, await start(cfg, V), /EEXIST|already/i);
  const bare = await withStdin(cfg, 'mdevctl-callout', '-t', TYPE, '-e', 'pre', '-a', 'start', '-s', 'none', '-u', U, '-p', 'matrix', '--sysfs', dir);
  refused(t, bare, /ENOENT: sysfs at \S+ has no AP bus/);
});

t.test('get attributes: decimal, sorted, adapters then domains then control domains', async (t) => {
  const file = await host();
  t.equal((await zmdev('masks', 'set', 'apmask=-0x01,-0x0a', 'aqmask=-0x0002,-0x0004', '--active', '--sim', file)).code, 0);
  t.same(await callout(file, 'get', 'attributes', U), { code: 0, stdout: '', stderr: '' }, 'not active: nothing');
  t.equal((await zmdev('mdev', 'create', '--uuid', U, '--adapter', '0x0a', '--adapter', '0x01', '--domain', '4', '--domain', '2', '--control-domain', '0x1b', '--control-domain', '2', '--sim', file)).code, 0);
  t.same(await callout(file, 'get', 'attributes', U.toUpperCase()), {
    code: 0, stderr: '',
    stdout: '[{"assign_adapter": "1"},{"assign_adapter": "10"},{"assign_domain": "2"},{"assign_domain": "4"},{"assign_control_domain": "2"},{"assign_control_domain": "27"}]\n',
  });
  const json = await withStdin(undefined, 'mdevctl-callout', '-t', TYPE, '-e', 'get', '-a', 'attributes', '-s', 'none', '-u', U, '-p', 'matrix', '--json', '--sim', file);
  t.same(JSON.parse(json.stdout).attrs.slice(0, 2), [{ assign_adapter: '1' }, { assign_adapter: '10' }]);
  t.equal((await zmdev('mdev', 'create', '--uuid', V, '--sim', file)).code, 0);
  t.same(await callout(file, 'get', 'attributes', V), { code: 0, stdout: '[]\n', stderr: '' }, 'an empty mdev: [] (not ap-check\'s [{}])');
  t.same(JSON.parse((await withStdin(undefined, 'mdevctl-callout', '-t', TYPE, '-e', 'get', '-a', 'attributes', '-s', 'none', '-u', W, '-p', 'matrix', '--json', '--sim', file)).stdout), { attrs: null });
});

t.test('get capabilities: version 2 and the offered actions and events ap-check supports', async (t) => {
  const file = await host();
  const caps = (stdin: string) => callout(file, 'get', 'capabilities', U, stdin);
  // What mdevctl 1.3+ offers (CalloutVersion::V_2, serde's compact JSON).
  const offer = '{"provides":{"version":2,"actions":["start","stop","define","undefine","modify","attributes","capabilities"],"events":["pre","post","notify","get","live"]}}';
  t.same(await caps(offer), {
    code: 0, stderr: '',
    stdout: '{ "supports": { "version": 2, "actions": [ "define", "modify", "start", "stop", "undefine", "attributes", "capabilities" ], "events": [ "pre", "post", "get", "live" ] } }\n',
  });
  t.same(await caps('{"provides":{"version":3,"actions":["START","list"],"events":["notify"]}}'), {
    code: 0, stderr: '', stdout: '{ "supports": { "version": 2, "actions": [ "START" ], "events": [ ] } }\n',
  }, 'only what both sides know, in mdevctl\'s spelling');
  t.same(JSON.parse((await withStdin(offer, 'mdevctl-callout', '-t', TYPE, '-e', 'get', '-a', 'capabilities', '-s', 'none', '-u', U, '-p', 'matrix', '--json', '--sim', file)).stdout).supports.version, 2);
  refused(t, await caps(''), /EINVAL: get capabilities: stdin holds no JSON \(it is empty\); mdevctl 1\.3\+ passes \{"provides"/);
  refused(t, await caps('nope'), /stdin holds no JSON \("nope"\)/);
  refused(t, await caps('null'), /no "provides" object/);
  refused(t, await caps('{"provides":[]}'), /no "provides" object/);
  refused(t, await caps('{"provides":{"actions":[],"events":[]}}'), /"provides" has no "version"/);
  refused(t, await caps('{"provides":{"version":2,"events":[]}}'), /"provides" has no "actions" list of strings/);
  refused(t, await caps('{"provides":{"version":2,"actions":[],"events":[1]}}'), /"provides" has no "events" list of strings/);
});

t.test('post, notify, pre stop and events of later mdevctl: 0; pre undefine reads the stored config', async (t) => {
  const file = await host();
  for (const [e, a] of [['post', 'define'], ['post', 'start'], ['notify', 'start'], ['pre', 'stop'], ['pre', 'list'], ['later', 'define'], ['get', 'types']]) {
    allowed(t, await callout(file, e!, a!, U, 'whatever'));
  }
  refused(t, await callout(file, 'pre', 'undefine', U), /ENOENT: .*matrix\/4b0518fd/);
  t.equal((await zmdev('mdev', 'define', '--uuid', U, '--sim', file)).code, 0);
  allowed(t, await callout(file, 'pre', 'undefine', U));
  writeFileSync(path.join(`${file}.root`, 'etc/mdevctl.d/matrix', U), config('maybe', []));
  refused(t, await callout(file, 'pre', 'undefine', U), /"start" is "maybe"/);
});

t.test('live modify: the active mdev changed through ap_config, with start\'s checks', async (t) => {
  const file = await host();
  t.equal((await zmdev('masks', 'set', 'apmask=-0x01,-0x0a', 'aqmask=-0x0002,-0x0004', '--active', '--sim', file)).code, 0);
  const live = (stdin: string, uuid = U) => callout(file, 'live', 'modify', uuid, stdin);
  refused(t, await live(config('manual', [{ assign_adapter: '1' }])), /EOPNOTSUPP: mdev 4b0518fd-\S+ cannot be changed live: it is not active/);
  t.equal((await zmdev('mdev', 'create', '--uuid', U, '--adapter', '1', '--domain', '2', '--sim', file)).code, 0);
  allowed(t, await live(config('manual', [{ assign_adapter: '1,10' }, { assign_domain: '2' }, { assign_domain: '4' }])));
  t.match((await zmdev('mdev', 'show', U, '--sim', file)).stdout, /01\.0002.*01\.0004.*0a\.0002.*0a\.0004/s, 'the new matrix, saved');
  refused(t, await live(config('manual', [{ assign_adapter: '0' }, { assign_domain: '0x1b' }])), /EADDRNOTAVAIL: .*00\.001b/);
  const old = await host('seed');
  t.equal((await zmdev('sim', 'init', old, '--kernel', '5.15', '--force')).code, 0);
  t.equal((await zmdev('masks', 'set', 'apmask=-0x01', 'aqmask=-0x0002', '--active', '--sim', old)).code, 0);
  t.equal((await zmdev('mdev', 'create', '--uuid', U, '--sim', old)).code, 0);
  refused(t, await callout(old, 'live', 'modify', U, config('manual', [{ assign_adapter: '1' }])), /no ap_config \(6\.0\+\)/);
});

t.test('--install writes the script where the installed mdevctl looks; --uninstall removes it', async (t) => {
  const root = path.join(dir, 'image');
  const none = await zmdev('mdevctl-callout', '--install', '--root', root);
  t.equal(none.code, 1);
  t.match(none.stderr, /ENOENT: neither \S+etc\/mdevctl\.d\/scripts\.d\/callouts and \S+usr\/lib\/mdevctl\/scripts\.d\/callouts exists: no mdevctl is installed under/);
  const old = path.join(root, 'etc/mdevctl.d/scripts.d/callouts');
  const neu = path.join(root, 'usr/lib/mdevctl/scripts.d/callouts');
  mkdirSync(old, { recursive: true });
  t.same(await zmdev('mdevctl-callout', '--install', '--root', root), { code: 0, stderr: '', stdout: `installed ${old}/00-zmdev (read by mdevctl 1.2.0)\n` });
  mkdirSync(neu, { recursive: true });
  const both = await zmdev('mdevctl-callout', '--install', '--root', root, '--json');
  t.same(JSON.parse(both.stdout), { installed: [{ file: `${old}/00-zmdev`, reader: 'mdevctl 1.2.0' }, { file: `${neu}/00-zmdev`, reader: 'mdevctl 1.3+' }] });
  const script = readFileSync(`${neu}/00-zmdev`, 'utf8');
  const zmdevJs = path.resolve('bin/zmdev.js');
  t.equal(script, `#!/bin/sh\n${CALLOUT_MARK}\nexec '${process.execPath}' '${zmdevJs}' mdevctl-callout "$@"\n`);
  t.equal(statSync(`${old}/00-zmdev`).mode & 0o7777, 0o755);
  chmodSync(`${old}/00-zmdev`, 0o644);
  t.equal((await zmdev('mdevctl-callout', '--install', '--root', root)).code, 0, 'again, over its own script');
  t.equal(statSync(`${old}/00-zmdev`).mode & 0o7777, 0o755, 'executable again');
  t.same(await zmdev('mdevctl-callout', '--uninstall', '--root', root), { code: 0, stderr: '', stdout: `removed ${old}/00-zmdev\nremoved ${neu}/00-zmdev\n` });
  t.notOk(existsSync(`${old}/00-zmdev`));
  t.same(await zmdev('mdevctl-callout', '--uninstall', '--root', root), { code: 0, stderr: '', stdout: 'no zmdev callout was installed\n' });
  writeFileSync(`${neu}/00-zmdev`, '#!/bin/sh\nexit 0\n');
  mkdirSync(`${old}/00-zmdev`);
  for (const word of ['--install', '--uninstall']) {
    const r = await zmdev('mdevctl-callout', word, '--root', root);
    t.equal(r.code, 1);
    t.match(r.stderr, /EEXIST: \S+00-zmdev is not a script zmdev installed; move it away first/);
  }
  t.equal(readFileSync(`${neu}/00-zmdev`, 'utf8'), '#!/bin/sh\nexit 0\n', 'a foreign script is left alone');
  t.throws(() => calloutScript('node', zmdevJs), /"node": the callout script needs an absolute path/);
  t.throws(() => calloutScript('/usr/bin/node', '/a\nb'), /needs an absolute path without newlines/);
});

t.test('the installed script, run as mdevctl runs it: arguments and stdin as given, the status passed through', { skip: !existsSync('dist/cli/main.js') && 'needs npm run build:ts' }, async (t) => {
  const file = await host();
  const scriptDir = path.join(dir, 'odd $dir \'q\'');
  mkdirSync(scriptDir);
  const script = path.join(scriptDir, '00-zmdev');
  writeFileSync(script, calloutScript(process.execPath, path.resolve('bin/zmdev.js')), { mode: 0o755 });
  const run = (args: string[], input = '') => spawnSync(script, [...args, '--sim', file], { input, encoding: 'utf8' });
  const ccw = run(['-t', 'vfio_ccw-io', '-e', 'pre', '-a', 'start', '-s', 'none', '-u', U, '-p', '0.0.0313']);
  t.equal(ccw.status, 2);
  const odd = run(['-t', TYPE, '-e', 'pre', '-a', 'start', '-s', 'none', '-u', U, '-p', 'a b$(touch x)`y` "\'*']);
  t.equal(odd.status, 1);
  t.equal(odd.stderr, 'zmdev: EINVAL: -p "a b$(touch x)`y` \\"\'*": a vfio_ap-passthrough mdev has the parent matrix only\n', 'the value reached zmdev untouched');
  const caps = run(['-t', TYPE, '-e', 'get', '-a', 'capabilities', '-s', 'none', '-u', U, '-p', 'matrix'], '{"provides":{"version":2,"actions":["define"],"events":["pre"]}}');
  t.same([caps.status, caps.stdout], [0, '{ "supports": { "version": 2, "actions": [ "define" ], "events": [ "pre" ] } }\n'], 'stdin read through');
  const get = run(['-t', TYPE, '-e', 'get', '-a', 'attributes', '-s', 'none', '-u', U, '-p', 'matrix']);
  t.same([get.status, get.stdout, get.stderr], [0, '', '']);
});

t.test('readStdin: a closed descriptor is empty input', async (t) => {
  t.equal(readStdin(987654), '');
  const f = path.join(dir, 'in.txt');
  writeFileSync(f, '{"x":1}');
  const fd = openSync(f, 'r');
  t.equal(readStdin(fd), '{"x":1}');
  closeSync(fd);
  const d = openSync(dir, 'r');
  t.throws(() => readStdin(d), { code: 'EISDIR' });
  closeSync(d);
});

t.test('--help says what the callout decides and where --install writes', async (t) => {
  const h = await zmdev('mdevctl-callout', '--help');
  t.equal(h.code, 0);
  for (const s of ['-t, --type TYPE', '-e, --event EVENT', 'exit 2 says "not my type"', 'pre define / pre modify', 'get capabilities', '--install writes the script 00-zmdev',
    'etc/mdevctl.d/scripts.d/callouts (mdevctl 1.2.0)', 'usr/lib/mdevctl/scripts.d/callouts (1.3+', 'Mistakes in the call']) {
    t.match(h.stdout, s);
  }
});
