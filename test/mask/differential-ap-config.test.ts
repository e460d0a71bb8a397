// Randomized differential test: the native ap_config parser against the oracle (§4.6).
import t from 'tap';
import { parseApConfig } from '../../src/mask/grammar.js';
import { oracleApConfig, type OracleApConfig } from '../oracle/ap-config.js';
import { bitsToHex } from '../oracle/bits.js';
import { describeNative, describeOracle } from '../oracle/compare.js';
import { genApConfig, Rng, testSeed } from '../oracle/random.js';

const seed = testSeed();
const CASES = 4000;

t.test(`native parseApConfig agrees with the oracle (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed);
  let mismatches = 0;
  let accepted = 0;
  const showOracle = (m: OracleApConfig) => `${bitsToHex(m.apm)},${bitsToHex(m.aqm)},${bitsToHex(m.adm)}`;
  for (let i = 0; i < CASES && mismatches < 10; i++) {
    const input = genApConfig(r);
    const want = describeOracle(oracleApConfig(input), showOracle);
    const got = describeNative(() => parseApConfig(input), (m) => `${m.apm},${m.aqm},${m.adm}`, input);
    if (want.startsWith('ok')) accepted++;
    if (got !== want) {
      mismatches++;
      t.equal(got, want, `case ${i} (ZMDEV_TEST_SEED=${seed}): ${JSON.stringify(input)}`);
    }
  }
  t.equal(mismatches, 0, `no disagreement in ${CASES} cases (ZMDEV_TEST_SEED=${seed})`);
  t.ok(accepted > CASES / 10 && accepted < CASES - CASES / 10, `accepted ${accepted} of ${CASES}`);
});
