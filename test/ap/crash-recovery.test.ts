// Killed half-way, recovered whole: every multi-step change is cut at every write — before it
// (the process dies before write k) and after it (write k happened, its mark did not) — leaving its
// change record; the next change is refused until `recover`, after which the host must be in the
// state before the change or (a one-write change cut after its write) the state after it. (In process: a thrown Crash stands for the kill; nothing after it runs,
// exactly as after SIGKILL, since the journal undoes only the kernel's refusals.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ApHost } from '../../src/ap/host.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import { ChangeLog } from '../../src/mdev/change-record.js';
import { SimHost, SimSysfs, type ProfileName, type SimState } from '../../src/sim/index.js';
import { RealSysfs } from '../../src/sysfs/real.js';
import { SysfsError as SysfsErrorClass, type SysfsError, type SysfsIO, type SysfsStat } from '../../src/sysfs/sysfs-io.js';
import { comparable, FailingIO, seedState, walkedThrough } from './fixtures/sdk-host.js';

const base = mkdtempSync(path.join(tmpdir(), 'zmdev-crash-'));
t.teardown(() => rmSync(base, { recursive: true, force: true }));
let dirs = 0;

const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const V = '62177883-f1bb-47f0-914d-32a22e3a8804';

class Crash extends Error {}

/** Passes writes through until write number `at` (1-based), then dies before or after it. */
class DyingIO implements SysfsIO {
  writes = 0;
  constructor(readonly inner: SysfsIO, readonly at: number, readonly after: boolean) {}
  read(p: string): string { return this.inner.read(p); }
  readMany(ps: readonly string[]): Array<string | SysfsError> { return this.inner.readMany(ps); }
  write(p: string, d: string | Uint8Array): number {
    if (++this.writes === this.at) {
      if (this.after) this.inner.write(p, d);
      throw new Crash(`killed at write ${this.at}`);
    }
    return this.inner.write(p, d);
  }
  list(p: string): string[] { return this.inner.list(p); }
  exists(p: string): boolean { return this.inner.exists(p); }
  readlink(p: string): string { return this.inner.readlink(p); }
  stat(p: string): SysfsStat { return this.inner.stat(p); }
}

const prepared = (profile: ProfileName): SimState => structuredClone(walkedThrough(profile).state);

const changes: Array<{ name: string; run: (h: ApHost) => unknown }> = [
  { name: 'masks, both', run: (h) => h.setMasks({ apmask: '-0x20,-0x21', aqmask: '-0x1b,-0x05' }) },
  { name: 'masks, giving back', run: (h) => h.setMasks({ apmask: '+0x0a', aqmask: '+4' }) },
  { name: 'create with adapters, domains, control domains', run: (h) => h.createMdev({ uuid: V, adapters: [0], domains: [1, 4], controlDomains: [1, 4] }) },
  { name: 'configure', run: (h) => h.configure(U, { adapters: ApMask.of([1]), domains: ApMask.of([2, 4]), controlDomains: ApMask.of([4]) }) },
  { name: 'assign several', run: (h) => h.assign(U, { adapters: [0], domains: [1, 4], controlDomains: [4] }) },
  { name: 'unassign several', run: (h) => h.unassign(U, { adapters: [1, 0x0a], controlDomains: [2] }) },
];

let points = 0;
let halfDone = 0;
for (const profile of ['6.15', '6.0', '5.15'] as ProfileName[]) {
  const start = prepared(profile);
  for (const c of changes) {
    t.test(`${profile}: ${c.name}, killed at every write`, (t) => {
      // How many writes the change makes when nothing goes wrong.
      const finished = new SimHost(structuredClone(start));
      const probe = new DyingIO(new SimSysfs(finished), 0, false);
      c.run(new ApHost(probe, { lock: false }));
      const total = probe.writes;
      const done = JSON.stringify(comparable(finished.state));
      for (let at = 1; at <= total; at++) {
        for (const after of [false, true]) {
          points++;
          const host = new SimHost(structuredClone(start));
          const dir = path.join(base, `d${dirs++}`);
          const dying = new ApHost(new DyingIO(new SimSysfs(host), at, after), { lock: false, changeLog: dir });
          t.throws(() => c.run(dying), { message: /^killed at write/ });
          const h = new ApHost(new SimSysfs(host), { lock: false, changeLog: dir });
          const where = `${after ? 'after' : 'before'} write ${at} of ${total}`;
          if (total > 1) {
            t.ok(h.pendingChange(), `${where}: the record is left`);
            t.throws(() => h.assign(U, { domains: [4] }), { code: 'EINPROGRESS', message: 'run `zmdev recover`' }, `${where}: a new change is refused`);
            const dry = h.recover({ dryRun: true });
            t.ok(dry && dry.dryRun && dry.undone.length > 0, `${where}: the dry run lists the undo writes`);
          }
          h.recover();
          t.equal(h.pendingChange(), null, `${where}: the record is gone`);
          const now = JSON.stringify(comparable(host.state));
          const ok = now === JSON.stringify(comparable(start)) || (total === 1 && done === now);
          if (!ok) {
            halfDone++;
            t.same(comparable(host.state), comparable(start), `${where}: back to the state before`);
          }
        }
      }
      t.end();
    });
  }
}

t.test('the counts', (t) => {
  t.equal(halfDone, 0, `kill points tried: ${points}, half-done states left: ${halfDone}`);
  t.comment(`crash recovery: ${points} kill points, ${halfDone} half-done`);
  t.end();
});

t.test('the change record: damaged, an undo refused during recovery, a step that never happened', (t) => {
  const dir = path.join(base, `d${dirs++}`);
  const log = new ChangeLog(dir);
  t.equal(log.recover(new SimSysfs(new SimHost(seedState('6.15')))), null, 'nothing to recover');
  const steps = [
    { path: 'a', value: '1', undo: { path: 'a', value: '0' } },
    { path: 'b', value: '1', undo: null },
    { path: 'c', value: '1', undo: { path: 'c', value: '0' } },
  ];
  const record = log.begin('test change', steps);
  log.mark(record, 2);
  const writes: string[] = [];
  const io = (fail: Record<string, SysfsError | Error>) => ({
    write: (p: string, v: string) => {
      const e = fail[p];
      if (e) throw e;
      writes.push(`${p}=${v}`);
      return 1;
    },
  }) as unknown as SysfsIO;
  const eio = new SysfsErrorClass({ code: 'EIO', syscall: 'write', path: 'a' });
  t.throws(() => log.recover(io({ a: eio })), { code: 'EIO', message: 'recovery stopped: undoing "1" at a (writing "0" to a) failed' });
  t.same(writes, ['c=0'], 'the newest undo ran first');
  t.equal(log.pending()!.done, 0, 'the record keeps the one step left to undo');
  t.throws(() => log.recover(io({ a: new Error('a bug') })), { message: 'a bug' }, 'a failure that is no refusal is passed on');
  const report = log.recover(io({ a: new SysfsErrorClass({ code: 'ENOENT', syscall: 'open', path: 'a' }) }));
  t.same(report?.undone, [{ path: 'a', value: '0' }], 'an undo whose target is gone counts as done');
  t.equal(log.pending(), null);
  writeFileSync(path.join(dir, 'change.json'), '{"format": "something else"}');
  t.throws(() => log.pending(), { code: 'EBADMSG', message: 'is not one zmdev wrote' });
  writeFileSync(path.join(dir, 'change.json'), 'not json');
  t.throws(() => new ApHost(new SimSysfs(new SimHost(seedState('6.15'))), { lock: false, changeLog: dir }).setMasks({ apmask: '-1' }), { code: 'EBADMSG' });
  const file = path.join(base, `f${dirs++}`);
  writeFileSync(file, '');
  t.throws(() => new ChangeLog(path.join(file, 'x')).begin('x', steps), { code: 'ENOTDIR', message: 'cannot make the change record directory' });
  t.throws(() => new ChangeLog(path.join(file, 'x')).pending(), { code: 'ENOTDIR' }, 'an unreadable record is an error, not "none"');
  t.end();
});

t.test('a change the kernel refuses is undone and its record removed; a failed undo keeps it', (t) => {
  const host = new SimHost(structuredClone(prepared('6.15')));
  const dir = path.join(base, `d${dirs++}`);
  const h = new ApHost(new FailingIO(new SimSysfs(host), { nth: 2, code: 'EBUSY' }), { lock: false, changeLog: dir });
  t.throws(() => h.setMasks({ apmask: '-0x20', aqmask: '-0x1b' }), { code: 'EBUSY' });
  t.equal(h.pendingChange(), null, 'refused and undone: nothing left to recover');
  new ApHost(new SimSysfs(host), { lock: false, changeLog: dir }).setMasks({ apmask: '-0x20', aqmask: '-0x1b' });
  t.equal(h.pendingChange(), null, 'done: the record is gone');
  const dir2 = path.join(base, `d${dirs++}`);
  const h2 = new ApHost(new FailingIO(new SimSysfs(new SimHost(structuredClone(prepared('6.15')))), { from: 2 }), { lock: false, changeLog: dir2 });
  t.throws(() => h2.setMasks({ apmask: '-0x20', aqmask: '-0x1b' }), { code: 'EIO', name: 'UndoError' });
  t.match(h2.pendingChange(), { what: 'masks', done: 1 }, 'the undo failed: the record stays for recover');
  t.end();
});

t.test('the real /sys gets a record under /run/zmdev by default; other hosts none unless asked', (t) => {
  t.equal(new ApHost(new RealSysfs('/sys'), { lock: false }).changeLog?.dir, '/run/zmdev');
  t.equal(new ApHost(new RealSysfs('/tmp'), { lock: false }).changeLog, null);
  t.equal(new ApHost(new SimSysfs(new SimHost(seedState('6.15'))), { lock: false }).changeLog, null);
  const h = new ApHost(new SimSysfs(new SimHost(seedState('6.15'))), { lock: false, changeLog: false });
  t.equal(h.recover(), null);
  t.equal(h.pendingChange(), null);
  t.end();
});
