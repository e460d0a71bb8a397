// A hostile peer: messages built to exhaust the client (deep nesting, huge lines). Real QEMU sends
// none of these, so the scripted peer of fixtures/fake-qmp.ts stands in for a compromised or fake monitor.
import t from 'tap';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  QmpClient, QmpError, ExecInterruptedError, ExecuteError, GreetingError, MessageTooDeepError, MessageTooLargeError,
  InvalidTimeoutError, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_MESSAGE_DEPTH, DEFAULT_MAX_QUEUED_EVENTS, MAX_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS, TimeoutError, checkTimeoutMs,
} from '../../src/qmp/index.js';
import { nestsDeeperThan } from '../../src/qmp/message.js';
import { EventHub } from '../../src/qmp/events.js';
import { detach } from '../../src/guest/hotplug.js';
import { fakeQmp, handshake, qemuJson, GREETING } from './fixtures/fake-qmp.js';

const LONG = { timeoutMs: 60_000 };

/** About 200 KB of nested arrays: V8 parses it, JSON.stringify of the result overflows the stack. */
const DEEP = '['.repeat(100_000) + ']'.repeat(100_000);

t.test('nesting is counted outside strings only, in one pass', async (t) => {
  t.equal(DEFAULT_MAX_MESSAGE_DEPTH, 1024);
  t.notOk(nestsDeeperThan('[[]]', 2));
  t.ok(nestsDeeperThan('[[[]]]', 2));
  t.ok(nestsDeeperThan('{"a": [{"b": 1}]}', 2));
  t.notOk(nestsDeeperThan('{"a": "[[[[{{{{"}', 1), 'brackets inside strings do not count');
  t.notOk(nestsDeeperThan('{"a": "\\"[[[[[[", "b": "\\\\"}', 1), 'escaped quotes do not end the string');
  t.ok(nestsDeeperThan('{"a": "\\\\", "b": [[1]]}', 2), 'an escaped backslash does');
  t.notOk(nestsDeeperThan('{}{}{}{}{}', 1), 'closing brackets bring the depth back');
  t.notOk(nestsDeeperThan('[[[', 3), 'a text no longer than the limit is not scanned');
  t.ok(nestsDeeperThan(DEEP, DEFAULT_MAX_MESSAGE_DEPTH));
});

t.test('a deeply nested error reply ends the session with a typed error; the command rejects at once', async (t) => {
  const path = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    const cmd = await peer.recv();
    peer.send(`{"error": {"class": "GenericError", "desc": ${DEEP}}, "id": "${cmd['id'] as string}"}\r\n`);
  });
  const qmp = new QmpClient();
  await qmp.connect(path, LONG);
  const started = Date.now();
  const err = await qmp.execute('query-status', undefined, { timeoutMs: 60_000 }).catch((e: unknown) => e);
  t.type(err, ExecInterruptedError);
  t.ok(Date.now() - started < 10_000, 'settled without waiting for the timeout');
  t.type(qmp.lastError, MessageTooDeepError);
  const deep = qmp.lastError as MessageTooDeepError;
  t.equal(deep.code, 'EMSGSIZE');
  t.equal(deep.limit, 1024);
  t.equal(deep.raw.length, 4097, 'the start of the message is kept, cut to 4 KiB');
  t.match(deep.message, /nested more than 1024 levels deep \(\{"error": .*\); the session was closed, raise maxMessageDepth/);
  t.match((err as Error).message, /nested more than 1024 levels deep/);
  t.equal(qmp.runstate, 'idle');
});

t.test('a deeply nested event ends the session; waits and a detach in progress reject with typed errors', async (t) => {
  const path = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    const del = await peer.recv();
    peer.send({ return: {}, id: del['id'] });
    peer.send(`{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "DEVICE_DELETED", "data": {"device": ${DEEP}}}\r\n`);
  });
  const qmp = new QmpClient();
  await qmp.connect(path, LONG);
  const all = qmp.listen();
  const waiting = all.get(LONG).catch((e: unknown) => e);
  const err = await detach(qmp, 'hostdev0', { timeoutMs: 60_000 }).catch((e: unknown) => e);
  t.type(err, ExecInterruptedError);
  t.type(await waiting, ExecInterruptedError);
  t.equal(all.size, 0, 'the event reached no listener');
  t.type(qmp.lastError, MessageTooDeepError);
  t.equal(qmp.runstate, 'idle');
});

t.test('a deeply nested greeting fails connect() with a GreetingError', async (t) => {
  const path = await fakeQmp(t, (peer) => peer.send(`{"QMP": {"version": ${DEEP}, "capabilities": []}}\r\n`));
  const qmp = new QmpClient();
  const err = await qmp.connect(path, LONG).catch((e: unknown) => e);
  t.type(err, GreetingError);
  t.equal((err as GreetingError).code, 'EPROTO');
  t.type((err as Error).cause, MessageTooDeepError);
  t.match((err as Error).message, /no greeting \(QMP server sent a message nested more than 1024 levels deep/);
  t.equal(qmp.runstate, 'idle');
});

t.test('the depth limit is exact and can be moved; with it raised, error texts still build', async (t) => {
  const path = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    const a = await peer.recv();
    peer.send(`{"return": [[[1]]], "id": "${a['id'] as string}"}\r\n`);
    const b = await peer.recv();
    peer.send(`{"return": [[[[1]]]], "id": "${b['id'] as string}"}\r\n`);
  });
  const qmp = new QmpClient({ maxMessageDepth: 4 });
  await qmp.connect(path, LONG);
  t.same(await qmp.execute('a'), [[[1]]], 'four levels pass');
  t.type(await qmp.execute('b').catch((e: unknown) => e), ExecInterruptedError, 'five do not');
  t.equal((qmp.lastError as MessageTooDeepError).limit, 4);

  // Raised far past the default, the value is delivered; the client's own texts about it do not throw.
  const path2 = await fakeQmp(t, async (peer) => {
    peer.send(`{"QMP": {"version": ${DEEP}, "capabilities": []}}\r\n`);
  });
  const raised = new QmpClient({ maxMessageDepth: 200_000 });
  const gerr = await raised.connect(path2, LONG).catch((e: unknown) => e);
  t.type(gerr, GreetingError);
  t.match((gerr as Error).message, /no version\.qemu \{major, minor, micro\} \(\(a value nested too deeply to show\)\)/);

  const path3 = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    const cmd = await peer.recv();
    peer.send(`{"error": {"class": "GenericError", "desc": ${DEEP}}, "id": "${cmd['id'] as string}"}\r\n`);
  });
  await raised.connect(path3, LONG);
  const eerr = await raised.execute('x', undefined, LONG).catch((e: unknown) => e);
  t.type(eerr, ExecuteError);
  t.equal((eerr as ExecuteError).desc, '(a value nested too deeply to show)');
  t.equal(raised.runstate, 'running');
  await raised.disconnect();
});

t.test('a huge line under the default size limit ends the session without buffering it all', async (t) => {
  t.equal(DEFAULT_MAX_MESSAGE_BYTES, 10 * 1024 * 1024);
  const path = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    await peer.recv();
    // 12 MiB of a never-ending string, sent in 1 MiB pieces.
    peer.send('{"return": "');
    const piece = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 12; i++) peer.send(piece);
  });
  const qmp = new QmpClient();
  await qmp.connect(path, LONG);
  t.type(await qmp.execute('query-status', undefined, LONG).catch((e: unknown) => e), ExecInterruptedError);
  t.type(qmp.lastError, MessageTooLargeError);
  t.equal((qmp.lastError as MessageTooLargeError).limit, DEFAULT_MAX_MESSAGE_BYTES);
  t.equal(qmp.runstate, 'idle');
});

t.test('size options must be positive integers', async (t) => {
  for (const [opts, pattern] of [
    [{ maxMessageDepth: 0 }, /^maxMessageDepth must be a positive integer, not 0$/],
    [{ maxMessageDepth: 1.5 }, /^maxMessageDepth must be a positive integer, not 1\.5$/],
    [{ maxMessageDepth: Infinity }, /not Infinity/],
    [{ maxMessageBytes: -1 }, /^maxMessageBytes must be a positive integer, not -1$/],
  ] as const) {
    const err = t.throws(() => new QmpClient(opts)) as unknown as QmpError;
    t.type(err, QmpError);
    t.equal(err.code, 'EINVAL');
    t.match(err.message, pattern);
  }
  t.ok(new QmpClient({ maxMessageDepth: 1, maxMessageBytes: 1 }));
});

t.test('a flood of events to listeners nobody reads: each keeps its newest maxQueued, counts the rest', async (t) => {
  t.equal(DEFAULT_MAX_QUEUED_EVENTS, 1000);
  const N = 20_000;
  const path = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    const cmd = await peer.recv();
    const lines: string[] = [];
    for (let i = 0; i < N; i++) lines.push(`{"timestamp": {"seconds": 1, "microseconds": ${i}}, "event": "BALLOON_CHANGE", "data": {"actual": ${i}}}\r\n`);
    peer.send(lines.join(''));
    // The reply comes after every event, so once it is in, all events are.
    peer.send({ return: {}, id: cmd['id'] });
  });
  const warnings: string[] = [];
  const qmp = new QmpClient({ logger: { warn: (m) => warnings.push(m) } });
  await qmp.connect(path, LONG);
  using unread = qmp.listen();
  using small = qmp.listen({ names: 'BALLOON_CHANGE', maxQueued: 10 });
  using all = qmp.listen({ maxQueued: Infinity });
  using other = qmp.listen({ names: 'STOP' });
  t.equal(unread.maxQueued, 1000);
  await qmp.execute('query-balloon', undefined, LONG);
  t.equal(unread.size, 1000);
  t.equal(unread.dropped, N - 1000);
  t.equal(unread.take()?.data['actual'], N - 1000, 'the oldest were dropped');
  t.equal(small.size, 10);
  t.equal(small.dropped, N - 10);
  t.same(small.clear().map((e) => e.data['actual']), Array.from({ length: 10 }, (_, i) => N - 10 + i));
  t.equal(small.dropped, N - 10, 'clear() does not reset the count');
  t.equal(all.size, N);
  t.equal(all.dropped, 0);
  t.equal(other.size + other.dropped, 0);
  t.equal(warnings.length, 2, 'the first drop of each listener is logged, once');
  t.match(warnings[0], /the listener for BALLOON_CHANGE holds 10 unread events/);
  t.match(warnings[1], /the listener for all events holds 1000 unread events, so it dropped the oldest; read it, remove it when done, or raise maxQueued/);
  await qmp.disconnect();
});

t.test('a million events to an unread listener keep its queue at the bound', async (t) => {
  const hub = new EventHub(100, () => {});
  const l = hub.listen();
  for (let i = 0; i < 1_000_000; i++) hub.dispatch({ event: 'E', data: { i }, timestamp: { seconds: 0, microseconds: 0 } });
  t.equal(l.size, 1000);
  t.equal(l.dropped, 999_000);
  t.equal(l.take()?.data['i'], 999_000);
  const named = new EventHub(10, () => {}, 5).listen({ names: 'E' });
  t.equal(named.maxQueued, 5, 'the client-wide bound is the default');
});

t.test('queue bounds must be positive integers or Infinity', async (t) => {
  const qmp = new QmpClient({ maxQueuedEvents: 3 });
  t.equal(qmp.listen().maxQueued, 3);
  for (const bad of [0, -1, 2.5, NaN]) {
    const err = t.throws(() => qmp.listen({ maxQueued: bad })) as unknown as QmpError;
    t.equal(err.code, 'EINVAL');
    t.match(err.message, /^maxQueued must be a positive integer or Infinity, not /);
  }
  const err = t.throws(() => new QmpClient({ maxQueuedEvents: 0 })) as unknown as QmpError;
  t.match(err.message, /^maxQueuedEvents must be a positive integer or Infinity, not 0$/);
});

t.test('a timeout Node cannot hold is refused before anything is sent or armed', async (t) => {
  t.equal(MAX_TIMEOUT_MS, 2_147_483_647);
  const sent: string[] = [];
  const path = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    for (;;) {
      const cmd = await peer.recv();
      sent.push(cmd['execute'] as string);
      peer.send({ return: {}, id: cmd['id'] });
    }
  });
  const qmp = new QmpClient();
  const check = (err: unknown, value: string): void => {
    t.type(err, InvalidTimeoutError);
    t.equal((err as InvalidTimeoutError).code, 'EINVAL');
    t.equal((err as InvalidTimeoutError).limit, MAX_TIMEOUT_MS);
    t.match((err as Error).message, new RegExp(`^timeoutMs ${value} is not a usable timeout: it must be a number of ` +
      'milliseconds from 0 to 2147483647 \\(about 24\\.8 days\\), the longest timer Node can hold'));
  };
  check(await qmp.connect(path, { timeoutMs: 3_000_000_000 }).catch((e: unknown) => e), '3000000000');
  t.equal(qmp.runstate, 'idle', 'connect() did not start');
  await qmp.connect(path, LONG);
  // The CLI's --timeout 3000000 (seconds): Node would have fired it after 1 ms.
  const started = Date.now();
  check(await qmp.execute('query-status', undefined, { timeoutMs: 3_000_000_000 }).catch((e: unknown) => e), '3000000000');
  check(await qmp.executeMessage({ execute: 'query-name' }, { timeoutMs: -1 }).catch((e: unknown) => e), '-1');
  check(await qmp.execute('x', undefined, { timeoutMs: NaN }).catch((e: unknown) => e), 'NaN');
  check(await qmp.execute('x', undefined, { timeoutMs: '10' as unknown as number }).catch((e: unknown) => e), '"10"');
  using l = qmp.listen();
  check(await l.get({ timeoutMs: MAX_TIMEOUT_MS + 1 }).catch((e: unknown) => e), '2147483648');
  check(await qmp.waitForEvent('STOP', undefined, { timeoutMs: 2 ** 40 }).catch((e: unknown) => e), '1099511627776');
  check(await detach(qmp, 'hostdev0', { timeoutMs: 3_000_000_000 }).catch((e: unknown) => e), '3000000000');
  t.ok(Date.now() - started < 10_000);
  t.same(sent, [], 'nothing was sent');
  // The limit itself and 0 are fine.
  t.same(await qmp.execute('query-status', undefined, { timeoutMs: MAX_TIMEOUT_MS }), {});
  t.same(sent, ['query-status']);
  t.equal(checkTimeoutMs(0), 0);
  t.equal(checkTimeoutMs(undefined), undefined);
  t.match(t.throws(() => checkTimeoutMs(3e9, '--timeout')), { code: 'EINVAL', message: /^--timeout 3000000000 is not a usable timeout/ });
  await qmp.disconnect();
});

t.test('a silent server: every call gives up after the default timeout unless told to wait for ever', async (t) => {
  t.equal(DEFAULT_TIMEOUT_MS, 30_000);
  // Says nothing at all, not even the greeting.
  const mute = await fakeQmp(t, () => undefined);
  const qmp = new QmpClient({ defaultTimeoutMs: 200 });
  const started = Date.now();
  const cerr = await qmp.connect(mute).catch((e: unknown) => e);
  t.type(cerr, TimeoutError);
  // What is left of the 200 ms once the socket is open.
  const left = (cerr as TimeoutError).timeoutMs;
  t.ok(left > 100 && left <= 200, `the greeting wait got the rest of the default (${left} ms)`);
  t.match((cerr as Error).message, /waiting for the greeting timed out after \d+ ms/);
  t.ok(Date.now() - started < 10_000);
  t.equal(qmp.runstate, 'idle');

  // Greets, negotiates, then never answers or sends an event again.
  let received = 0;
  const silent = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    for (;;) {
      await peer.recv();
      received++;
    }
  });
  await qmp.connect(silent);
  const xerr = await qmp.execute('query-status').catch((e: unknown) => e);
  t.type(xerr, TimeoutError);
  t.equal((xerr as TimeoutError).timeoutMs, 200);
  t.match((xerr as Error).message, /QMP command query-status timed out after 200 ms; the QMP session is still usable/);
  t.type(await qmp.executeMessage({ execute: 'query-name' }).catch((e: unknown) => e), TimeoutError);
  const werr = await qmp.waitForEvent('STOP').catch((e: unknown) => e);
  t.type(werr, TimeoutError);
  t.match((werr as Error).message, /waiting for event STOP timed out after 200 ms; no events at all arrived meanwhile/);
  const l = qmp.listen();
  t.equal((await l.get().catch((e: unknown) => e) as TimeoutError).timeoutMs, 200);
  // A call's own timeout wins over the default.
  t.equal((await l.get({ timeoutMs: 20 }).catch((e: unknown) => e) as TimeoutError).timeoutMs, 20);

  // null and Infinity: no timer; these end only with the session.
  const forever = [
    qmp.execute('a', undefined, { timeoutMs: null }).catch((e: unknown) => e),
    qmp.execute('b', undefined, { timeoutMs: Infinity }).catch((e: unknown) => e),
    l.get({ timeoutMs: null }).catch((e: unknown) => e),
    qmp.waitForEvent('STOP', undefined, { timeoutMs: Infinity }).catch((e: unknown) => e),
  ];
  // Iteration is not a call with a timeout: it ends with the session, too.
  const iterated = (async () => { for await (const ev of l) return ev; return 'ended'; })();
  let settled = false;
  void Promise.race([...forever, iterated]).then(() => { settled = true; });
  await new Promise((r) => setTimeout(r, 500));
  t.notOk(settled, 'nothing gave up after more than twice the default');
  await qmp.disconnect();
  for (const p of forever) t.type(await p, ExecInterruptedError);
  t.equal(await iterated, 'ended');
  t.equal(received, 4);
});

t.test('a client-wide null default waits without a timer; the default is checked like any timeout', async (t) => {
  const path = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    const cmd = await peer.recv();
    await new Promise((r) => setTimeout(r, 300));
    peer.send({ return: 'late', id: cmd['id'] });
  });
  const patient = new QmpClient({ defaultTimeoutMs: null });
  await patient.connect(path);
  t.equal(await patient.execute('query-name'), 'late');
  await patient.disconnect();
  const err = t.throws(() => new QmpClient({ defaultTimeoutMs: 3_000_000_000 })) as unknown as InvalidTimeoutError;
  t.type(err, InvalidTimeoutError);
  t.match(err.message, /^defaultTimeoutMs 3000000000 is not a usable timeout/);
  t.ok(new QmpClient({ defaultTimeoutMs: Infinity }));
});

t.test('disconnect() from a peer that stopped reading closes the socket after a grace period', async (t) => {
  // The fake peer always reads; this one takes the handshake and then pauses its socket for good.
  const dir = mkdtempSync(join(tmpdir(), 'zmdev-stuckqmp-'));
  const path = join(dir, 'qmp.sock');
  const srv = net.createServer((sock) => {
    sock.on('error', () => { /* the client resets */ });
    sock.write(qemuJson(GREETING) + '\r\n');
    sock.once('data', (d) => {
      sock.pause();
      sock.write(qemuJson({ return: {}, id: (JSON.parse(d.toString().split('\n')[0] as string) as { id: string }).id }) + '\r\n');
    });
  });
  await new Promise<void>((resolve) => srv.listen(path, resolve));
  t.teardown(() => { srv.close(); rmSync(dir, { recursive: true, force: true }); });
  const qmp = new QmpClient({ defaultTimeoutMs: 100 });
  await qmp.connect(path);
  // More than the socket buffers hold, so the write can never drain.
  t.type(await qmp.execute('x', { big: 'x'.repeat(8 * 1024 * 1024) }).catch((e: unknown) => e), TimeoutError);
  const started = Date.now();
  await qmp.disconnect();
  const took = Date.now() - started;
  // disconnect() resolves on the client socket's close, so the socket is gone.
  t.ok(took >= 900 && took < 10_000, `disconnect() returned after the grace period (${took} ms)`);
  t.equal(qmp.runstate, 'idle');
});
