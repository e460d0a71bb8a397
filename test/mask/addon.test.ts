// The addon loader: where it looks, and what it says when nothing loads.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ZmdevError } from '../../src/errors.js';
import { addonCandidates, loadAddon, native, NativeError, nativeErrorFactory } from '../../src/native/addon.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import { apqnFromNumber } from '../../src/mask/apqn.js';
import { findSharedApqns, MatrixTable, SHARED_APQNS_LIMIT, SharedApqnsLimitError } from '../../src/mask/batch.js';
import { SysfsPathError } from '../../src/sysfs/path.js';

const root = path.resolve(import.meta.dirname, '../..');

t.test('addonCandidates: the node-gyp outputs, or only ZMDEV_ADDON when set', async (t) => {
  t.same(addonCandidates({}), [path.join(root, 'build/Release/zmdev.node'), path.join(root, 'build/Debug/zmdev.node')]);
  t.same(addonCandidates({ ZMDEV_ADDON: '' }), addonCandidates({}), 'an empty ZMDEV_ADDON is unset');
  t.same(addonCandidates({ ZMDEV_ADDON: '/opt/z/zmdev.node' }), ['/opt/z/zmdev.node']);
  t.same(addonCandidates({ ZMDEV_ADDON: 'rel/zmdev.node' }), [path.resolve('rel/zmdev.node')], 'relative to the cwd');
  t.same(addonCandidates(), addonCandidates(process.env), 'process.env by default');
});

t.test('loadAddon: missing and broken files give EADDON listing each try and the fix', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-addon-'));
  const missing = path.join(dir, 'missing.node');
  const broken = path.join(dir, 'broken.node');
  writeFileSync(broken, 'this is not a shared object\n');
  const err = t.throws(() => loadAddon([missing, broken, dir])) as ZmdevError;
  t.type(err, ZmdevError);
  t.equal(err.code, 'EADDON');
  t.equal(err.errno, undefined);
  t.match(err.message, /could not be loaded/);
  t.match(err.message, `  - ${missing} (missing)`);
  t.match(err.message, new RegExp(`  - ${broken.replace(/[.]/g, '\\.')} \\(.+\\)`), 'the broken file and its first error line');
  t.match(err.message, `  - ${dir} (`, 'a directory is tried and reported too');
  t.notMatch(err.message.split('\n').find((l) => l.includes(broken))!, 'missing');
  t.match(err.message, /npm rebuild zmdev/);
  t.match(err.message, /node scripts\/build-native\.mjs/);
  t.match(err.message, /python3, make and a C\+\+17 compiler/);
  t.match(err.message, /ZMDEV_ADDON/);
  const none = t.throws(() => loadAddon([])) as ZmdevError;
  t.equal(none.code, 'EADDON');
  t.match(none.message, /Tried:\n\nRebuild/, 'an empty candidate list says so');
});

t.test('loadAddon: the first candidate that loads wins', async (t) => {
  const real = addonCandidates({})[0]!;
  const addon = loadAddon([path.join(tmpdir(), 'nope-zmdev.node'), real]);
  t.type(addon.parseKstrtoul, 'function');
  t.equal(native(), native(), 'native() loads once and caches');
  t.type(native().noop, 'function');
});

t.test('typed errors: a C++ exception becomes a NativeError and the process goes on', async (t) => {
  const e = nativeErrorFactory('exception', 'ENOMEM', 'out of memory (std::bad_alloc)', 'findSharedApqns') as NativeError;
  t.type(e, NativeError);
  t.type(e, ZmdevError);
  t.match(e, { name: 'NativeError', code: 'ENOMEM', errno: -12, operation: 'findSharedApqns' });
  t.equal(e.message, 'native findSharedApqns failed: out of memory (std::bad_alloc)');
  t.same(e.toJSON(), { code: 'ENOMEM', message: e.message, operation: 'findSharedApqns' });
  t.match(nativeErrorFactory('exception', 'ENATIVE', 'boom', 'formatMasks'), { name: 'NativeError', code: 'ENATIVE', errno: undefined });
  const p = nativeErrorFactory('path', 'EINVAL', 'a path must not contain a NUL byte', '/sys\0x');
  t.type(p, SysfsPathError);
  t.match(p, { code: 'EINVAL', rule: 'no-nul', path: '/sys\0x' });

  // 200 saturated matrices (12.8 KB) share 1.3 billion APQN pairs: the unbounded native call
  // asks for gigabytes. Under a 3 GB address-space limit that allocation fails for certain (and
  // never touches this machine's memory); it used to end the process with an uncaught bad_alloc.
  const child = `
    import { native, NativeError } from ${JSON.stringify(path.join(root, 'src/native/addon.js'))};
    import { ZmdevError } from ${JSON.stringify(path.join(root, 'src/errors.js'))};
    const out = {};
    try {
      native().findSharedApqns(new Uint8Array(200 * 64).fill(0xff));
    } catch (e) {
      out.error = { native: e instanceof NativeError, zmdev: e instanceof ZmdevError, code: e.code, operation: e.operation, message: e.message };
    }
    // The next call on the same thread starts from a clean owner table.
    const two = new Uint8Array(128);
    two.fill(0xff, 0, 1); two.fill(0xff, 32, 33); two.fill(0xff, 64, 65); two.fill(0xff, 96, 97);
    out.after = Array.from(native().findSharedApqns(two)).length;
    const three = new Uint8Array(192);
    for (const at of [0, 32, 64, 96, 128, 160]) three[at] = 0x80;
    out.again = Array.from(native().findSharedApqns(three)).join(',');
    console.log(JSON.stringify(out));
  `;
  const r = spawnSync('sh', ['-c', 'ulimit -v 3000000 && exec "$0" "$@"', process.execPath, ...process.execArgv,
    '--input-type=module', '-e', child], { encoding: 'utf8' });
  t.equal(r.status, 0, `the child lives (stderr: ${r.stderr.slice(0, 400)})`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.match(out.error, { native: true, zmdev: true, code: 'ENOMEM', operation: 'findSharedApqns', message: /bad_alloc/ });
  t.equal(out.after, 8 * 8 * 3, 'two matrices of 8 x 8 APQNs: 64 shared, three numbers each');
  t.equal(out.again, '0,1,0,0,2,0,1,2,0', 'three matrices holding APQN 00.0000: pairs 0-1, 0-2, 1-2');
});

t.test('loadAddon: a build without setErrorFactory is not taken', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-addon-'));
  const old = path.join(dir, 'old.cjs');
  writeFileSync(old, 'module.exports = { noop() {} };\n');
  const err = t.throws(() => loadAddon([old])) as ZmdevError;
  t.equal(err.code, 'EADDON');
  t.match(err.message, `  - ${old} (an older build without setErrorFactory)`);
  t.type(loadAddon([old, addonCandidates({})[0]!]).setErrorFactory, 'function', 'the next candidate is tried');
});

t.test('findSharedApqns: the result is bounded by a limit, and going past it is an E2BIG error', async (t) => {
  // The 12.8 KB input of 200 matrices of every APQN: 19,900 pairs share all 65,536 APQNs each.
  const saturated = new MatrixTable(200);
  saturated.bytes.fill(0xff);
  const err = t.throws(() => findSharedApqns(saturated)) as SharedApqnsLimitError;
  t.type(err, SharedApqnsLimitError);
  t.type(err, ZmdevError);
  t.match(err, { code: 'E2BIG', errno: -7, total: 19900 * 65536, limit: SHARED_APQNS_LIMIT });
  t.equal(err.message, `the matrices share 1304166400 APQNs (counted per pair), more than the limit of ${SHARED_APQNS_LIMIT}`);
  t.equal(err.first.length, SHARED_APQNS_LIMIT / 65536, 'the first 16 pairs, whole');
  t.same(err.first.map((s) => `${s.a}-${s.b}:${s.apqns.length}`).slice(0, 2), ['0-1:65536', '0-2:65536']);

  const cut = t.throws(() => findSharedApqns(saturated, { limit: 70000 })) as SharedApqnsLimitError;
  t.same(cut.first.map((s) => `${s.a}-${s.b}:${s.apqns.length}`), ['0-1:65536', '0-2:4464'], 'the last pair is cut at the limit');
  t.same(cut.first[1]!.apqns.at(-1), apqnFromNumber(4463));
  t.match(t.throws(() => findSharedApqns(saturated, { limit: 0 })), { total: 19900 * 65536, limit: 0, first: [] });

  const three = [0, 1, 2].map(() => ({ adapters: ApMask.of([3]), domains: ApMask.of([4, 5]) }));
  t.equal(findSharedApqns(three, { limit: 6 }).length, 3, 'exactly at the limit: no error');
  t.match(t.throws(() => findSharedApqns(three, { limit: 5 })), { name: 'SharedApqnsLimitError', total: 6, limit: 5 });
  t.same(findSharedApqns([three[0]!, { adapters: ApMask.of([9]), domains: ApMask.of([4]) }], { limit: 0 }), [],
    'nothing shared, limit 0: no error');
  for (const limit of [-1, 1.5, NaN, 2 ** 53 + 2]) t.throws(() => findSharedApqns(three, { limit }), RangeError, `limit ${limit}`);
  t.throws(() => findSharedApqns(three, { limit: '3' as unknown as number }), TypeError);
  t.throws(() => native().findSharedApqns(saturated.bytes, 1, new Uint8Array(4)), RangeError, 'total must be 8 bytes');
  t.equal(native().findSharedApqns(saturated.bytes, 2).length, 6, 'the native call without a total');
});
