// Errors are values with names: every refusal carries a code (an errno name such as 'EINVAL'),
// what was refused, and a sentence that says what it means and what to do. Every error the public
// API throws on purpose is a ZmdevError; anything else is a bug.
//
//   ZmdevError                      code, errno, message, toJSON()
//   ├─ InputError                   a value broke a rule before anything was touched (input, rule, fix)
//   │  └─ GrammarError              refused by a grammar (kernel mask, ap_config, kstrtoul, chzdev …), with the byte
//   ├─ SysfsPathError               a sysfs path refused before any syscall (sysfs/path.ts)
//   ├─ SysfsError                   the kernel (or the simulator) refused a syscall: sysfs reads and writes,
//   │                               VFIO ioctls (syscall 'ioctl'); code, syscall, path, bytes (sysfs/sysfs-io.ts)
//   ├─ MdevError                    a mediated device refused: by zmdev's checks (precheck) or by the kernel,
//   │  │                            with the mdev, the path and the bytes (mdev/errors.ts)
//   │  └─ ApError                   … and the APQNs involved (ap/errors.ts)
//   ├─ UndoError                    a change was refused and undoing it failed too: the refusal, and what is
//   │                               left undone (mdev/journal.ts)
//   ├─ GuestError                   QEMU/libvirt wiring, hot plug, migration (guest/errors.ts)
//   └─ QmpError                     the QMP client: connect, protocol, QEMU's refusals, timeouts (qmp/errors.ts)
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

/**
 * Misuse of a value type in code (an ID outside 0..255 given to ApMask, a short buffer): a
 * RangeError with Node's own code, as Node's value types raise it. Input from users is checked
 * before it gets here (parseApId, the grammars) and refused as an InputError.
 */
export function outOfRange(message: string): RangeError & { code: 'ERR_OUT_OF_RANGE' } {
  return Object.assign(new RangeError(message), { code: 'ERR_OUT_OF_RANGE' as const });
}

export interface InputErrorOptions extends ZmdevErrorOptions {
  /** The value refused, as given. */
  input: string;
}

/** A value refused by zmdev before it touched a host: the message names the input, the rule and the fix. */
export class InputError extends ZmdevError {
  readonly input: string;

  constructor(opts: InputErrorOptions) {
    super(opts);
    this.input = opts.input;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), input: this.input };
  }
}

/** Which grammar refused an input. */
export type Grammar = 'kernel-mask' | 'ap_config' | 'kstrtoul' | 'chzdev' | 'mask-read-format' | 'id';

/** An input refused by one of the grammars, with the byte position and the rule it broke. */
export class GrammarError extends InputError {
  readonly grammar: Grammar;
  readonly position: number;
  readonly reason: string;

  constructor(grammar: Grammar, code: string, input: string, position: number, reason: string, hint?: string) {
    super({
      code,
      input,
      message: `${describe(grammar)} ${JSON.stringify(input)} refused at byte ${position}: ${reason}` +
        (hint ? `; ${hint}` : ''),
    });
    this.grammar = grammar;
    this.position = position;
    this.reason = reason;
  }

  override toJSON(): Record<string, unknown> {
    const { input: _input, ...base } = super.toJSON();
    return { ...base, grammar: this.grammar, input: this.input, position: this.position, reason: this.reason };
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
