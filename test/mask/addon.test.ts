// The addon loader: where it looks, and what it says when nothing loads.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ZmdevError } from '../../src/errors.js';
import { addonCandidates, loadAddon, native } from '../../src/native/addon.js';

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
