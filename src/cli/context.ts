// What a command gets to work with: where to print, and how the run was asked to speak.
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIO: CliIO = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

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
