// Randomized differential test: the native kstrtoul(s, 0) against the oracle (docs/kernel.md §0).
import t from 'tap';
import { parseKernelId } from '../../src/mask/grammar.js';
import { compareMany, describeNative, describeOracle } from '../oracle/compare.js';
import { oracleKstrtoul } from '../oracle/kstrtoul.js';
import { genKstrtoul, Rng, testSeed } from '../oracle/random.js';

const seed = testSeed();
const CASES = 5000;

t.test(`native parseKernelId agrees with the oracle (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed);
  const outcomes = compareMany(t, seed, CASES, () => {
    const input = genKstrtoul(r);
    return {
      input,
      want: describeOracle(oracleKstrtoul(input), String),
      got: describeNative(() => parseKernelId(input), String, input),
    };
  });
  const seen = { ok: 0, EINVAL: 0, ERANGE: 0 };
  for (const o of outcomes) seen[o as keyof typeof seen]++;
  t.ok(seen.ok > 500 && seen.EINVAL > 500 && seen.ERANGE > 50, `outcomes ${JSON.stringify(seen)}`);
});
