#include "apqn_conflicts.h"

#include <algorithm>
#include <cstring>

#include "mask_core.h"

namespace zmdev {
namespace {

constexpr uint32_t kNoOwner = UINT32_MAX;

// Lists the IDs set in a 256-bit mask (ID 0 = most significant bit of byte 0), ascending.
unsigned mask_ids(const uint8_t* m, uint16_t* ids) {
  unsigned n = 0;
  for (unsigned w = 0; w < 4; ++w) {
    uint64_t word = 0;
    for (unsigned k = 0; k < 8; ++k) word = (word << 8) | m[w * 8 + k];
    while (word) {
      unsigned lead = static_cast<unsigned>(__builtin_clzll(word));
      ids[n++] = static_cast<uint16_t>(w * 64 + lead);
      word &= ~(0x8000000000000000ull >> lead);
    }
  }
  return n;
}

}  // namespace

// Without a popcount instruction in the target (x86-64 builds without -mpopcnt, as binding.gyp
// compiles), __builtin_popcountll is a call into libgcc per word; the bit-parallel count below
// is inline and several times faster. Other targets keep the builtin (s390x z196+ has POPCNT).
inline unsigned popcount64(uint64_t x) {
#if defined(__x86_64__) && !defined(__POPCNT__)
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<unsigned>((x * 0x0101010101010101ull) >> 56);
#else
  return static_cast<unsigned>(__builtin_popcountll(x));
#endif
}

unsigned mask_popcount(const uint8_t* m) {
  unsigned n = 0;
  for (unsigned w = 0; w < 4; ++w) {
    uint64_t word;
    std::memcpy(&word, m + w * 8, 8);
    n += popcount64(word);
  }
  return n;
}

namespace {

// Stable LSD radix sort of `v` by the bits [lo, lo + bits) of key(x), 11 bits per pass.
template <typename T, typename Key>
void radix_sort(std::vector<T>& v, std::vector<T>& tmp, unsigned lo, unsigned bits, Key key) {
  constexpr unsigned kDigit = 11;
  tmp.resize(v.size());
  // size_t counts: without a limit, a result may hold more than 2^32 entries.
  std::vector<size_t> bucket(size_t{1} << kDigit);
  for (unsigned shift = lo; shift < lo + bits; shift += kDigit) {
    const uint64_t mask = (uint64_t{1} << kDigit) - 1;
    std::fill(bucket.begin(), bucket.end(), size_t{0});
    for (const T& x : v) ++bucket[(key(x) >> shift) & mask];
    size_t sum = 0;
    for (size_t& b : bucket) {
      size_t c = b;
      b = sum;
      sum += c;
    }
    for (const T& x : v) tmp[bucket[(key(x) >> shift) & mask]++] = x;
    v.swap(tmp);
  }
}

unsigned bit_width(uint64_t x) { return x ? 64u - static_cast<unsigned>(__builtin_clzll(x)) : 0u; }

uint64_t add_saturating(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

// h (h - 1) / 2 without overflow for any h below 2^32.
uint64_t pairs_of(uint64_t h) { return h < 2 ? 0 : h % 2 ? h * ((h - 1) / 2) : (h / 2) * (h - 1); }

bool any_bit(const uint8_t* m) {
  uint64_t w[4];
  std::memcpy(w, m, sizeof w);
  return (w[0] | w[1] | w[2] | w[3]) != 0;
}

void and_mask(const uint8_t* x, const uint8_t* y, uint8_t* out) {
  for (unsigned k = 0; k < 32; ++k) out[k] = static_cast<uint8_t>(x[k] & y[k]);
}

// The answer when it is larger than `limit`: the exact total from a holder count per APQN, and
// the first `limit` entries straight in (a, b, apqn) order from the matrices that hold a shared
// APQN, pair by pair. Two matrices share exactly (apm_a & apm_b) x (aqm_a & aqm_b), so a pair
// costs a few word operations and nothing is generated past the limit. Time: the APQNs held,
// plus at most k^2 / 2 pairs for the k matrices that share anything; memory: the entries
// returned plus 264 KiB and one index per matrix.
uint64_t first_shared_apqns(const uint8_t* matrices, size_t count, std::vector<ApqnConflict>& out, uint64_t limit) {
  std::vector<uint32_t> holders(65536, 0);
  uint16_t adapters[256], domains[256];
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* m = matrices + i * kMatrixBytes;
    unsigned na = mask_ids(m, adapters);
    if (!na) continue;
    unsigned nd = mask_ids(m + 32, domains);
    for (unsigned x = 0; x < na; ++x)
      for (unsigned y = 0; y < nd; ++y) ++holders[static_cast<uint32_t>(adapters[x]) << 8 | domains[y]];
  }
  // shared[a * 32 ...]: the domains d for which adapter a's APQN has two holders or more.
  std::vector<uint8_t> shared(256 * 32, 0);
  uint64_t total = 0;
  for (uint32_t apqn = 0; apqn < 65536; ++apqn) {
    if (holders[apqn] < 2) continue;
    total = add_saturating(total, pairs_of(holders[apqn]));
    mask_set(&shared[(apqn >> 8) * 32], apqn & 0xff);
  }
  if (limit == 0 || total == 0) return total;
  std::vector<uint32_t> sharing;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* m = matrices + i * kMatrixBytes;
    unsigned na = mask_ids(m, adapters);
    for (unsigned x = 0; x < na; ++x) {
      uint8_t both[32];
      and_mask(&shared[adapters[x] * 32u], m + 32, both);
      if (any_bit(both)) {
        sharing.push_back(static_cast<uint32_t>(i));
        break;
      }
    }
  }
  out.reserve(out.size() + static_cast<size_t>(std::min(total, limit)));
  uint64_t left = limit;
  for (size_t x = 0; x < sharing.size(); ++x) {
    const uint8_t* ma = matrices + size_t{sharing[x]} * kMatrixBytes;
    for (size_t y = x + 1; y < sharing.size(); ++y) {
      const uint8_t* mb = matrices + size_t{sharing[y]} * kMatrixBytes;
      uint8_t apm[32], aqm[32];
      and_mask(ma, mb, apm);
      and_mask(ma + 32, mb + 32, aqm);
      if (!any_bit(apm) || !any_bit(aqm)) continue;
      unsigned na = mask_ids(apm, adapters), nd = mask_ids(aqm, domains);
      for (unsigned i = 0; i < na; ++i)
        for (unsigned j = 0; j < nd; ++j) {
          out.push_back({sharing[x], sharing[y], static_cast<uint32_t>(adapters[i]) << 8 | domains[j]});
          if (--left == 0) return total;
        }
    }
  }
  return total;  // not reached: total > limit entries exist among these pairs
}

}  // namespace

uint64_t find_shared_apqns(const uint8_t* matrices, size_t count, std::vector<ApqnConflict>& out, uint64_t limit) {
  // The owner table outlives the call (one per thread) and is put back to all-kNoOwner by
  // clearing only the entries this call set: a call costs time in its APQNs, not in the 65,536
  // entries of the table.
  thread_local std::vector<uint32_t> owner_table(65536, kNoOwner);
  // One access to the thread_local per call: in a shared library each access may go through
  // __tls_get_addr.
  uint32_t* const owner = owner_table.data();
  std::vector<uint16_t> owned;
  // Puts the table back however the call ends: after a bad_alloc caught at the addon boundary,
  // the next call on this thread must start from an all-kNoOwner table again.
  struct ResetOwners {
    uint32_t* owner;
    const std::vector<uint16_t>& owned;
    ~ResetOwners() {
      for (uint16_t apqn : owned) owner[apqn] = kNoOwner;
    }
  } reset_owners{owner, owned};
  // Later holders of an APQN: (apqn << 32 | holder), arriving in ascending holder order.
  // Every extra is at least one entry of the answer, so once there are more extras than
  // `limit` the answer is too large to build whole: stop collecting them.
  std::vector<uint64_t> extras;
  uint16_t adapters[256], domains[256];
  bool over = false;
  for (size_t i = 0; i < count && !over; ++i) {
    const uint8_t* m = matrices + i * kMatrixBytes;
    unsigned na = mask_ids(m, adapters);
    if (!na) continue;
    unsigned nd = mask_ids(m + 32, domains);
    uint32_t idx = static_cast<uint32_t>(i);
    for (unsigned x = 0; x < na && !over; ++x) {
      uint32_t base = static_cast<uint32_t>(adapters[x]) << 8;
      for (unsigned y = 0; y < nd; ++y) {
        uint32_t apqn = base | domains[y];
        if (owner[apqn] == kNoOwner) {
          owned.push_back(static_cast<uint16_t>(apqn));  // first: a throw leaves owner[apqn] unset
          owner[apqn] = idx;
        } else if (extras.size() == limit) {
          over = true;
          break;
        } else {
          extras.push_back(static_cast<uint64_t>(apqn) << 32 | idx);
        }
      }
    }
  }
  if (extras.empty() && !over) return 0;
  uint64_t pairs = 0;
  if (!over) {
    // Group the extras by APQN; the sort is stable, so each group keeps ascending holders.
    std::vector<uint64_t> tmp;
    radix_sort(extras, tmp, 32, 16, [](uint64_t e) { return e; });
    // Groups of h holders give h (h - 1) / 2 entries.
    for (size_t k = 0; k < extras.size();) {
      uint64_t h = 1;
      uint64_t apqn = extras[k] >> 32;
      while (k < extras.size() && (extras[k] >> 32) == apqn) ++k, ++h;
      pairs = add_saturating(pairs, pairs_of(h));
    }
    over = pairs > limit;
  }
  if (over) {
    std::vector<uint64_t>().swap(extras);  // give the memory back before the bounded pass
    return first_shared_apqns(matrices, count, out, limit);
  }
  {
    // One entry per pair of holders, as the key a << 40 | b << 16 | apqn, emitted APQN by APQN.
    // With fewer than 2^24 matrices the key orders entries by a, b, apqn.
    const bool packed = count <= (size_t{1} << 24);
    std::vector<uint64_t> keys;
    std::vector<uint32_t> holders;
    size_t first = out.size();
    if (packed) keys.reserve(static_cast<size_t>(pairs));  // the exact number of entries
    for (size_t k = 0; k < extras.size();) {
      uint32_t apqn = static_cast<uint32_t>(extras[k] >> 32);
      holders.assign(1, owner[apqn]);
      while (k < extras.size() && static_cast<uint32_t>(extras[k] >> 32) == apqn)
        holders.push_back(static_cast<uint32_t>(extras[k++]));
      for (size_t x = 0; x < holders.size(); ++x)
        for (size_t y = x + 1; y < holders.size(); ++y) {
          if (packed)
            keys.push_back(static_cast<uint64_t>(holders[x]) << 40 | static_cast<uint64_t>(holders[y]) << 16 | apqn);
          else
            out.push_back({holders[x], holders[y], apqn});
        }
    }
    if (packed) {
      // Entries arrive in ascending APQN order, so a stable sort by (a, b) alone finishes the
      // job; radix passes cover only the bits that the matrix indices use.
      if (keys.size() < 1024) {
        std::sort(keys.begin(), keys.end());
      } else {
        // b then a, each over the bits that indices below `count` can have.
        unsigned w = bit_width(count - 1);
        std::vector<uint64_t> spare;
        radix_sort(keys, spare, 16, w, [](uint64_t e) { return e; });
        radix_sort(keys, spare, 40, w, [](uint64_t e) { return e; });
      }
      out.reserve(first + keys.size());
      for (uint64_t key : keys)
        out.push_back({static_cast<uint32_t>(key >> 40), static_cast<uint32_t>(key >> 16) & 0xffffffu,
                       static_cast<uint32_t>(key & 0xffff)});
    } else {
      std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), [](const ApqnConflict& l, const ApqnConflict& r) {
        if (l.a != r.a) return l.a < r.a;
        if (l.b != r.b) return l.b < r.b;
        return l.apqn < r.apqn;
      });
    }
  }
  return pairs;
}

}  // namespace zmdev
