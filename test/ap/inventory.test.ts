// readInventory and guestUsability on the simulated host (through SimSysfs): the seed and large
// presets, mask changes, mdevs and guests, kernel profiles, host events and failing reads.
import t from 'tap';
import { ApMask } from '../../src/mask/index.js';
import { SysfsError, type SysfsIO } from '../../src/sysfs/sysfs-io.js';
import { createHost, events } from '../../src/sim/index.js';
import {
  cardMode, functionLetters, guestUsability, queuesOf, readInventory, type Inventory, type UsabilityReason,
} from '../../src/ap/inventory.js';
import { formatLszcrypt } from '../../src/ap/lszcrypt.js';

const TYPE = 'devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough';
const A = '11111111-2222-3333-4444-555555555555';

/** A SysfsIO over another that counts every crossing and can replace reads or run a hook before readMany. */
function spy(io: SysfsIO, opts: { read?: (p: string) => string | SysfsError | undefined; beforeReadMany?: () => void } = {}) {
  const calls = { read: 0, readMany: 0, list: 0, readlink: 0, exists: 0, stat: 0, write: 0 };
  const paths: string[] = [];
  const wrapped: SysfsIO = {
    read: (p) => (calls.read++, io.read(p)),
    readMany: (ps) => {
      calls.readMany++;
      paths.push(...ps);
      opts.beforeReadMany?.();
      const got = io.readMany(ps);
      return ps.map((p, i) => opts.read?.(p) ?? got[i]!);
    },
    write: (p, d) => (calls.write++, io.write(p, d)),
    list: (p) => (calls.list++, io.list(p)),
    exists: (p) => (calls.exists++, io.exists(p)),
    readlink: (p) => (calls.readlink++, io.readlink(p)),
    stat: (p) => (calls.stat++, io.stat(p)),
  };
  return { io: wrapped, calls, paths };
}

const err = (code: string, path: string) => new SysfsError({ code, syscall: 'read', path });
const q = (inv: Inventory, apqn: string) => inv.queues.find((x) => x.apqn === apqn)!;
const codes = (rs: UsabilityReason[]) => rs.map((r) => r.code);

t.test('seed host: bus facts, cards and queues', async (t) => {
  const { sysfs } = createHost('seed');
  const inv = readInventory(sysfs);
  t.same(inv.problems, []);
  const b = inv.bus;
  t.ok(b.apmask.equals(ApMask.FULL));
  t.ok(b.aqmask.equals(ApMask.FULL));
  t.equal(b.apDomain, 1);
  t.equal(b.maxAdapterId, 255);
  t.equal(b.maxDomainId, 255);
  t.same(b.features, ['APSC', 'APXA', 'QACT', 'RC8A']);
  t.equal(b.bindings, '12/12 (complete)');
  t.same(b.adapterMask!.ids(), [0, 1, 10]);
  t.same(b.usageDomainMask!.ids(), [1, 2, 4, 27]);
  t.same(b.controlDomainMask!.ids(), [1, 2, 4, 27]);
  t.same(b.drivers, ['cex4card', 'cex4queue', 'vfio_ap']);

  t.same(inv.cards.map((c) => [c.name, c.type, c.mode, c.functionLetters]), [
    ['card00', 'CEX8A', 'Accelerator', '-MC-A-N-F-'],
    ['card01', 'CEX8C', 'CCA-Coproc', 'S--D--N-F-'],
    ['card0a', 'CEX8P', 'EP11-Coproc', '-----XN-F-'],
  ]);
  t.same(inv.cards[1], {
    id: 1, name: 'card01', type: 'CEX8C', mode: 'CCA-Coproc', hwtype: 14, rawHwtype: 14, depth: 8,
    functions: 0x92800000, functionLetters: 'S--D--N-F-', online: true, config: true, chkstop: false,
    requestCount: 0, pending: 0, driver: 'cex4card',
  });
  t.same(inv.queues.map((x) => x.apqn), [
    '00.0001', '00.0002', '00.0004', '00.001b', '01.0001', '01.0002', '01.0004', '01.001b',
    '0a.0001', '0a.0002', '0a.0004', '0a.001b',
  ]);
  t.same(q(inv, '0a.001b'), {
    adapter: 10, domain: 27, apqn: '0a.001b', config: true, chkstop: false, online: true, requestCount: 0, pending: 0,
    driver: 'cex4queue', status: undefined, functions: 0x06800000, functionsError: undefined,
  });
  t.same(queuesOf(inv, 1).map((x) => x.domain), [1, 2, 4, 27]);
  t.same(JSON.parse(JSON.stringify(inv.bus)).apmask, ApMask.FULL.toString(), 'masks serialise as the kernel prints them');
});

t.test('one readMany for every attribute; lists only for devices and drivers', async (t) => {
  const { sysfs } = createHost('seed');
  const s = spy(sysfs);
  readInventory(s.io);
  t.same(s.calls, { read: 0, readMany: 1, list: 5, readlink: 0, exists: 0, stat: 0, write: 0 });
  t.equal(s.paths.length, 10 + 3 * 11 + 12 * 8, 'bus 10, card 11 and queue 8 attributes');
  t.ok(s.paths.includes('devices/ap/card0a/0a.001b/status'));
  t.ok(s.paths.includes('bus/ap/ap_usage_domain_mask'));
});

t.test('the numbers lszcrypt needs, and their precedence', async (t) => {
  t.equal(functionLetters(0x06800000), '-----XN-F-', 'the EP11 card of the reference sample');
  t.equal(functionLetters(0xffc00000), 'SMCDAXNHFR');
  t.equal(functionLetters(0x003fffff), '----------', 'bits past R are not shown');
  t.equal(cardMode(0x18000000), 'CCA-Coproc', 'CCA before accelerator');
  t.equal(cardMode(0x0c000000), 'Accelerator', 'accelerator before EP11');
  t.equal(cardMode(0x04000000), 'EP11-Coproc');
  t.equal(cardMode(0x80000000), 'Unknown');
});

t.test('freeing queues moves them to vfio_ap: status shows, request_count reads -', async (t) => {
  const { sysfs } = createHost('seed');
  sysfs.write('bus/ap/apmask', '-1');
  sysfs.write('bus/ap/aqmask', '-27');
  const inv = readInventory(sysfs);
  t.equal(inv.bus.apmask.has(1), false);
  t.equal(inv.bus.aqmask.has(27), false);
  const onVfio = inv.queues.filter((x) => x.driver === 'vfio_ap').map((x) => x.apqn);
  t.same(onVfio, ['00.001b', '01.0001', '01.0002', '01.0004', '01.001b', '0a.001b']);
  t.same(q(inv, '01.0004'), {
    adapter: 1, domain: 4, apqn: '01.0004', config: true, chkstop: false, online: undefined, requestCount: '-', pending: 0,
    driver: 'vfio_ap', status: 'unassigned', functions: 0x92800000, functionsError: undefined,
  });
  t.equal(q(inv, '00.0004').driver, 'cex4queue');
  t.equal(inv.cards[1]!.driver, 'cex4card', 'cards never follow the masks');
  t.equal(inv.bus.bindings, '12/12 (complete)');

  const u = guestUsability(inv);
  t.same(u.filter((x) => x.usable).map((x) => x.apqn), onVfio);
  const held = u.find((x) => x.apqn === '00.0004')!;
  t.same(held.reasons, [{
    code: 'reserved', apmaskBit: 0, aqmaskBit: 4,
    message: '00.0004 is reserved for the host: apmask bit 0 and aqmask bit 4 are both set; ' +
      'clear one of them (zmdev masks set apmask=-0, or zmdev masks set aqmask=-4)',
  }]);
});

t.test('an mdev holding queues: assigned, then in use by a guest', async (t) => {
  const { host, sysfs } = createHost('seed');
  sysfs.write('bus/ap/apmask', '-1');
  sysfs.write(`${TYPE}/create`, A);
  sysfs.write(`devices/vfio_ap/matrix/${A}/assign_adapter`, '1');
  sysfs.write(`devices/vfio_ap/matrix/${A}/assign_domain`, '4');
  let inv = readInventory(sysfs);
  t.same(inv.queues.filter((x) => x.adapter === 1).map((x) => [x.apqn, x.status]), [
    ['01.0001', 'unassigned'], ['01.0002', 'unassigned'], ['01.0004', 'assigned'], ['01.001b', 'unassigned'],
  ]);
  events.attachGuest(host, A, 'guest1');
  inv = readInventory(sysfs);
  t.equal(q(inv, '01.0004').status, 'in use');
  t.ok(guestUsability(inv).find((x) => x.apqn === '01.0004')!.usable, 'in use by a guest is still a usable queue');
});

t.test('kernel 5.15: vfio_ap queues have no status attribute; 6.0 has it', async (t) => {
  for (const [profile, status] of [['5.15', undefined], ['6.0', 'unassigned']] as const) {
    const { sysfs } = createHost('seed', profile);
    sysfs.write('bus/ap/apmask', '-1');
    const inv = readInventory(sysfs);
    t.same(inv.problems, [], profile);
    t.equal(q(inv, '01.0002').driver, 'vfio_ap', profile);
    t.equal(q(inv, '01.0002').status, status, profile);
  }
});

t.test('checkstopped and deconfigured cards and queues', async (t) => {
  const { host, sysfs } = createHost('seed');
  sysfs.write('bus/ap/apmask', '-0,-1,-10');
  events.setCheckstop(host, 0x0a, 4, true);
  events.setCheckstop(host, 0x00, undefined, true);
  sysfs.write('devices/ap/card01/config', '0');
  const inv = readInventory(sysfs);
  t.same(inv.problems, []);
  t.same([inv.cards[0]!.chkstop, inv.cards[1]!.config, inv.cards[1]!.online, inv.cards[2]!.chkstop], [true, false, false, false]);
  t.same([q(inv, '0a.0004').chkstop, q(inv, '0a.0002').chkstop, q(inv, '01.0002').config], [true, false, false]);
  const u = new Map(guestUsability(inv).map((x) => [x.apqn, x]));
  t.same(u.get('0a.0004')!.reasons, [{ code: 'checkstopped', of: 'queue', message: '0a.0004 is checkstopped; the hardware must be repaired or reset' }]);
  t.same(u.get('00.0001')!.reasons, [{ code: 'checkstopped', of: 'card', message: 'card00 is checkstopped; the hardware must be repaired or reset' }]);
  t.same(u.get('01.001b')!.reasons, [{
    code: 'deconfigured', of: 'card', message: 'card01 is deconfigured; configure it (echo 1 > /sys/devices/ap/card01/config)',
  }]);
  t.ok(u.get('0a.0002')!.usable);
});

t.test('guest usability: every reason, and several at once', async (t) => {
  const { host, sysfs } = createHost('seed');
  events.addAdapter(host, { id: 5, overrides: { hwtype: 9 } });
  sysfs.write('bus/ap/apmask', '-5,-10');
  sysfs.write('bus/ap/drivers/vfio_ap/unbind', '0a.0002');
  let inv = readInventory(sysfs);
  let u = new Map(guestUsability(inv).map((x) => [x.apqn, x]));
  t.same(u.get('05.0001')!.reasons, [{
    code: 'hwtype', hwtype: 9, message: '05.0001 is on a card of hardware type 9; vfio_ap takes only CEX4 (type 10) and newer',
  }]);
  t.same(u.get('0a.0002')!.reasons, [{ code: 'not-bound', driver: null, vfioApLoaded: true, message: '0a.0002 is free but no driver took it' }]);

  // a queue bound to some other driver, and a queue deconfigured on its own (the card is fine)
  const other: Inventory = {
    ...inv,
    queues: inv.queues.map((x) => (x.apqn === '0a.0004' ? { ...x, driver: 'other' } : x.apqn === '0a.0001' ? { ...x, config: false } : x)),
  };
  u = new Map(guestUsability(other).map((x) => [x.apqn, x]));
  t.same(u.get('0a.0004')!.reasons, [{ code: 'not-bound', driver: 'other', vfioApLoaded: true, message: '0a.0004 is free but bound to other, not vfio_ap' }]);
  t.same(u.get('0a.0001')!.reasons, [{ code: 'deconfigured', of: 'queue', message: '0a.0001 is deconfigured in the machine\'s AP configuration' }]);
  // a queue whose card is not in the inventory: only what the queue itself says counts
  t.same(guestUsability({ ...inv, cards: [] }).find((x) => x.apqn === '0a.0001')!.reasons, []);

  // vfio_ap unloaded: free queues stay unbound
  sysfs.write('bus/ap/apmask', '+5');
  events.unloadVfioAp(host);
  events.setCheckstop(host, 0x0a, 1, true);
  inv = readInventory(sysfs);
  t.same(inv.bus.drivers, ['cex4card', 'cex4queue']);
  t.equal(inv.bus.bindings, '12/16');
  u = new Map(guestUsability(inv).map((x) => [x.apqn, x]));
  t.same(codes(u.get('0a.0001')!.reasons), ['checkstopped', 'not-bound']);
  t.same(u.get('0a.0001')!.reasons[1], {
    code: 'not-bound', driver: null, vfioApLoaded: false, message: '0a.0001 is free but the vfio_ap module is not loaded (modprobe vfio_ap)',
  });
  t.same(codes(u.get('05.0002')!.reasons), ['reserved', 'hwtype'], 'a reserved queue is not also reported as unbound');
});

t.test('a card directory that vanishes between the listing and the reads is reported', async (t) => {
  const { host, sysfs } = createHost('seed');
  const s = spy(sysfs, { beforeReadMany: () => events.removeAdapter(host, 0x0a) });
  const inv = readInventory(s.io);
  t.same(inv.cards.map((c) => c.name), ['card00', 'card01']);
  t.same(inv.queues.map((x) => x.apqn).filter((x) => x.startsWith('0a')), []);
  t.same(inv.problems.map((p) => [p.device, p.code]), [
    ['card0a', 'ENOENT'], ['0a.0001', 'ENOENT'], ['0a.0002', 'ENOENT'], ['0a.0004', 'ENOENT'], ['0a.001b', 'ENOENT'],
  ]);
  const p = inv.problems[0]!;
  t.equal(p.paths.length, 7, 'every attribute that must exist; the optional ones count as absent');
  t.equal(p.paths[0], 'devices/ap/card0a/hwtype');
  t.match(p.message, /ENOENT: open devices\/ap\/card0a\/hwtype failed/);
  t.equal(inv.problems[1]!.paths.length, 3);
});

t.test('unreadable or malformed attributes', async (t) => {
  const { sysfs } = createHost('seed');
  const s = spy(sysfs, {
    read: (p) => {
      if (p === 'devices/ap/card01/hwtype') return 'fourteen\n';
      if (p === 'devices/ap/card00/type') return err('EIO', p);
      if (p === 'devices/ap/card0a/0a.0002/ap_functions') return err('EIO', p);
      if (p === 'devices/ap/card0a/0a.0004/ap_functions') return '0x1234567890\n';
      if (p === 'bus/ap/bindings') return err('EACCES', p);
      if (p === 'bus/ap/ap_max_adapter_id' || p === 'bus/ap/features') return err('ENOENT', p);
      if (p === 'bus/ap/ap_usage_domain_mask') return 'not supported\n';
      return undefined;
    },
  });
  const inv = readInventory(s.io);
  t.same(inv.problems.map((p) => [p.device, p.code, p.paths]), [
    ['bus/ap', 'EACCES', ['bus/ap/bindings']],
    ['card00', 'EIO', ['devices/ap/card00/type']],
    ['card01', 'EPROTO', ['devices/ap/card01/hwtype']],
    ['0a.0004', 'EPROTO', ['devices/ap/card0a/0a.0004/ap_functions']],
  ]);
  t.equal(inv.problems[2]!.message, 'devices/ap/card01/hwtype: expected a decimal number, got "fourteen\\n"');
  t.same(inv.cards.map((c) => c.name), ['card0a'], 'a card with a failed read is left out');
  t.same([q(inv, '0a.0002').functions, q(inv, '0a.0002').functionsError], [null, 'EIO'], 'a failing TAPQ is a fact of the queue');
  t.same([inv.bus.bindings, inv.bus.maxAdapterId, inv.bus.features, inv.bus.usageDomainMask], [undefined, undefined, undefined, null]);
});

t.test('bus attributes: features quirks, masks without QCI, and what must be readable', async (t) => {
  for (const [text, want] of [['-\n', []], ['', []], ['APSC APXA\n', ['APSC', 'APXA']]] as const) {
    const s = spy(createHost('empty').sysfs, { read: (p) => (p === 'bus/ap/features' ? text : undefined) });
    t.same(readInventory(s.io).bus.features, want, JSON.stringify(text));
  }
  const { host, sysfs } = createHost('empty');
  host.state.host.qci = false;
  const inv = readInventory(sysfs);
  t.same([inv.bus.features, inv.bus.adapterMask, inv.bus.usageDomainMask, inv.bus.controlDomainMask, inv.bus.apDomain], [[], null, null, null, -1]);
  t.same([inv.cards, inv.queues, inv.problems], [[], [], []]);

  const bad = (path: string, r: string | SysfsError) => () => readInventory(spy(createHost('seed').sysfs, { read: (p) => (p === path ? r : undefined) }).io);
  t.throws(bad('bus/ap/apmask', err('EACCES', 'bus/ap/apmask')), { code: 'EACCES', path: 'bus/ap/apmask' });
  t.throws(bad('bus/ap/aqmask', '0xff\n'), { code: 'EPROTO', path: 'bus/ap/aqmask' });
  t.throws(bad('bus/ap/ap_domain', 'x\n'), { code: 'EPROTO', path: 'bus/ap/ap_domain' });
  const inv2 = bad('bus/ap/ap_adapter_mask', '0x12\n')();
  t.same(inv2.problems.map((p) => [p.device, p.code]), [['bus/ap', 'EPROTO']], 'a malformed QCI mask is a problem, not a failure');
  t.equal(inv2.bus.adapterMask, null);
});

t.test('a listing that fails throws (no AP bus)', async (t) => {
  const { sysfs } = createHost('seed');
  const io: SysfsIO = { ...spy(sysfs).io, list: () => { throw err('ENOENT', 'bus/ap/devices'); } };
  t.throws(() => readInventory(io), { code: 'ENOENT' });
});

t.test('large host: 64 cards, 5440 queues, still five lists and one readMany', async (t) => {
  const { sysfs } = createHost('large');
  const s = spy(sysfs);
  const inv = readInventory(s.io);
  t.same(s.calls, { read: 0, readMany: 1, list: 5, readlink: 0, exists: 0, stat: 0, write: 0 });
  t.equal(s.paths.length, 10 + 64 * 11 + 5440 * 8);
  t.same([inv.cards.length, inv.queues.length, inv.problems.length], [64, 5440, 0]);
  t.same(inv.cards.slice(0, 4).map((c) => [c.type, c.mode, c.hwtype]), [
    ['CEX5A', 'Accelerator', 11], ['CEX6C', 'CCA-Coproc', 12], ['CEX7P', 'EP11-Coproc', 13], ['CEX8A', 'Accelerator', 14],
  ]);
  t.equal(inv.queues.at(-1)!.apqn, '3f.0054');
  t.equal(guestUsability(inv).filter((x) => x.usable).length, 0, 'a freshly booted host keeps everything');
  const plain = formatLszcrypt(inv, { verbose: false }).split('\n');
  t.equal(plain.length, 2 + 64 + 5440 + 1, 'header, dashes, every row, final newline');
  t.equal(plain[2], '00       CEX5A Accelerator online            0');
  t.equal(plain.at(-2), '3f.0054  CEX8A Accelerator online            0');
});
