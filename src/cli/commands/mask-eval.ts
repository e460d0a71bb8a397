// zmdev mask eval: what would this write do to apmask/aqmask? Evaluated with the kernel's own
// grammar (or chzdev's), without touching any host.
import { ApMask } from '../../mask/ap-mask.js';
import { applyKernelMaskWrite, parseChzdevMask } from '../../mask/grammar.js';
import { formatRanges, quoteRanges } from '../../mask/ranges.js';
import type { Command } from '../command.js';
import { EXIT_OK, UsageError } from '../context.js';
import { printJson, reportRefusal } from '../report.js';

const usage = 'usage: zmdev mask eval [--current MASK] [--kernel | --chzdev] [--json] [--] SPEC';

export interface MaskEvaluation {
  mask: ApMask;
  /** Set when the write is empty: the kernel never calls the driver and nothing changes. */
  note?: string;
}

export function evaluateMaskSpec(spec: string, current: ApMask, grammar: 'kernel' | 'chzdev'): MaskEvaluation {
  if (grammar === 'chzdev') return { mask: parseChzdevMask(spec, current) };
  const write = applyKernelMaskWrite(spec, current);
  return write.reachesDriver ? { mask: write.mask } : { mask: current, note: 'an empty write never reaches the driver: the mask is unchanged' };
}

export const maskEval: Command = {
  path: ['mask', 'eval'],
  summary: 'show what a write to apmask/aqmask (or a chzdev setting) would make of a mask',
  usage,
  help: `${usage}

Applies SPEC to MASK and prints the resulting mask in the kernel's read format and as the
ID ranges lszdev shows. Nothing on the host is read or changed.

  SPEC              the exact bytes a write would carry (echo adds a newline; write "$'…\\n'"
                    to include one). Put -- before a SPEC that starts with '-'.
  --current MASK    the mask before the write, as /sys/bus/ap/apmask reads
                    (0x + 64 hex digits); default all ones, the kernel's boot default
  --kernel          the kernel's sysfs grammar (default): 0x<hex> absolute, or
                    +N,-N,+A-B relative terms (decimal, 0x hex, leading-0 octal)
  --chzdev          chzdev --type ap syntax: 3,5-10,0x25 (listed IDs stay with the host)
                    or +0-4,-0xf0 (+ to the host, - to passthrough)
  --json            print {"mask": "0x…", "ids": "…"}; a refusal prints {"error": {…}}

Examples:
  zmdev mask eval -- -5,-6
  zmdev mask eval --chzdev -- -0,-10
  zmdev mask eval --current 0x0000000000000000000000000000000000000000000000000000000000000000 +0-15

Exit status: 0 accepted, 1 refused (the reason and byte position are printed), 2 usage error.`,
  options: {
    current: { type: 'string' },
    kernel: { type: 'boolean' },
    chzdev: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  run({ values, positionals }, io) {
    if (positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? 'SPEC is missing' : `expected one SPEC, got ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(' ')}`, usage);
    }
    if (values.kernel && values.chzdev) throw new UsageError('--kernel and --chzdev exclude each other: pick the grammar to evaluate SPEC with', usage);
    let current = ApMask.FULL;
    if (typeof values.current === 'string') {
      try {
        current = ApMask.fromReadFormat(values.current);
      } catch {
        throw new UsageError(`--current ${JSON.stringify(values.current)} is not a mask in the kernel's read format: ` +
          'give 0x followed by exactly 64 hex digits, as `cat /sys/bus/ap/apmask` prints it', usage);
      }
    }
    const json = values.json === true;
    let result: MaskEvaluation;
    try {
      result = evaluateMaskSpec(positionals[0]!, current, values.chzdev ? 'chzdev' : 'kernel');
    } catch (err) {
      return reportRefusal(io, err, json);
    }
    if (json) {
      printJson(io, { mask: result.mask.toString(), ids: formatRanges(result.mask), ...(result.note ? { note: result.note } : {}) });
    } else {
      io.stdout(`mask: ${result.mask}\nids:  ${quoteRanges(result.mask)}\n${result.note ? `note: ${result.note}\n` : ''}`);
    }
    return EXIT_OK;
  },
};
