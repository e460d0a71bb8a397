// Runs the CLI in process and captures what it prints.
import { main, type MainOptions } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function zmdev(...argv: string[]): Promise<CliRun> {
  return zmdevWith({}, ...argv);
}

/** The same with the CLI's in-process options (a short lock timeout, say). */
export async function zmdevWith(options: MainOptions, ...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, options);
  return { code, stdout, stderr };
}
