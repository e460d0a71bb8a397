// APQN names and the mdev matrix / control_domains text (docs/kernel.md §4.4, §9.3).
import t from 'tap';
import { GrammarError } from '../../src/errors.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import {
  apqnFromNumber, apqnNumber, apqnsOf, formatApqn, formatControlDomains, formatMatrix, parseApqn, parseMatrix,
} from '../../src/mask/apqn.js';
import { Rng, testSeed } from '../oracle/random.js';

const ids = (...xs: number[]) => ApMask.of(xs);
const seed = testSeed();

t.test('queue names', async (t) => {
  t.equal(formatApqn({ adapter: 1, domain: 0x1b }), '01.001b');
  t.equal(formatApqn({ adapter: 0xff, domain: 0xff }), 'ff.00ff');
  t.same(parseApqn('0a.00ab'), { adapter: 10, domain: 0xab });
  t.same(parseApqn('00.0000'), { adapter: 0, domain: 0 });
  for (const bad of ['0a.0100', '0A.00ab', 'a.00ab', '0a.ab', '0a.00ab\n', '', '0a00ab', '100.0001']) {
    const err = t.throws(() => parseApqn(bad), GrammarError, JSON.stringify(bad)) as GrammarError;
    t.equal(err.grammar, 'id');
  }
  for (let n = 0; n < 65536; n += 257) {
    const q = apqnFromNumber(n);
    t.equal(apqnNumber(q), n);
    t.same(parseApqn(formatApqn(q)), q);
  }
  t.same(apqnFromNumber(0x05ab), { adapter: 5, domain: 0xab });
});

t.test('apqnsOf: adapters outer, both ascending', async (t) => {
  t.same(apqnsOf(ids(6, 5), ids(0xab, 4)).map(formatApqn), ['05.0004', '05.00ab', '06.0004', '06.00ab']);
  t.same(apqnsOf(ids(5), ApMask.EMPTY), []);
});

t.test('matrix text, the four shapes of §4.4', async (t) => {
  t.equal(formatMatrix(ids(5, 6), ids(4, 0xab)), '05.0004\n05.00ab\n06.0004\n06.00ab\n', 'one line per APQN');
  t.equal(formatMatrix(ids(5), ApMask.EMPTY), '05.\n', 'adapters only');
  t.equal(formatMatrix(ids(5, 0xff), ApMask.EMPTY), '05.\nff.\n');
  t.equal(formatMatrix(ApMask.EMPTY, ids(4)), '.0004\n', 'domains only');
  t.equal(formatMatrix(ApMask.EMPTY, ApMask.EMPTY), '', 'empty: 0 bytes');
  t.equal(formatControlDomains(ids(4, 0xab)), '0004\n00ab\n');
  t.equal(formatControlDomains(ApMask.EMPTY), '');
});

t.test('bounds: bits above apm_max/aqm_max are not counted (no APXA: 63/15)', async (t) => {
  const b = { apmMax: 63, aqmMax: 15 };
  t.equal(formatMatrix(ids(5, 100), ids(4, 200), b), '05.0004\n');
  t.equal(formatMatrix(ids(100), ids(4), b), '.0004\n', 'every adapter is above the bound: domains only');
  t.equal(formatMatrix(ids(5), ids(200), b), '05.\n', 'every domain is above the bound: adapters only');
  t.equal(formatMatrix(ids(100), ids(200), b), '');
  t.equal(formatMatrix(ids(63), ids(15), b), '3f.000f\n', 'the bounds themselves are included');
  t.equal(formatMatrix(ids(100), ids(4), { apmMax: 100 }), '64.0004\n');
});

t.test('parseMatrix reads every shape back', async (t) => {
  const m = parseMatrix('05.0004\n05.00ab\n06.0004\n06.00ab\n');
  t.same(m.adapters.ids(), [5, 6]);
  t.same(m.domains.ids(), [4, 0xab]);
  t.same(m.apqns.map(formatApqn), ['05.0004', '05.00ab', '06.0004', '06.00ab']);
  const a = parseMatrix('05.\n');
  t.same([a.adapters.ids(), a.domains.ids(), a.apqns], [[5], [], []]);
  const d = parseMatrix('.0004\n');
  t.same([d.adapters.ids(), d.domains.ids(), d.apqns], [[], [4], []]);
  const e = parseMatrix('');
  t.same([e.adapters.ids(), e.domains.ids(), e.apqns], [[], [], []], 'the empty (0-byte) matrix');
  t.same(parseMatrix('05.0004').apqns.map(formatApqn), ['05.0004'], 'a missing last newline is tolerated');
});

t.test('parseMatrix refuses what the kernel never prints, naming the line', async (t) => {
  for (const [text, offset] of [
    ['05.0004\nbad\n', 8], ['05.0100\n', 0], ['05.00AB\n', 0], ['5.0004\n', 0], ['\n', 0], ['05.0004\n\n', 8],
    ['05.0004\r\n', 0], ['05..0004\n', 0],
  ] as const) {
    const err = t.throws(() => parseMatrix(text), GrammarError, JSON.stringify(text)) as GrammarError;
    t.equal(err.position, offset, `offset of the bad line in ${JSON.stringify(text)}`);
    t.equal(err.grammar, 'id');
  }
});

t.test(`formatMatrix and parseMatrix round trip (ZMDEV_TEST_SEED=${seed})`, async (t) => {
  const r = new Rng(seed);
  let bad = 0;
  for (let i = 0; i < 300; i++) {
    const adapters = ApMask.of(r.ids().filter(() => r.chance(0.1)));
    const domains = ApMask.of(r.ids().filter(() => r.chance(0.1)));
    const text = formatMatrix(adapters, domains);
    const back = parseMatrix(text);
    const ok = back.adapters.equals(adapters) && back.domains.equals(domains) &&
      back.apqns.map(formatApqn).join() === apqnsOf(adapters, domains).map(formatApqn).join() &&
      formatMatrix(back.adapters, back.domains) === text;
    if (!ok && bad++ < 5) t.fail(`${adapters} x ${domains} (ZMDEV_TEST_SEED=${seed})`);
  }
  t.equal(bad, 0);
});
