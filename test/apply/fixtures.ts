// Shared by the apply tests: the seed procedure as a desired-state file, a host with a root of its
// own, the host's whole state (sysfs, definitions, rule file) for before/after comparisons, and a
// file writer that fails chosen writes as a full disk would.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hostFiles, type ApplyFiles } from '../../src/apply/apply.js';
import { ZmdevError } from '../../src/errors.js';
import { SimHost } from '../../src/sim/index.js';
import { comparable } from '../ap/fixtures/sdk-host.js';

export const U = '4b0518fd-9237-493f-93c8-c5597f8006a3';
export const V = '62177883-f1bb-47f0-914d-32a22e3a8804';
export const W = '0d4f8e2a-6b1c-4c5e-9a3b-7e2f1d0c9b8a';

/** The seed procedure: 00 and 0a × 0001, 0002, 0004 freed in both scopes; U (01, 0a × 0002) defined for autostart and running. */
export const SEED_DESIRED = {
  format: 'zmdev-desired/1',
  masks: {
    active: { apmask: '1-9,11-255', aqmask: '0,3,5-255' },
    persistent: { apmask: '1-9,11-255', aqmask: '0,3,5-255' },
  },
  mdevs: [{ uuid: U, adapters: [1, '0x0a'], domains: ['0x0002'], controlDomains: [2], autostart: true, defined: true, running: true }],
};

const base = mkdtempSync(path.join(tmpdir(), 'zmdev-apply-'));
let n = 0;

export function cleanup(): void {
  rmSync(base, { recursive: true, force: true });
}

/** A fresh configuration root. */
export function newRoot(): string {
  const d = path.join(base, `root${n++}`);
  return d;
}

export function tempFile(name: string, text: string): string {
  const d = path.join(base, `f${n++}`);
  const f = path.join(d, name);
  hostFiles.write(f, text);
  return f;
}

/** Every file under the root with its bytes and mode. */
export function filesOf(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const p = path.join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[path.relative(root, p)] = `${(st.mode & 0o777).toString(8)} ${readFileSync(p, 'utf8')}`;
    }
  };
  walk(root);
  return out;
}

/** The whole host: sysfs state (without what only grows) and the files under its root. */
export function whole(host: SimHost, root: string) {
  // The order mdevs were created in is no state of the host: the kernel lists them by name.
  const sysfs = comparable(host.state);
  return { sysfs: { ...sysfs, mdevs: [...sysfs.mdevs].sort((a, b) => a.uuid.localeCompare(b.uuid)) }, files: filesOf(root) };
}

/** hostFiles, with the nth write or remove (1-based; `from`: that one and every later one) failing with ENOSPC. */
export class FailingFiles implements ApplyFiles {
  calls = 0;
  constructor(readonly spec: { nth?: number; from?: number } = {}) {}
  #fail(file: string): void {
    const k = ++this.calls;
    if (k === this.spec.nth || (this.spec.from !== undefined && k >= this.spec.from)) {
      throw new ZmdevError({ code: 'ENOSPC', message: `writing ${file} failed: no space left on device` });
    }
  }
  write(file: string, text: string): void {
    this.#fail(file);
    hostFiles.write(file, text);
  }
  remove(file: string): void {
    this.#fail(file);
    hostFiles.remove(file);
  }
}
