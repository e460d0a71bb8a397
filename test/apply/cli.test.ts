// zmdev apply / export through the CLI on simulated hosts, and every refusal of a desired-state
// file: the message names the JSON path, the rule and the fix, and nothing on the host changes.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { zmdev } from '../cli/helpers.js';
import { cleanup, filesOf, newRoot, SEED_DESIRED, tempFile, U, V } from './fixtures.js';

t.teardown(cleanup);

async function simHost(): Promise<string> {
  const file = `${tempFile('host.json', '')}`;
  t.equal((await zmdev('sim', 'init', file, '--force')).code, 0);
  return file;
}

const desired = (x: unknown) => tempFile('desired.json', JSON.stringify(x));

t.test('apply, --dry-run, --json, nothing to do; export of the result', async (t) => {
  const sim = await simHost();
  const f = desired(SEED_DESIRED);
  const dry = await zmdev('apply', f, '--dry-run', '--sim', sim);
  t.equal(dry.code, 0);
  t.match(dry.stdout, /^would run 4 steps:\n1\. write the persistent masks to 41-ap\.rules\n   because /);
  t.same(filesOf(`${sim}.root`), {}, 'nothing written');
  const json = JSON.parse((await zmdev('apply', f, '--json', '--sim', sim)).stdout);
  t.equal(json.changed, true);
  t.same(json.steps.map((s: { kind: string }) => s.kind), ['persistent-masks', 'define', 'active-masks', 'create']);
  t.same(await zmdev('apply', f, '--sim', sim), { code: 0, stdout: `nothing to do: the host already holds ${f}\n`, stderr: '' });
  const exported = await zmdev('export', '--sim', sim);
  t.equal(exported.code, 0);
  const file = JSON.parse(exported.stdout);
  t.same(file.mdevs, [{ uuid: U, adapters: ['0x01', '0x0a'], domains: ['0x0002'], controlDomains: ['0x0002'], defined: true, running: true, autostart: true }]);
  t.same(JSON.parse((await zmdev('export', '--json', '--sim', sim)).stdout), file);
  // --prune with a file that names nothing: U stopped and undefined, the masks left.
  const prune = await zmdev('apply', desired({ format: 'zmdev-desired/1' }), '--prune', '--sim', sim);
  t.match(prune.stdout, /^ran 2 steps:\n1\. undefine mdev .*\n   because it is not in the file and --prune removes what the file does not name\n2\. remove mdev/);
  t.equal((await zmdev('mdev', 'list', '--sim', sim)).stdout, '(no mdevs)\n');
  // Both false: the mdev must not exist (no --prune needed); a one-step run says "step".
  await zmdev('apply', f, '--sim', sim);
  const gone = await zmdev('apply', desired({ format: 'zmdev-desired/1', mdevs: [{ uuid: U, defined: false, running: true, adapters: [1, 10], domains: [2], controlDomains: [2] }] }), '--sim', sim);
  t.match(gone.stdout, /^ran 1 step:\n1\. undefine mdev/);
  t.match(gone.stdout, 'because the file says "defined": false');
  const one = await zmdev('apply', desired({ format: 'zmdev-desired/1', mdevs: [{ uuid: U, defined: false, running: false }] }), '--dry-run', '--sim', sim);
  t.match(one.stdout, /^would run 1 step:\n1\. remove mdev/);
  const masks = await zmdev('apply', desired({ format: 'zmdev-desired/1', masks: { persistent: { apmask: null, aqmask: null } }, mdevs: [{ uuid: U, defined: false, running: false }] }), '--sim', sim);
  t.match(masks.stdout, 'remove the rule file 41-ap.rules (no mask persisted)');
  t.match(masks.stdout, 'because the file says "running": false');
  t.same(filesOf(`${sim}.root`), {}, 'rule file gone');
});

const base = SEED_DESIRED;
const refusals: Array<[string, unknown, RegExp | string]> = [
  ['not JSON', '{', 'not JSON'],
  ['an unknown key', { ...base, extra: 1 }, '(the top level): unknown key "extra"; the keys here are "format", "masks", "mdevs"; remove the key or correct its spelling'],
  ['an unknown mdev key', { ...base, mdevs: [{ uuid: U, adapter: [1] }] }, '/mdevs/0: unknown key "adapter"'],
  ['no format', { mdevs: [] }, '(the top level): "format" is missing; add it'],
  ['another format', { format: 'zmdev-desired/2' }, '/format: "zmdev-desired/2" is not "zmdev-desired/1" (the file\'s format and version'],
  ['a bad UUID', { ...base, mdevs: [{ uuid: 'xyz' }] }, '/mdevs/0/uuid: "xyz" is not in the form this key takes (the mdev\'s UUID: 8-4-4-4-12 hex digits); write it in that form'],
  ['an ID above 255', { ...base, mdevs: [{ uuid: U, domains: [256] }] }, '/mdevs/0/domains/0: 256 is above 255, the highest AP ID'],
  ['a negative ID', { ...base, mdevs: [{ uuid: U, domains: [-1] }] }, '/mdevs/0/domains/0: -1 is below 0'],
  ['a hex ID above 255', { ...base, mdevs: [{ uuid: U, adapters: ['0x100'] }] }, '/mdevs/0/adapters/0: "0x100" is not in the form'],
  ['a wrong type', { ...base, mdevs: [{ uuid: U, running: 'yes' }] }, '/mdevs/0/running: "yes" must be boolean'],
  ['an empty mask', { format: 'zmdev-desired/1', masks: { active: { apmask: '' } } }, '/masks/active/apmask: "" must NOT have fewer than 1 characters'],
  ['a relative mask', { format: 'zmdev-desired/1', masks: { persistent: { aqmask: '+5' } } }, '/masks/persistent/aqmask: "+5" is not in the form this key takes (an absolute mask'],
  ['a mask chzdev refuses', { format: 'zmdev-desired/1', masks: { active: { apmask: '1-' } } }, '/masks/active/apmask: "1-" is not a mask: '],
  ['a duplicate UUID', { ...base, mdevs: [{ uuid: U }, { uuid: U.toUpperCase(), running: false }] }, `/mdevs/1/uuid: mdev ${U} is given twice (first at /mdevs/0)`],
  ['two mdevs sharing an APQN', { ...base, mdevs: [{ uuid: U, adapters: [1], domains: [2] }, { uuid: V, adapters: [1, 10], domains: [2] }] }, `/mdevs/1: mdevs ${U} (/mdevs/0) and ${V} both run and would hold APQN 01.0002`],
  ['two autostarts sharing an APQN', { ...base, mdevs: [{ uuid: U, adapters: [1], domains: [2], autostart: true, running: false }, { uuid: V, adapters: [1], domains: [2], autostart: true }] }, 'both start at boot and would hold APQN 01.0002'],
  ['autostart without a definition', { ...base, mdevs: [{ uuid: U, defined: false, autostart: true }] }, '/mdevs/0/autostart: mdev'],
  ['an mdev on host APQNs', { format: 'zmdev-desired/1', mdevs: [{ uuid: U, adapters: [1], domains: [2] }] }, `mdev ${U} would hold APQN 01.0002 that the active masks keep for the host`],
  ['persistent masks against an autostart', { format: 'zmdev-desired/1', masks: { active: base.masks.active, persistent: { apmask: '0-255', aqmask: '0-255' } }, mdevs: [{ uuid: U, adapters: [1], domains: [2], autostart: true }] }, 'the persistent masks would keep APQNs of autostart definitions for the host: '],
];

t.test('refusals: the path, the rule and the fix; nothing changed', async (t) => {
  const sim = await simHost();
  const state = readFileSync(sim, 'utf8');
  for (const [name, body, message] of refusals) {
    const f = tempFile('d.json', typeof body === 'string' ? body : JSON.stringify(body));
    const r = await zmdev('apply', f, '--sim', sim);
    t.equal(r.code, 1, `${name}: refused`);
    t.match(r.stderr, message, name);
    t.equal(r.stdout, '');
    t.same(JSON.parse(readFileSync(sim, 'utf8')).mdevs, JSON.parse(state).mdevs, `${name}: no mdev`);
    t.same(filesOf(`${sim}.root`), {}, `${name}: no file`);
  }
});

t.test('the host refuses what the file leaves alone: a left-alone mdev, a left-alone autostart, an unreadable definition', async (t) => {
  const sim = await simHost();
  await zmdev('apply', desired(SEED_DESIRED), '--sim', sim);
  // U is running and defined for autostart; a file that does not name it must not take from it.
  const reserve = await zmdev('apply', desired({ format: 'zmdev-desired/1', masks: { active: { aqmask: '0-255' } } }), '--sim', sim);
  t.match(reserve.stderr, `EBUSY: mdev ${U} would hold APQN 01.0002 that the active masks keep for the host; that mdev is not in the file`);
  const share = await zmdev('apply', desired({ format: 'zmdev-desired/1', mdevs: [{ uuid: V, adapters: [10], domains: [2] }] }), '--sim', sim);
  t.match(share.stderr, `EADDRINUSE: mdevs `);
  const boot = await zmdev('apply', desired({ format: 'zmdev-desired/1', mdevs: [{ uuid: V, adapters: [10], domains: [2], autostart: true, running: false }] }), '--sim', sim);
  t.match(boot.stderr, `EADDRINUSE: autostart definitions ${V} and ${U} (not in the file) would share APQN 0a.0002`);
  const persist = await zmdev('apply', desired({ format: 'zmdev-desired/1', masks: { persistent: { aqmask: '0-255' } } }), '--sim', sim);
  t.match(persist.stderr, `EBUSY: the persistent masks would keep APQNs of autostart definitions for the host: ${U} (01.0002)`);
  // export refuses what the format cannot say.
  await zmdev('mdev', 'modify', U, '--domain', '4', '--sim', sim);
  t.match((await zmdev('export', '--sim', sim)).stderr, `ENOTSUP: mdev ${U} runs with 01,0a x 0002 (control 0002) but is defined with 01,0a x 0002,0004 (control 0002)`);
  await zmdev('mdev', 'modify', U, '--remove-domain', '4', '--type', 'other', '--sim', sim);
  t.match((await zmdev('export', '--sim', sim)).stderr, `ENOTSUP: the definition of mdev ${U} has type other`);
  const retype = await zmdev('apply', desired(SEED_DESIRED), '--sim', sim);
  t.match(retype.stdout, ', type other');
  writeFileSync(path.join(`${sim}.root`, 'etc/mdevctl.d/matrix', V), '{');
  t.match((await zmdev('apply', desired(SEED_DESIRED), '--sim', sim)).stderr, "the host's definitions cannot be compared while one is unreadable");
});
