// The mdev core, whatever the vendor driver: parents and types, the active mdevs of the mdev bus,
// text forms of IDs and UUIDs, definitions, and the change journal's order of undo.
import t from 'tap';
import { ApHost } from '../../src/ap/host.js';
import { InputError, ZmdevError } from '../../src/errors.js';
import { parseControlDomains } from '../../src/mask/apqn.js';
import { cardName, idHex, isUuidName, isUuidText, newUuid, parseCardName, parseQueueName, parseUuid, queueName } from '../../src/mask/ids.js';
import { makeDefinition } from '../../src/mdev/definition.js';
import { listActiveMdevs, listParents, listTypes, mdevsOfParent } from '../../src/mdev/devices.js';
import { runSteps, UndoError } from '../../src/mdev/journal.js';
import { createHost } from '../../src/sim/index.js';
import { SysfsError, type SysfsIO } from '../../src/sysfs/sysfs-io.js';

const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const V = '62177883-f1bb-47f0-914d-32a22e3a8804';

t.test('ID and UUID text forms', (t) => {
  t.equal(idHex(10, 'adapter'), '0x0a');
  t.equal(idHex(0x1b, 'control domain'), '0x001b');
  t.equal(cardName(10), 'card0a');
  t.equal(queueName({ adapter: 1, domain: 0x1b }), '01.001b');
  t.equal(parseCardName('card0a'), 10);
  for (const bad of ['card0A', 'card1', 'card001', 'cardxx', '0a']) t.equal(parseCardName(bad), undefined, bad);
  t.same(parseQueueName('0a.00ff'), { adapter: 10, domain: 255 });
  for (const bad of ['0a.0100', '0A.0001', '0a.001', 'card0a', '0a.0001x']) t.equal(parseQueueName(bad), undefined, bad);
  t.equal(parseUuid(U.toUpperCase()), U, 'lowercase, as the kernel names the directory');
  t.throws(() => parseUuid(`${U}\n`), { constructor: InputError, code: 'EINVAL', input: `${U}\n` });
  t.throws(() => parseUuid('../../etc'), { message: 'is not a UUID' });
  t.ok(isUuidText(U.toUpperCase()));
  t.notOk(isUuidName(U.toUpperCase()), 'a directory name is lowercase');
  t.ok(isUuidName(newUuid()));
  t.ok(parseControlDomains('0002\n00ab\n').equals(parseControlDomains('00ab\n0002')));
  t.ok(parseControlDomains('').isEmpty());
  t.throws(() => parseControlDomains('0002\nzz\n'), { code: 'EINVAL', position: 5 });
  t.end();
});

t.test('parents, types and the active mdevs, read from the simulated host', (t) => {
  const { sysfs, host } = createHost('seed', '6.15');
  t.same(listParents(sysfs), [{ path: 'devices/vfio_ap/matrix', name: 'matrix' }]);
  const [type] = listTypes(sysfs, 'devices/vfio_ap/matrix');
  t.match(type, { id: 'vfio_ap-passthrough', name: 'VFIO AP Passthrough Device', deviceApi: 'vfio-ap' });
  t.equal(type!.availableInstances, host.state.availableInstances);
  t.same(listActiveMdevs(sysfs), []);
  const ap = new ApHost(sysfs, { lock: false });
  ap.createMdev({ uuid: V });
  ap.createMdev({ uuid: U });
  t.same(listActiveMdevs(sysfs), [U, V].sort().map((uuid) => ({ uuid, parent: 'devices/vfio_ap/matrix', type: 'vfio_ap-passthrough' })));
  t.same(mdevsOfParent(sysfs, 'devices/vfio_ap/matrix'), [U, V].sort());
  t.equal(listTypes(sysfs, 'devices/vfio_ap/matrix')[0]!.availableInstances, host.state.availableInstances);
  host.state.vfioApLoaded = false;
  t.same(listParents(sysfs), [], 'without vfio_ap there is no parent');
  t.same(listActiveMdevs(sysfs), []);
  t.same(mdevsOfParent(sysfs, 'devices/vfio_ap/matrix'), []);
  t.end();
});

/** A SysfsIO over a few attributes, for the type reader's corners. */
function tiny(files: Record<string, string | SysfsError>): SysfsIO {
  const get = (p: string) => {
    const v = files[p];
    if (v === undefined) return new SysfsError({ code: 'ENOENT', syscall: 'open', path: p });
    return v;
  };
  return {
    read: (p) => {
      const v = get(p);
      if (typeof v !== 'string') throw v;
      return v;
    },
    readMany: (ps) => ps.map(get),
    write: () => 0,
    list: (p) => (p === 'p/mdev_supported_types' ? ['t1'] : []),
    exists: () => true,
    readlink: () => '',
    stat: () => ({ kind: 'file', mode: 0o444 }),
  };
}

t.test('a kernel without the mdev bus has no parents and no mdevs', (t) => {
  const none = { ...tiny({}), exists: () => false };
  t.same(listParents(none), []);
  t.same(listActiveMdevs(none), []);
  t.end();
});

t.test('a type without a name attribute; unreadable or malformed attributes are errors', (t) => {
  const base = 'p/mdev_supported_types/t1';
  t.same(listTypes(tiny({ [`${base}/device_api`]: 'vfio-ccw\n', [`${base}/available_instances`]: '1\n' }), 'p'),
    [{ id: 't1', name: null, deviceApi: 'vfio-ccw', availableInstances: 1 }]);
  t.throws(() => listTypes(tiny({ [`${base}/available_instances`]: '1\n' }), 'p'), { code: 'ENOENT' });
  t.throws(() => listTypes(tiny({ [`${base}/device_api`]: 'x\n' }), 'p'), { code: 'ENOENT' });
  t.throws(() => listTypes(tiny({ [`${base}/device_api`]: 'x\n', [`${base}/available_instances`]: 'lots\n' }), 'p'), { constructor: ZmdevError, code: 'EPROTO' });
  const eio = new SysfsError({ code: 'EIO', syscall: 'read', path: `${base}/name` });
  t.throws(() => listTypes(tiny({ [`${base}/name`]: eio, [`${base}/device_api`]: 'x\n', [`${base}/available_instances`]: '1\n' }), 'p'), { code: 'EIO' });
  t.end();
});

t.test('definitions: checked names, start policy, single-key string attrs', (t) => {
  const d = makeDefinition({ uuid: U.toUpperCase(), parent: 'matrix', type: 'vfio_ap-passthrough', attrs: [{ assign_adapter: '0x01' }] });
  t.same(d, { uuid: U, parent: 'matrix', type: 'vfio_ap-passthrough', start: 'manual', attrs: [{ assign_adapter: '0x01' }] });
  t.equal(makeDefinition({ uuid: U, parent: '0.0.0313', type: 'vfio_ccw-io', start: 'auto' }).start, 'auto');
  t.throws(() => makeDefinition({ uuid: U, parent: '../x', type: 't' }), { code: 'EINVAL', message: 'parent "../x" is not a device or type name' });
  t.throws(() => makeDefinition({ uuid: U, parent: '..', type: 't' }), { code: 'EINVAL' });
  t.throws(() => makeDefinition({ uuid: U, parent: 'matrix', type: 'a/b' }), { message: 'type "a/b"' });
  t.throws(() => makeDefinition({ uuid: U, parent: 'matrix', type: 't', start: 'boot' as 'auto' }), { message: 'start must be "auto" or "manual"' });
  for (const bad of [{}, { a: '1', b: '2' }, { a: 1 }, { 'a/b': '1' }, null]) {
    t.throws(() => makeDefinition({ uuid: U, parent: 'matrix', type: 't', attrs: [bad as Record<string, string>] }), { message: 'attrs[0] must be one' }, JSON.stringify(bad));
  }
  t.throws(() => makeDefinition({ uuid: 'nope', parent: 'matrix', type: 't' }), { code: 'EINVAL' });
  t.end();
});

/** Writes go to a log; chosen paths refuse with EIO, and `throwPlain` throws a bug-like Error. */
function journalIO(refuse: Set<string>, throwPlain = new Set<string>()): { io: SysfsIO; log: string[] } {
  const log: string[] = [];
  const io = tiny({});
  io.write = (p, v) => {
    if (throwPlain.has(p)) throw new Error(`bug at ${p}`);
    if (refuse.has(p)) throw new SysfsError({ code: 'EIO', syscall: 'write', path: p, written: String(v) });
    log.push(`${p}=${String(v)}`);
    return 1;
  };
  return { io, log };
}

t.test('the journal: undo newest first, skip steps without undo, report what is left', (t) => {
  const steps = [
    { path: 'a', value: '1', undo: { path: 'a', value: '0' } },
    { path: 'b', value: '1', undo: null },
    { path: 'c', value: '1', undo: { path: 'c', value: '0' } },
    { path: 'd', value: '1', undo: { path: 'd', value: '0' } },
  ];
  const ok = journalIO(new Set());
  runSteps(ok.io, steps, () => new ZmdevError({ code: 'X', message: 'x' }));
  t.same(ok.log, ['a=1', 'b=1', 'c=1', 'd=1']);
  const refused = journalIO(new Set(['d']));
  t.throws(() => runSteps(refused.io, steps, (e, step, undone) => new ZmdevError({ code: e.code, message: `${step.path} refused after ${undone}` })),
    { code: 'EIO', message: 'd refused after 3' });
  t.same(refused.log, ['a=1', 'b=1', 'c=1', 'c=0', 'a=0'], 'newest first, b has nothing to undo');
  // c's undo write is the same path as its step: refuse the second write to c only.
  const log: string[] = [];
  const io = tiny({});
  let cWrites = 0;
  io.write = (p, v) => {
    if (p === 'd' || (p === 'c' && ++cWrites === 2)) throw new SysfsError({ code: 'EIO', syscall: 'write', path: p });
    log.push(`${p}=${String(v)}`);
    return 1;
  };
  const err = t.throws(() => runSteps(io, steps, (e) => new ZmdevError({ code: e.code, message: 'refused' }))) as UndoError;
  t.type(err, UndoError);
  t.same(err.notUndone.map((n) => n.step.path), ['c']);
  t.same(log, ['a=1', 'b=1', 'c=1', 'a=0'], 'the older undo still ran');
  const bug = journalIO(new Set(), new Set(['c']));
  t.throws(() => runSteps(bug.io, steps, () => new ZmdevError({ code: 'X', message: 'x' })), { message: 'bug at c' });
  t.same(bug.log, ['a=1', 'b=1'], 'a failure that is not the kernel\'s is passed on, nothing undone');
  const undoBug = journalIO(new Set(['d']), new Set());
  let n = 0;
  const w = undoBug.io.write;
  undoBug.io.write = (p, v) => {
    if (p === 'c' && n++ === 1) throw new TypeError('bug in an undo');
    return w(p, v);
  };
  t.throws(() => runSteps(undoBug.io, steps, () => new ZmdevError({ code: 'X', message: 'x' })), TypeError, 'a bug while undoing is not dressed up');
  t.end();
});
