import t from 'tap';
import { zmdev } from './helpers.js';

const ZERO = `0x${'0'.repeat(64)}`;

t.test('kernel grammar, default current mask all ones', async (t) => {
  const r = await zmdev('mask', 'eval', '--', '-5,-6');
  t.equal(r.code, 0);
  t.equal(r.stdout, `mask: 0xf9${'f'.repeat(62)}\nids:  "0-4,7-255"\n`);
  t.equal(r.stderr, '');
});

t.test('--json prints mask and ids', async (t) => {
  const r = await zmdev('mask', 'eval', '--json', '--', '-4,-0x47,-0xab,-0xff');
  t.equal(r.code, 0);
  t.same(JSON.parse(r.stdout), {
    mask: '0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe',
    ids: '0-3,5-70,72-170,172-254',
  });
});

t.test('--current is the starting point of relative terms and ignored by absolute ones', async (t) => {
  const rel = await zmdev('mask', 'eval', '--json', '--current', ZERO, '+0-15');
  t.same(JSON.parse(rel.stdout), { mask: `0xffff${'0'.repeat(60)}`, ids: '0-15' });
  const abs = await zmdev('mask', 'eval', '--json', '--current', `0x${'f'.repeat(64)}`, '0x41');
  t.same(JSON.parse(abs.stdout).ids, '1,7');
});

t.test('an empty mask prints "" like lszdev', async (t) => {
  const r = await zmdev('mask', 'eval', '0x\n');
  t.equal(r.stdout, `mask: ${ZERO}\nids:  ""\n`);
  const j = await zmdev('mask', 'eval', '--json', '\n');
  t.same(JSON.parse(j.stdout), { mask: ZERO, ids: '' });
});

t.test('an empty write changes nothing and says why', async (t) => {
  const r = await zmdev('mask', 'eval', '--current', ZERO, '');
  t.equal(r.code, 0);
  t.match(r.stdout, /^mask: 0x0{64}\nids:  ""\nnote: an empty write never reaches the driver/);
  const j = await zmdev('mask', 'eval', '--json', '');
  t.match(JSON.parse(j.stdout), { mask: `0x${'f'.repeat(64)}`, note: /never reaches the driver/ });
});

t.test('a refused SPEC: reason, position and caret, exit 1', async (t) => {
  const r = await zmdev('mask', 'eval', '--', '-4, -0xab\n');
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.match(r.stderr, /^zmdev: EINVAL: mask write "-4, -0xab\\n" refused at byte 3: white space is not allowed/);
  t.match(r.stderr, /\n {2}-4, -0xab\\n\n {5}\^\n$/);
});

t.test('a refused SPEC with --json', async (t) => {
  const r = await zmdev('mask', 'eval', '--json', '0X41');
  t.equal(r.code, 1);
  const body = JSON.parse(r.stdout);
  t.equal(body.error.code, 'EINVAL');
  t.equal(body.error.position, 1);
  t.match(body.error.message, /0X/);
  t.equal(r.stderr, '');
});

t.test('chzdev grammar', async (t) => {
  const a = await zmdev('mask', 'eval', '--chzdev', '--json', '--', '-0,-10');
  t.same(JSON.parse(a.stdout).ids, '1-9,11-255');
  const b = await zmdev('mask', 'eval', '--chzdev', '--json', '0,3,5-255');
  t.same(JSON.parse(b.stdout).ids, '0,3,5-255');
  const bad = await zmdev('mask', 'eval', '--chzdev', '10-3');
  t.equal(bad.code, 1);
  t.match(bad.stderr, /range end is below its start/);
});

t.test('--kernel is the default and may be given', async (t) => {
  const r = await zmdev('mask', 'eval', '--kernel', '--json', '41');
  t.same(JSON.parse(r.stdout).ids, '1,7');
});

t.test('usage errors exit 2 with the usage line and change nothing', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['mask', 'eval'], /SPEC is missing/],
    [['mask', 'eval', 'a', 'b'], /expected one SPEC, got 2/],
    [['mask', 'eval', '--kernel', '--chzdev', '1'], /exclude each other/],
    [['mask', 'eval', '--current', '0x12', '+1'], /--current "0x12" is not a mask in the kernel's read format/],
    [['mask', 'eval', '-5,-6'], /must come after '--', e.g. `zmdev mask eval -- -5,-6`/],
    [['mask', 'eval', '--bogus', '1'], /Unknown option '--bogus'/],
  ];
  for (const [argv, re] of cases) {
    const r = await zmdev(...argv);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.stderr, re, argv.join(' '));
    t.match(r.stderr, /usage: zmdev mask eval/, argv.join(' '));
    t.equal(r.stdout, '');
  }
});

t.test('--help', async (t) => {
  const r = await zmdev('mask', 'eval', '--help');
  t.equal(r.code, 0);
  t.match(r.stdout, /--chzdev/);
  const spec = await zmdev('mask', 'eval', '--', '--help');
  t.equal(spec.code, 1, 'after -- it is a SPEC');
});
