// find_shared_apqns against the obvious pairwise check. The first byte picks a layout:
//  * even: up to 64 small matrices, two bytes each, whose bits pick adapters and domains from a
//    fixed set of eight IDs (edge IDs included), so shared APQNs and triples are common;
//  * odd: up to 16 denser matrices, eight bytes each (up to 1,024 APQNs each).
// Invariants: identical list to the pairwise answer (which is in (a, b, apqn) order by
// construction), strictly increasing, a < b, and entries already in the vector stay untouched;
// with a limit taken from the last byte, the first `limit` entries of that list and its total.
#include <algorithm>
#include <tuple>
#include <vector>

#include "fuzz_common.h"

namespace {

constexpr unsigned kIds[8] = {0, 1, 7, 8, 63, 128, 254, 255};

using Triple = std::tuple<uint32_t, uint32_t, uint32_t>;

std::vector<unsigned> ids_of(const uint8_t* m) {
  std::vector<unsigned> v;
  for (unsigned id = 0; id < 256; ++id)
    if (zmdev::mask_test(m, id)) v.push_back(id);
  return v;
}

std::vector<Triple> pairwise(const std::vector<uint8_t>& t, size_t count) {
  std::vector<Triple> out;
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* mi = &t[i * 64];
    std::vector<unsigned> ai = ids_of(mi), di = ids_of(mi + 32);
    for (uint32_t j = i + 1; j < count; ++j) {
      const uint8_t* mj = &t[j * 64];
      for (unsigned a : ai) {
        if (!zmdev::mask_test(mj, a)) continue;
        for (unsigned d : di)
          if (zmdev::mask_test(mj + 32, d)) out.emplace_back(i, j, a << 8 | d);
      }
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<uint8_t> table;
  size_t count = 0;
  if ((data[0] & 1) == 0) {
    for (size_t k = 1; k + 1 < size && count < 64; k += 2, ++count) {
      uint8_t m[64] = {};
      for (unsigned b = 0; b < 8; ++b) {
        if (data[k] & (1u << b)) zmdev::mask_set(m, kIds[b]);
        if (data[k + 1] & (1u << b)) zmdev::mask_set(m + 32, kIds[b]);
      }
      table.insert(table.end(), m, m + 64);
    }
  } else {
    // Eight bytes per matrix: four adapter and four domain mask bytes, landing on mask bytes
    // 0, 15, 16 and 31 (IDs 0-7, 120-135, 248-255), up to 1,024 APQNs per matrix.
    static const size_t kAt[4] = {0, 15, 16, 31};
    for (size_t k = 1; k + 8 <= size && count < 16; k += 8, ++count) {
      uint8_t m[64] = {};
      for (size_t b = 0; b < 4; ++b) {
        m[kAt[b]] = data[k + b];
        m[32 + kAt[b]] = data[k + 4 + b];
      }
      table.insert(table.end(), m, m + 64);
    }
  }

  std::vector<zmdev::ApqnConflict> found{{0xfffffffe, 0xffffffff, 0x12345678}};
  zmdev::find_shared_apqns(table.data(), count, found);
  FZ_CHECK(found[0].a == 0xfffffffe && found[0].b == 0xffffffff && found[0].apqn == 0x12345678, "prefix entry changed");

  std::vector<Triple> got;
  for (size_t k = 1; k < found.size(); ++k) {
    const auto& c = found[k];
    FZ_CHECK(c.a < c.b && c.b < count && c.apqn <= 0xffff, "bad entry");
    got.emplace_back(c.a, c.b, c.apqn);
    if (k > 1) FZ_CHECK(got[got.size() - 2] < got.back(), "not strictly increasing");
  }
  std::vector<Triple> want = pairwise(table, count);
  FZ_CHECK(got == want, "count " + std::to_string(count) + ": got " + std::to_string(got.size()) + " conflicts, pairwise " +
                            std::to_string(want.size()));

  // With a limit (from the last byte): the first `limit` entries of the same list, and the total.
  const uint64_t limit = data[size - 1] % (want.size() + 2);
  std::vector<zmdev::ApqnConflict> first;
  const uint64_t total = zmdev::find_shared_apqns(table.data(), count, first, limit);
  FZ_CHECK(total == want.size(), "limit " + std::to_string(limit) + ": total " + std::to_string(total));
  FZ_CHECK(first.size() == std::min<uint64_t>(limit, want.size()), "limit " + std::to_string(limit) + ": size " +
                                                                      std::to_string(first.size()));
  for (size_t k = 0; k < first.size(); ++k)
    FZ_CHECK(Triple(first[k].a, first[k].b, first[k].apqn) == want[k], "limit " + std::to_string(limit) + ": entry " +
                                                                           std::to_string(k) + " differs");
  return 0;
}
