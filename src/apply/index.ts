// Declarative desired state: a zmdev-desired/1 file applied to a host all or nothing, and a host
// exported as one.
export { parseDesired, parseDesiredMask, formatDesiredMask, desiredSchema, DESIRED_FORMAT, DESIRED_SCHEMA_URL, type DesiredFile, type DesiredMdevFile, type DesiredState, type DesiredMdev } from './desired.js';
export { readHostView, planApply, type HostView } from './diff.js';
export { orderSteps, stepJson, stepsText, type ApplyStep, type StepKind, type DefinitionState } from './steps.js';
export { applyDesired, hostFiles, ApplyError, type ApplyFiles, type ApplyOptions, type ApplyResult, type NotPutBack } from './apply.js';
export { exportDesired, formatDesired } from './export.js';
