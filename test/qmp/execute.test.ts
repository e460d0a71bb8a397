// Commands against a real QEMU: many in flight, refusals, timeouts, aborts, and sessions that end
// under pending commands. QEMU is frozen with SIGSTOP where a test needs a reply that does not come yet.
import t, { type Test } from 'tap';
import net from 'node:net';
import {
  QmpClient, ExecuteError, ExecInterruptedError, TimeoutError, AbortError, ServerParseError, ConnectError,
  QmpError, StateError,
} from '../../src/qmp/index.js';
import { startQemu, type Qemu } from './fixtures/qemu.js';

const LONG = { timeoutMs: 60_000 };
const PRELAUNCH = { status: 'prelaunch', singlestep: false, running: false };

function logSink(): { lines: string[]; logger: { debug(m: string): void; warn(m: string): void } } {
  const lines: string[] = [];
  return { lines, logger: { debug: (m) => lines.push(`debug ${m}`), warn: (m) => lines.push(`warn ${m}`) } };
}

async function session(t: Test, logger?: ReturnType<typeof logSink>['logger']): Promise<{ qemu: Qemu; qmp: QmpClient }> {
  const qemu = await startQemu(t);
  const qmp = new QmpClient({ logger });
  await qmp.connect(qemu.address, LONG);
  t.teardown(() => qmp.disconnect());
  return { qemu, qmp };
}

t.test('200 commands in flight, each reply reaches its caller', async (t) => {
  const { qmp } = await session(t);
  const calls = Array.from({ length: 200 }, (_, i) =>
    i % 2 === 0 ? qmp.execute('query-status', undefined, LONG) : qmp.execute('query-name'));
  const results = await Promise.all(calls);
  results.forEach((r, i) => t.same(r, i % 2 === 0 ? PRELAUNCH : {}, `call ${i}`));
  // Mixed refusals and successes stay matched too.
  const mixed = await Promise.allSettled(Array.from({ length: 50 }, (_, i) =>
    i % 5 === 0 ? qmp.execute('device_del', { id: `nope${i}` }) : qmp.execute('query-status')));
  mixed.forEach((r, i) => {
    if (i % 5 === 0) {
      t.equal(r.status, 'rejected');
      t.match((r as PromiseRejectedResult).reason.desc, `Device 'nope${i}' not found`);
    } else t.same((r as PromiseFulfilledResult<unknown>).value, PRELAUNCH);
  });
});

t.test('QEMU refusals are typed ExecuteErrors', async (t) => {
  const { qmp } = await session(t);
  const notFound = await qmp.execute('device_del', { id: 'ghost' }).catch((e: unknown) => e);
  t.type(notFound, ExecuteError);
  t.equal((notFound as ExecuteError).code, 'DeviceNotFound');
  t.equal((notFound as ExecuteError).desc, "Device 'ghost' not found");
  t.same((notFound as ExecuteError).sent['arguments'], { id: 'ghost' });
  t.match((notFound as ExecuteError).received, { error: { class: 'DeviceNotFound' } });

  const ap = await qmp.execute('device_add', { driver: 'vfio-ap', sysfsdev: '/sys/bus/mdev/devices/x', id: 'hostdev0' })
    .catch((e: unknown) => e);
  t.equal((ap as ExecuteError).code, 'GenericError');
  t.match((ap as ExecuteError).desc, /No 'ap-bus' bus found for device 'vfio-ap'/);

  const unknown = await qmp.execute('no-such-command').catch((e: unknown) => e);
  t.equal((unknown as ExecuteError).code, 'CommandNotFound');

  // exec-oob reaches QEMU's out-of-band dispatcher; this command is oob-capable and refuses in this state.
  const oob = await qmp.execute('migrate-recover', { uri: 'unix:/nonexistent' }, { oob: true }).catch((e: unknown) => e);
  t.type(oob, ExecuteError);
  t.match((oob as ExecuteError).desc, /postcopy is paused/);
  t.equal((oob as ExecuteError).command, 'migrate-recover');
  t.ok('exec-oob' in (oob as ExecuteError).sent);
  const notOob = await qmp.execute('query-status', undefined, { oob: true }).catch((e: unknown) => e);
  t.match((notOob as ExecuteError).desc, /does not support OOB/);
  t.same(await qmp.execute('query-status'), PRELAUNCH);
});

t.test('messages with the caller\'s own id, or none', async (t) => {
  const { qmp } = await session(t);
  t.same(await qmp.executeMessage({ execute: 'query-status', id: 'mine-1' }), PRELAUNCH);
  // Id-less commands are answered in order.
  const [a, b] = await Promise.all([
    qmp.executeMessage({ execute: 'query-status' }),
    qmp.executeMessage({ execute: 'query-name' }),
  ]);
  t.same(a, PRELAUNCH);
  t.same(b, {});
  const refused = await qmp.executeMessage({ execute: 'device_del', arguments: { id: 'x' } }).catch((e: unknown) => e);
  t.equal((refused as ExecuteError).code, 'DeviceNotFound');
  for (const id of ['__zmdev#00001', 7, { a: 1 }]) {
    const bad = await qmp.executeMessage({ execute: 'query-status', id }).catch((e: unknown) => e);
    t.type(bad, QmpError);
    t.equal((bad as QmpError).code, 'EINVAL');
  }
  const first = qmp.executeMessage({ execute: 'query-status', id: 'dup' });
  const dup = await qmp.executeMessage({ execute: 'query-status', id: 'dup' }).catch((e: unknown) => e);
  t.match((dup as Error).message, /must not be in flight/);
  t.same(await first, PRELAUNCH);
});

t.test('timeout and abort leave the session usable; late replies are dropped', async (t) => {
  const log = logSink();
  const { qemu, qmp } = await session(t, log.logger);
  qemu.kill('SIGSTOP'); // QEMU reads nothing until SIGCONT
  t.teardown(() => { qemu.kill('SIGCONT'); });

  const timed = await qmp.execute('query-status', undefined, { timeoutMs: 150 }).catch((e: unknown) => e);
  t.type(timed, TimeoutError);
  t.equal((timed as TimeoutError).code, 'ETIMEDOUT');
  t.equal((timed as TimeoutError).timeoutMs, 150);
  t.match((timed as Error).message, /^QMP command query-status timed out after 150 ms; the QMP session is still usable/);

  const ac = new AbortController();
  const pending = qmp.execute('query-name', undefined, { signal: ac.signal });
  ac.abort();
  const aborted = await pending.catch((e: unknown) => e);
  t.type(aborted, AbortError);
  t.match((aborted as Error).message, /^QMP command query-name was aborted by the caller: This operation was aborted$/);

  // An id-less command that times out keeps its place, so the next id-less reply is not taken for it.
  const idlessTimed = await qmp.executeMessage({ execute: 'query-status' }, { timeoutMs: 100 }).catch((e: unknown) => e);
  t.type(idlessTimed, TimeoutError);
  const idlessNext = qmp.executeMessage({ execute: 'query-name' }, LONG);

  const already = await qmp.execute('query-status', undefined, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
  t.type(already, AbortError, 'an already-aborted signal fails before anything is sent');

  const withSignal = qmp.execute('query-status', undefined, { signal: new AbortController().signal, ...LONG });
  qemu.kill('SIGCONT');
  t.same(await idlessNext, {});
  t.same(await withSignal, PRELAUNCH);
  t.same(await qmp.execute('query-status'), PRELAUNCH);
  t.equal(qmp.runstate, 'running');
  t.equal(log.lines.filter((l) => /^debug .*dropped the late reply to __zmdev#\d+ \(its caller gave up\)/.test(l)).length, 2);
  t.equal(log.lines.filter((l) => /^debug .*late reply of an abandoned id-less command/.test(l)).length, 1);
  t.same(log.lines.filter((l) => l.startsWith('warn')), []);
});

t.test('quit under pending commands: every call gets ExecInterruptedError', async (t) => {
  const { qemu, qmp } = await session(t);
  qemu.kill('SIGSTOP');
  const quit = qmp.execute('quit').catch((e: unknown) => e);
  const waiting = Array.from({ length: 20 }, () => qmp.execute('query-status').catch((e: unknown) => e));
  const idless = qmp.executeMessage({ execute: 'query-status' }).catch((e: unknown) => e);
  qemu.kill('SIGCONT');
  const results = await Promise.all([...waiting, idless]);
  // quit itself may be answered before QEMU closes the socket.
  const q = await quit;
  t.ok(q === undefined || (q as object) instanceof ExecInterruptedError || JSON.stringify(q) === '{}', 'quit answered or interrupted');
  for (const r of results) {
    // QEMU may answer some before it exits.
    if (r instanceof ExecInterruptedError) {
      t.equal(r.code, 'ECONNRESET');
      t.match(r.message, /^QMP command query-status was interrupted: .*closed by the peer.*QEMU may or may not have run it/);
      t.equal(r.command, 'query-status');
    } else t.same(r, PRELAUNCH);
  }
  t.ok(results.some((r) => r instanceof ExecInterruptedError), 'some calls were interrupted');
  await qemu.exited;
  t.equal(qmp.runstate, 'idle');
  t.type(qmp.lastError, ConnectError);
  t.equal((qmp.lastError as ConnectError).code, 'ECONNRESET');
  const after = await qmp.execute('query-status').catch((e: unknown) => e);
  t.type(after, StateError);
});

t.test('QEMU killed under pending commands', async (t) => {
  const { qemu, qmp } = await session(t);
  qemu.kill('SIGSTOP');
  const waiting = Array.from({ length: 10 }, () => qmp.execute('query-status', undefined, LONG).catch((e: unknown) => e));
  qemu.kill('SIGKILL');
  for (const r of await Promise.all(waiting)) t.type(r, ExecInterruptedError);
  t.equal(qmp.runstate, 'idle');
});

t.test('disconnect() under pending commands is clean', async (t) => {
  const { qemu, qmp } = await session(t);
  qemu.kill('SIGSTOP');
  t.teardown(() => { qemu.kill('SIGCONT'); });
  const waiting = Array.from({ length: 5 }, () => qmp.execute('query-status', undefined, LONG).catch((e: unknown) => e));
  await qmp.disconnect();
  for (const r of await Promise.all(waiting)) {
    t.type(r, ExecInterruptedError);
    t.match((r as Error).message, /interrupted: disconnect\(\) was called/);
  }
  t.equal(qmp.runstate, 'idle');
  t.equal(qmp.lastError, undefined);
  qemu.kill('SIGCONT');
  await qmp.connect(qemu.address, LONG);
  t.same(await qmp.execute('query-status'), PRELAUNCH);
});

t.test('a garbage line on the socket: QEMU reports it without id, the client ends the session', async (t) => {
  // The test holds the socket so it can write bytes the client would never send.
  const qemu = await startQemu(t);
  const log = logSink();
  const qmp = new QmpClient({ logger: log.logger });
  const sock = net.connect(qemu.address);
  await qmp.connect(sock, LONG);
  qemu.kill('SIGSTOP');
  sock.write('not json\n');
  const pending = qmp.execute('query-status', undefined, LONG).catch((e: unknown) => e);
  qemu.kill('SIGCONT');
  // QEMU answers with one id-less GenericError per bad token ("not", "json"), then the query's reply.
  // The first id-less error cannot be matched to a command, so the session ends at once.
  const r = await pending;
  t.type(r, ExecInterruptedError);
  t.type((r as Error).cause, ServerParseError);
  t.match((r as Error).message, /JSON parse error, invalid keyword 'not'/);
  t.type(qmp.lastError, ServerParseError);
  t.equal((qmp.lastError as ServerParseError).code, 'EPROTO');
  t.match((qmp.lastError as ServerParseError).received, { error: { class: 'GenericError' } });
  t.match(qmp.lastError?.message, /make sure nothing else writes to this QMP socket, then reconnect/);
  t.equal(qmp.runstate, 'idle');
  t.match(log.lines, [/^warn qmp: QMP session with .* ended: QMP server could not parse its input/]);
  // QEMU itself is fine: a new session works.
  await qmp.connect(qemu.address, LONG);
  t.same(await qmp.execute('query-status'), PRELAUNCH);
  await qmp.disconnect();
});

t.test('a garbage line while an id-less command waits is taken as its reply', async (t) => {
  // This is the ambiguity the QMP spec warns about: an id-less error cannot be told apart from the reply of
  // an id-less command, so it is given to the oldest one. Clients that need certainty use ids (execute()).
  const qemu = await startQemu(t);
  const qmp = new QmpClient();
  const sock = net.connect(qemu.address);
  await qmp.connect(sock, LONG);
  t.teardown(() => qmp.disconnect());
  qemu.kill('SIGSTOP');
  sock.write('{]\n');
  const idless = qmp.executeMessage({ execute: 'query-name' }).catch((e: unknown) => e);
  qemu.kill('SIGCONT');
  const r = await idless;
  t.type(r, ExecuteError);
  t.equal((r as ExecuteError).code, 'GenericError');
  t.match((r as ExecuteError).desc, /JSON parse error/);
});
