#!/usr/bin/env node
// Builds the libFuzzer targets of the native core into build-fuzz/ with clang (ASan + UBSan) and
// runs each one for a short time. Exit 1 on any finding (crash, sanitizer report, broken invariant,
// leak, timeout, out-of-memory) or build failure.
//
//   node scripts/fuzz.mjs [--seconds N] [--only kernel_mask,chzdev] [--jobs N]
//
// Each target reads its seeds from native/fuzz/corpus/<target>/ (never written) and keeps what it
// learns in build-fuzz/corpus/<target>/; findings land in build-fuzz/artifacts/<target>/.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(root, 'build-fuzz');
const TARGETS = ['kernel_mask', 'ap_config', 'kstrtoul', 'chzdev', 'apqn_conflicts'];

function usage(code) {
  console.log('usage: node scripts/fuzz.mjs [--seconds N] [--only t1,t2] [--jobs N]\n' +
    `targets: ${TARGETS.join(', ')}`);
  process.exit(code);
}

let seconds = 10;
let only = TARGETS;
let jobs = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const value = () => {
    const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
    if (v === undefined) usage(2);
    return v;
  };
  if (a === '--help' || a === '-h') usage(0);
  else if (a.startsWith('--seconds')) seconds = Number(value());
  else if (a.startsWith('--only')) only = value().split(',').map((s) => s.trim()).filter(Boolean);
  else if (a.startsWith('--jobs')) jobs = Number(value());
  else {
    console.error(`fuzz: unknown argument ${a}`);
    usage(2);
  }
}
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error('fuzz: --seconds needs a positive number');
  process.exit(2);
}
const unknown = only.filter((t) => !TARGETS.includes(t));
if (unknown.length) {
  console.error(`fuzz: unknown target(s) ${unknown.join(', ')}; known: ${TARGETS.join(', ')}`);
  process.exit(2);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) {
    console.error(`fuzz: cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`fuzz: ${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

// ---- build ----------------------------------------------------------------------------------
const t0 = performance.now();
const clang = process.env.ZMDEV_FUZZ_CXX ?? 'clang++';
if (spawnSync(clang, ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error(`fuzz: ${clang} was not found; libFuzzer needs clang (set ZMDEV_FUZZ_CXX to its path).`);
  process.exit(1);
}
const configure = ['-S', '.', '-B', buildDir, '-DZMDEV_FUZZ=ON', '-DZMDEV_TESTS=OFF',
  '-DCMAKE_BUILD_TYPE=RelWithDebInfo', '--log-level=WARNING'];
if (!existsSync(path.join(buildDir, 'CMakeCache.txt'))) configure.push(`-DCMAKE_CXX_COMPILER=${clang}`);
run('cmake', configure);
const buildTargets = only.length === TARGETS.length ? ['fuzzers'] : only.map((t) => `${t}_fuzz`);
run('cmake', ['--build', buildDir, '-j', String(jobs), '--target', ...buildTargets]);
const buildSeconds = (performance.now() - t0) / 1000;

// ---- fuzz -------------------------------------------------------------------------------------
function fuzzOne(target) {
  return new Promise((resolve) => {
    const work = path.join(buildDir, 'corpus', target);
    const seeds = path.join(root, 'native', 'fuzz', 'corpus', target);
    const artifacts = path.join(buildDir, 'artifacts', target);
    mkdirSync(work, { recursive: true });
    mkdirSync(artifacts, { recursive: true });
    const before = new Set(readdirSync(artifacts));
    const args = [
      `-max_total_time=${seconds}`, '-max_len=512', '-timeout=10', '-rss_limit_mb=2048',
      '-print_final_stats=1', `-artifact_prefix=${artifacts}${path.sep}`, work,
    ];
    if (existsSync(seeds)) args.push(seeds);
    const started = performance.now();
    const child = spawn(path.join(buildDir, `${target}_fuzz`), args, {
      cwd: root,
      env: { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'detect_leaks=1', UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? 'print_stacktrace=1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => { log += d; });
    child.stderr.on('data', (d) => { log += d; });
    child.on('close', (code, signal) => {
      const secs = (performance.now() - started) / 1000;
      const runs = Number(/stat::number_of_executed_units:\s*(\d+)/.exec(log)?.[1] ??
        /Done (\d+) runs/.exec(log)?.[1] ?? 0);
      const perSec = Number(/stat::average_exec_per_sec:\s*(\d+)/.exec(log)?.[1] ?? Math.round(runs / secs));
      const corpora = [...log.matchAll(/corp: (\d+)\//g)];
      const corpus = corpora.length ? Number(corpora[corpora.length - 1][1]) : 0;
      const cov = [...log.matchAll(/cov: (\d+)/g)].pop()?.[1] ?? '?';
      const found = new Set(readdirSync(artifacts).filter((f) => !before.has(f)).map((f) => path.join(artifacts, f)));
      for (const m of log.matchAll(/Test unit written to (\S+)/g)) found.add(m[1]);
      const ok = code === 0 && !signal && found.size === 0;
      resolve({ target, ok, code, signal, runs, perSec, corpus, cov, secs, found: [...found], log });
    });
  });
}

console.log(`fuzz: ${only.length} target(s), ${seconds} s each (build ${buildSeconds.toFixed(1)} s)`);
const results = [];
for (const target of only) {
  const r = await fuzzOne(target);
  results.push(r);
  const status = r.ok ? 'ok  ' : 'FAIL';
  console.log(`  ${status} ${target.padEnd(15)} ${r.runs.toLocaleString('en-US').padStart(11)} runs ` +
    `${r.perSec.toLocaleString('en-US').padStart(8)}/s  cov ${String(r.cov).padStart(4)}  corpus ${String(r.corpus).padStart(5)}` +
    `  ${r.secs.toFixed(1)} s`);
  if (!r.ok) {
    // The part of libFuzzer's output that explains the finding.
    const lines = r.log.split('\n');
    const start = lines.findIndex((l) => /ERROR|invariant violated|runtime error|deadly signal|Timeout|out-of-memory/.test(l));
    const shown = lines.slice(Math.max(0, start))
      .filter((l) => !/ in (fuzzer::|__sanitizer_|__libc_|_start|main \()|pthread_kill|raise|abort /.test(l))
      .slice(0, 30);
    console.log(shown.map((l) => `      ${l}`).join('\n'));
    console.log(`      exit ${r.code ?? r.signal}; artifacts: ${r.found.join(', ') || '(none)'}`);
    if (r.found.length) console.log(`      reproduce: ${path.relative(root, path.join(buildDir, `${target}_fuzz`))} ${path.relative(root, r.found[0])}`);
  }
}
const failed = results.filter((r) => !r.ok);
const total = results.reduce((n, r) => n + r.runs, 0);
console.log(`fuzz: ${failed.length ? `${failed.length} target(s) FAILED` : 'no findings'}; ` +
  `${total.toLocaleString('en-US')} executions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed.length ? 1 : 0);
