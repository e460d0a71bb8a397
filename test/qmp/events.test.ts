// Events from a real QEMU: STOP/RESUME from stop/cont, DEVICE_DELETED from hot unplug, fan-out to
// several listeners, filters, iteration, timeouts.
import t, { type Test } from 'tap';
import {
  QmpClient, TimeoutError, AbortError, StateError, ExecInterruptedError, QmpError, type QmpEvent,
} from '../../src/qmp/index.js';
import { startQemu, type Qemu } from './fixtures/qemu.js';

const LONG = { timeoutMs: 60_000 };

async function session(t: Test, opts: { boot?: boolean; paused?: boolean } = {}, client?: QmpClient):
Promise<{ qemu: Qemu; qmp: QmpClient }> {
  const qemu = await startQemu(t, opts);
  const qmp = client ?? new QmpClient();
  await qmp.connect(qemu.address, LONG);
  t.teardown(() => qmp.disconnect());
  return { qemu, qmp };
}

t.test('stop/cont: STOP and RESUME reach two listeners, each once', async (t) => {
  const { qmp } = await session(t, { boot: true });
  using both = qmp.listen({ names: ['STOP', 'RESUME'] });
  using resumes = qmp.listen({ names: 'RESUME' });
  const all = qmp.listen();
  t.same(both.names, new Set(['STOP', 'RESUME']));
  t.equal(all.names, undefined);
  await qmp.execute('cont');
  t.equal((await resumes.get(LONG)).event, 'RESUME');
  await qmp.execute('stop');
  await qmp.execute('cont');
  await qmp.execute('stop');
  const seen = [];
  for (let i = 0; i < 4; i++) seen.push((await both.get(LONG)).event);
  t.same(seen, ['RESUME', 'STOP', 'RESUME', 'STOP'], 'a listener sees its events in order');
  t.equal((await resumes.get(LONG)).event, 'RESUME', 'the other listener lost none');
  t.equal(resumes.size, 0);
  const ev = (await all.get(LONG));
  t.equal(ev.event, 'RESUME');
  t.type(ev.timestamp.seconds, 'number');
  t.type(ev.timestamp.microseconds, 'number');
  t.same(ev.data, {});
  t.equal(all.size, 3);
  t.same(all.clear().map((e) => e.event), ['STOP', 'RESUME', 'STOP']);
  t.equal(all.take(), undefined);
  all.remove();
  t.ok(all.removed);
  all.remove(); // twice is fine
  t.same(qmp.recentEvents.map((e) => e.event), ['RESUME', 'STOP', 'RESUME', 'STOP']);
  t.same(await qmp.execute('query-status'), { status: 'paused', singlestep: false, running: false });
});

t.test('device_del on a paused guest: two DEVICE_DELETED, filter on data.device', async (t) => {
  const { qmp } = await session(t);
  using any = qmp.listen({ names: 'DEVICE_DELETED' });
  using rng0 = qmp.listen({ names: 'DEVICE_DELETED', where: (data) => data['device'] === 'rng0' });
  using other = qmp.listen({ names: 'DEVICE_DELETED', where: (data) => data['device'] === 'rng1' });
  await qmp.execute('device_add', { driver: 'virtio-rng-ccw', id: 'rng0' });
  const gone = qmp.waitForEvent('DEVICE_DELETED', (d) => d['device'] === 'rng0', LONG);
  t.same(await qmp.execute('device_del', { id: 'rng0' }), {});
  const ev = await gone;
  t.same(ev.data, { device: 'rng0', path: '/machine/peripheral/rng0' });
  const first = await any.get(LONG);
  const second = await any.get(LONG);
  t.same(first.data, { path: '/machine/peripheral/rng0/virtio-backend' }, 'the backend goes first, without device');
  t.same(second.data, { device: 'rng0', path: '/machine/peripheral/rng0' });
  t.same((await rng0.get(LONG)).data, second.data);
  t.equal(rng0.size, 0);
  t.equal(other.size, 0);
});

t.test('async iteration and predicates that throw', async (t) => {
  const warnings: string[] = [];
  const qmp0 = new QmpClient({ name: 'vm7', logger: { warn: (m) => warnings.push(m) } });
  const { qmp } = await session(t, {}, qmp0);
  const broken = qmp.listen({ where: () => { throw new Error('boom'); } });
  const brokenNamed = qmp.listen({ names: 'DEVICE_DELETED', where: () => { throw new Error('boom'); } });
  const listener = qmp.listen({ names: 'DEVICE_DELETED' });
  for (const id of ['a', 'b']) {
    await qmp.execute('device_add', { driver: 'virtio-rng-ccw', id });
    await qmp.execute('device_del', { id });
  }
  const devices: unknown[] = [];
  for await (const ev of listener) {
    devices.push(ev.data['device']);
    if (devices.length === 4) break;
  }
  t.same(devices, [undefined, 'a', undefined, 'b']);
  t.equal(broken.size, 0);
  t.equal(brokenNamed.size, 0);
  t.equal(warnings.length, 8);
  t.match(warnings[0], /^vm7: an event filter of the listener for all events threw; the event was treated as not matching/);
  t.match(warnings[1], /listener for DEVICE_DELETED threw/);
  // Iteration ends when the listener is removed.
  const iterating = (async () => { const got: QmpEvent[] = []; for await (const ev of listener) got.push(ev); return got; })();
  await new Promise((r) => setImmediate(r));
  listener.remove();
  t.same(await iterating, []);
  broken.remove();
  brokenNamed.remove();
});

t.test('get() timeout, abort, removal, and session end', async (t) => {
  const { qmp } = await session(t);
  const l = qmp.listen({ names: 'RESUME' });
  const timed = await l.get({ timeoutMs: 100 }).catch((e: unknown) => e);
  t.type(timed, TimeoutError);
  t.match((timed as Error).message, /^waiting for event RESUME timed out after 100 ms/);

  const already = await l.get({ signal: AbortSignal.abort('no') }).catch((e: unknown) => e);
  t.type(already, AbortError);
  const ac = new AbortController();
  const waiting = l.get({ signal: ac.signal });
  ac.abort();
  t.type(await waiting.catch((e: unknown) => e), AbortError);

  const removed = l.get();
  l.remove();
  const r = await removed.catch((e: unknown) => e);
  t.type(r, StateError);
  t.match((r as Error).message, /the listener was removed while a get\(\) was waiting/);
  const afterRemove = await l.get().catch((e: unknown) => e);
  t.match((afterRemove as Error).message, /the listener was removed; make a new one with listen\(\)/);

  // Ending the session releases waiters; queued events stay readable.
  const m = qmp.listen({ names: 'DEVICE_DELETED' });
  await qmp.execute('device_add', { driver: 'virtio-rng-ccw', id: 'r' });
  const gone = qmp.waitForEvent('DEVICE_DELETED', (d) => d['device'] === 'r', LONG);
  await qmp.execute('device_del', { id: 'r' });
  await gone;
  const n = qmp.listen();
  const released = n.get().catch((e: unknown) => e);
  const iter = n[Symbol.asyncIterator]();
  const done = iter.next();
  await qmp.disconnect();
  const rel = await released;
  t.type(rel, ExecInterruptedError);
  t.match((rel as Error).message, /^waiting for any event was interrupted: disconnect\(\) was called$/);
  t.same(await done, { done: true, value: undefined });
  t.same(await iter.return?.(), { done: true, value: undefined });
  t.equal(m.size, 2);
  t.equal((await m.get()).event, 'DEVICE_DELETED', 'queued events can still be read');
  const idle = await qmp.waitForEvent('STOP').catch((e: unknown) => e);
  t.type(idle, StateError);
  t.match((idle as Error).message, /connect\(\) first; events only come during a session/);
  const idleIter = await m[Symbol.asyncIterator]().next(); // one queued event left
  t.equal(idleIter.done, false);
  t.same(await m[Symbol.asyncIterator]().next(), { done: true, value: undefined });
});

t.test('waitForEvent timeout lists what came meanwhile', async (t) => {
  const { qmp } = await session(t, {}, new QmpClient({ historySize: 3 }));
  const quiet = await qmp.waitForEvent('STOP', undefined, { timeoutMs: 50 }).catch((e: unknown) => e);
  t.type(quiet, TimeoutError);
  t.match((quiet as Error).message, /^waiting for event STOP timed out after 50 ms; no events at all arrived meanwhile$/);
  t.same((quiet as TimeoutError).seen, []);

  const wait = qmp.waitForEvent(['DEVICE_DELETED'], (d) => d['device'] === 'nope', { timeoutMs: 3000 });
  for (const id of ['x', 'y']) {
    await qmp.execute('device_add', { driver: 'virtio-rng-ccw', id });
    await qmp.execute('device_del', { id });
  }
  const err = await wait.catch((e: unknown) => e);
  t.type(err, TimeoutError);
  t.match((err as Error).message,
    /^waiting for event DEVICE_DELETED with matching data timed out after 3000 ms; events seen meanwhile: DEVICE_DELETED \{"device":"x","path":"\/machine\/peripheral\/x"\}, DEVICE_DELETED \{"path":"\/machine\/peripheral\/y\/virtio-backend"\}, DEVICE_DELETED \{"device":"y"/);
  t.equal((err as TimeoutError).seen.length, 3, 'as many as the history holds');
  t.equal(qmp.recentEvents.length, 3);
  t.type(err, QmpError);
  const ac = new AbortController();
  const aborted = qmp.waitForEvent('STOP', undefined, { signal: ac.signal });
  ac.abort('changed my mind');
  const a = await aborted.catch((e: unknown) => e);
  t.type(a, AbortError);
  t.match((a as Error).message, /^waiting for event STOP was aborted by the caller: changed my mind$/);
});
