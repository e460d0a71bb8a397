// The lock is exclusive under every interleaving: rounds of 20 writer processes start together
// on a stale lock (its PID is dead) and each increments a counter under the lock; no update may be
// lost, and nothing may be left beside the lock but its guard.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { cleanup, deadPid, lockPath, tempDir } from './fixtures/sdk-host.js';

t.teardown(cleanup);

const WRITER = new URL('./fixtures/lock-counter.mjs', import.meta.url).pathname;
const ROUNDS = Number(process.env.ZMDEV_LOCK_ROUNDS ?? 3);
const WRITERS = 20;
const TIMES = 5;


function run(lock: string, counter: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WRITER, lock, counter, String(TIMES)], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

t.test(`stale lock + ${WRITERS} parallel writers, ${ROUNDS} rounds: no lost update`, async (t) => {
  t.ok(existsSync(path.resolve(WRITER, '../../../../dist/ap/lock.js')), 'dist/ is built (npm run build:ts)');
  let lost = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const dir = tempDir();
    const lock = path.join(dir, 's390apconfig.lock');
    const counter = path.join(dir, 'counter');
    writeFileSync(counter, '0');
    writeFileSync(lock, `${deadPid()}\n`);
    const codes = await Promise.all(Array.from({ length: WRITERS }, () => run(lock, counter)));
    t.same(codes.filter((c) => c !== 0), [], `round ${round}: every writer finished`);
    const n = Number(readFileSync(counter, 'latin1'));
    lost += WRITERS * TIMES - n;
    t.same(readdirSync(dir).sort(), ['counter', 's390apconfig.lock.guard'], `round ${round}: no lock or temporary file is left`);
  }
  t.equal(lost, 0, `${ROUNDS} rounds × ${WRITERS} writers × ${TIMES} updates: 0 lost`);
  t.comment(`lock race: ${ROUNDS} rounds, ${ROUNDS * WRITERS * TIMES} updates, ${lost} lost`);
});
