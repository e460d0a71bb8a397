#!/usr/bin/env node
// Every test of zmdev in one command: the C++ unit tests under ASan/UBSan (ctest), a short fuzz
// run of the C++ parsers, then the tap suite. Ends with one plain "N passed, N failed" line.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const fuzzSeconds = process.env.ZMDEV_FUZZ_SECONDS ?? '5';

function run(label, cmd, args) {
  return new Promise((resolve) => {
    process.stdout.write(`\n== ${label}: ${[cmd, ...args].join(' ')}\n`);
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), out }));
  });
}

let passed = 0;
let failed = 0;
let allOk = true;

const ctest = await run('C++ unit tests (ASan/UBSan)', npm, ['run', '--silent', 'test:native']);
const ct = /(\d+)% tests passed, (\d+) tests failed out of (\d+)/.exec(ctest.out);
if (ct) {
  failed += Number(ct[2]);
  passed += Number(ct[3]) - Number(ct[2]);
}
if (ctest.code !== 0 || !ct) {
  allOk = false;
  if (!ct) failed += 1;
}

const fuzz = await run(`fuzzing the C++ parsers (${fuzzSeconds} s per target)`, process.execPath, ['scripts/fuzz.mjs', '--seconds', fuzzSeconds]);
if (fuzz.code === 0) passed += 1;
else {
  failed += 1;
  allOk = false;
}

const tap = await run('tap', path.join(root, 'node_modules/.bin/tap'), process.argv.slice(2));
const sum = /^# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?/m.exec(tap.out);
if (sum) {
  passed += Number(sum[2]);
  failed += Number(sum[3] ?? 0);
}
if (tap.code !== 0 || !sum) {
  allOk = false;
  if (!sum || Number(sum[3] ?? 0) === 0) failed += 1; // a failure outside the counts (e.g. coverage)
}

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = allOk ? 0 : 1;
