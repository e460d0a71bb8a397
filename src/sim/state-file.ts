// The state file: a SimState as JSON, written atomically (temporary file in the same directory,
// fsync, rename) so that a reader never sees half a state, and read back with validation that
// says what is wrong.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ZmdevError } from '../errors.js';
import { checkState, type SimState } from './state.js';

export function saveState(file: string, state: SimState): void {
  const problems = checkState(state);
  if (problems.length) throw stateError(file, problems);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function loadState(file: string): SimState {
  const text = readFileSync(file, 'utf8');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw stateError(file, [`not JSON: ${(e as Error).message}`]);
  }
  const problems = checkState(data);
  if (problems.length) throw stateError(file, problems);
  return data as SimState;
}

function stateError(file: string, problems: string[]): ZmdevError {
  return new ZmdevError({
    code: 'EBADSTATE',
    message: `simulator state ${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  });
}
