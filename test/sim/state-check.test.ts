// The state file's checks that go beyond field types: fields nobody declared, the eventfds a VMM
// registered, and the exclusivity of APQNs among mdevs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ApMask } from '../../src/mask/index.js';
import { checkState, cloneState, loadState, presetState, saveState, type MdevState, type SimState } from '../../src/sim/index.js';

const A = '11111111-2222-3333-4444-555555555555';
const B = '66666666-7777-8888-9999-aaaaaaaaaaaa';
const C = 'cccccccc-7777-8888-9999-aaaaaaaaaaaa';
const EMPTY = ApMask.EMPTY.toString();

function mdev(uuid: string, adapters: number[], domains: number[], extra: Partial<MdevState> = {}): MdevState {
  return {
    uuid, apm: ApMask.of(adapters).toString(), aqm: ApMask.of(domains).toString(), adm: EMPTY,
    shadow: { apm: EMPTY, aqm: EMPTY, adm: EMPTY }, guest: null, ...extra,
  };
}

function withMdevs(...mdevs: MdevState[]): SimState {
  return { ...presetState('kernel-doc'), mdevs };
}

t.test('two mdevs that share an APQN: refused, naming both and the APQN', async (t) => {
  t.same(checkState(withMdevs(mdev(A, [5], [4, 0x47]), mdev(B, [6], [4, 0x47]))), [], 'disjoint matrices are fine');
  t.same(checkState(withMdevs(mdev(A, [5, 6], []), mdev(B, [5, 6], [4]))), [], 'no domain: no APQN, nothing shared');
  t.same(checkState(withMdevs(mdev(A, [5], [4, 0x47]), mdev(B, [5, 6], [0x47]))), [
    `mdevs[1]: mdev ${B} holds APQN 05.0047, which mdev ${A} (mdevs[0]) holds too; an APQN can be in one mdev only`,
  ]);
  const errs = checkState(withMdevs(mdev(A, [5, 6], [4, 0x47]), mdev(B, [1], [1]), mdev(C, [5, 6], [4, 0x47, 0xab])));
  t.same(errs, [`mdevs[2]: mdev ${C} holds APQN 05.0004 (and 3 more), which mdev ${A} (mdevs[0]) holds too; an APQN can be in one mdev only`],
    'each pair once, with the first APQN and how many more');
  t.same(checkState(withMdevs(mdev(A, [5], [4]), { ...mdev(B, [5], [4]), apm: '0x5' })).length, 1, 'a bad mask is reported, not compared');

  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'shared.json');
  writeFileSync(file, JSON.stringify(withMdevs(mdev(A, [5], [0xab]), mdev(B, [5], [0xab]))));
  t.throws(() => loadState(file), {
    code: 'EBADSTATE',
    message: new RegExp(`^simulator state ${file} is not valid:\\n  - mdevs\\[1\\]: mdev ${B} holds APQN 05\\.00ab, which mdev ${A} \\(mdevs\\[0\\]\\) holds too`),
  });
  t.throws(() => saveState(file, withMdevs(mdev(A, [5], [0xab]), mdev(B, [5], [0xab]))), { code: 'EBADSTATE' }, 'nor is it saved');
});

t.test('eventfds: declared, and checked against the kernel profile', async (t) => {
  const ok = withMdevs(mdev(A, [5], [4], { eventfds: { 0: 0, 1: 8 } }));
  t.same(checkState(ok), []);
  t.same(checkState(withMdevs(mdev(A, [5], [4], { eventfds: {} }))), [], 'nothing registered');
  t.same(checkState({ ...withMdevs(mdev(A, [5], [4], { eventfds: { 0: 7 } })), profile: '6.0' }), [
    'mdevs[0].eventfds.0: IRQ index 0 does not exist on this kernel profile (VFIO_AP_NUM_IRQS is 0)',
  ]);
  t.same(checkState(withMdevs(mdev(A, [5], [4], { eventfds: { 2: 7, '01': 3, x: 1, 1: -1 } as never }))), [
    'mdevs[0].eventfds.1: expected an integer from 0 to 2147483647, got -1',
    'mdevs[0].eventfds.2: IRQ index 2 does not exist on this kernel profile (VFIO_AP_NUM_IRQS is 2)',
    'mdevs[0].eventfds.01: expected a decimal IRQ index as the key',
    'mdevs[0].eventfds.x: expected a decimal IRQ index as the key',
  ]);
  t.same(checkState(withMdevs(mdev(A, [5], [4], { eventfds: [7] as never }))), ['mdevs[0].eventfds: expected an object of IRQ index → eventfd']);
  t.same(checkState({ ...withMdevs(mdev(A, [5], [4], { eventfds: { 5: 7 } })), profile: 'x' }), [
    'profile: expected "6.15", "6.0" or "5.15", got "x"',
  ], 'an unknown profile bounds no index');
});

t.test('a field nobody declared is refused, at any depth', async (t) => {
  const s = cloneState(withMdevs(mdev(A, [5], [4]))) as unknown as Record<string, any>;
  s.extra = 1;
  s.host.qcii = true;
  s.host.adapters[0].colour = 'red';
  s.bus.fast = true;
  s.queues[0].x = 1;
  s.mdevs[0].eventfd = { 0: 7 };
  s.mdevs[0].shadow.apqn = 1;
  const what = 'not a field of the state (misspelt, or from another version?)';
  t.same(checkState(s), [
    `extra: ${what}`, `host.qcii: ${what}`, `host.adapters[0].colour: ${what}`, `bus.fast: ${what}`, `queues[0].x: ${what}`,
    `mdevs[0].eventfd: ${what}`, `mdevs[0].shadow.apqn: ${what}`,
  ]);
});
