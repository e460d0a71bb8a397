// Randomized differential test: the native apmask/aqmask parser against the oracle (docs/kernel.md §1.2).
import t from 'tap';
import { ApMask } from '../../src/mask/ap-mask.js';
import { parseKernelMask } from '../../src/mask/grammar.js';
import { parseKernelMasks } from '../../src/mask/batch.js';
import { bitsOf } from '../oracle/bits.js';
import { oracleKernelMask } from '../oracle/kernel-mask.js';
import { compareMany, describeNative, describeOracle, hexOfBits, hexOfMask } from '../oracle/compare.js';
import { genKernelMask, Rng, testSeed } from '../oracle/random.js';

const seed = testSeed();
const CASES = 4000;

t.test(`native parseKernelMask agrees with the oracle (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed);
  const outcomes = compareMany(t, seed, CASES, () => {
    const input = genKernelMask(r);
    const ids = r.ids();
    return {
      input,
      context: ApMask.of(ids).toString(),
      want: describeOracle(oracleKernelMask(input, bitsOf(ids)), hexOfBits),
      got: describeNative(() => parseKernelMask(input, ApMask.of(ids)), hexOfMask, input),
    };
  });
  // The generator must reach both sides of the grammar, or the comparison says little.
  const accepted = outcomes.filter((o) => o === 'ok').length;
  t.ok(accepted > CASES / 10 && accepted < CASES - CASES / 10, `accepted ${accepted} of ${CASES}`);
});

t.test(`parseKernelMasks (batch) agrees with the oracle item by item (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed ^ 0x5bd1e995);
  for (let round = 0; round < 10; round++) {
    const current = r.ids();
    const inputs = Array.from({ length: 200 }, () => genKernelMask(r));
    const batch = parseKernelMasks(inputs, ApMask.of(current));
    let refused = 0;
    inputs.forEach((input, i) => {
      const o = oracleKernelMask(input, bitsOf(current));
      const got = batch.errnos[i] ? (batch.errnos[i] === 22 ? 'EINVAL' : `errno ${batch.errnos[i]}`) : `ok ${batch.table.get(i)}`;
      const want = o.ok ? `ok ${hexOfBits(o.value)}` : o.errno;
      if (got !== want) t.equal(got, want, `round ${round} item ${i} (ZMDEV_TEST_SEED=${seed}): ${JSON.stringify(input)}`);
      if (!o.ok) {
        refused++;
        if (batch.table.get(i).isEmpty() === false) t.fail(`refused item ${i} left a non-zero entry`);
      }
    });
    t.equal(batch.refused, refused, `round ${round}: refused count (ZMDEV_TEST_SEED=${seed})`);
  }
});
