// Cases real QEMU cannot be made to produce, against a scripted peer that talks like QEMU 7.2
// (see fixtures/fake-qmp.ts). Each test says which part of the protocol it reaches.
import t from 'tap';
import {
  QmpClient, ConnectError, GreetingError, NegotiationError, ExecuteError, BadReplyError, MessageTooLargeError,
  UnexpectedTypeError, DeserializationError, ExecInterruptedError, ServerParseError, TimeoutError,
} from '../../src/qmp/index.js';
import { fakeQmp, handshake, GREETING, type Peer } from './fixtures/fake-qmp.js';

const LONG = { timeoutMs: 60_000 };

function logSink(): { lines: string[]; logger: { debug(m: string): void; warn(m: string): void } } {
  const lines: string[] = [];
  return { lines, logger: { debug: (m) => lines.push(`debug ${m}`), warn: (m) => lines.push(`warn ${m}`) } };
}

t.test('replies with unknown ids are dropped and logged; the right caller still gets its reply', async (t) => {
  // QEMU only echoes ids it was sent; a stray id needs a scripted peer.
  const path = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    const cmd = await peer.recv();
    peer.send({ return: {}, id: 'stranger' });
    peer.send({ return: {}, id: 42 });
    peer.send({ return: {} }); // id-less, nothing id-less pending
    peer.send({ return: { status: 'running', singlestep: false, running: true }, id: cmd['id'] });
  });
  const log = logSink();
  const qmp = new QmpClient({ logger: log.logger });
  await qmp.connect(path, LONG);
  t.same(await qmp.execute('query-status'), { status: 'running', singlestep: false, running: true });
  t.match(log.lines, [
    /^warn qmp: dropped a reply with unknown id "stranger"/,
    /^warn qmp: dropped a reply with unknown id 42/,
    /^warn qmp: dropped an id-less message that answers nothing: \{"return":\{\}\}/,
  ]);
  await qmp.disconnect();
});

t.test('a reply without return or error fails its caller only', async (t) => {
  // QEMU always sends "return" or "error".
  const path = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    const a = await peer.recv();
    peer.send({ id: a['id'] });
    const b = await peer.recv();
    peer.send({ error: {}, id: b['id'] });
    const c = await peer.recv();
    peer.send({ error: { desc: 'no class' }, id: c['id'] });
    const d = await peer.recv();
    peer.send({ return: 7, id: d['id'] });
  });
  const qmp = new QmpClient();
  await qmp.connect(path, LONG);
  const bad = await qmp.execute('query-status').catch((e: unknown) => e);
  t.type(bad, BadReplyError);
  t.match((bad as Error).message, /reply to query-status has neither "return" nor "error"/);
  t.match((bad as BadReplyError).sent, { execute: 'query-status' });
  t.match((bad as BadReplyError).received, { id: /^__zmdev#/ });
  const empty = await qmp.execute('x').catch((e: unknown) => e);
  t.equal((empty as ExecuteError).code, 'GenericError');
  t.equal((empty as ExecuteError).desc, '{}');
  const noClass = await qmp.execute('y').catch((e: unknown) => e);
  t.equal((noClass as ExecuteError).desc, 'no class');
  t.equal(await qmp.executeMessage({ 'exec-oob': 'z', id: 'mine' }), 7);
  t.equal(qmp.runstate, 'running');
  await qmp.disconnect();
});

t.test('partial reads, several messages per chunk, and a line over the limit', async (t) => {
  // QEMU writes whole lines; dribbling bytes and oversized lines need a scripted peer.
  const path = await fakeQmp(t, async (peer) => {
    const greeting = Buffer.from(JSON.stringify(GREETING) + '\r\n');
    for (let i = 0; i < greeting.length; i += 7) {
      peer.send(greeting.subarray(i, i + 7));
      await new Promise((r) => setTimeout(r, 1));
    }
    const caps = await peer.recv();
    // The reply and two events in one chunk, the last one cut in two.
    const ev = '{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}\r\n';
    peer.send(`{"return": {}, "id": "${caps['id'] as string}"}\r\n${ev}${ev.slice(0, 20)}`);
    await new Promise((r) => setTimeout(r, 20));
    peer.send(`${ev.slice(20)}\r\n`);
    await peer.recv();
    peer.send('x'.repeat(600) + '\r\n');
  });
  const log = logSink();
  const qmp = new QmpClient({ logger: log.logger, maxMessageBytes: 512 });
  const stops = qmp.listen({ names: 'STOP' });
  await qmp.connect(path, LONG);
  t.same(qmp.greeting?.capabilities, ['oob']);
  t.same((await stops.get(LONG)).timestamp, { seconds: 1, microseconds: 2 });
  t.same((await stops.get(LONG)).event, 'STOP');
  const r = await qmp.execute('query-status').catch((e: unknown) => e);
  t.type(r, ExecInterruptedError);
  t.type(qmp.lastError, MessageTooLargeError);
  t.equal((qmp.lastError as MessageTooLargeError).limit, 512);
  t.equal((qmp.lastError as MessageTooLargeError).code, 'EMSGSIZE');
  t.match(qmp.lastError?.message, /longer than 512 bytes; the session was closed, raise maxMessageBytes/);
});

t.test('a line over the limit spread over chunks, and one following an error that already ended the session', async (t) => {
  // Both need byte-level control of the stream.
  const path = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    await peer.recv();
    peer.send('y'.repeat(300));
    await new Promise((r) => setTimeout(r, 20));
    peer.send('y'.repeat(300));
  });
  const qmp = new QmpClient({ maxMessageBytes: 512 });
  await qmp.connect(path, LONG);
  t.type(await qmp.execute('a').catch((e: unknown) => e), ExecInterruptedError);
  t.type(qmp.lastError, MessageTooLargeError);

  const path2 = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    await peer.recv();
    // The reply after the error reaches the client in the same read, after the session ended.
    peer.send(`{"error": {"class": "GenericError", "desc": "JSON parse error, invalid keyword 'x'"}}\r\n{"return": {}, "id": "__zmdev#00002"}\r\n${'z'.repeat(600)}\r\n`);
  });
  await qmp.connect(path2, LONG);
  t.type(await qmp.execute('b').catch((e: unknown) => e), ExecInterruptedError);
  t.type(qmp.lastError, ServerParseError, 'the first failure is the one recorded');
});

t.test('non-JSON and non-object messages during a session end it', async (t) => {
  // QEMU never sends these; they stand for a corrupted stream.
  for (const [line, type, pattern] of [
    ['{"return": ', DeserializationError, /line that is not JSON \(\{"return": \)/],
    ['[1, 2]', UnexpectedTypeError, /an array where a JSON object was expected/],
    ['null', UnexpectedTypeError, /null where a JSON object was expected/],
    ['"hi"', UnexpectedTypeError, /a string where a JSON object was expected/],
    ['{"event": 5, "data": {}}', UnexpectedTypeError, /an event whose name is not a string/],
  ] as const) {
    const path = await fakeQmp(t, async (peer) => {
      await handshake(peer);
      await peer.recv();
      peer.send(line + '\r\n');
    });
    const qmp = new QmpClient();
    await qmp.connect(path, LONG);
    const r = await qmp.execute('query-status').catch((e: unknown) => e);
    t.type(r, ExecInterruptedError);
    t.type(qmp.lastError, type);
    t.match(qmp.lastError?.message, pattern);
  }
});

t.test('malformed greetings', async (t) => {
  // QEMU's greeting is fixed; these stand for peers that are not QMP monitors.
  const cases: Array<[object | string, RegExp]> = [
    [{ event: 'STOP' }, /no "QMP" object/],
    [{ QMP: { version: { qemu: { major: 7 } }, capabilities: [] } }, /no version\.qemu \{major, minor, micro\}/],
    [{ QMP: { version: 'x', capabilities: [] } }, /no version\.qemu/],
    [{ QMP: { version: {}, capabilities: [] } }, /no version\.qemu/],
    [{ QMP: { version: GREETING.QMP.version, capabilities: 'oob' } }, /no capabilities list of strings/],
    [{ QMP: { version: GREETING.QMP.version, capabilities: [1] } }, /no capabilities list of strings/],
    ['[]\r\n', /no greeting \(QMP server sent an array/],
  ];
  for (const [greeting, pattern] of cases) {
    const path = await fakeQmp(t, (peer) => peer.send(greeting));
    const qmp = new QmpClient();
    const err = await qmp.connect(path, LONG).catch((e: unknown) => e);
    t.type(err, GreetingError);
    t.match((err as Error).message, pattern);
    t.equal(qmp.runstate, 'idle');
  }
  // A greeting without a package string and without oob: no oob is asked for.
  const plain = { QMP: { version: { qemu: { micro: 0, minor: 0, major: 2 } }, capabilities: [] } };
  let asked: unknown;
  const path = await fakeQmp(t, async (peer) => {
    peer.send(plain);
    const caps = await peer.recv();
    asked = caps['arguments'];
    peer.send({ return: {}, id: caps['id'] });
  });
  const qmp = new QmpClient();
  const g = await qmp.connect(path, LONG);
  t.equal(g.version.package, '');
  t.same(asked, { enable: [] });
  t.equal(qmp.oobEnabled, false);
  t.same(g.raw, plain);
  await qmp.disconnect();
});

t.test('negotiation failures', async (t) => {
  // QEMU accepts the first qmp_capabilities; refusals and odd replies need a scripted peer.
  const scripts: Array<[(peer: Peer) => Promise<void>, RegExp, unknown]> = [
    [async (peer) => {
      peer.send(GREETING);
      const caps = await peer.recv();
      peer.send({ id: caps['id'], error: { class: 'GenericError', desc: "Capability 'oob' unavailable" } });
    }, /QEMU refused qmp_capabilities: GenericError: Capability 'oob' unavailable/, ExecuteError],
    [async (peer) => {
      peer.send(GREETING);
      await peer.recv();
      peer.send({ return: {}, id: 'other' });
    }, /expected the reply to qmp_capabilities, got \{"return":\{\},"id":"other"\}/, undefined],
    [async (peer) => {
      peer.send(GREETING);
      await peer.recv();
      peer.send('{"return": \r\n');
    }, /no reply \(QMP server sent a line that is not JSON/, DeserializationError],
  ];
  for (const [script, pattern, causeType] of scripts) {
    const path = await fakeQmp(t, script);
    const qmp = new QmpClient();
    const err = await qmp.connect(path, LONG).catch((e: unknown) => e);
    t.type(err, NegotiationError);
    t.type(err, ConnectError);
    t.match((err as Error).message, pattern);
    t.match((err as Error).message, /connect with \{negotiate: false\}/);
    if (causeType) t.type((err as Error).cause, causeType as never);
    t.equal(qmp.runstate, 'idle');
  }
});

t.test('the peer closes or stalls during setup', async (t) => {
  // QEMU does not hang up on a new client; a peer that does needs a script.
  const closesAtOnce = await fakeQmp(t, (peer) => peer.close());
  const qmp = new QmpClient();
  const err = await qmp.connect(closesAtOnce, LONG).catch((e: unknown) => e);
  t.type(err, ConnectError);
  t.equal((err as ConnectError).code, 'ECONNRESET');
  t.match((err as Error).message, /the connection was closed by the peer/);

  const closesAfterGreeting = await fakeQmp(t, async (peer) => {
    peer.send(GREETING);
    await peer.recv();
    peer.close();
  });
  const err2 = await qmp.connect(closesAfterGreeting, LONG).catch((e: unknown) => e);
  t.type(err2, ConnectError);
  t.notOk(err2 instanceof NegotiationError, 'a closed socket is reported as such');

  const stallsAfterGreeting = await fakeQmp(t, (peer) => peer.send(GREETING));
  const err3 = await qmp.connect(stallsAfterGreeting, { timeoutMs: 300 }).catch((e: unknown) => e);
  t.type(err3, TimeoutError);
  t.match((err3 as Error).message, /waiting for the qmp_capabilities reply timed out/);

  // Greeting, reply and an event in one chunk: nothing is lost while connect() is between steps.
  const eager = await fakeQmp(t, async (peer) => {
    peer.send(`${JSON.stringify(GREETING)}\r\n`);
    const caps = await peer.recv();
    peer.send(`{"return": {}, "id": "${caps['id'] as string}"}\r\n{"event": "RESUME"}\r\n`);
  });
  const events = qmp.listen();
  await qmp.connect(eager, LONG);
  const ev = await events.get(LONG);
  t.same(ev, { event: 'RESUME', data: {}, timestamp: { seconds: 0, microseconds: 0 } }, 'missing data and timestamp get defaults');
  await qmp.disconnect();
});

t.test('an id-less command that timed out when the session ends stays settled', async (t) => {
  // QEMU would answer the command; here the peer never does and then hangs up.
  const path = await fakeQmp(t, async (peer) => {
    await handshake(peer);
    await peer.recv();
    await peer.recv();
    peer.close();
  });
  const qmp = new QmpClient();
  await qmp.connect(path, LONG);
  const timed = await qmp.executeMessage({ execute: 'query-status' }, { timeoutMs: 50 }).catch((e: unknown) => e);
  t.type(timed, TimeoutError);
  const other = await qmp.execute('query-name').catch((e: unknown) => e);
  t.type(other, ExecInterruptedError);
});

t.test('a peer that answers qmp_capabilities in the same chunk as its greeting', async (t) => {
  // QEMU waits for the command; a peer that pre-answers shows the handshake keeps early messages.
  const path = await fakeQmp(t, (peer) => {
    peer.send(`${JSON.stringify(GREETING)}\r\n{"return": {}, "id": "__zmdev#00001"}\r\n`);
  });
  const qmp = new QmpClient();
  await qmp.connect(path, LONG);
  t.equal(qmp.runstate, 'running');
  t.ok(qmp.oobEnabled);
  await qmp.disconnect();
});

t.test('a message that arrives with the last handshake message is not lost', async (t) => {
  // QEMU sends nothing unsolicited but events before a command; a peer that packs the negotiation
  // reply, a stray id-less reply and an answer to a command not yet sent into one read shows the
  // client handles what follows the handshake as it would in the session.
  const { lines, logger } = logSink();
  const path = await fakeQmp(t, async (peer) => {
    peer.send(GREETING);
    await peer.recv();
    peer.send('{"return": {}, "id": "__zmdev#00001"}\r\n{"return": {"status": "prelaunch"}}\r\n');
  });
  const qmp = new QmpClient({ logger });
  await qmp.connect(path, LONG);
  t.equal(qmp.runstate, 'running');
  t.match(lines.join('\n'), /dropped an id-less message that answers nothing: \{"return":\{"status":"prelaunch"\}\}/);
  await qmp.disconnect();
});
