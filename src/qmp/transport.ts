// Opening the byte stream under a session: a UNIX socket path, TCP host:port, or a socket the caller
// already opened (e.g. one end of a socketpair handed over by a VM manager).
import net from 'node:net';
import { ConnectError } from './errors.js';
import { armDeadline, type ResolvedWait } from './deadline.js';

/** Where QEMU's monitor listens: a UNIX socket path, `host:port`, `{path}`, `{host, port}`, or an open socket. */
export type QmpAddress = string | { path: string } | { host: string; port: number } | net.Socket;

type Endpoint = { path: string } | { host: string; port: number };

/**
 * Resolve the address form. A string is TCP only when it is `host:port` with a numeric port and no slash
 * (`localhost:4444`, `[::1]:4444`); anything else is a UNIX socket path.
 */
export function parseAddress(address: string | { path: string } | { host: string; port: number }): Endpoint {
  if (typeof address !== 'string') return address;
  const tcp = /^(?:\[([^\]]+)\]|([^/:]+)):(\d+)$/.exec(address);
  if (tcp) return { host: (tcp[1] ?? tcp[2]) as string, port: Number(tcp[3]) };
  return { path: address };
}

export function describeAddress(address: QmpAddress): string {
  if (address instanceof net.Socket) {
    const remote = address.remoteAddress;
    return remote ? `socket ${remote}:${address.remotePort}` : 'an open socket';
  }
  const ep = parseAddress(address);
  return 'path' in ep ? ep.path : `${ep.host}:${ep.port}`;
}

/** Open the stream; failures become ConnectError carrying the system error's code. */
export function openSocket(address: QmpAddress, opts: ResolvedWait): Promise<net.Socket> {
  if (address instanceof net.Socket) {
    if (address.destroyed) {
      return Promise.reject(new ConnectError(describeAddress(address),
        'the socket given is already closed; pass an open socket', undefined, 'EBADF'));
    }
    return Promise.resolve(address);
  }
  const where = describeAddress(address);
  const ep = parseAddress(address);
  if ('port' in ep && !(Number.isInteger(ep.port) && ep.port >= 1 && ep.port <= 65535)) {
    return Promise.reject(new ConnectError(where, `port ${ep.port} is not a TCP port: give one from 1 to 65535`, undefined, 'EINVAL'));
  }
  return new Promise((resolve, reject) => {
    const sock = net.connect(ep);
    const deadline = armDeadline(opts, `QMP connect to ${where}`, (err) => { sock.destroy(); reject(err); });
    sock.once('connect', () => {
      deadline.clear();
      sock.removeListener('error', onError);
      resolve(sock);
    });
    const onError = (err: Error): void => {
      deadline.clear();
      reject(new ConnectError(where, `${err.message}; check that QEMU runs with -qmp on this address`, err));
    };
    sock.once('error', onError);
  });
}
