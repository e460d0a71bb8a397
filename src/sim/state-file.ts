// The state file: a SimState as JSON, written atomically (temporary file in the same directory,
// fsync, rename) so that a reader never sees half a state, and read back with validation that
// says what is wrong.
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { ZmdevError } from '../errors.js';
import { checkState, type SimState } from './state.js';

/** What a state was loaded from (or saved to): the file, its text, and the file's identity then. */
interface Origin {
  file: string;
  text: string;
  stamp: string;
}

const origins = new WeakMap<SimState, Origin>();

const stampOf = (st: Stats): string => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;

/** The file still holds exactly the text of this state, untouched since it was read or written. */
function unchanged(file: string, state: SimState, text: string): boolean {
  const o = origins.get(state);
  if (!o || o.file !== path.resolve(file) || o.text !== text) return false;
  try {
    return stampOf(statSync(file)) === o.stamp;
  } catch {
    return false;
  }
}

/**
 * Writes the state to the file, atomically. When the file already holds this very text (a
 * command that changed nothing), it is left alone: rewriting and syncing a large state would
 * cost more than the command itself.
 */
export function saveState(file: string, state: SimState): void {
  const text = origins.has(state) ? `${JSON.stringify(state, null, 2)}\n` : undefined;
  if (text !== undefined && unchanged(file, state, text)) return;
  const problems = checkState(state);
  if (problems.length) throw stateError(file, problems);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const out = text ?? `${JSON.stringify(state, null, 2)}\n`;
  const fd = openSync(tmp, 'w', 0o644);
  let stamp: string;
  try {
    writeSync(fd, out);
    fsyncSync(fd);
    stamp = stampOf(fstatSync(fd));
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  origins.set(state, { file: path.resolve(file), text: out, stamp });
}

export function loadState(file: string): SimState {
  const fd = openSync(file, 'r');
  let text: string;
  let stamp: string;
  try {
    stamp = stampOf(fstatSync(fd));
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw stateError(file, [`not JSON: ${(e as Error).message}`]);
  }
  const problems = checkState(data);
  if (problems.length) throw stateError(file, problems);
  origins.set(data as SimState, { file: path.resolve(file), text, stamp });
  return data as SimState;
}

function stateError(file: string, problems: string[]): ZmdevError {
  return new ZmdevError({
    code: 'EBADSTATE',
    message: `simulator state ${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  });
}
