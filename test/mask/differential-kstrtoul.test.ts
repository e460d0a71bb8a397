// Randomized differential test: the native kstrtoul(s, 0) against the oracle (§0).
import t from 'tap';
import { parseKernelId } from '../../src/mask/grammar.js';
import { describeNative, describeOracle } from '../oracle/compare.js';
import { oracleKstrtoul } from '../oracle/kstrtoul.js';
import { genKstrtoul, Rng, testSeed } from '../oracle/random.js';

const seed = testSeed();
const CASES = 5000;

t.test(`native parseKernelId agrees with the oracle (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed);
  let mismatches = 0;
  const seen = { ok: 0, EINVAL: 0, ERANGE: 0 };
  for (let i = 0; i < CASES && mismatches < 10; i++) {
    const input = genKstrtoul(r);
    const o = oracleKstrtoul(input);
    seen[o.ok ? 'ok' : o.errno]++;
    const want = describeOracle(o, String);
    const got = describeNative(() => parseKernelId(input), String, input);
    if (got !== want) {
      mismatches++;
      t.equal(got, want, `case ${i} (ZMDEV_TEST_SEED=${seed}): ${JSON.stringify(input)}`);
    }
  }
  t.equal(mismatches, 0, `no disagreement in ${CASES} cases (ZMDEV_TEST_SEED=${seed})`);
  t.ok(seen.ok > 500 && seen.EINVAL > 500 && seen.ERANGE > 50, `outcomes ${JSON.stringify(seen)}`);
});
