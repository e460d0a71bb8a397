#!/usr/bin/env node
// C++ unit tests of the native core under AddressSanitizer and UndefinedBehaviorSanitizer:
// configure build-test/ (never ./build, which belongs to node-gyp), build, run ctest.
// Exit status is ctest's (non-zero on any failure, sanitizer report or build error).
//
//   node scripts/test-native.mjs [--no-sanitize] [--compiler clang++|g++] [-- extra ctest args]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const own = dash < 0 ? argv : argv.slice(0, dash);
const ctestExtra = dash < 0 ? [] : argv.slice(dash + 1);
const sanitize = !own.includes('--no-sanitize');
const ci = own.indexOf('--compiler');
const compiler = ci >= 0 ? own[ci + 1] : undefined;
const buildDir = path.join(root, sanitize ? 'build-test' : 'build-test-plain');
const jobs = String(Math.max(1, os.availableParallelism?.() ?? os.cpus().length));

function step(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) {
    console.error(`test:native: cannot run ${cmd}: ${r.error.message} (cmake 3.16+ and a C++17 compiler are needed)`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`test:native: ${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

const t0 = performance.now();
const configure = ['-S', '.', '-B', buildDir, '-DCMAKE_BUILD_TYPE=Debug', `-DZMDEV_SANITIZE=${sanitize ? 'ON' : 'OFF'}`,
  '-DZMDEV_TESTS=ON', '--log-level=WARNING'];
if (compiler && !existsSync(path.join(buildDir, 'CMakeCache.txt'))) configure.push(`-DCMAKE_CXX_COMPILER=${compiler}`);
step('cmake', configure);
step('cmake', ['--build', buildDir, '-j', jobs]);
step('ctest', ['--test-dir', buildDir, '--output-on-failure', '-j', jobs, ...ctestExtra]);
console.log(`test:native: passed${sanitize ? ' under ASan+UBSan' : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
