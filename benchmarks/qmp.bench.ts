// QMP client overhead, measured against one real QEMU in one run: sequential round trips and pipelined
// throughput for zmdev's QmpClient and for a minimal raw-socket client (newline split, id matching, nothing
// else). Run: npx tsc -p benchmarks/tsconfig.json && node build-bench/benchmarks/qmp.bench.js
// Knobs: QMP_BENCH_SEQ (2000), QMP_BENCH_PIPE (20000), QMP_BENCH_WINDOW (32), QMP_BENCH_ROUNDS (3).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QmpClient } from '../src/qmp/index.js';

const SEQ = Number(process.env['QMP_BENCH_SEQ'] ?? 2000);
const PIPE = Number(process.env['QMP_BENCH_PIPE'] ?? 20000);
const WINDOW = Number(process.env['QMP_BENCH_WINDOW'] ?? 32);
const ROUNDS = Number(process.env['QMP_BENCH_ROUNDS'] ?? 3);

interface Runner {
  call(cmd: string): Promise<unknown>;
  close(): Promise<void>;
}

/** The least a QMP client must do: frame lines, match ids, negotiate. */
async function rawClient(path: string): Promise<Runner> {
  const sock = net.connect(path);
  const pending = new Map<string, (v: unknown) => void>();
  let buf = '';
  let greeted: (() => void) | undefined;
  const greeting = new Promise<void>((r) => { greeted = r; });
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
      buf = buf.slice(nl + 1);
      if ('QMP' in msg) greeted?.();
      else if (typeof msg['id'] === 'string') {
        const resolve = pending.get(msg['id']);
        pending.delete(msg['id']);
        resolve?.(msg['return'] ?? msg['error']);
      }
    }
  });
  await greeting;
  let seq = 0;
  const call = (cmd: string): Promise<unknown> => new Promise((resolve) => {
    const id = `r${++seq}`;
    pending.set(id, resolve);
    sock.write(`{"execute":"${cmd}","id":"${id}"}\n`);
  });
  await call('qmp_capabilities');
  return {
    call,
    close: () => new Promise((resolve) => { sock.once('close', () => resolve()); sock.end(); }),
  };
}

async function zmdevClient(path: string): Promise<Runner> {
  const qmp = new QmpClient();
  await qmp.connect(path, { timeoutMs: 30_000 });
  return { call: (cmd) => qmp.execute(cmd), close: () => qmp.disconnect() };
}

async function sequential(r: Runner, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await r.call('query-status');
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return times;
}

/** n commands with at most `window` in flight; returns commands per second. */
async function pipelined(r: Runner, n: number, window: number): Promise<number> {
  let sent = 0;
  const t0 = process.hrtime.bigint();
  const lane = async (): Promise<void> => {
    while (sent < n) {
      sent++;
      await r.call('query-status');
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

async function startQemu(): Promise<{ path: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'zmdev-qmp-bench-'));
  const path = join(dir, 'qmp.sock');
  const proc = spawn('qemu-system-s390x', ['-M', 's390-ccw-virtio', '-nodefaults', '-nographic', '-display', 'none',
    '-S', '-qmp', `unix:${path},server=on,wait=off`], { stdio: 'ignore' });
  const exited = new Promise((r) => proc.once('exit', r));
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(path);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (i > 3000 || proc.exitCode !== null) throw new Error('QEMU did not open its QMP socket');
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    path,
    stop: async () => { proc.kill('SIGKILL'); await exited; rmSync(dir, { recursive: true, force: true }); },
  };
}

async function main(): Promise<void> {
  const qemu = await startQemu();
  const clients: Array<[string, (p: string) => Promise<Runner>]> = [['raw socket', rawClient], ['zmdev QmpClient', zmdevClient]];
  const seq = new Map<string, number[]>();
  const pipe = new Map<string, number[]>();
  try {
    // Rounds alternate the clients so machine-load drift hits both alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, make] of clients) {
        const r = await make(qemu.path);
        await sequential(r, 200); // warm-up
        seq.set(name, [...(seq.get(name) ?? []), ...(await sequential(r, SEQ))]);
        pipe.set(name, [...(pipe.get(name) ?? []), await pipelined(r, PIPE, WINDOW)]);
        await r.close();
      }
    }
  } finally {
    await qemu.stop();
  }
  const rows = clients.map(([name]) => {
    const s = (seq.get(name) as number[]).sort((a, b) => a - b);
    const p = (pipe.get(name) as number[]).sort((a, b) => a - b);
    return { name, median: pct(s, 0.5), p99: pct(s, 0.99), rate: p[Math.floor(p.length / 2)] as number };
  });
  const [raw, ours] = rows as [typeof rows[0], typeof rows[0]];
  console.log(`QMP against one qemu-system-s390x (TCG, paused): ${ROUNDS} rounds of ${SEQ} sequential query-status` +
    ` and ${PIPE} pipelined (window ${WINDOW}) per client`);
  console.log('client            | seq median µs | seq p99 µs | pipelined cmd/s');
  for (const r of rows) {
    console.log(`${r.name.padEnd(17)} | ${r.median.toFixed(1).padStart(13)} | ${r.p99.toFixed(1).padStart(10)} | ${r.rate.toFixed(0).padStart(15)}`);
  }
  console.log(`ratio zmdev/raw   | ${(ours.median / raw.median).toFixed(2).padStart(13)} | ${(ours.p99 / raw.p99).toFixed(2).padStart(10)} | ${(ours.rate / raw.rate).toFixed(2).padStart(15)}`);
}

await main();
