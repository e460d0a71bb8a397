// The mechanics of sysfs itself, whatever the device tree (§0): a tree of directories, attribute
// files and symbolic links; a path walked one component at a time, links followed as the VFS
// follows them; permission checks at open; an empty write that never reaches a store; one page
// per write; the errno of each syscall. The device trees (ap/tree.ts, mdev-bus.ts) only say which
// nodes exist and what their show() and store() do.
import path from 'node:path';
import { sysfsStoreView } from '../mask/index.js';
import { SysfsError, type SysfsIO, type SysfsStat, type Syscall } from '../sysfs/sysfs-io.js';
import { KernelRefusal } from './refusal.js';

export type Store = (bytes: Uint8Array) => void;

/** A directory answers for one name at a time; list() is what readdir sees. */
export interface DirNode {
  kind: 'dir';
  /** The entry of that name, or undefined when there is none. */
  lookup(name: string): SimNode | undefined;
  /** The names of the entries, in any order. */
  list(): string[];
}

export interface FileNode {
  kind: 'file';
  mode: number;
  show?: () => string;
  store?: Store;
}

export interface LinkNode {
  kind: 'link';
  target: string;
}

/** A node of the simulated tree, built on demand from the model. */
export type SimNode = DirNode | FileNode | LinkNode;

/** The entries of a directory: a name and how to build its node. */
export type Entries = Record<string, () => SimNode>;

export const ro = (show: () => string): FileNode => ({ kind: 'file', mode: 0o444, show });
export const rw = (show: () => string, store: Store): FileNode => ({ kind: 'file', mode: 0o644, show, store });
export const wo = (store: Store): FileNode => ({ kind: 'file', mode: 0o200, store });
export const link = (target: string): LinkNode => ({ kind: 'link', target });
export const num = (n: number | bigint): string => `${n}\n`;

/** A directory whose entries are computed together, every time the directory is asked. */
export function dir(entries: () => Entries): DirNode {
  const current = (): Entries => (batchEpoch === 0 ? entries() : memo());
  let at = 0;
  let kept: Entries = {};
  // Within one readMany the host does not change, so the entries are built once per batch.
  const memo = (): Entries => {
    if (at !== batchEpoch) {
      kept = entries();
      at = batchEpoch;
    }
    return kept;
  };
  return {
    kind: 'dir',
    lookup(name) {
      const e = current();
      return Object.hasOwn(e, name) ? e[name]!() : undefined;
    },
    list: () => Object.keys(current()),
  };
}

let batchEpoch = 0;
let batches = 0;

const MAX_HOPS = 40;

/** SysfsIO over a tree of SimNodes. */
export class VirtualSysfs implements SysfsIO {
  constructor(private readonly root: DirNode) {}

  read(p: string): string {
    const node = this.open(p, true, 'open');
    if (node.kind === 'dir') throw this.error('EISDIR', 'read', p, 'a directory has no content; use list()');
    const f = node as FileNode;
    if (!(f.mode & 0o444) || !f.show) throw this.error('EACCES', 'open', p, 'the attribute is write-only');
    return f.show();
  }

  readMany(paths: readonly string[]): Array<string | SysfsError> {
    batchEpoch = ++batches;
    this.batch = new Map();
    try {
      return this.readEach(paths);
    } finally {
      batchEpoch = 0;
      this.batch = null;
    }
  }

  // Within one readMany the nodes met on the way are kept by path, so their entries are built once.
  private batch: Map<string, SimNode | undefined> | null = null;

  private lookup(dirNode: DirNode, at: string[], name: string): SimNode | undefined {
    if (!this.batch) return dirNode.lookup(name);
    const key = `${at.join('/')}/${name}`;
    if (this.batch.has(key)) return this.batch.get(key);
    const found = dirNode.lookup(name);
    this.batch.set(key, found);
    return found;
  }

  private readEach(paths: readonly string[]): Array<string | SysfsError> {
    return paths.map((p) => {
      try {
        return this.read(p);
      } catch (e) {
        if (e instanceof SysfsError) return e;
        /* c8 ignore next 2 -- read() throws only SysfsError */
        throw e;
      }
    });
  }

  write(p: string, data: string | Uint8Array): number {
    const node = this.open(p, true, 'open');
    if (node.kind === 'dir') throw this.error('EISDIR', 'open', p, 'a directory cannot be written');
    const f = node as FileNode;
    if (!(f.mode & 0o222) || !f.store) throw this.error('EACCES', 'open', p, 'the attribute is read-only');
    const view = sysfsStoreView(data);
    if (view === null) return 0;
    try {
      f.store(view);
    } catch (e) {
      /* c8 ignore next -- stores throw only KernelRefusal; anything else is a simulator bug to surface */
      if (!(e instanceof KernelRefusal)) throw e;
      throw new SysfsError({ code: e.code, syscall: 'write', path: p, written: Buffer.from(view).toString('latin1'), explanation: e.explanation });
    }
    return view.length;
  }

  list(p: string): string[] {
    const node = this.open(p, true, 'open');
    if (node.kind !== 'dir') throw this.error('ENOTDIR', 'open', p, 'not a directory');
    return node.list().sort();
  }

  exists(p: string): boolean {
    try {
      this.open(p, true, 'stat');
      return true;
    } catch {
      return false;
    }
  }

  readlink(p: string): string {
    const node = this.open(p, false, 'readlink');
    if (node.kind !== 'link') throw this.error('EINVAL', 'readlink', p, 'not a symbolic link');
    return node.target;
  }

  stat(p: string): SysfsStat {
    const node = this.open(p, false, 'stat');
    if (node.kind === 'dir') return { kind: 'dir', mode: 0o755 };
    if (node.kind === 'link') return { kind: 'link', mode: 0o777 };
    return { kind: 'file', mode: node.mode };
  }

  /** The node at a path, following links inside it (and at its end when `follow`). */
  node(p: string, follow = true): SimNode {
    return this.open(p, follow, 'stat');
  }

  private error(code: string, syscall: Syscall, p: string, explanation: string): SysfsError {
    return new SysfsError({ code, syscall, path: p, explanation });
  }

  /** The walk: one lookup per component; a link restarts it from the root with its target. */
  private open(p: string, follow: boolean, syscall: Syscall): SimNode {
    let todo = p.split('/').filter((x) => x !== '' && x !== '.');
    let at: string[] = [];
    let node: SimNode = this.root;
    let hops = 0;
    while (todo.length) {
      const name = todo.shift()!;
      if (name === '..') {
        at = at.slice(0, -1);
        node = this.at(at);
        continue;
      }
      if (node.kind !== 'dir') throw this.error('ENOTDIR', syscall, p, `${at.join('/')} is not a directory`);
      const next = this.lookup(node, at, name);
      if (!next) throw this.error('ENOENT', syscall, p, `no such file or directory`);
      if (next.kind === 'link' && (todo.length > 0 || follow)) {
        /* c8 ignore next -- the simulated tree has no link cycles; kept so that a future one fails like the VFS */
        if (++hops > MAX_HOPS) throw this.error('ELOOP', syscall, p, 'too many levels of symbolic links');
        todo = [...path.posix.join('/', ...at, next.target).split('/').filter(Boolean), ...todo];
        at = [];
        node = this.root;
        continue;
      }
      at.push(name);
      node = next;
    }
    return node;
  }

  /** The directory at a path already walked (links resolved), for `..`. */
  private at(parts: string[]): SimNode {
    let node: SimNode = this.root;
    for (const name of parts) node = (node as DirNode).lookup(name)!;
    return node;
  }
}
