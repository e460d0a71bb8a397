// Reading N small attribute files (a big host's inventory): one native readMany call, one
// fs.readFileSync per file, and one RealSysfs.read (native open/read/close) per file.
// Then the same three over real /sys attributes of this machine (kernfs: show() runs per read).
// Run: npx tsc -p benchmarks/tsconfig.json && node build-bench/benchmarks/sysfs-read.bench.js [N]
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const { RealSysfs } = await import('../src/sysfs/real.js');

const N = Number(process.argv[2] ?? 2000);
const root = mkdtempSync(path.join(tmpdir(), 'zmdev-bench-'));
const rels: string[] = [];
for (let card = 0; card < Math.ceil(N / 20); card++) {
  const dir = `devices/ap/card${card.toString(16).padStart(2, '0')}`;
  mkdirSync(path.join(root, dir), { recursive: true });
  for (let a = 0; a < 20 && rels.length < N; a++) {
    const rel = `${dir}/attr${a}`;
    writeFileSync(path.join(root, rel), a % 2 ? '0x' + 'f'.repeat(64) + '\n' : `${card * 20 + a}\n`);
    rels.push(rel);
  }
}
function run(label: string, root: string, rels: string[]): void {
  const io = new RealSysfs(root);
  const fulls = rels.map((r) => path.join(root, r));
  const cases: Record<string, () => number> = {
    'native readMany (1 call)': () => io.readMany(rels).length,
    'fs.readFileSync per file': () => {
      let n = 0;
      for (const f of fulls) n += readFileSync(f, 'latin1').length;
      return n;
    },
    'RealSysfs.read per file': () => {
      let n = 0;
      for (const r of rels) n += io.read(r).length;
      return n;
    },
  };
  // Same answers first (for files whose content is stable): a fast wrong benchmark is worth nothing.
  if (label.startsWith('temp')) {
    const a = io.readMany(rels).join('');
    const b = fulls.map((f) => readFileSync(f, 'latin1')).join('');
    if (a !== b) throw new Error('readMany and readFileSync disagree');
  }
  const results = Object.entries(cases).map(([name, fn]) => ({ name, ms: measure(fn) }));
  const base = results[1]!.ms;
  console.log(`\n${label}: ${rels.length} files, median of 15 passes (node ${process.version})`);
  for (const r of results) {
    const perFile = (r.ms * 1e3) / rels.length;
    console.log(`  ${r.name.padEnd(28)} ${r.ms.toFixed(2).padStart(8)} ms/pass  ${perFile.toFixed(2).padStart(6)} µs/file  ` +
      `${Math.round(rels.length / (r.ms / 1e3)).toLocaleString('en-US').padStart(11)} files/s  ${(base / r.ms).toFixed(2)}× vs readFileSync`);
  }
}

function measure(fn: () => number): number {
  for (let i = 0; i < 5; i++) fn(); // warm up
  const times: number[] = [];
  for (let rep = 0; rep < 15; rep++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)]!; // median ms per pass over all files
}

/** Up to `max` readable attributes under /sys/<dir>, links not followed. */
function sysAttributes(dir: string, max: number, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(path.join('/sys', dir));
  } catch {
    return out;
  }
  for (const name of names) {
    if (out.length >= max) break;
    const rel = `${dir}/${name}`;
    const st = lstatSync(path.join('/sys', rel));
    if (st.isDirectory()) sysAttributes(rel, max, out);
    else if (st.isFile() && st.mode & 0o444) {
      try {
        readFileSync(path.join('/sys', rel));
        out.push(rel);
      } catch {
        // not readable here (EIO, EINVAL from some drivers): leave it out of the set
      }
    }
  }
  return out;
}

run(`temp tree (${tmpdir()})`, root, rels);
rmSync(root, { recursive: true, force: true });
const sys = sysAttributes('devices/system', N);
if (sys.length > 0) run('/sys/devices/system', '/sys', sys);
