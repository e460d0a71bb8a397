// zmdev mask eval: what would this write do to apmask/aqmask? Evaluated with the kernel's own
// grammar (or chzdev's), without touching any host.
import { ApMask } from '../../mask/ap-mask.js';
import { applyKernelMaskWrite, parseChzdevMask } from '../../mask/grammar.js';
import { formatRanges, quoteRanges } from '../../mask/ranges.js';
import { command } from '../declare.js';

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

function currentMask(text: string | undefined, usage: (m: string) => never): ApMask {
  if (text === undefined) return ApMask.FULL;
  try {
    return ApMask.fromReadFormat(text);
  } catch {
    return usage(`--current ${JSON.stringify(text)} is not a mask in the kernel's read format: ` +
      'give 0x followed by exactly 64 hex digits, as `cat /sys/bus/ap/apmask` prints it');
  }
}

export const maskEval = command({
  words: ['mask', 'eval'],
  summary: 'show what a write to apmask/aqmask (or a chzdev setting) would make of a mask',
  args: [{ name: 'SPEC', help: `the exact bytes a write would carry (echo adds a newline; write "$'…\\n'"
to include one). Put -- before a SPEC that starts with '-'.` }],
  options: {
    current: { type: 'string', value: 'MASK', help: `the mask before the write, as /sys/bus/ap/apmask reads
(0x + 64 hex digits); default all ones, the kernel's boot default` },
    kernel: { type: 'boolean', help: `the kernel's sysfs grammar (default): 0x<hex> absolute, or
+N,-N,+A-B relative terms (decimal, 0x hex, leading-0 octal)` },
    chzdev: { type: 'boolean', help: `chzdev --type ap syntax: 3,5-10,0x25 (listed IDs stay with the host)
or +0-4,-0xf0 (+ to the host, - to passthrough)` },
  },
  exclusive: [['kernel', 'chzdev', 'pick the grammar to evaluate SPEC with']],
  json: 'print {"mask": "0x…", "ids": "…"}; a refusal prints {"error": {…}}',
  description: `Applies SPEC to MASK and prints the resulting mask in the kernel's read format and as the
ID ranges lszdev shows. Nothing on the host is read or changed.

Exit status: 0 accepted, 1 refused (the reason and byte position are printed), 2 usage error.`,
  examples: [
    'zmdev mask eval -- -5,-6',
    'zmdev mask eval --chzdev -- -0,-10',
    'zmdev mask eval --current 0x0000000000000000000000000000000000000000000000000000000000000000 +0-15',
  ],
  check({ opts, usage }) {
    currentMask(opts.current, usage);
  },
  run({ args, opts, usage }) {
    const result = evaluateMaskSpec(args.SPEC, currentMask(opts.current, usage), opts.chzdev ? 'chzdev' : 'kernel');
    return {
      json: { mask: result.mask.toString(), ids: formatRanges(result.mask), ...(result.note ? { note: result.note } : {}) },
      text: `mask: ${result.mask}\nids:  ${quoteRanges(result.mask)}\n${result.note ? `note: ${result.note}\n` : ''}`,
    };
  },
});
