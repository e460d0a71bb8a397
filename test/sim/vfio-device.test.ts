// SimVfioDevice: the VFIO ioctls of a simulated mdev, rule by rule (docs/kernel.md §6 reset row, §7), per profile.
import t from 'tap';
import { cloneState, createHost, events, PROFILE_NAMES, registeredEventfd, SimVfioDevice, type ProfileName } from '../../src/sim/index.js';
import type { SysfsError } from '../../src/sysfs/sysfs-io.js';
import {
  encodeIrqInfo, NATIVE_LITTLE_ENDIAN, readU32, VFIO_AP_CFG_CHG_IRQ_INDEX, VFIO_AP_REQ_IRQ_INDEX, VFIO_DEVICE_GET_INFO,
  VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_RESET, VFIO_DEVICE_SET_IRQS, VFIO_IRQ_INFO_EVENTFD, writeFields,
} from '../../src/vfio/ioctls.js';

const A = '11111111-2222-3333-4444-555555555555';
const md = (attr: string) => `devices/vfio_ap/matrix/${A}/${attr}`;
const NUM_IRQS: Record<ProfileName, number> = { '6.15': 2, '6.0': 0, '5.15': 0 };

function err(f: () => unknown): SysfsError {
  try {
    f();
  } catch (e) {
    return e as SysfsError;
  }
  throw new Error('expected a refusal');
}

/** kernel-doc host, adapters 5 and 6 bound to vfio_ap, mdev A = adapters 5, 6 × domains 4, 0x47. */
function setup(profile: ProfileName = '6.15', littleEndian = NATIVE_LITTLE_ENDIAN) {
  const { host, sysfs } = createHost('kernel-doc', profile);
  sysfs.write('bus/ap/apmask', '-5,-6\n');
  sysfs.write('devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create', A);
  for (const a of ['5', '6']) sysfs.write(md('assign_adapter'), a);
  for (const d of ['4', '0x47']) sysfs.write(md('assign_domain'), d);
  return { host, sysfs, dev: new SimVfioDevice(host, A, littleEndian) };
}

/** A vfio_irq_set of 24 bytes with these fields (native order). */
const irqSet = (argsz: number, flags: number, index: number, start: number, count: number, fd: number, len = 24) =>
  writeFields(new Uint8Array(len), [argsz, flags, index, start, count, fd].slice(0, len / 4));
const TRIGGER_EVENTFD = 0x24;

for (const profile of PROFILE_NAMES) {
  t.test(`${profile}: GET_INFO`, async (t) => {
    const { dev } = setup(profile);
    t.same(dev.getInfo(), { flags: 0x21, numRegions: 0, numIrqs: NUM_IRQS[profile] });
    t.equal(dev.path, `devices/vfio_ap/matrix/${A}`);
    const raw = writeFields(new Uint8Array(24), [16, 9, 9, 9, 0xdead, 0xbeef]);
    dev.ioctl(VFIO_DEVICE_GET_INFO, raw);
    t.same([0, 4, 8, 12, 16, 20].map((o) => readU32(raw, o)), [16, 0x21, 0, NUM_IRQS[profile], 0xdead, 0xbeef],
      'argsz kept, 16 bytes written, cap_offset and pad untouched');
    t.match(err(() => dev.ioctl(VFIO_DEVICE_GET_INFO, writeFields(new Uint8Array(16), [15]))), { code: 'EINVAL', errno: -22, syscall: 'ioctl', path: dev.path });
    t.match(err(() => dev.ioctl(VFIO_DEVICE_GET_INFO, new Uint8Array(15))), { code: 'EFAULT' }, 'shorter than 16 bytes');
  });

  t.test(`${profile}: other requests are EOPNOTSUPP (ENOTSUP in Node's naming)`, async (t) => {
    const { dev } = setup(profile);
    for (const req of [0x3b6a, 0x3b6c, 0x3b70, 0x3b75, 0x5401]) {
      t.match(err(() => dev.ioctl(req, new Uint8Array(64))), { code: 'ENOTSUP', errno: -95, syscall: 'ioctl' }, req.toString(16));
    }
  });

  t.test(`${profile}: RESET resets every linked queue`, async (t) => {
    const { host, sysfs, dev } = setup(profile);
    const counts = () => new Map(host.state.queues.map((q) => [q, q.resets]));
    const resetBy = (f: () => void) => {
      const before = counts();
      f();
      return host.state.queues.filter((q) => before.get(q) !== q.resets).map((q) => {
        t.equal(q.resets, before.get(q)! + 1, 'once');
        return [q.adapter, q.domain];
      });
    };
    t.same(resetBy(() => dev.reset()), [[5, 4], [5, 0x47], [6, 4], [6, 0x47]], 'assigned and bound to vfio_ap');
    // A queue assigned but no longer bound to vfio_ap is not linked; one bound but not assigned neither.
    sysfs.write('bus/ap/drivers/vfio_ap/unbind', '05.0047');
    t.equal(host.queue(5, 0xab)!.driver, 'vfio_ap');
    t.same(resetBy(() => dev.ioctl(VFIO_DEVICE_RESET, new Uint8Array(0))), [[5, 4], [6, 4], [6, 0x47]]);
  });

  t.test(`${profile}: RESET fails with EIO when a linked queue answers non-zero (3 and 4 too)`, async (t) => {
    const { host, dev } = setup(profile);
    events.setCheckstop(host, 6, 4, true);
    const q = host.queue(6, 4)!;
    const n = q.resets;
    t.match(err(() => dev.reset()), { code: 'EIO', errno: -5, syscall: 'ioctl' });
    t.equal(q.resets, n + 1, 'the failing queue was reset too');
    t.equal(q.resetRc, 4);
    t.equal(host.queue(5, 4)!.resetRc, 0);
    events.setCheckstop(host, 6, 4, false);
    dev.reset();
    events.setAdapterConfig(host, 5, false);
    t.match(err(() => dev.reset()), { code: 'EIO' }, 'deconfigured: 3');
    t.equal(host.queue(5, 4)!.resetRc, 3);
  });
}

t.test('RESET includes queues filtered out of the guest matrix', async (t) => {
  const { host, sysfs, dev } = setup('6.15');
  events.setResetResponse(host, 6, 4, 1);
  t.notMatch(sysfs.read(md('guest_matrix')), /^06/m, 'adapter 6 filtered out of S');
  const [q, r] = [host.queue(6, 4)!, host.queue(6, 0x47)!];
  const [n, m] = [q.resets, r.resets];
  dev.reset();
  t.same([q.resets, r.resets], [n + 1, m + 1], 'both queues of the filtered adapter reset');
  t.equal(q.resetRc, 0, 'the 01 code was the last reset\'s; this one answers 0');
});

t.test('RESET of an mdev with nothing linked succeeds', async (t) => {
  const { host } = createHost('kernel-doc', '6.15');
  host.state.mdevs.push({ uuid: A, apm: '0x' + '0'.repeat(64), aqm: '0x' + '0'.repeat(64), adm: '0x' + '0'.repeat(64),
    shadow: { apm: '0x' + '0'.repeat(64), aqm: '0x' + '0'.repeat(64), adm: '0x' + '0'.repeat(64) }, guest: null });
  new SimVfioDevice(host, A).reset();
  t.ok(host.state.queues.every((q) => q.resets === 0));
});

for (const profile of ['6.0', '5.15'] as const) {
  t.test(`${profile}: GET_IRQ_INFO and SET_IRQS are EOPNOTSUPP (before 6.5)`, async (t) => {
    const { host, dev } = setup(profile);
    t.match(err(() => dev.getIrqInfo(0)), { code: 'ENOTSUP', errno: -95 });
    t.match(err(() => dev.setIrqs({ index: 0, action: 'trigger', eventfd: 5 })), { code: 'ENOTSUP' });
    t.match(err(() => dev.ioctl(VFIO_DEVICE_GET_IRQ_INFO, new Uint8Array(0))), { code: 'ENOTSUP' }, 'before any copy');
    t.equal(registeredEventfd(host.mdev(A)!, 0), null);
  });
}

t.test('6.15: GET_IRQ_INFO', async (t) => {
  const { dev } = setup();
  for (const i of [VFIO_AP_REQ_IRQ_INDEX, VFIO_AP_CFG_CHG_IRQ_INDEX]) t.same(dev.getIrqInfo(i), { flags: VFIO_IRQ_INFO_EVENTFD, count: 1 });
  t.match(err(() => dev.getIrqInfo(2)), { code: 'EINVAL' }, 'index ≥ NUM_IRQS');
  t.match(err(() => dev.getIrqInfo(0xffffffff)), { code: 'EINVAL' });
  const short = encodeIrqInfo(0);
  writeFields(short, [15]);
  t.match(err(() => dev.ioctl(VFIO_DEVICE_GET_IRQ_INFO, short)), { code: 'EINVAL' }, 'argsz < 16');
  t.match(err(() => dev.ioctl(VFIO_DEVICE_GET_IRQ_INFO, new Uint8Array(12))), { code: 'EFAULT' });
  const raw = writeFields(new Uint8Array(16), [32, 7, 1, 9]);
  dev.ioctl(VFIO_DEVICE_GET_IRQ_INFO, raw);
  t.same([0, 4, 8, 12].map((o) => readU32(raw, o)), [32, 1, 1, 1], 'argsz and index written back as given');
});

t.test('6.15: SET_IRQS registers and releases eventfds in the mdev state', async (t) => {
  const { host, dev } = setup();
  const m = host.mdev(A)!;
  dev.setIrqs({ index: VFIO_AP_REQ_IRQ_INDEX, action: 'trigger', eventfd: 7 });
  dev.setIrqs({ index: VFIO_AP_CFG_CHG_IRQ_INDEX, action: 'trigger', eventfd: 8 });
  t.same([registeredEventfd(m, 0), registeredEventfd(m, 1)], [7, 8]);
  t.same(cloneState(host.state).mdevs[0], { ...m, eventfds: { 0: 7, 1: 8 } }, 'kept by a clone of the state');
  dev.setIrqs({ index: 0, action: 'trigger', eventfd: 0 });
  t.equal(registeredEventfd(m, 0), 0, 'fd 0 replaces');
  dev.setIrqs({ index: 0, action: 'trigger', eventfd: -1 });
  t.equal(registeredEventfd(m, 0), null, '-1 releases');
  t.equal(registeredEventfd(m, 1), 8);
  dev.setIrqs({ index: 1, action: 'trigger', eventfd: -1 });
  t.notOk('eventfds' in m, 'nothing registered: no field');
  dev.setIrqs({ index: 1, action: 'trigger', eventfd: -1 });
  t.notOk('eventfds' in m, 'releasing nothing is fine');
  dev.ioctl(VFIO_DEVICE_SET_IRQS, irqSet(20, TRIGGER_EVENTFD, 0, 0, 0, 9));
  t.equal(registeredEventfd(m, 0), 9, 'count 0: the fd at offset 20 is still read');
});

t.test('6.15: SET_IRQS checks, in order', async (t) => {
  const { host, dev } = setup();
  const m = host.mdev(A)!;
  const code = (buf: Uint8Array) => err(() => dev.ioctl(VFIO_DEVICE_SET_IRQS, buf)).code;
  t.equal(code(new Uint8Array(19)), 'EFAULT', 'header shorter than 20 bytes');
  t.equal(code(irqSet(19, TRIGGER_EVENTFD, 0, 0, 1, 5)), 'EINVAL', 'argsz < 20');
  t.equal(code(irqSet(24, TRIGGER_EVENTFD, 2, 0, 1, 5)), 'EINVAL', 'index ≥ NUM_IRQS');
  t.equal(code(irqSet(24, TRIGGER_EVENTFD, 0, 0, 0xffffffff, 5)), 'EINVAL', 'count ≥ U32_MAX − start');
  t.equal(code(irqSet(24, TRIGGER_EVENTFD | 0x40, 0, 0, 1, 5)), 'EINVAL', 'unknown flag bit');
  t.equal(code(irqSet(24, TRIGGER_EVENTFD, 0, 1, 0, 5)), 'EINVAL', 'start ≠ 0');
  t.equal(code(irqSet(24, TRIGGER_EVENTFD, 0, 0, 2, 5)), 'EINVAL', 'start + count > 1');
  t.equal(code(irqSet(24, 0x20, 0, 0, 1, 5)), 'EINVAL', 'no data type');
  t.equal(code(irqSet(24, 0x20 | 0x05, 0, 0, 1, 5)), 'EINVAL', 'two data types');
  t.equal(code(irqSet(23, TRIGGER_EVENTFD, 0, 0, 1, 5)), 'EINVAL', 'argsz − 20 < 4·count');
  t.equal(code(irqSet(20, 0x22, 0, 0, 1, 5)), 'EINVAL', 'BOOL: argsz − 20 < 1·count');
  t.equal(code(irqSet(24, 0x04, 0, 0, 1, 5)), 'EINVAL', 'no ACTION_TRIGGER');
  t.equal(code(irqSet(24, 0x0c, 0, 0, 1, 5)), 'EINVAL', 'ACTION_MASK');
  t.equal(err(() => dev.setIrqs({ index: 0, action: 'unmask', eventfd: 5 })).code, 'EINVAL', 'ACTION_UNMASK');
  t.equal(code(irqSet(20, 0x21, 0, 0, 1, 5)), 'EINVAL', 'DATA_NONE');
  t.equal(code(irqSet(24, 0x22, 0, 0, 1, 5)), 'EINVAL', 'DATA_BOOL');
  t.equal(code(irqSet(24, TRIGGER_EVENTFD, 0, 0, 1, -2)), 'EINVAL', 'fd < −1');
  t.equal(code(irqSet(20, TRIGGER_EVENTFD, 0, 0, 0, 5, 20)), 'EFAULT', 'the fd lies outside the buffer');
  t.equal(code(irqSet(19, 0x7f, 5, 3, 0xffffffff, -9)), 'EINVAL', 'everything wrong: one EINVAL');
  t.equal(registeredEventfd(m, 0), null, 'no refused call registered anything');
  t.notOk('eventfds' in m);
});

t.test('byte order: an s390x-style big-endian device', async (t) => {
  const { host, dev } = setup('6.15', false);
  t.equal(dev.littleEndian, false);
  t.same(dev.getInfo(), { flags: 0x21, numRegions: 0, numIrqs: 2 });
  t.same(dev.getIrqInfo(1), { flags: 1, count: 1 });
  dev.setIrqs({ index: 1, action: 'trigger', eventfd: 0x01020304 });
  t.equal(registeredEventfd(host.mdev(A)!, 1), 0x01020304);
  const raw = new Uint8Array(24);
  raw[3] = 24;
  dev.ioctl(VFIO_DEVICE_GET_INFO, raw);
  t.equal(Buffer.from(raw.subarray(0, 16)).toString('hex'), '00000018' + '00000021' + '00000000' + '00000002');
});

t.test('closed device: EBADF; removed mdev: ENODEV', async (t) => {
  const { sysfs, dev } = setup();
  const other = new SimVfioDevice(dev.host, A);
  dev.close();
  for (const f of [() => dev.getInfo(), () => dev.reset(), () => dev.ioctl(0x1234, new Uint8Array(0))]) {
    t.match(err(f), { code: 'EBADF', errno: -9, syscall: 'ioctl' });
  }
  t.same(other.getInfo().flags, 0x21, 'another fd of the same mdev is still open');
  sysfs.write(md('remove'), '1');
  t.match(err(() => other.getInfo()), { code: 'ENODEV', syscall: 'ioctl' });
  t.match(err(() => new SimVfioDevice(dev.host, '00000000-0000-0000-0000-000000000000').reset()), { code: 'ENODEV' });
});
