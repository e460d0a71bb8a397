#include "apqn_conflicts.h"

#include <algorithm>
#include <cstring>

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

unsigned mask_popcount(const uint8_t* m) {
  unsigned n = 0;
  for (unsigned w = 0; w < 4; ++w) {
    uint64_t word;
    std::memcpy(&word, m + w * 8, 8);
    n += static_cast<unsigned>(__builtin_popcountll(word));
  }
  return n;
}

void find_shared_apqns(const uint8_t* matrices, size_t count, std::vector<ApqnConflict>& out) {
  std::vector<uint32_t> owner(65536, kNoOwner);
  struct Extra {
    uint32_t apqn;
    uint32_t holder;
  };
  std::vector<Extra> extras;
  uint16_t adapters[256], domains[256];
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* m = matrices + i * kMatrixBytes;
    unsigned na = mask_ids(m, adapters);
    if (!na) continue;
    unsigned nd = mask_ids(m + 32, domains);
    uint32_t idx = static_cast<uint32_t>(i);
    for (unsigned x = 0; x < na; ++x) {
      uint32_t base = static_cast<uint32_t>(adapters[x]) << 8;
      for (unsigned y = 0; y < nd; ++y) {
        uint32_t apqn = base | domains[y];
        if (owner[apqn] == kNoOwner)
          owner[apqn] = idx;
        else
          extras.push_back({apqn, idx});
      }
    }
  }
  if (extras.empty()) return;
  // Extras arrive in ascending holder order per APQN; a stable sort by APQN keeps that order.
  std::stable_sort(extras.begin(), extras.end(), [](const Extra& l, const Extra& r) { return l.apqn < r.apqn; });
  size_t first = out.size();
  std::vector<uint32_t> holders;
  for (size_t k = 0; k < extras.size();) {
    uint32_t apqn = extras[k].apqn;
    holders.assign(1, owner[apqn]);
    while (k < extras.size() && extras[k].apqn == apqn) holders.push_back(extras[k++].holder);
    for (size_t x = 0; x < holders.size(); ++x)
      for (size_t y = x + 1; y < holders.size(); ++y) out.push_back({holders[x], holders[y], apqn});
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), [](const ApqnConflict& l, const ApqnConflict& r) {
    if (l.a != r.a) return l.a < r.a;
    if (l.b != r.b) return l.b < r.b;
    return l.apqn < r.apqn;
  });
}

}  // namespace zmdev
