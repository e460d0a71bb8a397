// lszdev's range text (docs/kernel.md §11.2): decimal ranges, "" for an empty mask.
import t from 'tap';
import { ApMask } from '../../src/mask/ap-mask.js';
import { formatRanges, quoteRanges } from '../../src/mask/ranges.js';
import { Rng, testSeed } from '../oracle/random.js';

/** Naive reference: walk IDs 0..255 and close a run at every gap. */
function naiveRanges(ids: Set<number>): string {
  const out: string[] = [];
  for (let i = 0; i < 256; i++) {
    if (!ids.has(i)) continue;
    let j = i;
    while (ids.has(j + 1)) j++;
    out.push(i === j ? `${i}` : `${i}-${j}`);
    i = j;
  }
  return out.join(',');
}

const seed = testSeed();

t.test('fixed cases', async (t) => {
  t.equal(formatRanges(ApMask.EMPTY), '');
  t.equal(quoteRanges(ApMask.EMPTY), '""');
  t.equal(formatRanges(ApMask.FULL), '0-255');
  t.equal(formatRanges(ApMask.of([0])), '0');
  t.equal(formatRanges(ApMask.of([255])), '255');
  t.equal(formatRanges(ApMask.of([0, 255])), '0,255');
  t.equal(formatRanges(ApMask.of([1, 2])), '1-2');
  t.equal(formatRanges(ApMask.of([0, 2, 4])), '0,2,4');
  t.equal(formatRanges(ApMask.of([31, 32])), '31-32', 'across a word boundary');
  t.equal(quoteRanges(ApMask.FULL.without(0, 10)), '"1-9,11-255"');
});

t.test(`random masks agree with the naive walk (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed);
  let bad = 0;
  for (let i = 0; i < 1000; i++) {
    const ids = new Set(r.ids());
    const m = ApMask.of(ids);
    if (formatRanges(m) !== naiveRanges(ids) || quoteRanges(m) !== `"${naiveRanges(ids)}"`) {
      if (bad++ < 5) t.fail(`${m} (ZMDEV_TEST_SEED=${seed})`);
    }
  }
  t.equal(bad, 0);
});
