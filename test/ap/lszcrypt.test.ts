// lszcrypt and lszcrypt -V of the simulated host. The golden tables were written by hand from the
// reference rules (docs/kernel.md §11.3): CARD.DOM 8 left, TYPE 5 left, MODE 11 left, STATUS 10
// left, REQUESTS 8 right, then with -V PENDING 8 right, HWTYPE 6 right, QDEPTH 6 right (%02d),
// FUNCTIONS 10 left, DRIVER 11 left and SESTAT 11 left; one blank between columns, every cell
// padded (so left-aligned last columns leave trailing blanks), the dash line as wide as the header.
import t from 'tap';
import { createHost, events } from '../../src/sim/index.js';
import { readInventory, type Inventory } from '../../src/ap/inventory.js';
import { defaultDomainWarning, formatLszcrypt, hasSestat, lszcryptReport, renderLszcrypt } from '../../src/ap/lszcrypt.js';

const TYPE = 'devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough';
const A = '11111111-2222-3333-4444-555555555555';

const lines = (...ls: string[]) => ls.join('\n') + '\n';
const plain = (sysfs: Parameters<typeof readInventory>[0]) => formatLszcrypt(readInventory(sysfs), { verbose: false });
const verbose = (sysfs: Parameters<typeof readInventory>[0]) => formatLszcrypt(readInventory(sysfs), { verbose: true });
/** The rows of a table whose first cell starts with `prefix`. */
const rowsOf = (table: string, prefix: string) => table.split('\n').filter((l) => l.startsWith(prefix));

const SEED_PLAIN = lines(
  'CARD.DOM TYPE  MODE        STATUS     REQUESTS',
  '----------------------------------------------',
  '00       CEX8A Accelerator online            0',
  '00.0001  CEX8A Accelerator online            0',
  '00.0002  CEX8A Accelerator online            0',
  '00.0004  CEX8A Accelerator online            0',
  '00.001b  CEX8A Accelerator online            0',
  '01       CEX8C CCA-Coproc  online            0',
  '01.0001  CEX8C CCA-Coproc  online            0',
  '01.0002  CEX8C CCA-Coproc  online            0',
  '01.0004  CEX8C CCA-Coproc  online            0',
  '01.001b  CEX8C CCA-Coproc  online            0',
  '0a       CEX8P EP11-Coproc online            0',
  '0a.0001  CEX8P EP11-Coproc online            0',
  '0a.0002  CEX8P EP11-Coproc online            0',
  '0a.0004  CEX8P EP11-Coproc online            0',
  '0a.001b  CEX8P EP11-Coproc online            0',
);

// A KVM host's AP bus has no secure binding (APSB), so -V has no SESTAT column.
const SEED_VERBOSE = lines(
  'CARD.DOM TYPE  MODE        STATUS     REQUESTS  PENDING HWTYPE QDEPTH FUNCTIONS  DRIVER     ',
  '--------------------------------------------------------------------------------------------',
  '00       CEX8A Accelerator online            0        0     14     08 -MC-A-N-F- cex4card   ',
  '00.0001  CEX8A Accelerator online            0        0     14     08 -MC-A-N-F- cex4queue  ',
  '00.0002  CEX8A Accelerator online            0        0     14     08 -MC-A-N-F- cex4queue  ',
  '00.0004  CEX8A Accelerator online            0        0     14     08 -MC-A-N-F- cex4queue  ',
  '00.001b  CEX8A Accelerator online            0        0     14     08 -MC-A-N-F- cex4queue  ',
  '01       CEX8C CCA-Coproc  online            0        0     14     08 S--D--N-F- cex4card   ',
  '01.0001  CEX8C CCA-Coproc  online            0        0     14     08 S--D--N-F- cex4queue  ',
  '01.0002  CEX8C CCA-Coproc  online            0        0     14     08 S--D--N-F- cex4queue  ',
  '01.0004  CEX8C CCA-Coproc  online            0        0     14     08 S--D--N-F- cex4queue  ',
  '01.001b  CEX8C CCA-Coproc  online            0        0     14     08 S--D--N-F- cex4queue  ',
  '0a       CEX8P EP11-Coproc online            0        0     14     08 -----XN-F- cex4card   ',
  '0a.0001  CEX8P EP11-Coproc online            0        0     14     08 -----XN-F- cex4queue  ',
  '0a.0002  CEX8P EP11-Coproc online            0        0     14     08 -----XN-F- cex4queue  ',
  '0a.0004  CEX8P EP11-Coproc online            0        0     14     08 -----XN-F- cex4queue  ',
  '0a.001b  CEX8P EP11-Coproc online            0        0     14     08 -----XN-F- cex4queue  ',
);

t.test('seed host: lszcrypt and lszcrypt -V', async (t) => {
  const { sysfs } = createHost('seed');
  t.equal(plain(sysfs), SEED_PLAIN);
  t.equal(verbose(sysfs), SEED_VERBOSE);
  for (const l of SEED_VERBOSE.split('\n').slice(0, -1)) t.equal(l.length, 92, 'every cell fits: 83 columns + 9 blanks');
  t.equal(SEED_PLAIN.split('\n')[1]!.length, 46);
});

t.test('with APSB in features (the AP bus of a Secure Execution guest) -V has a SESTAT column', async (t) => {
  const { host, sysfs } = createHost('seed');
  host.state.host.facilities = ['APSC', 'APXA', 'QACT', 'RC8A', 'APSB'];
  const out = verbose(sysfs).split('\n');
  t.equal(out[0], 'CARD.DOM TYPE  MODE        STATUS     REQUESTS  PENDING HWTYPE QDEPTH FUNCTIONS  DRIVER      SESTAT     ');
  t.equal(out[1], '-'.repeat(104));
  t.equal(out[2], '00       CEX8A Accelerator online            0        0     14     08 -MC-A-N-F- cex4card    -          ');
  t.equal(out[3], '00.0001  CEX8A Accelerator online            0        0     14     08 -MC-A-N-F- cex4queue   usable     ');
  t.equal(hasSestat(readInventory(sysfs)), true);
  host.state.host.facilities = ['APSC', 'APXA', 'QACT', 'RC8A'];
  const inv = readInventory(sysfs);
  t.equal(hasSestat(inv), false);
  t.equal(hasSestat({ ...inv, bus: { ...inv.bus, features: undefined } }), false, 'a kernel without features');
  t.equal(plain(sysfs), SEED_PLAIN, 'the plain table never has it');
});

t.test('after a mask change: vfio_ap queues only with -V, with their status and no counters', async (t) => {
  const { sysfs } = createHost('seed');
  sysfs.write('bus/ap/apmask', '-1');
  t.equal(plain(sysfs), lines(
    'CARD.DOM TYPE  MODE        STATUS     REQUESTS',
    '----------------------------------------------',
    '00       CEX8A Accelerator online            0',
    '00.0001  CEX8A Accelerator online            0',
    '00.0002  CEX8A Accelerator online            0',
    '00.0004  CEX8A Accelerator online            0',
    '00.001b  CEX8A Accelerator online            0',
    '01       CEX8C CCA-Coproc  online            0',
    '0a       CEX8P EP11-Coproc online            0',
    '0a.0001  CEX8P EP11-Coproc online            0',
    '0a.0002  CEX8P EP11-Coproc online            0',
    '0a.0004  CEX8P EP11-Coproc online            0',
    '0a.001b  CEX8P EP11-Coproc online            0',
  ));
  t.same(rowsOf(verbose(sysfs), '01'), [
    '01       CEX8C CCA-Coproc  online            0        0     14     08 S--D--N-F- cex4card   ',
    '01.0001  CEX8C CCA-Coproc  unassigned        -        -     14     08 S--D--N-F- vfio_ap    ',
    '01.0002  CEX8C CCA-Coproc  unassigned        -        -     14     08 S--D--N-F- vfio_ap    ',
    '01.0004  CEX8C CCA-Coproc  unassigned        -        -     14     08 S--D--N-F- vfio_ap    ',
    '01.001b  CEX8C CCA-Coproc  unassigned        -        -     14     08 S--D--N-F- vfio_ap    ',
  ]);
});

t.test('an mdev holding a queue: assigned, then in use', async (t) => {
  const { host, sysfs } = createHost('seed');
  sysfs.write('bus/ap/apmask', '-1');
  sysfs.write(`${TYPE}/create`, A);
  sysfs.write(`devices/vfio_ap/matrix/${A}/assign_adapter`, '1');
  sysfs.write(`devices/vfio_ap/matrix/${A}/assign_domain`, '4');
  t.same(rowsOf(verbose(sysfs), '01.0004'), [
    '01.0004  CEX8C CCA-Coproc  assigned          -        -     14     08 S--D--N-F- vfio_ap    ',
  ]);
  events.attachGuest(host, A, 'guest1');
  t.same(rowsOf(verbose(sysfs), '01.000'), [
    '01.0001  CEX8C CCA-Coproc  unassigned        -        -     14     08 S--D--N-F- vfio_ap    ',
    '01.0002  CEX8C CCA-Coproc  unassigned        -        -     14     08 S--D--N-F- vfio_ap    ',
    '01.0004  CEX8C CCA-Coproc  in use            -        -     14     08 S--D--N-F- vfio_ap    ',
  ]);
});

t.test('kernel 5.15: a vfio_ap queue has no status, so STATUS is -', async (t) => {
  const { sysfs } = createHost('seed', '5.15');
  sysfs.write('bus/ap/apmask', '-1');
  t.same(rowsOf(verbose(sysfs), '01.0002'), [
    '01.0002  CEX8C CCA-Coproc  -                 -        -     14     08 S--D--N-F- vfio_ap    ',
  ]);
});

t.test('checkstopped queue, deconfigured card, requests counted', async (t) => {
  const { host, sysfs } = createHost('seed');
  events.setCheckstop(host, 0x0a, 4, true);
  events.processRequests(host, 0x0a, 2, 17);
  sysfs.write('devices/ap/card01/config', '0');
  const out = verbose(sysfs);
  t.same(rowsOf(out, '01'), [
    '01       CEX8C CCA-Coproc  deconfig          -        -     14     08 S--D--N-F- cex4card   ',
    '01.0001  CEX8C CCA-Coproc  deconfig          -        -     14     08 S--D--N-F- cex4queue  ',
    '01.0002  CEX8C CCA-Coproc  deconfig          -        -     14     08 S--D--N-F- cex4queue  ',
    '01.0004  CEX8C CCA-Coproc  deconfig          -        -     14     08 S--D--N-F- cex4queue  ',
    '01.001b  CEX8C CCA-Coproc  deconfig          -        -     14     08 S--D--N-F- cex4queue  ',
  ]);
  t.same(rowsOf(out, '0a'), [
    '0a       CEX8P EP11-Coproc online           17        0     14     08 -----XN-F- cex4card   ',
    '0a.0001  CEX8P EP11-Coproc online            0        0     14     08 -----XN-F- cex4queue  ',
    '0a.0002  CEX8P EP11-Coproc online           17        0     14     08 -----XN-F- cex4queue  ',
    '0a.0004  CEX8P EP11-Coproc chkstop           0        0     14     08 -----XN-F- cex4queue  ',
    '0a.001b  CEX8P EP11-Coproc online            0        0     14     08 -----XN-F- cex4queue  ',
  ]);
  t.same(rowsOf(plain(sysfs), '01'), [
    '01       CEX8C CCA-Coproc  deconfig          -',
    '01.0001  CEX8C CCA-Coproc  deconfig          -',
    '01.0002  CEX8C CCA-Coproc  deconfig          -',
    '01.0004  CEX8C CCA-Coproc  deconfig          -',
    '01.001b  CEX8C CCA-Coproc  deconfig          -',
  ], 'deconfigured devices keep their online attribute, so they show without -V');
  sysfs.write('devices/ap/card01/config', '1');
  sysfs.write('devices/ap/card01/online', '0');
  t.same(rowsOf(plain(sysfs), '01'), [
    '01       CEX8C CCA-Coproc  offline           0',
    '01.0001  CEX8C CCA-Coproc  offline           0',
    '01.0002  CEX8C CCA-Coproc  offline           0',
    '01.0004  CEX8C CCA-Coproc  offline           0',
    '01.001b  CEX8C CCA-Coproc  offline           0',
  ]);
});

t.test('a card not bound to cex4card: hidden with its queues, shown with -V', async (t) => {
  const { sysfs } = createHost('seed');
  sysfs.write('bus/ap/drivers/cex4card/unbind', 'card01');
  t.same(rowsOf(plain(sysfs), '01'), []);
  t.same(rowsOf(verbose(sysfs), '01'), [
    '01       -     CCA-Coproc  -                 0        0     14     08 S--D--N-F- -no-driver-',
    '01.0001  -     CCA-Coproc  online            0        0     14     08 S--D--N-F- cex4queue  ',
    '01.0002  -     CCA-Coproc  online            0        0     14     08 S--D--N-F- cex4queue  ',
    '01.0004  -     CCA-Coproc  online            0        0     14     08 S--D--N-F- cex4queue  ',
    '01.001b  -     CCA-Coproc  online            0        0     14     08 S--D--N-F- cex4queue  ',
  ]);
});

t.test('cells wider than their column push the rest right, never cut', async (t) => {
  const { host, sysfs } = createHost('seed');
  events.processRequests(host, 0, 1, 1234567890);
  t.same(rowsOf(plain(sysfs), '00'), [
    '00       CEX8A Accelerator online     1234567890',
    '00.0001  CEX8A Accelerator online     1234567890',
    '00.0002  CEX8A Accelerator online            0',
    '00.0004  CEX8A Accelerator online            0',
    '00.001b  CEX8A Accelerator online            0',
  ]);
});

t.test('driver names: only zcrypt and vfio_ap drivers are named; PENDING only for zcrypt queues', async (t) => {
  const inv = readInventory(createHost('seed').sysfs);
  const odd: Inventory = {
    ...inv,
    cards: inv.cards.map((c) => (c.id === 0 ? { ...c, driver: 'somedrv' } : c)),
    queues: inv.queues.map((q) => (q.apqn === '00.0001' ? { ...q, driver: 'other' } : q.apqn === '00.0002' ? { ...q, driver: null } : q)),
  };
  t.same(rowsOf(formatLszcrypt(odd, { verbose: true }), '00').slice(0, 3), [
    '00       CEX8A Accelerator online            0        0     14     08 -MC-A-N-F- -no-driver-',
    '00.0001  CEX8A Accelerator online            0        -     14     08 -MC-A-N-F- -no-driver-',
    '00.0002  CEX8A Accelerator online            0        -     14     08 -MC-A-N-F- -no-driver-',
  ]);
});

t.test('SESTAT from the queue\'s own ap_functions bind-state bits', async (t) => {
  const plainInv = readInventory(createHost('seed').sysfs);
  const inv: Inventory = { ...plainInv, bus: { ...plainInv.bus, features: [...plainInv.bus.features!, 'APSB'] } };
  const fns: Array<[number | null, string]> = [[0x92800000, 'usable'], [0x93004000, 'bound'], [0x93008000, 'unbound'], [0x9300c000, 'illicit'], [0, 'invalid'], [null, 'error']];
  const queues = inv.queues.filter((q) => q.adapter === 1).slice(0, 1);
  for (const [functions, want] of fns) {
    const r = lszcryptReport({ ...inv, queues: queues.map((q) => ({ ...q, functions })) }, { verbose: true });
    t.equal(r.rows[2]!.sestat, want, String(functions));
  }
});

t.test('the default-domain warning', async (t) => {
  const { sysfs } = createHost('empty');
  t.equal(plain(sysfs), lines(
    'CARD.DOM TYPE  MODE        STATUS     REQUESTS',
    '----------------------------------------------',
    'Warning: Default domain 0xffffffffffffffff is not available.',
  ), 'no default domain: ap_domain reads -1');

  const seed = createHost('seed');
  t.equal(defaultDomainWarning(readInventory(seed.sysfs)), undefined);
  events.removeDomain(seed.host, 1);
  t.equal(plain(seed.sysfs).split('\n').at(-2), 'Warning: Default domain 0x01 is not available.', 'left the usage domains');
  const other = createHost('seed');
  other.host.state.host.qci = false;
  t.equal(defaultDomainWarning(readInventory(other.sysfs)), 'Warning: Default domain 0x01 is not available.', 'no QCI usage mask');
});

t.test('--json: the same rows as data', async (t) => {
  const inv = readInventory(createHost('seed').sysfs);
  const r = lszcryptReport(inv, { verbose: true });
  t.same(r.columns.map((c) => [c.header, c.width, c.align]), [
    ['CARD.DOM', 8, 'left'], ['TYPE', 5, 'left'], ['MODE', 11, 'left'], ['STATUS', 10, 'left'], ['REQUESTS', 8, 'right'],
    ['PENDING', 8, 'right'], ['HWTYPE', 6, 'right'], ['QDEPTH', 6, 'right'], ['FUNCTIONS', 10, 'left'], ['DRIVER', 11, 'left'],
  ]);
  t.same(r.rows[0], {
    kind: 'card', card: '00', type: 'CEX8A', mode: 'Accelerator', status: 'online', requests: '0',
    pending: '0', hwtype: '14', qdepth: '08', functions: '-MC-A-N-F-', driver: 'cex4card',
  });
  t.same(r.rows[1]!.kind, 'queue');
  t.same(r.warnings, []);
  const back = JSON.parse(JSON.stringify(r));
  t.equal(renderLszcrypt(back), SEED_VERBOSE, 'the JSON renders back to the same table');
  t.same(Object.keys(lszcryptReport(inv, { verbose: false }).rows[0]!), ['kind', 'card', 'type', 'mode', 'status', 'requests']);
});
