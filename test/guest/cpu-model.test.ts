// The AP features of a guest's CPU, asked of real QEMU (TCG): the running CPU through QOM, named
// models through query-cpu-model-expansion.
import t from 'tap';
import { AP_FEATURES, checkCpuModel, explainFeatures, parseModelSpec } from '../../src/guest/cpu-model.js';
import { ExecuteError } from '../../src/qmp/index.js';
import { LONG, startGuest } from './fixtures/qemu.js';
import { ScriptedQmp } from './fixtures/scripted.js';

const OFF = { ap: 'off', apqci: 'off', apft: 'off', apqi: 'off' };

t.test('the running CPU of a TCG guest has no AP; appv/appvi are unknown to QEMU 7.2', async (t) => {
  const { qmp } = await startGuest(t);
  const r = await checkCpuModel(qmp, LONG);
  t.match(r, { source: 'running-cpu', model: 'qemu', qomPath: '/machine/unattached/device[0]', canAttach: false });
  t.same(r.features, { ...OFF, appv: 'absent', appvi: 'absent' });
  t.same(r.findings.map((f) => [f.feature, f.severity]), [['ap', 'error'], ['apqci', 'warning'], ['apft', 'warning'], ['apqi', 'info'], ['appv', 'info'], ['appvi', 'info']]);
  t.match(r.findings[0]!.message, /QEMU refuses a vfio-ap device/);
  t.match(r.findings[2]!.message, /AP bus finds no devices/);
  t.match(r.findings[1]!.message, /cannot query the AP configuration/);
  t.match(r.findings[3]!.message, /polling/);
  t.match(r.findings[4]!.message, /does not know the feature/);
});

t.test('-cpu max: the running CPU is named max', async (t) => {
  const { qmp } = await startGuest(t, { args: ['-cpu', 'max'] });
  const r = await checkCpuModel(qmp);
  t.equal(r.model, 'max');
  t.equal(r.features.ap, 'off');
});

t.test('named models by expansion: off for z13/qemu/max, on when asked for as props', async (t) => {
  const { qmp } = await startGuest(t);
  for (const name of ['z13', 'qemu', 'max', 'gen16a']) {
    const r = await checkCpuModel(qmp, { model: name, ...LONG });
    t.match(r, { source: 'expansion', model: name, canAttach: false }, name);
    t.same(r.features, { ...OFF, appv: 'absent', appvi: 'absent' }, name);
    t.notOk('qomPath' in r);
    t.type(r.expandedTo, 'string');
  }
  t.equal((await checkCpuModel(qmp, { model: 'qemu' })).expandedTo, 'gen15a-base', "QEMU 7.2's qemu model is a gen15a");
  const on = await checkCpuModel(qmp, { model: 'z13,ap=on,apqci=on,apft=true,apqi=yes' });
  t.same(on.features, { ap: 'on', apqci: 'on', apft: 'on', apqi: 'on', appv: 'absent', appvi: 'absent' });
  t.equal(on.canAttach, true);
  t.same(on.findings.slice(0, 4).map((f) => f.severity), ['ok', 'ok', 'ok', 'ok']);
  const obj = await checkCpuModel(qmp, { model: { name: 'max', props: { ap: true, apft: false } } });
  t.match(obj.features, { ap: 'on', apft: 'off' });
  t.match(obj.findings.find((f) => f.feature === 'apft'), { severity: 'warning' });
  t.equal((await checkCpuModel(qmp, { model: { name: 'z13', props: {} } })).features.ap, 'off', 'empty props are left out');
  t.equal((await checkCpuModel(qmp, { model: 'z13,ap=off' })).features.ap, 'off');
});

t.test("QEMU's refusals: no 'host' under TCG, unknown models and properties", async (t) => {
  const { qmp } = await startGuest(t);
  await t.rejects(checkCpuModel(qmp, { model: 'host' }), {
    name: 'QemuRefusedError', code: 'GenericError', step: 'cpu-check',
    message: /The CPU definition 'host' is unknown.*there is no 'host' model without KVM/,
  });
  await t.rejects(checkCpuModel(qmp, { model: 'z99' }), { code: 'GenericError', message: /query-cpu-definitions lists the models/ });
  await t.rejects(checkCpuModel(qmp, { model: 'z13,bogus=on' }), { code: 'GenericError', message: /Property 'z13-s390x-cpu\.bogus' not found/ });
});

t.test('model specs', async (t) => {
  t.same(parseModelSpec('z13'), { name: 'z13' });
  t.same(parseModelSpec('gen15a,ap=on,apqi=off,apft=no,apqci=false'), { name: 'gen15a', props: { ap: true, apqi: false, apft: false, apqci: false } });
  t.throws(() => parseModelSpec(''), { code: 'EINVAL', message: /does not start with a CPU model name/ });
  t.throws(() => parseModelSpec(',ap=on'), { code: 'EINVAL' });
  t.throws(() => parseModelSpec('z13,ap'), { code: 'EINVAL', message: /"ap" in "z13,ap" is not FEATURE=on or FEATURE=off/ });
  t.throws(() => parseModelSpec('z13,ap=1'), { code: 'EINVAL' });
});

t.test('what an absent ap/apqci/apft/apqi means', async (t) => {
  const f = explainFeatures(Object.fromEntries(AP_FEATURES.map((x) => [x, 'absent'])) as never);
  t.match(f[0], { feature: 'ap', severity: 'error', message: /^this QEMU does not know the feature: no AP instructions: QEMU refuses a vfio-ap device for this guest$/ });
  t.match(f[2], { severity: 'warning', message: /^this QEMU does not know the feature: without the AP Facilities Test .*no devices$/ });
  const on = explainFeatures(Object.fromEntries(AP_FEATURES.map((x) => [x, 'on'])) as never);
  t.same(on.map((x) => x.severity), ['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
  const off = explainFeatures(Object.fromEntries(AP_FEATURES.map((x) => [x, 'off'])) as never);
  t.match(off[4]!.message, /Secure Execution guest gets no AP/);
});

// Scripted answers: QEMU always has a CPU, and reading a bool property of it fails only as "not found".
t.test('no CPU at all, and a property read that fails otherwise', async (t) => {
  const { qmp } = await startGuest(t);
  const none = new ScriptedQmp(qmp, (c) => (c === 'query-cpus-fast' ? Promise.resolve([]) : undefined));
  await t.rejects(checkCpuModel(none), { code: 'ENODEV', message: /reports no CPUs/ });
  const broken = new ScriptedQmp(qmp, (c, a) => (c === 'qom-get' && a?.['property'] === 'apft'
    ? Promise.reject(new ExecuteError({ execute: c }, {}, 'GenericError', 'Insufficient permission to perform this operation'))
    : undefined));
  await t.rejects(checkCpuModel(broken), { name: 'QemuRefusedError', code: 'GenericError', message: /Insufficient permission/ });
});
