// The pieces under the client, alone: line framing, message checks, addresses, error texts, queues.
import t from 'tap';
import net from 'node:net';
import { LineSplitter } from '../../src/qmp/framing.js';
import { decodeLine, errorBody, toEvent } from '../../src/qmp/message.js';
import { describeAddress, openSocket, parseAddress } from '../../src/qmp/transport.js';
import { EventHub } from '../../src/qmp/events.js';
import {
  AbortError, BadReplyError, ConnectError, MessageTooLargeError, StateError, DeserializationError,
} from '../../src/qmp/errors.js';

t.test('LineSplitter', async (t) => {
  const lines: string[] = [];
  const split = new LineSplitter(16, (l) => lines.push(l));
  split.push(Buffer.from('{"a":1}\r\n{"b"'));
  split.push(Buffer.from(':2}'));
  split.push(Buffer.from('\n\r\n\n{"c":3}\n'));
  t.same(lines, ['{"a":1}', '{"b":2}', '{"c":3}'], 'CRLF and LF ends, blank lines skipped');
  // UTF-8 characters cut between chunks come out whole.
  const euro = Buffer.from('"€€"\n');
  split.push(euro.subarray(0, 2));
  split.push(euro.subarray(2));
  t.equal(lines.at(-1), '"€€"');
  // Exactly at the limit passes; one byte more fails, in one chunk or across chunks.
  split.push(Buffer.from('x'.repeat(16) + '\n'));
  t.equal(lines.at(-1), 'x'.repeat(16));
  t.throws(() => split.push(Buffer.from('x'.repeat(17) + '\n')), MessageTooLargeError);
  split.push(Buffer.from('x'.repeat(10)));
  t.throws(() => split.push(Buffer.from('x'.repeat(7) + '\n')), MessageTooLargeError);
  split.push(Buffer.from('{}\n'));
  t.equal(lines.at(-1), '{}', 'a refused line leaves nothing behind');
});

t.test('message checks', async (t) => {
  t.same(decodeLine('{"return": {}}'), { return: {} });
  const bad = t.throws(() => decodeLine('x'.repeat(5000))) as unknown as DeserializationError;
  t.type(bad, DeserializationError);
  t.equal(bad.raw.length, 4097, 'the raw line is kept, cut to 4 KiB');
  t.same(errorBody({ error: 'oops' }), { errorClass: 'GenericError', desc: '"oops"' });
  t.same(toEvent({ event: 'X', data: 3, timestamp: { seconds: 'no' } }),
    { event: 'X', data: {}, timestamp: { seconds: 0, microseconds: 0 } });
});

t.test('addresses', async (t) => {
  t.same(parseAddress('/run/qmp.sock'), { path: '/run/qmp.sock' });
  t.same(parseAddress('qmp.sock'), { path: 'qmp.sock' });
  t.same(parseAddress('./a:1'), { path: './a:1' });
  t.same(parseAddress('localhost:4444'), { host: 'localhost', port: 4444 });
  t.same(parseAddress('[::1]:4444'), { host: '::1', port: 4444 });
  t.same(parseAddress({ host: 'h', port: 1 }), { host: 'h', port: 1 });
  t.equal(describeAddress('[::1]:4444'), '::1:4444');
  t.equal(describeAddress(new net.Socket()), 'an open socket');
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  t.equal(describeAddress(sock), `socket 127.0.0.1:${port}`);
  sock.destroy();
  srv.close();
  // A port no TCP socket can have is the caller's mistake, refused before any connect, typed.
  for (const bad of ['127.0.0.1:99999', '127.0.0.1:0', { host: '127.0.0.1', port: 1.5 }]) {
    const err = await openSocket(bad, { timeoutMs: 1000 } as never).catch((e: unknown) => e);
    t.match(err, { name: 'ConnectError', code: 'EINVAL', message: /is not a TCP port: give one from 1 to 65535/ }, JSON.stringify(bad));
  }
});

t.test('error texts', async (t) => {
  const c = new ConnectError('/x', 'it broke');
  t.equal(c.code, 'ECONNREFUSED');
  t.equal(new ConnectError('/x', 'it broke', { code: 5 }).code, 'ECONNREFUSED');
  t.equal(new ConnectError('/x', 'it broke', { code: 'EPERM' }).code, 'EPERM');
  t.equal(c.errno, -111);
  t.equal(new StateError('listening', 'idle').message, 'listening needs the QMP client to be usable, but it is idle');
  t.equal(new AbortError('waiting', 42).message, 'waiting was aborted by the caller');
  t.match(new BadReplyError({}, {}).message, /^QMP reply to command has neither/);
});

t.test('a long-lived queue is compacted', async (t) => {
  const hub = new EventHub(10, () => {}, 3000);
  const l = hub.listen();
  for (let i = 0; i < 3000; i++) hub.dispatch({ event: 'E', data: { i }, timestamp: { seconds: 0, microseconds: 0 } });
  for (let i = 0; i < 2999; i++) t.equal(l.take()?.data['i'], i);
  t.equal(l.size, 1);
  t.equal(l.take()?.data['i'], 2999);
  t.equal(hub.history().length, 10);
  t.equal(hub.listenerCount, 1);
});
