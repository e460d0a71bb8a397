// Output that cannot be written: a reader that goes away (`zmdev list -V | head -1`) ends zmdev
// quietly with the status of a tool killed by SIGPIPE; a full disk is an error named on stderr.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { zmdev } from './helpers.js';

const BIN = new URL('../../bin/zmdev.js', import.meta.url).pathname;
const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-stdout-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function run(argv: string[], stdout: 'pipe' | number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', stdout, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    // The reader takes the first chunk and goes away, as `head -1` does.
    child.stdout?.once('data', () => child.stdout!.destroy());
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

t.test('a reader that goes away ends zmdev quietly (141); a full disk is exit 1 with the reason', async (t) => {
  const file = path.join(dir, 'big.json');
  t.equal((await zmdev('sim', 'init', file, '--preset', 'large')).code, 0);
  const piped = await run(['list', '-V', '--sim', file], 'pipe');
  t.same(piped, { code: 141, stderr: '' });
  const full = await run(['list', '--sim', file], openSync('/dev/full', 'w'));
  t.equal(full.code, 1);
  t.match(full.stderr, /^zmdev: cannot write the output: ENOSPC: no space left on device/);
});

t.test('`zmdev demo | head -3`: the demo stops quietly when its reader goes away', async (t) => {
  // Whether the demo has written everything into the pipe before the reader left is a race:
  // 0 (all written) or 141 (EPIPE), never an error.
  const r = await run(['demo'], 'pipe');
  t.ok(r.code === 0 || r.code === 141, `exit 0 or 141, got ${r.code}`);
  t.equal(r.stderr, '', 'nothing on stderr');
});
