// The state file: a SimState as JSON, replaced atomically (files/atomic.ts: an unguessable
// temporary beside it, the file's mode and owner kept, a link of our own written through) so that a
// reader never sees half a state, and read back — a regular file only — with validation that says
// what is wrong.
import { readlinkSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { ZmdevError } from '../errors.js';
import { readRegularFileAndStat, writeFileAtomic } from '../files/atomic.js';
import { checkState, STATE_FORMAT, type SimState } from './state.js';

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
  const out = text ?? `${JSON.stringify(state, null, 2)}\n`;
  const stamp = stampOf(writeFileAtomic(file, out));
  origins.set(state, { file: path.resolve(file), text: out, stamp });
}

export function loadState(file: string): SimState {
  const { text, stat } = readStateFile(file);
  const stamp = stampOf(stat);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw stateError(file, [`not JSON: ${(e as Error).message}`]);
  }
  // Some other JSON file: one line saying so, not a list of every field it lacks.
  const format = (data as { format?: unknown } | null)?.format;
  if (format !== STATE_FORMAT) {
    throw stateError(file, [`format: expected ${JSON.stringify(STATE_FORMAT)}, got ${JSON.stringify(format)}: this is not a state file of zmdev's simulator (\`zmdev sim init FILE\` makes one)`]);
  }
  const problems = checkState(data);
  if (problems.length) throw stateError(file, problems);
  origins.set(data as SimState, { file: path.resolve(file), text, stamp });
  return data as SimState;
}

/** Reads the file; a missing one (or a symlink to nothing) is named with the command that makes one. */
function readStateFile(file: string): ReturnType<typeof readRegularFileAndStat> {
  try {
    return readRegularFileAndStat(file);
  } catch (e) {
    if ((e as ZmdevError).code !== 'ENOENT') throw e;
    const target = symlinkTarget(file);
    const what = target === undefined
      ? `simulated host ${file} does not exist`
      : `simulated host ${file} is a symlink to ${target}, which does not exist`;
    throw new ZmdevError({ code: 'ENOENT', message: `${what}; create one with \`zmdev sim init ${file}\`, or give the path of an existing state file`, cause: e });
  }
}

function symlinkTarget(file: string): string | undefined {
  try {
    return readlinkSync(file);
  } catch {
    return undefined;
  }
}

function stateError(file: string, problems: string[]): ZmdevError {
  return new ZmdevError({
    code: 'EBADSTATE',
    message: `simulator state ${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  });
}
