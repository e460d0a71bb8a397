// Inventory of the `large` simulated host (64 cards x 85 domains): list bus/ap/devices, list each
// card and queue directory, then read every attribute. Four ways in one run:
//   1. SimSysfs in process (readMany)
//   2. RealSysfs.readMany on a FUSE mount of the same host (one native call for all reads)
//   3. RealSysfs.read per file on the FUSE mount
//   4. fs.readFileSync per file on the FUSE mount
// The FUSE server runs in a child process (this file with --serve): a synchronous reader in the
// process that serves the mount would wait for itself.
// Run: npx tsc -p benchmarks/tsconfig.json && node build-bench/benchmarks/inventory.bench.js [REPS]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const { createHost } = await import('../src/sim/index.js');
const { mountSysfs, unmountOnSignals } = await import('../src/sysfs/fuse-mount.js');
const { RealSysfs } = await import('../src/sysfs/real.js');
type SysfsIO = import('../src/sysfs/sysfs-io.js').SysfsIO;

/** Where the kernel puts an AP device of bus/ap/devices. */
function devicePath(name: string): string {
  return name.startsWith('card') ? `devices/ap/${name}` : `devices/ap/card${name.slice(0, 2)}/${name}`;
}

const QUEUE = /^[0-9a-f]{2}\.[0-9a-f]{4}$/;

/** The attribute paths of every card and queue, listed through `list`. */
function inventoryPaths(list: (p: string) => string[]): string[] {
  const paths: string[] = [];
  for (const dev of list('bus/ap/devices')) {
    const dir = devicePath(dev);
    for (const name of list(dir)) if (!QUEUE.test(name) && name !== 'driver') paths.push(`${dir}/${name}`);
  }
  return paths;
}

interface Way {
  label: string;
  run(): { files: number; bytes: number; listMs: number };
}

function ioWay(label: string, io: SysfsIO, perFile: boolean): Way {
  return {
    label,
    run() {
      const t0 = performance.now();
      const paths = inventoryPaths((p) => io.list(p));
      const listMs = performance.now() - t0;
      let bytes = 0;
      if (perFile) for (const p of paths) bytes += io.read(p).length;
      else for (const r of io.readMany(paths)) bytes += typeof r === 'string' ? r.length : 0;
      return { files: paths.length, bytes, listMs };
    },
  };
}

function fsWay(root: string): Way {
  return {
    label: 'fs.readFileSync per file (FUSE)',
    run() {
      const t0 = performance.now();
      const paths = inventoryPaths((p) => readdirSync(path.join(root, p)).sort());
      const listMs = performance.now() - t0;
      let bytes = 0;
      for (const p of paths) bytes += readFileSync(path.join(root, p), 'latin1').length;
      return { files: paths.length, bytes, listMs };
    },
  };
}

async function main(): Promise<void> {
  // The FUSE ways take about a minute each on this host (every lookup reaches the simulator).
  const reps = Number(process.argv[2] ?? 1);
  const base = mkdtempSync(path.join(tmpdir(), 'zmdev-inv-bench-'));
  const mnt = path.join(base, 'sys');
  spawnSync('mkdir', [mnt]);
  const server = spawn(process.execPath, [here, '--serve', mnt], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.setEncoding('utf8').on('data', (c: string) => c.includes('ready') && resolve());
      server.on('exit', (code) => reject(new Error(`FUSE server exited (${code}) before it was ready`)));
    });
    const ways: Way[] = [
      ioWay('SimSysfs.readMany (in process)', createHost('large', '6.15').sysfs, false),
      ioWay('RealSysfs.readMany (FUSE, 1 call)', new RealSysfs(mnt), false),
      ioWay('RealSysfs.read per file (FUSE)', new RealSysfs(mnt), true),
      fsWay(mnt),
    ];
    const rows: Array<{ label: string; files: number; bytes: number; listMs: number; ms: number }> = [];
    for (const [i, way] of ways.entries()) {
      if (i === 0) way.run(); // warm-up of the in-process model (the FUSE ways are too slow for JIT effects to matter)
      const times: number[] = [];
      let last = { files: 0, bytes: 0, listMs: 0 };
      for (let i = 0; i < reps; i++) {
        const t0 = process.hrtime.bigint();
        last = way.run();
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      times.sort((a, b) => a - b);
      rows.push({ label: way.label, ...last, ms: times[Math.floor(times.length / 2)]! });
    }
    const files = new Set(rows.map((r) => r.files));
    const bytes = new Set(rows.map((r) => r.bytes));
    if (files.size !== 1 || bytes.size !== 1) throw new Error(`the four ways disagree: ${JSON.stringify(rows)}`);
    const fastest = Math.min(...rows.map((r) => r.ms));
    console.log(`inventory of the large preset: ${rows[0]!.files} attribute files, ${rows[0]!.bytes} bytes; median of ${reps} runs (each includes the listing)`);
    console.log(`${'way'.padEnd(36)} ${'total ms'.padStart(10)} ${'listing ms'.padStart(11)} ${'files/s'.padStart(10)} ${'x fastest'.padStart(10)}`);
    for (const r of rows) {
      console.log(`${r.label.padEnd(36)} ${r.ms.toFixed(1).padStart(10)} ${r.listMs.toFixed(1).padStart(11)} `
        + `${Math.round(r.files / (r.ms / 1000)).toString().padStart(10)} ${(r.ms / fastest).toFixed(2).padStart(10)}`);
    }
  } finally {
    if (server.exitCode === null && server.signalCode === null) {
      const gone = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await gone;
    }
    rmSync(base, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') {
  const mount = await mountSysfs(createHost('large', '6.15').sysfs, process.argv[3]!);
  unmountOnSignals(mount);
  process.stdout.write('ready\n');
  setInterval(() => {}, 1 << 30);
} else {
  await main();
}
