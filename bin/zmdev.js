#!/usr/bin/env node
// The zmdev command; the implementation is compiled TypeScript in dist/.
import { main } from '../dist/cli/main.js';
import { processIO, watchStdout } from '../dist/cli/context.js';

watchStdout();
process.exitCode = await main(process.argv.slice(2), processIO);
