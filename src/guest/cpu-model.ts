// Does the guest's CPU model give it the AP instructions a vfio-ap device needs?
//
// Two questions, two sources:
// - a running guest: the realized CPU object's feature properties (qom-get on the CPU that
//   query-cpus-fast names). They are what the guest really has, including `-cpu X,ap=on` and the
//   expansion of `host` under KVM; query-cpu-model-expansion of the model's *name* would only say
//   what that definition gives by default. An s390x machine has one CPU model for all CPUs, so the
//   first CPU answers for all of them.
// - a model by name (with props, as on -cpu): query-cpu-model-expansion type full, a pure query.
//   Under TCG there is no `host` model; name one (max, qemu, z13…).
// A feature this QEMU does not know (appv/appvi before QEMU 9) is "absent".
import { GuestError, QemuRefusedError } from './errors.js';
import { run, type GuestQmp } from './qmp.js';

export const AP_FEATURES = ['ap', 'apqci', 'apft', 'apqi', 'appv', 'appvi'] as const;
export type ApFeature = typeof AP_FEATURES[number];
export type FeatureState = 'on' | 'off' | 'absent';

export interface CpuFinding {
  feature: ApFeature;
  state: FeatureState;
  /** error: vfio-ap cannot work; warning: the guest sees less than it should; info: worth knowing. */
  severity: 'ok' | 'error' | 'warning' | 'info';
  message: string;
}

export interface CpuApReport {
  /** Where the answer came from. */
  source: 'running-cpu' | 'expansion';
  /** The model name (for a running CPU, from its QOM type: qemu-s390x-cpu → qemu). */
  model: string;
  /** For a running CPU: its QOM path. */
  qomPath?: string;
  /** For an expansion: the model QEMU expanded the name to (qemu → gen15a-base under QEMU 7.2). */
  expandedTo?: string;
  features: Record<ApFeature, FeatureState>;
  findings: CpuFinding[];
  /** QEMU accepts a vfio-ap device only with `ap` on. */
  canAttach: boolean;
}

export interface CpuModelSpec {
  name: string;
  props?: Record<string, boolean>;
}

export interface CpuCheckOptions {
  /** Check this model (query-cpu-model-expansion) instead of the running CPU. */
  model?: string | CpuModelSpec;
  timeoutMs?: number;
}

/** 'z13,ap=on,apft=off' (the -cpu syntax) → {name, props}. on/off, true/false, yes/no. */
export function parseModelSpec(spec: string): CpuModelSpec {
  const [name, ...rest] = spec.split(',');
  if (!name || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new GuestError({ code: 'EINVAL', step: 'cpu-check', message: `${JSON.stringify(spec)} does not start with a CPU model name such as z13, qemu or max` });
  }
  const props: Record<string, boolean> = {};
  for (const item of rest) {
    const m = /^([A-Za-z0-9._-]+)=(on|off|true|false|yes|no)$/.exec(item);
    if (!m) {
      throw new GuestError({ code: 'EINVAL', step: 'cpu-check', message: `${JSON.stringify(item)} in ${JSON.stringify(spec)} is not FEATURE=on or FEATURE=off` });
    }
    props[m[1]!] = m[2] === 'on' || m[2] === 'true' || m[2] === 'yes';
  }
  return rest.length ? { name, props } : { name };
}

const MEANING: Record<ApFeature, { off: string; severity: CpuFinding['severity']; on: string }> = {
  ap: {
    on: 'AP instructions are installed',
    off: 'no AP instructions: QEMU refuses a vfio-ap device for this guest; start it with ap=on in -cpu',
    severity: 'error',
  },
  apqci: {
    on: 'the guest can query the AP configuration (QCI)',
    off: 'the guest cannot query the AP configuration (QCI), so it cannot learn which adapters and domains it has; add apqci=on',
    severity: 'warning',
  },
  apft: {
    on: 'the guest can test AP facilities (APFT)',
    off: "without the AP Facilities Test the guest's AP bus finds no devices; add apft=on",
    severity: 'warning',
  },
  apqi: {
    on: 'AP-queue interruptions are available',
    off: 'no AP-queue interruptions: the guest AP driver falls back to polling (works, costs CPU and latency); add apqi=on',
    severity: 'info',
  },
  appv: {
    on: 'Secure Execution guests may use AP',
    off: 'a Secure Execution guest gets no AP (other guests are not affected)',
    severity: 'info',
  },
  appvi: {
    on: 'Secure Execution guests get AP interruptions',
    off: 'a Secure Execution guest gets no AP interruptions (other guests are not affected)',
    severity: 'info',
  },
};

/** What the feature states mean for a vfio-ap guest. */
export function explainFeatures(features: Record<ApFeature, FeatureState>): CpuFinding[] {
  return AP_FEATURES.map((feature) => {
    const state = features[feature];
    const m = MEANING[feature];
    if (state === 'on') return { feature, state, severity: 'ok', message: m.on };
    if (state === 'absent') {
      return (feature === 'appv' || feature === 'appvi')
        ? { feature, state, severity: 'info', message: 'this QEMU does not know the feature (it only matters for Secure Execution guests)' }
        : { feature, state, severity: m.severity, message: `this QEMU does not know the feature: ${m.off.replace(/; add .*$|; start it .*$/, '')}` };
    }
    return { feature, state, severity: m.severity, message: m.off };
  });
}

function report(source: CpuApReport['source'], model: string, features: Record<ApFeature, FeatureState>, extra: { qomPath?: string; expandedTo?: string }): CpuApReport {
  return {
    source, model, ...extra, features,
    findings: explainFeatures(features), canAttach: features.ap === 'on',
  };
}

// Type full always lists every feature the model knows.
interface ExpansionReply { model: { name: string; props: Record<string, unknown> } }

/** query-cpu-model-expansion type full of a named model (with props). */
export async function expandCpuModel(qmp: GuestQmp, spec: CpuModelSpec, opts: { timeoutMs?: number } = {}): Promise<CpuApReport> {
  const model: Record<string, unknown> = { name: spec.name };
  if (spec.props && Object.keys(spec.props).length) model['props'] = spec.props;
  const r = await run<ExpansionReply>(qmp, 'cpu-check', 'query-cpu-model-expansion', { type: 'full', model }, {
    timeoutMs: opts.timeoutMs,
    hint: (e) => /'host' is unknown/.test(e.desc)
      ? "there is no 'host' model without KVM; name a model (max, qemu, z13…) or leave out --model to ask the running CPU"
      : 'query-cpu-definitions lists the models this QEMU knows',
  });
  const props = r.model.props;
  const features = Object.fromEntries(AP_FEATURES.map((f) => [f, f in props ? (props[f] === true ? 'on' : 'off') : 'absent'])) as Record<ApFeature, FeatureState>;
  return report('expansion', spec.name, features, { expandedTo: r.model.name });
}

interface CpuInfo { 'qom-path': string }

/** The AP features of the guest's running CPU, read from the realized CPU object. */
export async function runningCpuFeatures(qmp: GuestQmp, opts: { timeoutMs?: number } = {}): Promise<CpuApReport> {
  const cpus = await run<CpuInfo[]>(qmp, 'cpu-check', 'query-cpus-fast', undefined, opts);
  const first = cpus[0];
  if (first === undefined) {
    throw new GuestError({ code: 'ENODEV', step: 'cpu-check', message: 'QEMU reports no CPUs for this guest, so there is no CPU model to check; name one with --model' });
  }
  const path = first['qom-path'];
  const type = await run<string>(qmp, 'cpu-check', 'qom-get', { path, property: 'type' }, opts);
  const states = await Promise.all(AP_FEATURES.map((property) =>
    run<boolean>(qmp, 'cpu-check', 'qom-get', { path, property }, opts).then((on): FeatureState => (on === true ? 'on' : 'off'), (e: unknown) => {
      // QEMU names an unknown property "Property '<type>.<name>' not found": the feature does not exist here.
      if (e instanceof QemuRefusedError && / not found$/.test(e.desc)) return 'absent';
      throw e;
    })));
  const features = Object.fromEntries(AP_FEATURES.map((f, i) => [f, states[i]])) as Record<ApFeature, FeatureState>;
  return report('running-cpu', type.replace(/-s390x-cpu$/, ''), features, { qomPath: path });
}

/** The AP features of the running CPU, or of a named model when `model` is given. */
export function checkCpuModel(qmp: GuestQmp, opts: CpuCheckOptions = {}): Promise<CpuApReport> {
  if (opts.model === undefined) return runningCpuFeatures(qmp, opts);
  const spec = typeof opts.model === 'string' ? parseModelSpec(opts.model) : opts.model;
  return expandCpuModel(qmp, spec, opts);
}
