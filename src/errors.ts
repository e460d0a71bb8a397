// Errors are values with names: every refusal carries a code (an errno name such as 'EINVAL'),
// what was refused, and a sentence that says what it means and what to do.
import { getSystemErrorMap } from 'node:util';

const errnoByName = new Map<string, number>();
for (const [num, [name]] of getSystemErrorMap()) errnoByName.set(name, num);

/** Negative errno number of an errno name, as Node reports it (`EINVAL` → -22). */
export function errnoOf(code: string): number | undefined {
  return errnoByName.get(code);
}

export interface ZmdevErrorOptions {
  code: string;
  message: string;
  cause?: unknown;
}

/** Base class of every error zmdev raises on purpose. */
export class ZmdevError extends Error {
  readonly code: string;
  readonly errno: number | undefined;

  constructor(opts: ZmdevErrorOptions) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code;
    this.errno = errnoOf(opts.code);
  }

  /** The `{"error": {...}}` body the CLI prints with --json. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message };
  }
}

/** Which grammar refused an input. */
export type Grammar = 'kernel-mask' | 'ap_config' | 'kstrtoul' | 'chzdev' | 'mask-read-format' | 'id';

/** An input refused by one of the grammars, with the byte position and the rule it broke. */
export class GrammarError extends ZmdevError {
  readonly grammar: Grammar;
  readonly input: string;
  readonly position: number;
  readonly reason: string;

  constructor(grammar: Grammar, code: string, input: string, position: number, reason: string, hint?: string) {
    super({
      code,
      message: `${describe(grammar)} ${JSON.stringify(input)} refused at byte ${position}: ${reason}` +
        (hint ? `; ${hint}` : ''),
    });
    this.grammar = grammar;
    this.input = input;
    this.position = position;
    this.reason = reason;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), grammar: this.grammar, input: this.input, position: this.position, reason: this.reason };
  }
}

function describe(grammar: Grammar): string {
  switch (grammar) {
    case 'kernel-mask': return 'mask write';
    case 'ap_config': return 'ap_config write';
    case 'kstrtoul': return 'ID write';
    case 'chzdev': return 'chzdev mask list';
    case 'mask-read-format': return 'mask';
    case 'id': return 'ID';
  }
}
