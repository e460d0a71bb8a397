// When the undo of a refused change is refused too (EIO on the write and every later one), the
// error keeps the kernel's refusal and lists exactly what is left on the host, newest first.
import t from 'tap';
import { ApHost } from '../../src/ap/host.js';
import { ApError } from '../../src/ap/errors.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import { UndoError } from '../../src/mdev/journal.js';
import { SimHost, SimSysfs, type ProfileName } from '../../src/sim/index.js';
import { FailingIO, walkedThrough } from './fixtures/sdk-host.js';

const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const V = '62177883-f1bb-47f0-914d-32a22e3a8804';

const prepared = walkedThrough;

t.test('assign of several IDs: the third write and the undos fail', (t) => {
  const io = new FailingIO(new SimSysfs(prepared('6.15')), { from: 3 });
  const h = new ApHost(io, { lock: false });
  const err = t.throws(() => h.assign(U, { adapters: [0], domains: [1, 4] })) as UndoError;
  t.type(err, UndoError);
  t.equal(err.code, 'EIO', 'the code is the refusal\'s');
  t.type(err.refusal, ApError);
  t.match(err.refusal, { code: 'EIO', precheck: false, message: /assign_domain 0x0004 was refused \(2 earlier writes undone\)/ });
  t.same(err.notUndone.map((n) => `${n.step.path.split('/').pop()} ${n.step.value} <- ${n.step.undo?.path.split('/').pop()}: ${n.error.code}`), [
    'assign_domain 0x0001 <- unassign_domain: EIO',
    'assign_adapter 0x00 <- unassign_adapter: EIO',
  ], 'both earlier writes are still on the host, newest first');
  t.match(err.message, /undoing the earlier writes failed, so the host is left changed: "0x0001" written to .*assign_domain/);
  const json = err.toJSON();
  t.match(json, { code: 'EIO', refusal: { code: 'EIO', precheck: false }, notUndone: [{ value: '0x0001', error: { code: 'EIO' } }, { value: '0x00' }] });
  t.end();
});

t.test('createMdev: the remove that would undo the create fails too', (t) => {
  const host = prepared('6.0');
  const io = new FailingIO(new SimSysfs(host), { from: 3 });
  const h = new ApHost(io, { lock: false });
  const err = t.throws(() => h.createMdev({ uuid: V, adapters: [0], domains: [1] })) as UndoError;
  t.type(err, UndoError);
  t.match(err.refusal.message, /assign_domain 0x0001 was refused \(1 earlier write undone, the new mdev is removed\)/);
  t.same(err.notUndone.map((n) => n.step.path.split('/').pop()), ['assign_adapter', 'create'], 'the half-made mdev is left, and named');
  t.ok(host.state.mdevs.some((m) => m.uuid === V), 'the simulator still has it, as the error says');
  t.end();
});

t.test('setMasks: the first mask cannot be written back', (t) => {
  const io = new FailingIO(new SimSysfs(prepared('6.15')), { from: 2 });
  const h = new ApHost(io, { lock: false });
  const err = t.throws(() => h.setMasks({ apmask: '-0x20', aqmask: '-0x1b' })) as UndoError;
  t.type(err, UndoError);
  t.same(err.notUndone.map((n) => [n.step.path, n.step.value, n.step.undo?.value]),
    [['bus/ap/apmask', ApMask.FULL.without(0, 0x0a, 0x20).toString(), ApMask.FULL.without(0, 0x0a).toString()]]);
  t.end();
});

t.test('an undo that succeeds leaves no UndoError', (t) => {
  const io = new FailingIO(new SimSysfs(prepared('6.15')), { nth: 2 });
  const err = t.throws(() => new ApHost(io, { lock: false }).assign(U, { adapters: [0], domains: [1] }));
  t.notOk(err instanceof UndoError);
  t.type(err, ApError);
  t.end();
});
