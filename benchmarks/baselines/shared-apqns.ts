// The shared-APQN check in pure TypeScript, with the same input (MatrixTable bytes: 64 bytes per
// matrix, adapter mask then domain mask, ID 0 = bit 0x80 of byte 0) and the same output as the
// addon's findSharedApqns: a flat Uint32Array of (a, b, apqn) triples ordered by a, b, apqn.

const NO_OWNER = -1;
// The owner table lives across calls; each call resets the entries it set, so no call pays for
// clearing all 65,536 entries or for allocating the table.
const owner = new Int32Array(65536).fill(NO_OWNER);
let touched = new Uint16Array(1024);
let extraKeys = new Float64Array(1024);
const adapters = new Uint16Array(256);
const domains = new Uint16Array(256);

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

function grow<T extends Float64Array | Uint16Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let len = a.length * 2;
  while (len < need) len *= 2;
  const b = new (a.constructor as new (n: number) => T)(len);
  b.set(a);
  return b;
}

/**
 * The owner-table algorithm of native/apqn_conflicts.cc: the first holder of each APQN goes into
 * the owner table, every later holder into a list of extras; the extras, sorted by APQN, give the
 * holders of each shared APQN, and every pair of holders is one entry. Sorting uses numeric
 * typed-array sorts of packed keys (no comparator callback).
 */
export function sharedApqnsOwnerTable(bytes: Uint8Array): Uint32Array {
  const count = bytes.length >>> 6;
  let nTouched = 0;
  let nExtras = 0;
  for (let i = 0; i < count; i++) {
    const off = i << 6;
    const na = maskIds(bytes, off, adapters);
    if (na === 0) continue;
    const nd = maskIds(bytes, off + 32, domains);
    if (nd === 0) continue;
    touched = grow(touched, nTouched + na * nd);
    extraKeys = grow(extraKeys, nExtras + na * nd);
    for (let x = 0; x < na; x++) {
      const base = adapters[x]! << 8;
      for (let y = 0; y < nd; y++) {
        const apqn = base | domains[y]!;
        if (owner[apqn] === NO_OWNER) {
          owner[apqn] = i;
          touched[nTouched++] = apqn;
        } else {
          extraKeys[nExtras++] = apqn * 4294967296 + i; // (apqn, holder): sorts by APQN, then holder
        }
      }
    }
  }
  let result: Uint32Array;
  if (nExtras === 0) {
    result = new Uint32Array(0);
  } else {
    const extras = extraKeys.subarray(0, nExtras).sort();
    // Pairs of holders, packed as ((a * 2^17 + b) * 2^16 + apqn) < 2^50 for a numeric sort.
    let nPairs = 0;
    let pairs = new Float64Array(Math.max(16, nExtras * 2));
    const holders: number[] = [];
    for (let k = 0; k < nExtras;) {
      const apqn = Math.floor(extras[k]! / 4294967296);
      holders.length = 0;
      holders.push(owner[apqn]!);
      while (k < nExtras && Math.floor(extras[k]! / 4294967296) === apqn) holders.push(extras[k++]! % 4294967296);
      const h = holders.length;
      pairs = grow(pairs, nPairs + (h * (h - 1)) / 2);
      for (let x = 0; x < h; x++) {
        const ax = holders[x]! * 131072;
        for (let y = x + 1; y < h; y++) pairs[nPairs++] = (ax + holders[y]!) * 65536 + apqn;
      }
    }
    const sorted = pairs.subarray(0, nPairs).sort();
    result = new Uint32Array(nPairs * 3);
    for (let k = 0; k < nPairs; k++) {
      const key = sorted[k]!;
      const ab = Math.floor(key / 65536);
      result[3 * k] = Math.floor(ab / 131072);
      result[3 * k + 1] = ab % 131072;
      result[3 * k + 2] = key % 65536;
    }
  }
  for (let k = 0; k < nTouched; k++) owner[touched[k]!] = NO_OWNER;
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
