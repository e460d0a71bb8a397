// readMany answers every path exactly as read() does: the same text, or a SysfsError with the same
// code, syscall, path and message, whatever the path looks like.
import t from 'tap';
import { createHost } from '../../src/sim/index.js';
import { SysfsError, type SysfsIO } from '../../src/sysfs/sysfs-io.js';

const A = '11111111-2222-3333-4444-555555555555';

function one(io: SysfsIO, p: string): unknown {
  try {
    return io.read(p);
  } catch (e) {
    const x = e as SysfsError;
    return { code: x.code, syscall: x.syscall, path: x.path, message: x.message };
  }
}

function many(io: SysfsIO, paths: string[]): unknown[] {
  return io.readMany(paths).map((r) => (r instanceof SysfsError ? { code: r.code, syscall: r.syscall, path: r.path, message: r.message } : r));
}

t.test('readMany = read, path by path', async (t) => {
  const { sysfs } = createHost('kernel-doc', '6.15');
  sysfs.write('bus/ap/apmask', '-5');
  sysfs.write('devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create', A);
  sysfs.write(`devices/vfio_ap/matrix/${A}/assign_adapter`, '5');
  const paths = [
    'bus/ap/apmask', 'bus/ap/apmask', '/bus/ap/aqmask', 'bus//ap/./features', 'bus/ap/../ap/bindings', 'bus/ap/..', 'bus/ap/.',
    'bus/ap/', 'bus', '', 'apmask', 'nope/x', 'bus/ap/nope', 'bus/ap/apmask/x', 'devices/ap/card05/05.0004/status',
    'devices/ap/card05/05.0004/online', 'devices/ap/card06/06.0004/online', 'devices/ap/card05/driver', 'bus/ap/devices/05.0047/config',
    'bus/ap/devices/05.0047', 'bus/ap/drivers/vfio_ap/bind', `devices/vfio_ap/matrix/${A}/matrix`, `devices/vfio_ap/matrix/${A}/assign_domain`,
    `bus/mdev/devices/${A}/ap_config`, 'devices/ap/card05/constructor', 'devices/ap/__proto__/hwtype',
  ];
  t.same(many(sysfs, paths), paths.map((p) => one(sysfs, p)));
});

t.test('readMany = read on every attribute of the large preset', async (t) => {
  const { sysfs } = createHost('large', '6.0');
  const paths: string[] = [];
  for (const card of sysfs.list('devices/ap')) {
    for (const n of sysfs.list(`devices/ap/${card}`)) {
      if (n.includes('.')) for (const a of sysfs.list(`devices/ap/${card}/${n}`)) paths.push(`devices/ap/${card}/${n}/${a}`);
      else paths.push(`devices/ap/${card}/${n}`, `devices/ap/${card}/${n}/x`);
    }
  }
  t.same(many(sysfs, paths), paths.map((p) => one(sysfs, p)));
});
