#!/usr/bin/env node
// Builds the addon with node-gyp from binding.gyp against the headers of the Node that runs
// this script. node-gyp downloads headers from the internet unless it is given --nodedir, so
// we always pass the local prefix when it carries include/node/common.gypi.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally: the npm-bundled copy is enough
  }
  return candidates.find((c) => c && existsSync(c));
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) {
  console.error('zmdev: cannot build the native addon: node-gyp was not found (it ships with npm).\n' +
    'Install npm, or set npm_config_node_gyp to the path of node-gyp.js.');
  process.exit(1);
}

const args = [nodeGyp, 'rebuild', '--release'];
const prefix = path.resolve(process.execPath, '../..');
if (existsSync(path.join(prefix, 'include/node/common.gypi'))) {
  args.push(`--nodedir=${prefix}`);
} else {
  console.error(`zmdev: no local Node headers under ${prefix}/include/node; node-gyp may try to download them.`);
}
const jobs = process.env.JOBS ?? '2';
args.push(`--jobs=${jobs}`);

const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('zmdev: the native addon failed to build (see the compiler output above).\n' +
    'It needs python3, make and a C++17 compiler (g++ or clang++).');
  process.exit(r.status ?? 1);
}
