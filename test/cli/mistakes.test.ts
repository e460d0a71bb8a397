// Ordinary mistakes, one row each, through the real `zmdev` process: each ends with its exit code
// (1: refused or failed, 2: usage) and a one-line reason that names the input and the fix, never
// "internal error" (70) or a stack trace, and changes nothing. Rows marked `namespace` run in a
// private mount namespace (fixtures/in-namespace.mjs) where a directory is missing or read-only.
// The output cases (a reader that goes away, a full disk) are in stdout.test.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';

const BIN = new URL('../../bin/zmdev.js', import.meta.url).pathname;
const IN_NAMESPACE = new URL('./fixtures/in-namespace.mjs', import.meta.url).pathname;
const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-mistakes-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const at = (name: string) => path.join(dir, name);
const host = at('host.json');
execFileSync(process.execPath, [BIN, 'sim', 'init', host]);
const hostText = readFileSync(host, 'latin1');
mkdirSync(at('a-dir.json'));
symlinkSync('nowhere.json', at('dangling.json'));
execFileSync('mkfifo', [at('fifo.json')]);
writeFileSync(at('bad.json'), '{"format": "zmdev-sim/1",');
writeFileSync(at('other.json'), '{"name": "not a state"}\n');
// A sysfs tree with an AP bus and nothing else: a change reaches the lock before anything else.
mkdirSync(at('tree/bus/ap'), { recursive: true });
mkdirSync(at('ro'));
execFileSync(process.execPath, [BIN, 'sim', 'init', at('ro/host.json')]);

interface Row {
  argv: string[];
  code: 1 | 2;
  stderr: RegExp;
  namespace?: { tmpfs?: string[]; readOnly?: string[] };
}

const rows: Row[] = [
  // The state file: missing, not a file, not a state.
  { argv: ['list', '--sim', at('nofile.json')], code: 1, stderr: /^zmdev: ENOENT: simulated host \S+nofile\.json does not exist; create one with `zmdev sim init \S+nofile\.json`/ },
  { argv: ['masks', 'set', 'apmask=-1', '--sim', at('nofile.json')], code: 1, stderr: /^zmdev: ENOENT: simulated host \S+nofile\.json does not exist/ },
  { argv: ['list', '--sim', at('a-dir.json')], code: 1, stderr: /^zmdev: EISDIR: \S+a-dir\.json is a directory, not a regular file; give the path of a file/ },
  { argv: ['list', '--sim', at('dangling.json')], code: 1, stderr: /^zmdev: ENOENT: simulated host \S+dangling\.json is a symlink to nowhere\.json, which does not exist; create one/ },
  { argv: ['list', '--sim', at('fifo.json')], code: 1, stderr: /^zmdev: EINVAL: \S+fifo\.json is a FIFO, not a regular file; give the path of a file/ },
  { argv: ['masks', 'set', 'apmask=-1', '--sim', at('fifo.json')], code: 1, stderr: /^zmdev: EINVAL: \S+fifo\.json is a FIFO/ },
  { argv: ['list', '--sim', '/dev/null'], code: 1, stderr: /^zmdev: EINVAL: \/dev\/null is a device, not a regular file/ },
  { argv: ['list', '--sim', at('bad.json')], code: 1, stderr: /^zmdev: EBADSTATE: simulator state \S+bad\.json is not valid:\n {2}- not JSON: / },
  { argv: ['list', '--sim', at('other.json')], code: 1, stderr: /^zmdev: EBADSTATE: simulator state \S+other\.json is not valid:\n {2}- format: expected "zmdev-sim\/1", got undefined: this is not a state file of zmdev's simulator \(`zmdev sim init FILE` makes one\)\n$/ },
  // sysfs cat/ls/write on a bad state file.
  { argv: ['sysfs', 'cat', 'bus/ap/apmask', '--sim', at('bad.json')], code: 1, stderr: /^zmdev: EBADSTATE: simulator state \S+bad\.json is not valid/ },
  { argv: ['sysfs', 'ls', 'bus/ap', '--sim', at('bad.json')], code: 1, stderr: /^zmdev: EBADSTATE: simulator state \S+bad\.json is not valid/ },
  { argv: ['sysfs', 'write', 'bus/ap/apmask', '+1', '--sim', at('bad.json')], code: 1, stderr: /^zmdev: EBADSTATE: simulator state \S+bad\.json is not valid/ },
  { argv: ['sysfs', 'cat', 'bus/ap/apmask', '--sim', at('dangling.json')], code: 1, stderr: /^zmdev: ENOENT: simulated host \S+dangling\.json is a symlink/ },
  // Where a state file would go, or how it is named.
  { argv: ['sim', 'init', at('nodir/host.json')], code: 1, stderr: /^zmdev: ENOENT: the directory \S+nodir of the state file \S+nodir\/host\.json does not exist: create it first \(mkdir -p \S+nodir\)/ },
  { argv: ['list', '--sim='], code: 2, stderr: /^zmdev: --sim is empty: give FILE\nusage: zmdev list / },
  { argv: ['masks', '--sysfs='], code: 2, stderr: /^zmdev: --sysfs is empty: give DIR\nusage: zmdev masks / },
  // The lock's directory: missing or read-only.
  { argv: ['masks', 'set', 'apmask=-1', '--sysfs', at('tree')], code: 1, namespace: { tmpfs: ['/run'] }, stderr: /^zmdev: ENOENT: cannot open the lock guard \/run\/lock\/s390apconfig\.lock\.guard: .*\(the lock's directory \/run\/lock does not exist: create it, or check the path\)/ },
  { argv: ['masks', 'set', 'apmask=-1', '--sysfs', at('tree')], code: 1, namespace: { tmpfs: ['/run/lock'], readOnly: ['/run/lock'] }, stderr: /^zmdev: EROFS: cannot open the lock guard \/run\/lock\/s390apconfig\.lock\.guard: .*\(\/run\/lock is on a read-only file system: the lock needs a writable directory\)/ },
  { argv: ['masks', 'set', 'apmask=-1', '--sim', at('ro/host.json')], code: 1, namespace: { readOnly: [at('ro')] }, stderr: /^zmdev: EROFS: cannot open the lock guard \S+ro\/host\.json\.lock\.guard: .*read-only file system/ },
  // QMP addresses and timeouts.
  { argv: ['guest', 'detach', '--qmp', '127.0.0.1:99999', '--id', 'hostdev0'], code: 1, stderr: /^zmdev: EINVAL: QMP connect to 127\.0\.0\.1:99999 failed: port 99999 is not a TCP port: give one from 1 to 65535/ },
  { argv: ['guest', 'detach', '--qmp', at('no.sock'), '--id', 'hostdev0'], code: 1, stderr: /^zmdev: ENOENT: QMP connect to \S+no\.sock failed: .*check that QEMU runs with -qmp on this address/ },
  { argv: ['guest', 'detach', '--qmp', '', '--id', 'hostdev0'], code: 2, stderr: /^zmdev: --qmp is empty: give SOCKET/ },
  { argv: ['guest', 'detach', '--qmp', at('no.sock'), '--id', 'hostdev0', '--timeout', '3000000'], code: 2, stderr: /^zmdev: --timeout takes a number \(SECONDS\) above 0 and at most 2147483, not "3000000"/ },
  // Data and names.
  { argv: ['sysfs', 'write', 'bus/ap/apmask', 'ā', '--sysfs', at('tree')], code: 1, stderr: /^zmdev: EINVAL: sysfs write data "ā" has a character above U\+00FF: each character of a sysfs write is one byte/ },
  { argv: ['demo', '--kernel', '9.9'], code: 2, stderr: /^zmdev: --kernel "9\.9" is not one of 6\.15, 6\.0, 5\.15\nusage: zmdev demo / },
  { argv: ['mdev', 'show', '../../etc', '--sim', host], code: 2, stderr: /^zmdev: "\.\.\/\.\.\/etc" is not a UUID: give 8-4-4-4-12 hex digits/ },
];

for (const row of rows) {
  const name = `${row.namespace ? '(namespace) ' : ''}zmdev ${row.argv.map((a) => a.split(`${dir}/`).join('')).join(' ')}`;
  t.test(name, (t) => {
    const r = row.namespace
      ? JSON.parse(execFileSync('unshare', ['-m', '--propagation', 'private', '--', process.execPath, IN_NAMESPACE, JSON.stringify({ ...row.namespace, argv: row.argv })], { encoding: 'utf8', timeout: 30_000 }))
      : (({ status, stdout, stderr }) => ({ code: status, stdout, stderr }))(spawnSync(process.execPath, [BIN, ...row.argv], { encoding: 'utf8', timeout: 30_000 }));
    t.equal(r.code, row.code, `exit ${row.code}`);
    t.match(r.stderr, row.stderr, 'the reason, naming the input and the fix');
    t.notMatch(r.stderr, /internal error|\n\s+at /, 'no internal error, no stack trace');
    t.equal(r.stdout, '', 'nothing on stdout');
    t.end();
  });
}

t.test('and nothing changed: the state file is as it was, no lock or temporary file is left', (t) => {
  t.equal(readFileSync(host, 'latin1'), hostText);
  t.same(readdirSync(dir).filter((n) => /lock$|\.tmp|\.new\./.test(n)), []);
  t.same(readdirSync(at('tree'), { recursive: true }).sort(), ['bus', 'bus/ap'], 'the sysfs tree got no file');
  t.end();
});
t.comment(`${rows.length} ordinary mistakes, each with its exit code and reason`);
