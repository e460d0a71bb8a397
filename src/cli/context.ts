// What a command gets to work with: where to print, and how the run was asked to speak.
import { readFileSync } from 'node:fs';
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of standard input, for the commands that read one (an mdevctl callout's device config); none: empty. */
  stdin?(): string;
}

export const processIO: CliIO = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  stdin: () => readStdin(),
};

/** Standard input to its end; a closed or absent one reads as empty. */
export function readStdin(fd = 0): string {
  try {
    return readFileSync(fd, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EBADF') return '';
    throw e;
  }
}

/** The status of a tool killed by SIGPIPE (128 + 13), as the shell reports `ls | head -1`. */
export const EXIT_SIGPIPE = 141;

/**
 * What the process does when its output fails: a reader that went away (EPIPE, `zmdev list | head
 * -1`) ends it quietly, as SIGPIPE ends other tools; any other failure (ENOSPC, EIO) is an error
 * named on stderr, exit 1. Node reports both as an 'error' event after the write.
 */
export function watchStdout(stdout: NodeJS.WriteStream = process.stdout): void {
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_SIGPIPE);
    process.stderr.write(`zmdev: cannot write the output: ${err.message}\n`);
    process.exit(EXIT_REFUSED);
  });
}

/** Exit codes: 0 done, 1 refused (validation or kernel), 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;
/** An unexpected failure (a bug): EX_SOFTWARE. */
export const EXIT_INTERNAL = 70;

/** A mistake in how zmdev was called: printed with the usage line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, readonly usage: string) {
    super(message);
    this.name = 'UsageError';
  }
}
