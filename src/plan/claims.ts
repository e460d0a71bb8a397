// Which guests of a plan claim each APQN: an owner table over the 65,536 APQNs, filled in one pass
// over the guests' APQNs. A conflict is reported once per APQN with all the guests that claim it,
// and APQNs claimed by exactly the same guests are reported together, so the result grows with
// the claims and never with the pairs of guests (2,000 guests on one APQN are one finding, not
// 1,999,000).
/** adapter << 8 | domain: the index of an APQN in the owner table, in the kernel's order. */
export const apqnKey = (adapter: number, domain: number): number => (adapter << 8) | domain;

export interface SharedClaim {
  /** Indices of the guests that claim the APQNs, ascending; two or more. */
  guests: number[];
  /** The APQNs (apqnKey) that exactly these guests claim, ascending. */
  apqns: number[];
}

export interface Claims {
  /** 1 for every APQN (apqnKey) that some guest claims. */
  planned: Uint8Array;
  /** Ordered by the guest lists (as numbers, element by element), then APQN. */
  shared: SharedClaim[];
}

function compareLists(x: readonly number[], y: readonly number[]): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** A guest's adapter and domain IDs, ascending (ApMask.ids()). */
export interface GuestIds {
  adapters: readonly number[];
  domains: readonly number[];
}

export function claimsOf(guests: readonly GuestIds[]): Claims {
  // The first claimant of each APQN (-1: none); later claimants only for APQNs that have them.
  const first = new Int32Array(65536).fill(-1);
  const planned = new Uint8Array(65536);
  const more = new Map<number, number[]>();
  for (let i = 0; i < guests.length; i++) {
    const ds = guests[i]!.domains;
    for (const a of guests[i]!.adapters) {
      for (const d of ds) {
        const k = apqnKey(a, d);
        const owner = first[k]!;
        if (owner === -1) {
          first[k] = i;
          planned[k] = 1;
        } else {
          const list = more.get(k);
          // Guests come in order and claim an APQN once each: the lists stay ascending.
          if (list) list.push(i);
          else more.set(k, [owner, i]);
        }
      }
    }
  }
  // Group the APQNs by their list of claimants: a hash of the list picks the candidates, an
  // element-by-element comparison confirms, so grouping costs one look at each claim.
  const groups = new Map<number, SharedClaim[]>();
  const all: SharedClaim[] = [];
  for (const k of [...more.keys()].sort((x, y) => x - y)) {
    const list = more.get(k)!;
    let h = list.length;
    for (const i of list) h = (Math.imul(h, 0x01000193) ^ i) | 0;
    let candidates = groups.get(h);
    if (!candidates) groups.set(h, (candidates = []));
    const group = candidates.find((c) => compareLists(c.guests, list) === 0);
    if (group) {
      group.apqns.push(k);
    } else {
      const c = { guests: list, apqns: [k] };
      candidates.push(c);
      all.push(c);
    }
  }
  return { planned, shared: all.sort((x, y) => compareLists(x.guests, y.guests)) };
}
