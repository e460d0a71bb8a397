// One rule book, two voices: random operations are put to the SDK (its prediction, a dry run) and,
// as the single kernel write they stand for, to the simulator on a copy of the same host. Both
// must give the same verdict every time: accepted by both, or refused with the same errno. Then
// the SDK carries the operation out for real, and the writes it makes are exactly the ones its dry
// run listed. 5.15 is left out: there the SDK refuses mask writes against mdevs that the old kernel
// lets through, on purpose (docs/kernel.md §10).
import t from 'tap';
import { ApHost } from '../../src/ap/host.js';
import { ZmdevError } from '../../src/errors.js';
import { idHex } from '../../src/mask/ids.js';
import { SimHost, SimSysfs, type ProfileName } from '../../src/sim/index.js';
import type { SysfsIO } from '../../src/sysfs/sysfs-io.js';
import { Rng, testSeed } from '../oracle/random.js';
import { FailingIO, seedState } from './fixtures/sdk-host.js';

const UUIDS = ['4b0518fd-9237-493f-93c8-c5597f8006a3', '62177883-f1bb-47f0-914d-32a22e3a8804', '0e3ad38a-6b4d-4a7a-9c1b-3d1f5a2b7c90'];
const KINDS = ['adapter', 'domain', 'control_domain'] as const;
const FIELD = { adapter: 'adapters', domain: 'domains', control_domain: 'controlDomains' } as const;

interface Op {
  name: string;
  /** The SDK's call; dryRun asks for its prediction. */
  sdk(h: ApHost, dryRun: boolean): unknown;
  /** The one kernel write it stands for. */
  raw: { path: string; value: string };
}

function verdict(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof ZmdevError)) throw e;
    return e.code;
  }
}

/** IDs near the seed host's (adapters 00 01 0a, domains 01 02 04 1b) and past the 6.x maximum. */
function id(r: Rng, kind: (typeof KINDS)[number]): number {
  const near = kind === 'adapter' ? [0, 1, 0x0a, 2, 0x40, 0xff] : [1, 2, 4, 0x1b, 3, 0x100 - 1];
  return near[r.int(near.length)]!;
}

function randomOp(r: Rng, existing: string[]): Op {
  const pick = r.int(10);
  if (pick < 2) {
    const uuid = UUIDS[r.int(UUIDS.length)]!;
    return {
      name: `create ${uuid.slice(0, 8)}`,
      sdk: (h, dryRun) => h.createMdev({ uuid, dryRun }),
      raw: { path: 'devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create', value: uuid },
    };
  }
  if (pick < 4) {
    const attr = r.int(2) ? 'apmask' : 'aqmask';
    const n = id(r, attr === 'apmask' ? 'adapter' : 'domain');
    const spec = `${r.int(2) ? '+' : '-'}${n}`;
    return {
      name: `masks ${attr}=${spec}`,
      sdk: (h, dryRun) => h.setMasks({ [attr]: spec, grammar: 'kernel' }, { dryRun }),
      raw: { path: `bus/ap/${attr}`, value: spec },
    };
  }
  const uuid = existing.length && r.int(8) ? existing[r.int(existing.length)]! : UUIDS[r.int(UUIDS.length)]!;
  const kind = KINDS[r.int(3)]!;
  const n = id(r, kind);
  const verb = r.int(3) ? 'assign' : 'unassign';
  return {
    name: `${verb} ${uuid.slice(0, 8)} ${kind} ${n}`,
    sdk: (h, dryRun) => (verb === 'assign' ? h.assign : h.unassign).call(h, uuid, { [FIELD[kind]]: [n] }, { dryRun }),
    raw: { path: `devices/vfio_ap/matrix/${uuid}/${verb}_${kind}`, value: idHex(n, kind === 'adapter' ? 'adapter' : 'domain') },
  };
}

/** The writes a real run makes, as `path value`. */
class Recorder extends FailingIO {
  constructor(inner: SysfsIO) {
    super(inner, {});
  }
}

const seed = testSeed();
const ROUNDS = 400;

for (const profile of ['6.15', '6.0'] as ProfileName[]) {
  t.test(`SDK prediction = simulator verdict, dry run = real run (${profile}, seed ${seed})`, (t) => {
    const r = new Rng(seed);
    const host = new SimHost(seedState(profile));
    const prep = new ApHost(new SimSysfs(host), { lock: false });
    prep.setMasks({ apmask: '-0,-10', aqmask: '-1-2,-4' });
    let agreed = 0;
    let accepted = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const op = randomOp(r, host.state.mdevs.map((m) => m.uuid));
      const before = structuredClone(host.state);
      const predicted = verdict(() => op.sdk(new ApHost(new SimSysfs(host), { lock: false }), true));
      t.same(host.state, before, `${op.name}: a dry run changes nothing`);
      const kernel = new SimSysfs(new SimHost(structuredClone(host.state)));
      const actual = verdict(() => kernel.write(op.raw.path, op.raw.value));
      if (predicted !== actual) t.fail(`${op.name} (round ${i}): SDK says ${predicted}, the simulator ${actual} [seed ${seed}]`);
      else agreed++;
      if (predicted !== 'ok') continue;
      accepted++;
      const planned = op.sdk(new ApHost(new SimSysfs(host), { lock: false }), true) as { writes: Array<{ attr: string; value: unknown }> };
      const rec = new Recorder(new SimSysfs(host));
      op.sdk(new ApHost(rec, { lock: false }), false);
      const did = rec.writes.map((w) => `${w.path.split('/').pop()} ${w.data}`).filter((w) => !w.startsWith('create '));
      t.same(did, planned.writes.map((w) => `${w.attr} ${String(w.value)}`), `${op.name}: the real run makes the dry run's writes`);
    }
    t.equal(agreed, ROUNDS, `all ${ROUNDS} verdicts agree (${accepted} accepted)`);
    t.end();
  });
}
