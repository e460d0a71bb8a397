// Randomized differential test: the native chzdev mask-list parser against the oracle (docs/kernel.md §11.1).
import t from 'tap';
import { ApMask } from '../../src/mask/ap-mask.js';
import { parseChzdevMask } from '../../src/mask/grammar.js';
import { formatRanges } from '../../src/mask/ranges.js';
import { bitsOf } from '../oracle/bits.js';
import { oracleChzdev } from '../oracle/chzdev.js';
import { compareMany, describeNative, describeOracle, hexOfBits, hexOfMask } from '../oracle/compare.js';
import { genChzdev, Rng, testSeed } from '../oracle/random.js';

const seed = testSeed();
const CASES = 4000;

t.test(`native parseChzdevMask agrees with the oracle (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed);
  const outcomes = compareMany(t, seed, CASES, () => {
    const input = genChzdev(r);
    const ids = r.ids();
    return {
      input,
      context: ApMask.of(ids).toString(),
      want: describeOracle(oracleChzdev(input, bitsOf(ids)), hexOfBits),
      got: describeNative(() => parseChzdevMask(input, ApMask.of(ids)), hexOfMask, input),
    };
  });
  const accepted = outcomes.filter((o) => o === 'ok').length;
  t.ok(accepted > CASES / 10 && accepted < CASES - CASES / 10, `accepted ${accepted} of ${CASES}`);
});

t.test(`lszdev's range text of any non-empty mask reads back as the same mask (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed ^ 0x9e3779b9);
  let bad = 0;
  for (let i = 0; i < 1000; i++) {
    const m = ApMask.of(r.ids());
    if (m.isEmpty()) continue;
    const text = formatRanges(m);
    const back = parseChzdevMask(text, ApMask.of(r.ids()));
    const o = oracleChzdev(text, bitsOf([]));
    if (!back.equals(m) || !o.ok || hexOfBits(o.value) !== m.toString()) {
      bad++;
      t.fail(`${text} (ZMDEV_TEST_SEED=${seed})`);
    }
  }
  t.equal(bad, 0);
});
