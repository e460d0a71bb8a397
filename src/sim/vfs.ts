// The mechanics of sysfs itself, whatever the device tree (kernel.md §0): a tree of directories, attribute
// files and symbolic links; a path walked one component at a time, links followed as the VFS
// follows them; permission checks at open; an empty write that never reaches a store; one page
// per write; the errno of each syscall. The device trees (ap/tree.ts, mdev-bus.ts) only say which
// nodes exist and what their show() and store() do.
import path from 'node:path';
import { sysfsStoreView } from '../mask/index.js';
import { SysfsError, type SysfsIO, type SysfsStat, type Syscall } from '../sysfs/sysfs-io.js';
import { KernelRefusal } from './refusal.js';

export type Store = (bytes: Uint8Array) => void;

/** What a directory holds: one name answered at a time, and the names readdir sees. */
export interface Lookup {
  /** The entry of that name, or undefined when there is none. */
  lookup(name: string): SimNode | undefined;
  /** The names of the entries, in any order. */
  list(): string[];
}

export interface DirNode extends Lookup {
  kind: 'dir';
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

/**
 * Entries of fixed names, each built from a context only when asked for; an entry that returns
 * undefined is absent in that context (e.g. a card's `online` while no driver holds the card).
 * Tables are made once; a lookup costs one entry, not the directory.
 */
export type Table<C> = Readonly<Record<string, (c: C) => SimNode | undefined>>;

export const ro = (show: () => string): FileNode => ({ kind: 'file', mode: 0o444, show });
export const rw = (show: () => string, store: Store): FileNode => ({ kind: 'file', mode: 0o644, show, store });
export const wo = (store: Store): FileNode => ({ kind: 'file', mode: 0o200, store });
export const link = (target: string): LinkNode => ({ kind: 'link', target });
export const num = (n: number | bigint): string => `${n}
`;

/** The entries of a table in one context. */
export function fixed<C>(table: Table<C>, c: C): Lookup {
  return {
    lookup: (name) => (Object.hasOwn(table, name) ? table[name]!(c) : undefined),
    list: () => Object.keys(table).filter((name) => table[name]!(c) !== undefined),
  };
}

/** A directory holding what the parts hold (the first part that knows a name answers for it). */
export function dir(...parts: readonly Lookup[]): DirNode {
  return {
    kind: 'dir',
    lookup(name) {
      for (const p of parts) {
        const n = p.lookup(name);
        if (n) return n;
      }
      return undefined;
    },
    list: () => parts.flatMap((p) => p.list()),
  };
}

/**
 * A directory of one table in one context, and of `more` for the names the table has not (a
 * card's queues, a matrix device's mdevs). One object per directory: its lookup builds the one
 * entry asked for.
 */
class TableDir<C> implements DirNode {
  readonly kind = 'dir';

  constructor(private readonly table: Table<C>, private readonly c: C, private readonly more: Lookup | undefined) {}

  lookup(name: string): SimNode | undefined {
    const n = Object.hasOwn(this.table, name) ? this.table[name]!(this.c) : undefined;
    return n ?? this.more?.lookup(name);
  }

  list(): string[] {
    const names = Object.keys(this.table).filter((name) => this.table[name]!(this.c) !== undefined);
    return this.more ? names.concat(this.more.list()) : names;
  }
}

export const tableDir = <C>(table: Table<C>, c: C, more?: Lookup): DirNode => new TableDir(table, c, more);

const MAX_HOPS = 40;

/** SysfsIO over a tree of SimNodes. */
export class VirtualSysfs implements SysfsIO {
  constructor(private readonly root: DirNode) {}

  read(p: string): string {
    return this.show(p, this.open(p, true, 'open'));
  }

  private show(p: string, node: SimNode): string {
    if (node.kind === 'dir') throw this.error('EISDIR', 'read', p, 'a directory has no content; use list()');
    const f = node as FileNode;
    if (!(f.mode & 0o444) || !f.show) throw this.error('EACCES', 'open', p, 'the attribute is write-only');
    return f.show();
  }

  readMany(paths: readonly string[]): Array<string | SysfsError> {
    // The errors of a batch are returned as values, never thrown: a stack trace for each of
    // them (thousands of absent attributes on a big host) would only cost time.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return this.readEach(paths);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  private readEach(paths: readonly string[]): Array<string | SysfsError> {
    // The host does not change during a batch: the directory of many attributes is walked to once.
    const parents = new Map<string, SimNode | null>();
    const quick = (p: string): string | undefined => {
      const cut = p.lastIndexOf('/');
      const name = p.slice(cut + 1);
      if (cut <= 0 || name === '' || name === '.' || name === '..') return undefined;
      const at = p.slice(0, cut);
      let parent = parents.get(at);
      if (parent === undefined) {
        try {
          parent = this.open(at, true, 'open');
        } catch {
          parent = null;
        }
        parents.set(at, parent);
      }
      if (parent?.kind !== 'dir') return undefined;
      const node = parent.lookup(name);
      // As the walk would end: an absent entry is ENOENT; a link or a directory takes the full walk.
      if (!node) throw this.error('ENOENT', 'open', p, 'no such file or directory');
      return node.kind === 'file' ? this.show(p, node) : undefined;
    };
    return paths.map((p) => {
      try {
        return quick(p) ?? this.read(p);
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
    let parts = p.split('/');
    let i = 0;
    let at: string[] = [];
    let node: SimNode = this.root;
    let hops = 0;
    const named = (x: string) => x !== '' && x !== '.';
    while (i < parts.length) {
      const name = parts[i++]!;
      if (!named(name)) continue;
      if (name === '..') {
        at = at.slice(0, -1);
        node = this.at(at);
        continue;
      }
      if (node.kind !== 'dir') throw this.error('ENOTDIR', syscall, p, `${at.join('/')} is not a directory`);
      const next = node.lookup(name);
      if (!next) throw this.error('ENOENT', syscall, p, `no such file or directory`);
      if (next.kind === 'link' && (follow || parts.slice(i).some(named))) {
        /* c8 ignore next -- the simulated tree has no link cycles; kept so that a future one fails like the VFS */
        if (++hops > MAX_HOPS) throw this.error('ELOOP', syscall, p, 'too many levels of symbolic links');
        parts = [...path.posix.join('/', ...at, next.target).split('/'), ...parts.slice(i)];
        i = 0;
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
