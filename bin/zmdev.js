#!/usr/bin/env node
// The zmdev command; the implementation is compiled TypeScript in dist/.
import { main } from '../dist/cli/main.js';
import { processIO } from '../dist/cli/context.js';

process.exitCode = await main(process.argv.slice(2), processIO);
