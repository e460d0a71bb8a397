// The VFIO structs and constants: layouts, byte orders (s390x is big-endian), round trips, errors.
import t from 'tap';
import { SysfsError } from '../../src/sysfs/sysfs-io.js';
import {
  decodeDeviceInfo, decodeIrqInfo, decodeIrqSet, encodeDeviceInfo, encodeIrqInfo, encodeIrqSet, NATIVE_LITTLE_ENDIAN,
  readS32, readU32, VFIO_AP_CFG_CHG_IRQ_INDEX, VFIO_AP_REQ_IRQ_INDEX, VFIO_DEVICE_FLAGS_AP, VFIO_DEVICE_FLAGS_RESET,
  VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_RESET, VFIO_DEVICE_SET_IRQS, VFIO_IRQ_SET_ACTION_TRIGGER,
  VFIO_IRQ_SET_DATA_EVENTFD, vfioError, writeFields,
} from '../../src/vfio/ioctls.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

t.test('request numbers and flags are the UAPI values', async (t) => {
  t.same([VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_RESET], [0x3b6b, 0x3b6d, 0x3b6e, 0x3b6f]);
  t.equal(VFIO_DEVICE_GET_INFO, (0x3b << 8) | (100 + 7), "_IO(';', 100 + 7)");
  t.equal(VFIO_DEVICE_FLAGS_AP | VFIO_DEVICE_FLAGS_RESET, 0x21);
  t.same([VFIO_AP_REQ_IRQ_INDEX, VFIO_AP_CFG_CHG_IRQ_INDEX], [0, 1]);
  t.same([VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_ACTION_TRIGGER], [4, 32]);
});

t.test('big-endian layouts, as on s390x', async (t) => {
  t.equal(hex(encodeDeviceInfo(false)), '00000018' + '00'.repeat(20), 'vfio_device_info: argsz 24, 24 bytes');
  t.equal(hex(encodeIrqInfo(1, false)), '00000010' + '00000000' + '00000001' + '00000000', 'vfio_irq_info: argsz 16, index');
  t.equal(hex(encodeIrqSet({ index: 1, action: 'trigger', eventfd: -1 }, false)),
    '00000018' + '00000024' + '00000001' + '00000000' + '00000001' + 'ffffffff', 'vfio_irq_set: argsz 24, EVENTFD|TRIGGER, one s32');
  t.equal(readU32(encodeIrqSet({ index: 0, action: 'mask', eventfd: 3 }, false), 4, false), 0x0c);
  t.equal(readU32(encodeIrqSet({ index: 0, action: 'unmask', eventfd: 3 }, false), 4, false), 0x14);
});

t.test('little-endian layouts, and native order by default', async (t) => {
  t.equal(hex(encodeIrqInfo(1, true)), '10000000' + '00000000' + '01000000' + '00000000');
  t.same(encodeIrqInfo(1), encodeIrqInfo(1, NATIVE_LITTLE_ENDIAN));
  t.same(encodeDeviceInfo(), encodeDeviceInfo(NATIVE_LITTLE_ENDIAN));
  t.same(encodeIrqSet({ index: 0, action: 'trigger', eventfd: 9 }), encodeIrqSet({ index: 0, action: 'trigger', eventfd: 9 }, NATIVE_LITTLE_ENDIAN));
});

t.test('round trips in both byte orders, also at a byte offset into a larger buffer', async (t) => {
  for (const le of [false, true]) {
    const info = writeFields(new Uint8Array(24), [24, 0x21, 0, 2], le);
    t.same(decodeDeviceInfo(info, le), { flags: 0x21, numRegions: 0, numIrqs: 2 });
    t.same(decodeIrqInfo(writeFields(new Uint8Array(16), [16, 1, 0, 1], le), le), { flags: 1, count: 1 });
    t.same(decodeIrqSet(encodeIrqSet({ index: 1, action: 'trigger', eventfd: 42 }, le), le),
      { argsz: 24, flags: 0x24, index: 1, start: 0, count: 1, eventfd: 42 });
    const big = new Uint8Array(40);
    const view = big.subarray(8, 32);
    writeFields(view, [24, 0x24, 0, 0, 1, -5], le);
    t.equal(readS32(view, 20, le), -5);
    t.equal(readU32(view, 0, le), 24);
    t.same(hex(big.subarray(0, 8)), '00'.repeat(8), 'bytes before the view untouched');
  }
  t.same(decodeDeviceInfo(writeFields(new Uint8Array(16), [16, 0x21, 0, 2])), { flags: 0x21, numRegions: 0, numIrqs: 2 });
  t.same(decodeIrqInfo(writeFields(new Uint8Array(16), [16, 1, 0, 1])), { flags: 1, count: 1 });
  t.same(decodeIrqSet(encodeIrqSet({ index: 0, action: 'trigger', eventfd: 7 })).eventfd, 7);
  t.equal(readS32(writeFields(new Uint8Array(4), [-2]), 0), -2);
  t.equal(readU32(writeFields(new Uint8Array(4), [0xffffffff]), 0), 0xffffffff);
});

t.test('vfioError: SysfsError with syscall ioctl, from a number or a code', async (t) => {
  const a = vfioError(25, '/dev/null');
  t.ok(a instanceof SysfsError);
  t.match(a, { code: 'ENOTTY', syscall: 'ioctl', path: '/dev/null', errno: -25 });
  // errno 95 is EOPNOTSUPP in the kernel; Node (and so the real device) names it ENOTSUP.
  t.match(vfioError('EOPNOTSUPP', 'x'), { code: 'ENOTSUP', errno: -95, syscall: 'ioctl' });
  t.match(vfioError(95, 'x'), { code: 'ENOTSUP', errno: -95 });
  t.match(vfioError(4000, 'x'), { code: 'ERRNO_4000', errno: -4000 });
  t.match(a.message, /^ENOTTY: ioctl \/dev\/null failed/);
});
