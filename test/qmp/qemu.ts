// Test helper: a real qemu-system-s390x (TCG) with a QMP socket in a temp dir, killed in teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';

export const QEMU = '/usr/bin/qemu-system-s390x';

export interface QemuOptions {
  /** Start with -S (default true). */
  paused?: boolean;
  /** Boot the enabled-wait image so `cont` leaves a running, idle guest (default false). */
  boot?: boolean;
  /** Where the QMP monitor listens: 'unix' (default), 'tcp', or 'hmp' (a human monitor, not QMP). */
  monitor?: 'unix' | 'tcp' | 'hmp';
}

export interface Qemu {
  dir: string;
  /** UNIX socket path, or "127.0.0.1:port" for tcp. */
  address: string;
  proc: ChildProcess;
  /** Resolves with the exit code or signal once QEMU is gone. */
  exited: Promise<number | string | null>;
  kill(signal?: NodeJS.Signals): void;
}

/** 4 KiB image that IPLs into an enabled wait: the guest runs but does nothing, and still takes interrupts. */
export function bootImage(): Buffer {
  const img = Buffer.alloc(4096);
  // Short IPL PSW: jump to 0x200.
  Buffer.from([0x00, 0x08, 0x00, 0x00, 0x80, 0x00, 0x02, 0x00]).copy(img, 0);
  // New PSWs for every interruption class (0x1b0..0x1ff): back to 0x200, 64-bit mode.
  const newPsw = Buffer.from([0, 0, 0, 1, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00]);
  for (let off = 0x1b0; off < 0x200; off += 16) newPsw.copy(img, off);
  // LPSWE 0x300.
  Buffer.from([0xb2, 0xb2, 0x03, 0x00]).copy(img, 0x200);
  // The wait PSW: I/O and external interrupts enabled, wait bit set.
  Buffer.from([0x03, 0x02, 0x00, 0x01, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00]).copy(img, 0x300);
  return img;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

interface Teardown { teardown(fn: () => unknown): void }

/** Start QEMU and wait until its monitor accepts connections. */
export async function startQemu(t: Teardown, opts: QemuOptions = {}): Promise<Qemu> {
  const dir = mkdtempSync(join(tmpdir(), 'zmdev-qmp-'));
  const args = ['-M', 's390-ccw-virtio', '-nodefaults', '-nographic', '-display', 'none'];
  if (opts.paused ?? true) args.push('-S');
  if (opts.boot) {
    const image = join(dir, 'boot.img');
    writeFileSync(image, bootImage());
    args.push('-kernel', image);
  }
  let address: string;
  const monitor = opts.monitor ?? 'unix';
  if (monitor === 'tcp') {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    args.push('-qmp', `tcp:${address},server=on,wait=off`);
  } else {
    address = join(dir, 'qmp.sock');
    args.push(monitor === 'hmp' ? '-monitor' : '-qmp', `unix:${address},server=on,wait=off`);
  }
  const proc = spawn(QEMU, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | string | null>((resolve) => proc.once('exit', (code, sig) => resolve(code ?? sig)));
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGCONT');
      proc.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  // The socket appears a few ms after start; a loaded machine may need much longer.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`QEMU exited at start (${proc.exitCode}): ${stderr}`);
    if (monitor === 'tcp' ? await canConnect(address) : existsSync(address)) break;
    if (Date.now() > deadline) throw new Error(`QEMU did not open its monitor within 30 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    dir, address, proc, exited,
    kill: (signal = 'SIGKILL') => { proc.kill(signal); },
  };
}

function canConnect(address: string): Promise<boolean> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve) => {
    const s = net.connect({ host, port: Number(port) });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}
