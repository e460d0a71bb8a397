// The zmdev command over the sources the benchmarks compiled (bin/zmdev.js runs dist/, which may
// be older than the sources): what `zmdev …` costs, start-up included.
const { main } = await import('../src/cli/main.js');
const { processIO } = await import('../src/cli/context.js');

process.exitCode = await main(process.argv.slice(2), processIO);
