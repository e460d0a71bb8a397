// Error values: codes, errno numbers, messages and their JSON form for every grammar.
import t from 'tap';
import { errnoOf, GrammarError, ZmdevError, type Grammar } from '../../src/errors.js';

t.test('ZmdevError', async (t) => {
  const cause = new Error('underneath');
  const e = new ZmdevError({ code: 'EBUSY', message: 'in use', cause });
  t.equal(e.name, 'ZmdevError');
  t.equal(e.code, 'EBUSY');
  t.equal(e.errno, -16);
  t.equal(e.cause, cause);
  t.same(e.toJSON(), { code: 'EBUSY', message: 'in use' });
  const plain = new ZmdevError({ code: 'EADDON', message: 'no addon' });
  t.equal(plain.errno, undefined, 'not an errno name');
  t.notOk('cause' in plain, 'no cause unless given');
  t.ok(plain instanceof Error);
});

t.test('errnoOf', async (t) => {
  t.equal(errnoOf('EINVAL'), -22);
  t.equal(errnoOf('ERANGE'), -34);
  t.equal(errnoOf('EADDRINUSE'), -98);
  t.equal(errnoOf('NOPE'), undefined);
});

t.test('GrammarError names each grammar in its message', async (t) => {
  const names: Record<Grammar, string> = {
    'kernel-mask': 'mask write', ap_config: 'ap_config write', kstrtoul: 'ID write', chzdev: 'chzdev mask list',
    'mask-read-format': 'mask', id: 'ID',
  };
  for (const [grammar, words] of Object.entries(names) as [Grammar, string][]) {
    const e = new GrammarError(grammar, 'EINVAL', 'x y', 1, 'why');
    t.equal(e.message, `${words} "x y" refused at byte 1: why`);
    t.equal(e.name, 'GrammarError');
    t.ok(e instanceof ZmdevError);
    t.same(e.toJSON(), { code: 'EINVAL', message: e.message, grammar, input: 'x y', position: 1, reason: 'why' });
  }
  t.equal(new GrammarError('kstrtoul', 'ERANGE', '9', 0, 'too big', 'use a smaller number').message,
    'ID write "9" refused at byte 0: too big; use a smaller number');
});
