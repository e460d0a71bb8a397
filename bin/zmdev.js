#!/usr/bin/env node
// The zmdev command; the implementation is compiled TypeScript in dist/.
import { main } from '../dist/cli/main.js';
import { processIO } from '../dist/cli/context.js';

main(process.argv.slice(2), processIO).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`zmdev: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 70;
  },
);
