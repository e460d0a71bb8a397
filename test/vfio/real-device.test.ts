// RealVfioDevice through the native addon. There is no vfio_ap device here: /dev/null and a
// regular file answer every VFIO ioctl with ENOTTY, a closed fd with EBADF (as on any Linux).
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { native } from '../../src/native/addon.js';
import type { SysfsError } from '../../src/sysfs/sysfs-io.js';
import { RealVfioDevice } from '../../src/vfio/real-device.js';
import {
  encodeDeviceInfo, encodeIrqInfo, encodeIrqSet, VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_RESET,
  VFIO_DEVICE_SET_IRQS, type VfioDevice, writeFields,
} from '../../src/vfio/ioctls.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zmdev-vfio-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'regular');
writeFileSync(file, 'not a device\n');

function err(f: () => unknown): SysfsError {
  try {
    f();
  } catch (e) {
    return e as SysfsError;
  }
  throw new Error('expected a failure');
}

function everyCall(dev: VfioDevice): Array<() => unknown> {
  return [
    () => dev.getInfo(),
    () => dev.getIrqInfo(0),
    () => dev.setIrqs({ index: 0, action: 'trigger', eventfd: -1 }),
    () => dev.reset(),
    () => dev.ioctl(0x3b70, new Uint8Array(8)),
  ];
}

for (const p of ['/dev/null', file]) {
  t.test(`${p}: every VFIO ioctl gives ENOTTY`, async (t) => {
    const dev = RealVfioDevice.open(p);
    t.ok(dev.fd >= 0);
    t.equal(dev.path, p);
    for (const call of everyCall(dev)) t.match(err(call), { code: 'ENOTTY', errno: -25, syscall: 'ioctl', path: p });
    dev.close();
    t.equal(dev.fd, -1);
    dev.close();
    t.pass('a second close is a no-op');
  });
}

t.test('a closed device and a closed fd give EBADF', async (t) => {
  const dev = RealVfioDevice.open('/dev/null');
  dev.close();
  for (const call of everyCall(dev)) t.match(err(call), { code: 'EBADF', errno: -9, syscall: 'ioctl', path: '/dev/null' });
  const fd = openSync('/dev/null', 'r');
  closeSync(fd);
  const stale = new RealVfioDevice(fd, '/dev/null');
  t.match(err(() => stale.getInfo()), { code: 'EBADF', syscall: 'ioctl' });
  t.match(err(() => stale.close()), { code: 'EBADF', syscall: 'close', path: '/dev/null' }, 'closing a closed fd');
});

t.test('open and close failures', async (t) => {
  t.match(err(() => RealVfioDevice.open(path.join(dir, 'missing'))), { name: 'SysfsError', code: 'ENOENT', syscall: 'open' });
  t.match(err(() => RealVfioDevice.open(dir)), { code: 'EISDIR', syscall: 'open' });
  t.throws(() => RealVfioDevice.open('/dev/\0null'), { code: 'ERR_INVALID_ARG_VALUE' }, 'not an errno: passed on as is');
  t.throws(() => new RealVfioDevice(2 ** 31, 'x').close(), { code: 'ERR_OUT_OF_RANGE' });
});

t.test('the native call: short arguments, argument checks, struct left as the kernel wrote it', async (t) => {
  const addon = native();
  const fd = openSync('/dev/null', 'r');
  t.teardown(() => closeSync(fd));
  t.same(addon.vfioIoctl(fd, VFIO_DEVICE_GET_INFO, new Uint8Array(15)), [14], 'GET_INFO under 16 bytes: EFAULT, not sent');
  t.same(addon.vfioIoctl(fd, VFIO_DEVICE_GET_IRQ_INFO, new Uint8Array(15)), [14]);
  t.same(addon.vfioIoctl(fd, VFIO_DEVICE_SET_IRQS, new Uint8Array(23)), [14], 'SET_IRQS needs the fd at offset 20');
  t.same(addon.vfioIoctl(fd, VFIO_DEVICE_RESET, new Uint8Array(0)), [25]);
  t.same(addon.vfioIoctl(fd, 0x5401, new Uint8Array(0)), [25], 'TCGETS without an argument on /dev/null');
  const buf = encodeDeviceInfo();
  t.same(addon.vfioIoctl(fd, VFIO_DEVICE_GET_INFO, buf), [25]);
  t.same(buf, encodeDeviceInfo(), 'untouched on failure');
  t.same(addon.vfioIoctl(fd, VFIO_DEVICE_GET_IRQ_INFO, encodeIrqInfo(0)), [25]);
  t.same(addon.vfioIoctl(fd, VFIO_DEVICE_SET_IRQS, encodeIrqSet({ index: 0, action: 'trigger', eventfd: -1 })), [25]);
  t.throws(() => addon.vfioIoctl('3' as unknown as number, VFIO_DEVICE_RESET, new Uint8Array(0)), TypeError);
  t.throws(() => addon.vfioIoctl(fd, VFIO_DEVICE_RESET, new Uint16Array(2) as unknown as Uint8Array), TypeError);
  t.throws(() => addon.vfioIoctl(fd, VFIO_DEVICE_RESET, [] as unknown as Uint8Array), TypeError);
});

t.test('fds and request numbers are checked, never wrapped: EBADF and EINVAL before any syscall', async (t) => {
  const addon = native();
  const fd = openSync('/dev/null', 'r');
  t.teardown(() => closeSync(fd));
  // 2**53 used to become fd 0 and 1.5 fd 1: ioctls on whatever stdin and stdout were.
  for (const bad of [2 ** 53, -1, 1.5, NaN, Infinity, 2 ** 31, -(2 ** 31)]) {
    t.same(addon.vfioIoctl(bad, VFIO_DEVICE_GET_INFO, encodeDeviceInfo()), [9], `fd ${bad}`);
    t.match(err(() => new RealVfioDevice(bad, '/dev/vfio/x').getInfo()),
      { name: 'SysfsError', code: 'EBADF', errno: -9, syscall: 'ioctl', path: '/dev/vfio/x' }, `RealVfioDevice over fd ${bad}`);
  }
  for (const bad of [-1, 2 ** 32 + VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_INFO + 0.5, NaN, -Infinity]) {
    t.same(addon.vfioIoctl(fd, bad, encodeDeviceInfo()), [22], `request ${bad}`);
  }
  t.same(addon.vfioIoctl(fd, VFIO_DEVICE_GET_INFO, encodeDeviceInfo()), [25], 'a good fd and request reach the kernel');
});

t.test('only the VFIO device requests, with buffers that hold what the kernel copies', async (t) => {
  const addon = native();
  // A pty master answers TCGETS, so a refusal here is the addon's, not the kernel's.
  const pty = openSync('/dev/ptmx', 'r+');
  t.teardown(() => closeSync(pty));
  const backing = new Uint8Array(64).fill(0xaa);
  t.same(addon.vfioIoctl(pty, 0x5401, backing.subarray(0, 1)), [25], 'TCGETS into a 1-byte view: refused');
  t.same(addon.vfioIoctl(pty, 0x5401, backing), [25], 'TCGETS with room for a termios: still refused');
  t.ok(backing.every((b) => b === 0xaa), 'nothing written (the tty layer used to write 36 bytes)');
  t.match(err(() => new RealVfioDevice(pty, '/dev/ptmx').ioctl(0x5401, new Uint8Array(64))), { code: 'ENOTTY', syscall: 'ioctl' });
  for (const r of [0x3b6a, 0x3b6c, 0x3b70, 0x80045430, 0]) t.same(addon.vfioIoctl(pty, r, new Uint8Array(64)), [25], `request ${r.toString(16)}`);

  // argsz is what VFIO sizes its copies by: it must fit the buffer.
  const info = encodeDeviceInfo();
  writeFields(info, [64]);
  t.same(addon.vfioIoctl(pty, VFIO_DEVICE_GET_INFO, info), [14], 'GET_INFO with argsz 64 in 24 bytes');
  t.same(addon.vfioIoctl(pty, VFIO_DEVICE_GET_INFO, encodeDeviceInfo()), [25], 'argsz 24 in 24 bytes reaches the kernel');
  const irq = encodeIrqInfo(0);
  writeFields(irq, [17]);
  t.same(addon.vfioIoctl(pty, VFIO_DEVICE_GET_IRQ_INFO, irq), [14]);
  const set = encodeIrqSet({ index: 0, action: 'trigger', eventfd: -1 });
  writeFields(set, [28]);
  t.same(addon.vfioIoctl(pty, VFIO_DEVICE_SET_IRQS, set), [14]);
  t.same(addon.vfioIoctl(pty, VFIO_DEVICE_RESET, writeFields(new Uint8Array(4), [999])), [25], 'RESET has no argsz');
});
