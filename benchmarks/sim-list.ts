// The steps of `zmdev list --sim FILE` in one process, with the simulator's tree chosen on the
// command line (`lazy`: src/sim; `eager`: the previous tree in baselines/), so that the two trees
// are compared on the same work: load and check the state, read the inventory, format it, save.
// With --breakdown it prints, as JSON on stderr, the milliseconds of each step and of the imports.
const t0 = performance.now();
const [tree, file, ...rest] = process.argv.slice(2) as [string, string, ...string[]];
const breakdown = rest.includes('--breakdown');
const { loadState, saveState } = await import('../src/sim/state-file.js');
const { SimHost } = await import('../src/sim/host.js');
// Only the tree that is measured is imported: its import is part of the cost.
const Tree = tree === 'eager' ? (await import('./baselines/sim-sysfs-eager.js')).EagerSimSysfs : (await import('../src/sim/sysfs.js')).SimSysfs;
const { readInventory } = await import('../src/ap/inventory.js');
const { formatLszcrypt } = await import('../src/ap/lszcrypt.js');
const t1 = performance.now();
const host = new SimHost(loadState(file));
const t2 = performance.now();
const io = new Tree(host);
const inv = readInventory(io);
const t3 = performance.now();
const text = formatLszcrypt(inv, { verbose: false });
const t4 = performance.now();
process.stdout.write(text);
saveState(file, host.state);
const t5 = performance.now();
if (breakdown) {
  const ms = (x: number) => Math.round(x * 10) / 10;
  process.stderr.write(`${JSON.stringify({
    bootToFirstLine: ms(t0), imports: ms(t1 - t0), loadState: ms(t2 - t1), readInventory: ms(t3 - t2),
    format: ms(t4 - t3), writeAndSave: ms(t5 - t4), cpuMs: ms((process.cpuUsage().user + process.cpuUsage().system) / 1000),
  })}\n`);
}
