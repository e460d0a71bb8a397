// zmdev check on a host that already has an mdev: the finding names it, in text and in JSON.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { main } from '../../src/cli/main.js';

const U1 = '4b0518fd-9237-493f-93c8-c5597f8006a3';

async function zmdev(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (x) => void (stdout += x), stderr: (x) => void (stderr += x) });
  return { code, stdout, stderr };
}

t.test('check: an APQN held by an existing mdev', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-plan-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const host = path.join(dir, 'host.json');
  const plan = path.join(dir, 'plan.json');
  t.equal((await zmdev('sim', 'init', host, '--preset', 'seed')).code, 0);
  t.equal((await zmdev('masks', 'set', 'apmask=-0,-10', 'aqmask=-1-2,-4', '--sim', host)).code, 0);
  t.equal((await zmdev('mdev', 'create', '--uuid', U1, '--adapter', '1', '--domain', '2', '--sim', host)).code, 0);

  writeFileSync(plan, JSON.stringify({ guests: [{ name: 'G', adapters: [1], domains: [2] }] }));
  const text = await zmdev('check', plan, '--sim', host);
  t.equal(text.code, 1);
  t.match(text.stdout, new RegExp(`^G: APQN 01\\.0002: mdev ${U1} already holds it`));
  t.notMatch(text.stdout, /plan ok/);
  const json = await zmdev('check', plan, '--json', '--sim', host);
  t.equal(json.code, 1);
  t.match(JSON.parse(json.stdout).unavailable, [{ guest: 'G', apqn: '01.0002', why: 'held-by-mdev', mdev: U1 }]);

  writeFileSync(plan, JSON.stringify({ guests: [{ name: 'G', uuid: U1, adapters: [1], domains: [2] }] }));
  const own = await zmdev('check', plan, '--json', '--sim', host);
  t.equal(own.code, 0);
  t.same(JSON.parse(own.stdout).unavailable, []);
  t.equal((await zmdev('check', plan, '--sim', host)).stdout, 'plan ok: 1 guest, no APQN shared, every APQN available\n');
});
