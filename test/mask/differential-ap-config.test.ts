// Randomized differential test: the native ap_config parser against the oracle (docs/kernel.md §4.6).
import t from 'tap';
import { parseApConfig } from '../../src/mask/grammar.js';
import { oracleApConfig, type OracleApConfig } from '../oracle/ap-config.js';
import { bitsToHex } from '../oracle/bits.js';
import { compareMany, describeNative, describeOracle } from '../oracle/compare.js';
import { genApConfig, Rng, testSeed } from '../oracle/random.js';

const seed = testSeed();
const CASES = 4000;

t.test(`native parseApConfig agrees with the oracle (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed);
  const showOracle = (m: OracleApConfig) => `${bitsToHex(m.apm)},${bitsToHex(m.aqm)},${bitsToHex(m.adm)}`;
  const outcomes = compareMany(t, seed, CASES, () => {
    const input = genApConfig(r);
    return {
      input,
      want: describeOracle(oracleApConfig(input), showOracle),
      got: describeNative(() => parseApConfig(input), (m) => `${m.adapters},${m.domains},${m.controlDomains}`, input),
    };
  });
  const accepted = outcomes.filter((o) => o === 'ok').length;
  t.ok(accepted > CASES / 10 && accepted < CASES - CASES / 10, `accepted ${accepted} of ${CASES}`);
});
