// A save that finds nothing to write leaves the state file alone; any change, or a file that
// changed behind the state's back, is written.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadState, presetState, saveState } from '../../src/sim/index.js';

t.test('saving a state the file already holds writes nothing', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'host.json');
  saveState(file, presetState('seed'));
  const state = loadState(file);
  const before = statSync(file);
  saveState(file, state);
  t.equal(statSync(file).ino, before.ino, 'unchanged: the file is not replaced');
  state.bus.scans++;
  saveState(file, state);
  t.not(statSync(file).ino, before.ino, 'changed: written');
  t.equal(loadState(file).bus.scans, state.bus.scans);
  const again = statSync(file).ino;
  saveState(file, state);
  t.equal(statSync(file).ino, again, 'what was just saved is known too');

  // The file changed behind the state's back, or is another file, or is gone: written again.
  writeFileSync(file, readFileSync(file, 'utf8').replace('"scans": 2', '"scans": 9'));
  saveState(file, state);
  t.equal(loadState(file).bus.scans, 2);
  const other = path.join(dir, 'other.json');
  saveState(other, state);
  t.equal(loadState(other).bus.scans, 2);
  const loaded = loadState(file);
  rmSync(file);
  saveState(file, loaded);
  t.equal(loadState(file).bus.scans, 2);
});
