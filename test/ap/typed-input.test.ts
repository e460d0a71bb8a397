// Bad input to the SDK is a ZmdevError with a code, refused before anything is written: IDs out of
// range or not whole numbers, and an empty mask value (an easy typo with two wrong meanings).
import t from 'tap';
import { ApHost } from '../../src/ap/host.js';
import { ApError } from '../../src/ap/errors.js';
import { InputError, ZmdevError } from '../../src/errors.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import { applyKernelMaskWrite } from '../../src/mask/grammar.js';
import { createHost } from '../../src/sim/index.js';

const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';

t.test('IDs from the caller are checked: above 255 is ENODEV, a fraction or a negative EINVAL', (t) => {
  const { host, sysfs } = createHost('seed');
  const ap = new ApHost(sysfs, { lock: false });
  const before = structuredClone(host.state);
  t.throws(() => ap.createMdev({ uuid: U, adapters: [300] }), { constructor: ApError, code: 'ENODEV', message: 'adapter 300 is above 255', precheck: true });
  t.throws(() => ap.createMdev({ uuid: U, domains: [1.5] }), { constructor: ApError, code: 'EINVAL', message: 'domain 1.5 is not an ID' });
  t.throws(() => ap.createMdev({ uuid: U, controlDomains: [-1] }), { constructor: ApError, code: 'EINVAL' });
  t.throws(() => ap.assign(U, { adapters: [256] }), { code: 'ENODEV' }, 'checked before the mdev is looked up');
  t.throws(() => ap.unassign(U, { domains: [NaN] }), { code: 'EINVAL' });
  t.same(host.state, before, 'nothing was written');
  t.throws(() => ApMask.of([300]), { constructor: RangeError, code: 'ERR_OUT_OF_RANGE' }, 'the value type itself: Node\'s RangeError and code');
  t.end();
});

t.test('ap_max_adapter_id/ap_max_domain_id that do not read as numbers are EPROTO, never NaN', (t) => {
  const { sysfs } = createHost('seed');
  const io = { ...sysfs, read: sysfs.read.bind(sysfs), list: sysfs.list.bind(sysfs), exists: sysfs.exists.bind(sysfs), readlink: sysfs.readlink.bind(sysfs), stat: sysfs.stat.bind(sysfs), write: sysfs.write.bind(sysfs),
    readMany: (ps: readonly string[]) => ps.map((p) => (p === 'bus/ap/ap_max_domain_id' ? 'lots\n' : sysfs.readMany([p])[0]!)) };
  t.throws(() => new ApHost(io, { lock: false }).maxIds(), { constructor: ApError, code: 'EPROTO', path: 'bus/ap/ap_max_domain_id', message: 'read "lots\\n", not a number' });
  t.end();
});

t.test('an empty mask value is refused in both grammars; the explicit forms clear every bit', (t) => {
  const { host, sysfs } = createHost('seed');
  const ap = new ApHost(sysfs, { lock: false });
  const before = structuredClone(host.state);
  for (const grammar of ['chzdev', 'kernel'] as const) {
    for (const attr of ['apmask', 'aqmask'] as const) {
      const err = t.throws(() => ap.setMasks({ [attr]: '', grammar }), `${attr}= (${grammar})`) as InputError;
      t.type(err, InputError);
      t.match(err, { code: 'EINVAL', input: `${attr}=`, message: `${attr}= has no value; to give every ID to passthrough write ${attr}=0x0` });
      t.throws(() => ap.planMasks({ [attr]: '', grammar }), { code: 'EINVAL' }, 'the dry run says the same');
    }
  }
  t.same(host.state, before, 'nothing was written');
  t.ok(ap.planMasks({ apmask: '0x0', grammar: 'kernel' }).after.apmask.isEmpty(), '0x0 clears all');
  t.ok(ap.planMasks({ apmask: '\n', grammar: 'kernel' }).after.apmask.isEmpty(), 'a lone newline is the empty mask');
  t.end();
});

t.test('one reading of a kernel mask write: an empty write never reaches the driver', (t) => {
  const cur = ApMask.of([1, 2]);
  t.same(applyKernelMaskWrite('', cur), { mask: cur, reachesDriver: false });
  t.same(applyKernelMaskWrite(new Uint8Array(0), cur), { mask: cur, reachesDriver: false });
  t.ok(applyKernelMaskWrite('\n', cur).mask.isEmpty());
  t.ok(applyKernelMaskWrite('+3', cur).mask.equals(ApMask.of([1, 2, 3])));
  // Past one page only the first 4096 bytes reach the driver, and the error quotes those.
  const long = `+1${','.repeat(4094)}+5`;
  const r = applyKernelMaskWrite(long, ApMask.EMPTY);
  t.ok(r.mask.equals(ApMask.of([1])) && r.reachesDriver, 'the term past the page is not seen');
  const bad = t.throws(() => applyKernelMaskWrite(`${'+1,'.repeat(1400)}x`, ApMask.EMPTY)) as ZmdevError;
  t.equal(bad.code, 'EINVAL');
  t.end();
});
