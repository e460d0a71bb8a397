// VFIO device ioctls: the request numbers and structs, the typed VfioDevice interface, and the
// real device over the native addon (the simulator's model of it lives in sim/).
export * from './ioctls.js';
export { RealVfioDevice } from './real-device.js';
