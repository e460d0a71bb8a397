// driverctl's override files: `<driver>\n` in /etc/driverctl.d/<bus>-<device>, read as
// `driverctl load-override` reads them ($(< file) drops trailing newlines), and every file the boot
// could not load reported with the reason.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { DRIVERCTL_DIR, readDriverOverrides, removeDriverOverride, writeDriverOverride } from '../../src/persist/index.js';

const base = mkdtempSync(path.join(tmpdir(), 'zmdev-driverctl-'));
t.teardown(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const newRoot = () => path.join(base, `root${n++}`);

t.test('write, read back, remove: the bytes driverctl set-override saves', (t) => {
  const root = newRoot();
  t.same(readDriverOverrides(root), { overrides: [], problems: [] }, 'no directory: no overrides');
  const file = writeDriverOverride(root, { bus: 'css', device: '0.0.0313', driver: 'vfio_ccw' });
  t.equal(file, path.join(root, 'etc/driverctl.d/css-0.0.0313'));
  t.equal(readFileSync(file, 'latin1'), 'vfio_ccw\n', 'the name and echo\'s newline');
  t.equal(statSync(file).mode & 0o777, 0o644);
  t.equal(statSync(path.dirname(file)).mode & 0o777, 0o755);
  writeDriverOverride(root, { bus: 'pci', device: '0000:00:02.0', driver: 'vfio-pci' });
  writeDriverOverride(root, { bus: 'css', device: '0.0.0313', driver: 'io_subchannel' });
  t.same(readDriverOverrides(root), {
    overrides: [{ bus: 'css', device: '0.0.0313', driver: 'io_subchannel' }, { bus: 'pci', device: '0000:00:02.0', driver: 'vfio-pci' }],
    problems: [],
  }, 'rewritten in place, listed by file name');
  t.same(readdirSync(path.join(root, DRIVERCTL_DIR)), ['css-0.0.0313', 'pci-0000:00:02.0'], 'nothing left beside them');
  t.equal(removeDriverOverride(root, 'css', '0.0.0313'), true);
  t.equal(removeDriverOverride(root, 'css', '0.0.0313'), false, 'rm -f: nothing to remove is no error');
  t.same(readDriverOverrides(root).overrides, [{ bus: 'pci', device: '0000:00:02.0', driver: 'vfio-pci' }]);
  t.end();
});

t.test('names the boot could not use are refused before writing', (t) => {
  const root = newRoot();
  const rows: Array<[Record<string, string>, RegExp]> = [
    [{ bus: 'c-ss', device: '0.0.0313', driver: 'vfio_ccw' }, /bus "c-ss" is not a bus name/],
    [{ bus: 'platform', device: 'coresight-etm0', driver: 'x' }, /device "coresight-etm0" is not a device name.*every '-' in it as '\/'/],
    [{ bus: 'css', device: '../x', driver: 'vfio_ccw' }, /device "..\/x"/],
    [{ bus: '', device: '0.0.0313', driver: 'vfio_ccw' }, /bus ""/],
    [{ bus: 'css', device: '0.0.0313', driver: 'vfio ccw' }, /driver "vfio ccw" is not a driver name/],
    [{ bus: 'css', device: '0.0.0313', driver: 'vfio_ccw\n' }, /driver "vfio_ccw\\n"/],
    [{ bus: 'css', device: '0.0.0313', driver: '' }, /driver ""/],
  ];
  for (const [o, message] of rows) {
    t.throws(() => writeDriverOverride(root, o as never), { code: 'EINVAL', message }, JSON.stringify(o));
  }
  t.throws(() => writeDriverOverride(root, { bus: 'css', device: 5 as unknown as string, driver: 'vfio_ccw' }), { code: 'EINVAL', input: '5' });
  t.throws(() => removeDriverOverride(root, 'css', '0.0/0313'), { code: 'EINVAL' });
  t.throws(() => readdirSync(path.join(root, DRIVERCTL_DIR)), { code: 'ENOENT' }, 'nothing was made');
  t.end();
});

t.test('reading as load-override does; what it could not load is a problem', (t) => {
  const root = newRoot();
  const dir = path.join(root, DRIVERCTL_DIR);
  mkdirSync(dir, { recursive: true });
  const put = (name: string, content: string) => {
    writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };
  put('css-0.0.0313', 'vfio_ccw');
  put('css-0.0.0314', 'vfio_ccw\n\n\n');
  put('.css-0.0.0315.0123456789abcdef.tmp', 'vfio_ccw\n');
  writeFileSync(path.join(base, 'target'), 'vfio-pci\n');
  symlinkSync(path.join(base, 'target'), path.join(dir, 'pci-0000:00:02.0'));
  const problems = {
    empty: put('css-0.0.0316', ''),
    newlines: put('css-0.0.0317', '\n\n'),
    space: put('css-0.0.0318', 'vfio_ccw \n'),
    lines: put('css-0.0.0319', 'vfio_ccw\nio_subchannel\n'),
    noDash: put('css0.0.0320', 'vfio_ccw\n'),
    dashDevice: put('platform-coresight-etm0', 'x\n'),
    noBus: put('-0.0.0321', 'vfio_ccw\n'),
    dangling: path.join(dir, 'css-0.0.0322'),
    directory: path.join(dir, 'css-0.0.0323'),
  };
  symlinkSync(path.join(base, 'nowhere'), problems.dangling);
  mkdirSync(problems.directory);
  const r = readDriverOverrides(root);
  t.same(r.overrides, [
    { bus: 'css', device: '0.0.0313', driver: 'vfio_ccw' },
    { bus: 'css', device: '0.0.0314', driver: 'vfio_ccw' },
    { bus: 'pci', device: '0000:00:02.0', driver: 'vfio-pci' },
  ], 'no final newline, several, or through a link: all load');
  t.same(r.problems.map((p) => p.path), Object.values(problems).sort());
  const by = (p: string) => r.problems.find((x) => x.path === p)!.error;
  for (const p of [problems.empty, problems.newlines]) t.match(by(p), { code: 'EINVAL', message: /names no driver \(driverctl load-override does nothing at boot\)/ });
  for (const p of [problems.space, problems.lines]) t.match(by(p), { code: 'EINVAL', message: /is not one driver name/ });
  for (const p of [problems.noDash, problems.dashDevice, problems.noBus]) t.match(by(p), { code: 'EINVAL', message: /not <bus>-<device>.*rename it/ });
  t.match(by(problems.dangling), { code: 'ENOENT' });
  t.match(by(problems.directory), { code: 'EISDIR' });

  const odd = newRoot();
  mkdirSync(path.join(odd, 'etc'), { recursive: true });
  writeFileSync(path.join(odd, DRIVERCTL_DIR), '');
  t.throws(() => readDriverOverrides(odd), { code: 'ENOTDIR', message: /reading the directory/ });
  t.throws(() => writeDriverOverride(odd, { bus: 'css', device: '0.0.0313', driver: 'vfio_ccw' }), { message: /making the directory/ });
  t.throws(() => removeDriverOverride(odd, 'css', '0.0.0313'), { code: 'ENOTDIR', message: /removing/ });
  t.end();
});
