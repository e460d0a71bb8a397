// The shared-APQN check in pure TypeScript, with the same input (MatrixTable bytes: 64 bytes per
// matrix, adapter mask then domain mask, ID 0 = bit 0x80 of byte 0) and the same output as the
// addon's findSharedApqns: a flat Uint32Array of (a, b, apqn) triples ordered by a, b, apqn.

const NO_OWNER = -1;
// The owner table lives across calls; each call resets the entries it set, so no call pays for
// clearing all 65,536 entries or for allocating the table.
const owner = new Int32Array(65536).fill(NO_OWNER);
let owned = new Uint16Array(1024);
// Extras (later holders of an APQN) as two parallel arrays, and the same for the radix sort.
let exQ = new Uint32Array(1024);
let exH = new Uint32Array(1024);
let exQ2 = new Uint32Array(1024);
let exH2 = new Uint32Array(1024);
const adapters = new Uint16Array(256);
const domains = new Uint16Array(256);
const bucket = new Uint32Array(2048);

/** Writes the IDs of the 32-byte mask at `off` into `ids`, ascending; returns how many. */
function maskIds(m: Uint8Array, off: number, ids: Uint16Array): number {
  let n = 0;
  for (let b = 0; b < 32; b++) {
    let v = m[off + b]!;
    while (v !== 0) {
      const lead = Math.clz32(v) - 24; // 0..7, counted from the 0x80 bit
      ids[n++] = (b << 3) | lead;
      v &= ~(0x80 >>> lead);
    }
  }
  return n;
}

function grow<T extends Uint32Array | Uint16Array>(a: T, need: number, keep: boolean): T {
  if (need <= a.length) return a;
  let len = a.length * 2;
  while (len < need) len *= 2;
  const b = new (a.constructor as new (n: number) => T)(len);
  if (keep) b.set(a);
  return b;
}

/**
 * One stable counting pass over n entries by the 11-bit digit (key >>> shift) & 2047, moving the
 * key array and two companion arrays from `src` to `dst`.
 */
function radixPass(n: number, shift: number, key: Uint32Array, c1: Uint32Array, c2: Uint32Array | null,
  dKey: Uint32Array, d1: Uint32Array, d2: Uint32Array | null): void {
  bucket.fill(0);
  for (let k = 0; k < n; k++) bucket[(key[k]! >>> shift) & 2047]!++;
  let sum = 0;
  for (let d = 0; d < 2048; d++) {
    const c = bucket[d]!;
    bucket[d] = sum;
    sum += c;
  }
  for (let k = 0; k < n; k++) {
    const to = bucket[(key[k]! >>> shift) & 2047]!++;
    dKey[to] = key[k]!;
    d1[to] = c1[k]!;
    if (c2 && d2) d2[to] = c2[k]!;
  }
}

let pa = new Uint32Array(1024);
let pb = new Uint32Array(1024);
let pq = new Uint32Array(1024);
let pa2 = new Uint32Array(1024);
let pb2 = new Uint32Array(1024);
let pq2 = new Uint32Array(1024);
const holders = new Uint32Array(1 << 17);

/**
 * The owner-table algorithm of native/apqn_conflicts.cc: the first holder of each APQN goes into
 * the owner table, every later holder into a list of extras; the extras, grouped by APQN with a
 * stable radix sort, give the holders of each shared APQN, and every pair of holders is one entry.
 * Entries come out in APQN order; a stable radix sort by b, then by a, orders them by a, b, apqn.
 */
export function sharedApqnsOwnerTable(bytes: Uint8Array): Uint32Array {
  const count = bytes.length >>> 6;
  if (count > holders.length) throw new RangeError('too many matrices for this baseline');
  let nOwned = 0;
  let nExtras = 0;
  for (let i = 0; i < count; i++) {
    const off = i << 6;
    const na = maskIds(bytes, off, adapters);
    if (na === 0) continue;
    const nd = maskIds(bytes, off + 32, domains);
    if (nd === 0) continue;
    owned = grow(owned, nOwned + na * nd, true);
    if (nExtras + na * nd > exQ.length) {
      exQ = grow(exQ, nExtras + na * nd, true);
      exH = grow(exH, nExtras + na * nd, true);
    }
    for (let x = 0; x < na; x++) {
      const base = adapters[x]! << 8;
      for (let y = 0; y < nd; y++) {
        const apqn = base | domains[y]!;
        if (owner[apqn] === NO_OWNER) {
          owner[apqn] = i;
          owned[nOwned++] = apqn;
        } else {
          exQ[nExtras] = apqn;
          exH[nExtras++] = i;
        }
      }
    }
  }
  let result: Uint32Array;
  if (nExtras === 0) {
    result = new Uint32Array(0);
  } else {
    // Group the extras by APQN (16 bits: two stable passes), keeping ascending holders.
    exQ2 = grow(exQ2, nExtras, false);
    exH2 = grow(exH2, nExtras, false);
    radixPass(nExtras, 0, exQ, exH, null, exQ2, exH2, null);
    radixPass(nExtras, 11, exQ2, exH2, null, exQ, exH, null);
    let n = 0;
    for (let k = 0; k < nExtras;) {
      const apqn = exQ[k]!;
      let h = 1;
      holders[0] = owner[apqn]!;
      while (k < nExtras && exQ[k] === apqn) holders[h++] = exH[k++]!;
      const need = n + (h * (h - 1)) / 2;
      if (need > pa.length) {
        pa = grow(pa, need, true);
        pb = grow(pb, need, true);
        pq = grow(pq, need, true);
      }
      for (let x = 0; x < h; x++) {
        const a = holders[x]!;
        for (let y = x + 1; y < h; y++) {
          pa[n] = a;
          pb[n] = holders[y]!;
          pq[n++] = apqn;
        }
      }
    }
    // Stable passes by b, then by a, over the bits that indices below `count` use.
    pa2 = grow(pa2, n, false);
    pb2 = grow(pb2, n, false);
    pq2 = grow(pq2, n, false);
    const bits = 32 - Math.clz32(count - 1);
    let A = pa, B = pb, Q = pq, A2 = pa2, B2 = pb2, Q2 = pq2;
    for (const key of [1, 0]) {
      for (let shift = 0; shift < bits; shift += 11) {
        if (key === 1) radixPass(n, shift, B, A, Q, B2, A2, Q2);
        else radixPass(n, shift, A, B, Q, A2, B2, Q2);
        [A, B, Q, A2, B2, Q2] = [A2, B2, Q2, A, B, Q];
      }
    }
    result = new Uint32Array(n * 3);
    for (let k = 0; k < n; k++) {
      result[3 * k] = A[k]!;
      result[3 * k + 1] = B[k]!;
      result[3 * k + 2] = Q[k]!;
    }
    pa = A; pb = B; pq = Q; pa2 = A2; pb2 = B2; pq2 = Q2;
  }
  for (let k = 0; k < nOwned; k++) owner[owned[k]!] = NO_OWNER;
  return result;
}

/**
 * The obvious way: compare every pair of matrices (adapter masks intersect and domain masks
 * intersect), and list the product of the two intersections. Quadratic in the number of matrices.
 */
export function sharedApqnsPairwise(bytes: Uint8Array): Uint32Array {
  const count = bytes.length >>> 6;
  // Big-endian 32-bit words, 16 per matrix, so that ID order is bit order within each word.
  const w = new Int32Array(count * 16);
  for (let k = 0; k < w.length; k++) {
    const o = k << 2;
    w[k] = (bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!;
  }
  let out = new Uint32Array(1024);
  let n = 0;
  const ia = new Int32Array(8);
  const id = new Int32Array(8);
  for (let a = 0; a < count; a++) {
    const pa = a << 4;
    for (let b = a + 1; b < count; b++) {
      const pb = b << 4;
      let anyA = 0;
      for (let k = 0; k < 8; k++) anyA |= ia[k] = w[pa + k]! & w[pb + k]!;
      if (anyA === 0) continue;
      let anyD = 0;
      for (let k = 0; k < 8; k++) anyD |= id[k] = w[pa + 8 + k]! & w[pb + 8 + k]!;
      if (anyD === 0) continue;
      for (let ka = 0; ka < 8; ka++) {
        let va = ia[ka]!;
        while (va !== 0) {
          const la = Math.clz32(va);
          va &= ~(0x80000000 >>> la);
          const adapter = (ka << 5) | la;
          for (let kd = 0; kd < 8; kd++) {
            let vd = id[kd]!;
            while (vd !== 0) {
              const ld = Math.clz32(vd);
              vd &= ~(0x80000000 >>> ld);
              if (n + 3 > out.length) {
                const bigger = new Uint32Array(out.length * 2);
                bigger.set(out);
                out = bigger;
              }
              out[n++] = a;
              out[n++] = b;
              out[n++] = (adapter << 8) | (kd << 5) | ld;
            }
          }
        }
      }
    }
  }
  return out.slice(0, n);
}
