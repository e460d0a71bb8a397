// Session setup against a real QEMU: greeting, negotiation, runstate, and the ways connect() fails.
import t from 'tap';
import net from 'node:net';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  QmpClient, ConnectError, GreetingError, ExecuteError, StateError, TimeoutError, AbortError, DeserializationError,
  type Runstate,
} from '../../src/qmp/index.js';
import { startQemu } from './fixtures/qemu.js';

const LONG = { timeoutMs: 30_000 };

t.test('greeting and negotiation', async (t) => {
  const qemu = await startQemu(t);
  const states: Runstate[] = [];
  const qmp = new QmpClient({ name: 'vm1', onRunstate: (state, previous) => states.push(previous, state) });
  t.equal(qmp.runstate, 'idle');
  t.equal(qmp.greeting, undefined);
  t.equal(qmp.oobEnabled, false);
  const running = qmp.whenRunstate('running');
  const greeting = await qmp.connect(qemu.address, LONG);
  t.equal(qmp.runstate, 'running');
  await running;
  await qmp.whenRunstate('running');
  t.equal(greeting.version.qemu.major, 7);
  t.equal(greeting.version.qemu.minor, 2);
  t.type(greeting.version.qemu.micro, 'number');
  t.match(greeting.version.package, /\S/);
  t.ok(greeting.capabilities.includes('oob'), 'QEMU offers oob');
  t.ok(qmp.oobEnabled, 'and the client enabled it');
  t.same(qmp.greeting, greeting);
  t.same(await qmp.execute('query-status'), { status: 'prelaunch', singlestep: false, running: false });

  // A second qmp_capabilities is refused by QEMU; the session goes on.
  const again = await qmp.execute('qmp_capabilities').catch((e: unknown) => e);
  t.type(again, ExecuteError);
  t.equal((again as ExecuteError).code, 'CommandNotFound');
  t.match((again as ExecuteError).desc, /already complete/);
  t.equal((again as ExecuteError).command, 'qmp_capabilities');
  t.same((again as ExecuteError).toJSON(), {
    code: 'CommandNotFound', message: (again as ExecuteError).message, command: 'qmp_capabilities',
    class: 'CommandNotFound', desc: (again as ExecuteError).desc,
  });
  t.same(await qmp.execute('query-name'), {});

  // connect() while running does not fit the runstate.
  const busy = await qmp.connect(qemu.address).catch((e: unknown) => e);
  t.type(busy, StateError);
  t.equal((busy as StateError).code, 'EISCONN');
  t.equal((busy as StateError).state, 'running');

  await qmp.disconnect();
  t.same(states, ['idle', 'connecting', 'connecting', 'running', 'running', 'disconnecting', 'disconnecting', 'idle']);
  t.equal(qmp.greeting, undefined);
  t.equal(qmp.lastError, undefined, 'a clean disconnect records no error');
  await qmp.disconnect(); // idle: a no-op

  const idle = await qmp.execute('query-status').catch((e: unknown) => e);
  t.type(idle, StateError);
  t.equal((idle as StateError).code, 'ENOTCONN');
  t.match((idle as Error).message, /needs the QMP client to be running, but it is idle; connect\(\) first/);

  // No hidden reconnect, but an explicit one works: QEMU takes the next client.
  await qmp.connect(qemu.address);
  t.same(await qmp.execute('query-status', undefined, LONG), { status: 'prelaunch', singlestep: false, running: false });
  await qmp.disconnect();
});

t.test('without negotiation QEMU refuses commands with CommandNotFound', async (t) => {
  const qemu = await startQemu(t);
  const qmp = new QmpClient();
  const greeting = await qmp.connect(qemu.address, { ...LONG, negotiate: false });
  t.ok(greeting.capabilities.includes('oob'));
  t.equal(qmp.oobEnabled, false);
  const err = await qmp.execute('query-status').catch((e: unknown) => e);
  t.type(err, ExecuteError);
  t.equal((err as ExecuteError).code, 'CommandNotFound');
  t.equal((err as ExecuteError).errorClass, 'CommandNotFound');
  t.match((err as ExecuteError).desc, /Expecting capabilities negotiation/);
  t.match((err as Error).message, /^QEMU refused query-status: CommandNotFound: Expecting capabilities negotiation/);
  t.same((err as ExecuteError).sent, { execute: 'query-status', id: (err as ExecuteError).sent['id'] });
  t.match((err as ExecuteError).sent['id'], /^__zmdev#\d{5}$/);
  // The caller may negotiate by hand.
  t.same(await qmp.execute('qmp_capabilities'), {});
  t.same(await qmp.execute('query-status'), { status: 'prelaunch', singlestep: false, running: false });
  await qmp.disconnect();
});

t.test('over TCP and over a socket the caller opened', async (t) => {
  const tcp = await startQemu(t, { monitor: 'tcp' });
  const qmp = new QmpClient();
  await qmp.connect(tcp.address, LONG);
  t.same(await qmp.execute('query-name'), {});
  await qmp.disconnect();
  const [host, port] = tcp.address.split(':') as [string, string];
  await qmp.connect({ host, port: Number(port) }, LONG);
  t.same(await qmp.execute('query-name'), {});
  await qmp.disconnect();

  const unix = await startQemu(t);
  const sock = net.connect(unix.address);
  await qmp.connect(sock, LONG);
  t.same(await qmp.execute('query-name'), {});
  await qmp.disconnect();
  t.ok(sock.destroyed, 'the client owns and closes the socket it was given');
  await qmp.connect({ path: unix.address }, LONG);
  t.same(await qmp.execute('query-name'), {});
  await qmp.disconnect();

  const closed = await qmp.connect(sock).catch((e: unknown) => e);
  t.type(closed, ConnectError);
  t.equal((closed as ConnectError).code, 'EBADF');
  t.equal(qmp.runstate, 'idle');
});

t.test('connect failures leave the client idle', async (t) => {
  const qmp = new QmpClient();
  const missing = await qmp.connect(join(t.testdirName, 'no-such.sock')).catch((e: unknown) => e);
  t.type(missing, ConnectError);
  t.equal((missing as ConnectError).code, 'ENOENT');
  t.match((missing as Error).message, /QMP connect to .*no-such\.sock failed: .*check that QEMU runs with -qmp/);
  t.equal(qmp.runstate, 'idle');

  const aborted = await qmp.connect('/nonexistent', { signal: AbortSignal.abort('not now') }).catch((e: unknown) => e);
  t.type(aborted, AbortError);
  t.equal((aborted as AbortError).code, 'ECANCELED');
  t.match((aborted as Error).message, /aborted by the caller: not now/);
  t.equal(qmp.runstate, 'idle');
});

t.test('a human monitor is not QMP: GreetingError', async (t) => {
  // Real QEMU with -monitor (HMP) on the socket: its banner is text, not a QMP greeting.
  const qemu = await startQemu(t, { monitor: 'hmp' });
  const qmp = new QmpClient();
  const err = await qmp.connect(qemu.address, LONG).catch((e: unknown) => e);
  t.type(err, GreetingError);
  t.type(err, ConnectError);
  t.equal((err as GreetingError).code, 'EPROTO');
  t.type((err as Error).cause, DeserializationError);
  t.match(((err as Error).cause as DeserializationError).raw, /QEMU .* monitor/);
  t.match((err as Error).message, /no greeting .*not JSON.*check that the address is a QEMU -qmp socket/);
  t.equal(qmp.runstate, 'idle');
});

t.test('a peer that never greets: timeout, abort, and disconnect() while connecting', async (t) => {
  // QEMU's QMP monitor always greets at once; a silent peer is a plain listening socket.
  const srv = net.createServer(() => { /* accept and say nothing */ });
  const dir = mkdtempSync(join(tmpdir(), 'zmdev-qmp-'));
  const path = join(dir, 'silent.sock');
  await new Promise<void>((resolve) => srv.listen(path, resolve));
  t.teardown(() => { srv.close(); rmSync(dir, { recursive: true, force: true }); });
  const qmp = new QmpClient();

  const timedOut = await qmp.connect(path, { timeoutMs: 200 }).catch((e: unknown) => e);
  t.type(timedOut, TimeoutError);
  t.equal((timedOut as TimeoutError).code, 'ETIMEDOUT');
  t.match((timedOut as Error).message, /QMP connect to .*: waiting for the greeting timed out after \d+ ms/);
  t.equal(qmp.runstate, 'idle');

  const ac = new AbortController();
  const pending = qmp.connect(path, { signal: ac.signal, timeoutMs: 60_000 });
  while ((await connections(srv)) === 0) await delay(5);
  ac.abort(new Error('user pressed ^C'));
  const aborted = await pending.catch((e: unknown) => e);
  t.type(aborted, AbortError);
  t.match((aborted as Error).message, /^QMP connect to .*silent.sock.* was aborted by the caller: user pressed \^C$/);
  t.equal(qmp.runstate, 'idle');

  const connecting = qmp.connect(path);
  t.equal(qmp.runstate, 'connecting');
  await qmp.disconnect();
  t.equal(qmp.runstate, 'idle');
  const stopped = await connecting.catch((e: unknown) => e);
  t.type(stopped, AbortError);
  t.match((stopped as Error).message, /disconnect\(\) was called while connecting/);
});

function connections(srv: net.Server): Promise<number> {
  return new Promise((resolve) => srv.getConnections((_err, n) => resolve(n)));
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
