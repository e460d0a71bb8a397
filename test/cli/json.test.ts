// --json on every command: stdout carries one JSON value (the result, or {"error": …} for a
// refusal), whatever the command; progress for people goes to stderr.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { commands, main } from '../../src/cli/main.js';
import { zmdev } from './helpers.js';

const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const V = '62177883-f1bb-47f0-914d-32a22e3a8804';

t.test('every command takes --json and prints JSON with it', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-json-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'host.json');
  const sim = ['--sim', file];
  const plan = path.join(dir, 'plan.json');
  writeFileSync(plan, JSON.stringify({ guests: [{ name: 'G', adapters: [1], domains: [4] }] }));
  const sock = path.join(dir, 'no.sock');
  const table: Record<string, string[]> = {
    'sim init': ['sim', 'init', file],
    'masks set': ['masks', 'set', 'apmask=-0,-10', 'aqmask=-1-2,-4', ...sim],
    'mdev create': ['mdev', 'create', '--uuid', U, '--adapter', '1', '--domain', '2', ...sim],
    'mdev assign': ['mdev', 'assign', U, '--domain', '4', ...sim],
    'mdev unassign': ['mdev', 'unassign', U, '--domain', '4', ...sim],
    'mdev define': ['mdev', 'define', '--uuid', V, '--adapter', '10', '--domain', '1', ...sim],
    'mdev modify': ['mdev', 'modify', V, '--auto', ...sim],
    'mdev start': ['mdev', 'start', V, ...sim],
    'mdev stop': ['mdev', 'stop', V, ...sim],
    'mdev undefine': ['mdev', 'undefine', V, ...sim],
    'list': ['list', ...sim], 'masks': ['masks', ...sim], 'mdev list': ['mdev', 'list', ...sim], 'mdev show': ['mdev', 'show', U, ...sim],
    'check': ['check', plan, ...sim], 'mask eval': ['mask', 'eval', '0x41'], 'sim log': ['sim', 'log', file],
    'sysfs cat': ['sysfs', 'cat', 'bus/ap/apmask', ...sim], 'sysfs write': ['sysfs', 'write', 'bus/ap/poll_thread', '1', ...sim],
    'sysfs ls': ['sysfs', 'ls', 'bus', ...sim], 'qemu-args': ['qemu-args', U, ...sim],
    'xml hostdev': ['xml', 'hostdev', U, ...sim], 'xml nodedev': ['xml', 'nodedev', U, ...sim],
    'guest cpu-check': ['guest', 'cpu-check', '--qmp', sock], 'guest attach': ['guest', 'attach', '--qmp', sock, U, ...sim],
    'guest detach': ['guest', 'detach', '--qmp', sock, '--id', 'x'],
    'sim mount': ['sim', 'mount', path.join(dir, 'missing.json'), dir],
    'mdev remove': ['mdev', 'remove', U, ...sim],
    'recover': ['recover', ...sim],
    'boot-check': ['boot-check', ...sim],
    'convert': ['convert', path.join(dir, 'missing-def.json'), '--to', 'mdevctl'],
    'mdevctl-callout': ['mdevctl-callout', '-t', 'vfio_ap-passthrough', '-e', 'get', '-a', 'capabilities', '-s', 'none', '-u', U, '-p', 'matrix', ...sim],
    'export': ['export', ...sim],
    'apply': ['apply', path.join(dir, 'missing-desired.json'), ...sim],
    'demo': ['demo', '--kernel', '6.0'],
  };
  const outputs: Record<string, unknown> = {};
  for (const [name, argv] of Object.entries(table)) {
    const r = await zmdev(...argv, '--json');
    let body: unknown;
    t.doesNotThrow(() => (body = JSON.parse(r.stdout)), `${name}: stdout is JSON`);
    t.ok(body !== null && typeof body === 'object', name);
    outputs[name] = body;
  }
  t.same(commands.map((c) => c.words.join(' ')).filter((n) => !(n in table)), [], 'every command is in the table');
  t.match(outputs['xml hostdev'], { uuid: U, xml: new RegExp(`^<hostdev mode='subsystem' type='mdev' model='vfio-ap'>\n[^]*<address uuid='${U}'/>`) },
    'the XML as a string field');
  t.match(outputs['xml nodedev'], { uuid: U, xml: /^<device>\n {2}<name>mdev_4b0518fd/ });
  t.match(outputs['guest detach'], { error: { code: 'ENOENT' } }, 'refusals as {"error": …}');
  t.match(outputs['sim mount'], { error: { code: 'ENOENT' } });
  const demo = outputs['demo'] as { steps: Array<{ argv: string[]; status: number; output: string }> };
  t.same(demo.steps[0]!.argv, ['sim', 'init', 'host.json', '--preset', 'seed', '--kernel', '6.0']);
  t.ok(demo.steps.some((s) => s.status === 1 && /EADDRINUSE/.test(s.output)), 'each step with its status and output');
});

t.test('sim mount --json: progress on stderr, {file, mountpoint, signal} once unmounted', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-json-mount-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'host.json');
  const mnt = path.join(dir, 'mnt');
  mkdirSync(mnt);
  await zmdev('sim', 'init', file);
  let out = '';
  let err = '';
  const done = main(['sim', 'mount', file, mnt, '--json'], { stdout: (x) => void (out += x), stderr: (x) => void (err += x) });
  t.teardown(() => void spawnSync('fusermount3', ['-uz', mnt]));
  for (let i = 0; i < 100 && !err.includes('serving'); i++) await new Promise((r) => setTimeout(r, 50));
  t.match(err, `serving ${file} at ${mnt}`);
  t.equal(out, '', 'nothing but JSON on stdout');
  process.emit('SIGINT', 'SIGINT');
  t.equal(await done, 0);
  t.same(JSON.parse(out), { file, mountpoint: mnt, signal: 'SIGINT' });
  t.match(err, `unmounted ${mnt} (SIGINT)`);
});
