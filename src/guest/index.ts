// Wiring mdevs into QEMU and libvirt guests: arguments, XML, CPU-model checks, hot plug, migration.
export * from './qemu-args.js';
export * from './xml.js';
export * from './cpu-model.js';
export * from './hotplug.js';
export * from './migrate.js';
export * from './errors.js';
