// The corners of apply: file writes that fail before they start, a rule file that did not exist
// put back by removing it, one mask changed alone, an mdev only giving IDs up, several APQNs in a
// refusal, the change record's refusal, an undo that fails with a bug, and the mask forms.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { applyDesired, ApplyError, exportDesired, formatDesiredMask, hostFiles, parseDesired, parseDesiredMask, planApply, readHostView } from '../../src/apply/index.js';
import { ApHost } from '../../src/ap/host.js';
import { ZmdevError } from '../../src/errors.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import { SimHost, SimSysfs } from '../../src/sim/index.js';
import { seedState, walkedThrough, WALK_UUID } from '../ap/fixtures/sdk-host.js';
import { cleanup, FailingFiles, filesOf, newRoot, SEED_DESIRED, U, V, whole } from './fixtures.js';

t.teardown(cleanup);
const file = (x: unknown) => parseDesired(JSON.stringify({ format: 'zmdev-desired/1', ...(x as object) }), 'f.json');
const fresh = () => {
  const sim = new SimHost(seedState('6.15'));
  return { sim, host: new ApHost(new SimSysfs(sim), { lock: false }), root: newRoot() };
};

t.test('hostFiles: a directory that cannot be made, a file that cannot be removed', (t) => {
  const root = newRoot();
  hostFiles.write(path.join(root, 'plain'), 'x');
  t.throws(() => hostFiles.write(path.join(root, 'plain', 'sub', 'f'), 'y'), { code: 'ENOTDIR', message: /^making the directory .* failed: / });
  mkdirSync(path.join(root, 'dir', 'inner'), { recursive: true });
  t.throws(() => hostFiles.remove(path.join(root, 'dir')), { message: /^removing .*dir failed: / });
  hostFiles.remove(path.join(root, 'missing'));
  t.end();
});

t.test('a refused step after the rule file was made: the file is removed again', (t) => {
  const { sim, host, root } = fresh();
  const before = whole(sim, root);
  const err = t.throws(() => applyDesired(host, root, parseDesired(JSON.stringify(SEED_DESIRED), 's.json'), { files: new FailingFiles({ nth: 2 }) })) as ApplyError;
  t.match(err.message, /^step 2 of 4 \(define mdev .*the 1 step before it was undone, so the host is as it was$/);
  t.same(whole(sim, root), before);
  const first = t.throws(() => applyDesired(host, root, parseDesired(JSON.stringify(SEED_DESIRED), 's.json'), { files: new FailingFiles({ nth: 1 }) })) as ApplyError;
  t.match(first.message, 'nothing had been changed, so the host is as it was');
  t.end();
});

t.test('one mask alone; an mdev that only gives IDs up; plans without options', (t) => {
  const sim = walkedThrough('6.15');
  const host = new ApHost(new SimSysfs(sim), { lock: false });
  const root = newRoot();
  const steps = planApply(readHostView(host, root), file({ masks: { active: { aqmask: '0,3,5-255' } }, mdevs: [{ uuid: WALK_UUID, adapters: [1], domains: [2], defined: false }] }));
  t.same(steps.map((s) => `${s.kind} ${s.phase}`), ['configure release']);
  applyDesired(host, root, file({ masks: { active: { aqmask: '0-1,3,5-255' } }, mdevs: [{ uuid: WALK_UUID, adapters: [1], domains: [2], controlDomains: [2], defined: false }] }));
  t.same(host.masks().aqmask, ApMask.FULL.without(2, 4), 'aqmask written, apmask left');
  t.same(host.mdev(WALK_UUID).adapters.ids(), [1]);
  t.end();
});

t.test('refusals naming several APQNs', (t) => {
  const { host, root } = fresh();
  t.throws(() => applyDesired(host, root, file({ mdevs: [{ uuid: U, adapters: [0, 1], domains: [2] }] })), { code: 'EADDRNOTAVAIL', message: /APQNs 00\.0002, 01\.0002 that/ });
  t.throws(() => file({ mdevs: [{ uuid: U, adapters: [0, 1], domains: [2] }, { uuid: V, adapters: [0, 1], domains: [2] }] }), { message: /would hold APQNs 00\.0002, 01\.0002;/ });
  applyDesired(host, root, file({ masks: { active: { apmask: '0x' + '0'.repeat(64), aqmask: '0x' + '0'.repeat(64) } }, mdevs: [{ uuid: U, adapters: [0, 1], domains: [2], running: true }] }));
  t.throws(() => applyDesired(host, root, file({ mdevs: [{ uuid: V, adapters: [0, 1], domains: [2] }] })), { code: 'EADDRINUSE', message: /holding APQNs 00\.0002, 01\.0002;/ });
  applyDesired(host, root, file({ mdevs: [{ uuid: U, adapters: [0, 1], domains: [2], autostart: true, running: false }] }));
  t.throws(() => applyDesired(host, root, file({ mdevs: [{ uuid: V, adapters: [0, 1], domains: [2], autostart: true, running: false }] })), { message: /would share APQNs 00\.0002, 01\.0002;/ });
  t.end();
});

t.test('a change record left behind refuses the apply', (t) => {
  const sim = new SimHost(seedState('6.15'));
  const dir = newRoot();
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'change.json'), JSON.stringify({ what: 'x', pid: 1, started: 'now', done: 0, steps: [] }));
  const host = new ApHost(new SimSysfs(sim), { lock: false, changeLog: dir });
  t.throws(() => applyDesired(host, newRoot(), file({})), { message: /change record/ }, 'refused before the host is read');
  t.end();
});

t.test('an undo that fails with a bug is passed on', (t) => {
  const { host, root } = fresh();
  let writes = 0;
  const files = {
    write(f: string, text: string) {
      if (++writes === 2) throw new ZmdevError({ code: 'ENOSPC', message: 'full' });
      hostFiles.write(f, text);
    },
    remove() {
      throw new TypeError('a bug');
    },
  };
  t.throws(() => applyDesired(host, root, parseDesired(JSON.stringify(SEED_DESIRED), 's.json'), { files }), TypeError);
  t.end();
});

t.test('mask forms: 0x and 64 hex digits, the empty mask exported as such; no rule file exported as null', (t) => {
  t.same(parseDesiredMask('0x' + 'F'.repeat(64), 'f', '/x'), ApMask.FULL);
  t.equal(formatDesiredMask(ApMask.EMPTY), `0x${'0'.repeat(64)}`);
  const { host, root } = fresh();
  t.same(exportDesired(host, root).masks, { active: { apmask: '0-255', aqmask: '0-255' }, persistent: { apmask: null, aqmask: null } });
  t.same(filesOf(root), {});
  t.end();
});
