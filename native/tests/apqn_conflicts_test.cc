// Shared APQNs across matrices (the EADDRINUSE rule of docs/kernel.md §4.1 5b and §5, checked
// in bulk before any write). An APQN is adapter x domain; a matrix holds apm x aqm.
#include <initializer_list>
#include <string>
#include <tuple>
#include <vector>

#include "check.h"

using check::all_ones;
using check::id_range;
using check::ids;
using check::Mask;

namespace {

using Conflicts = std::vector<zmdev::ApqnConflict>;
using Triple = std::tuple<uint32_t, uint32_t, uint32_t>;

struct Matrices {
  std::vector<uint8_t> bytes;
  size_t count() const { return bytes.size() / zmdev::kMatrixBytes; }
  Matrices& add(const Mask& apm, const Mask& aqm) {
    bytes.insert(bytes.end(), apm.begin(), apm.end());
    bytes.insert(bytes.end(), aqm.begin(), aqm.end());
    return *this;
  }
};

std::vector<Triple> find(const Matrices& m) {
  Conflicts out;
  zmdev::find_shared_apqns(m.bytes.data(), m.count(), out);
  std::vector<Triple> t;
  for (const auto& c : out) t.emplace_back(c.a, c.b, c.apqn);
  return t;
}

// The obvious quadratic answer, in the documented order (a, b, apqn).
std::vector<Triple> naive(const Matrices& m) {
  std::vector<Triple> t;
  const uint8_t* p = m.bytes.data();
  for (uint32_t i = 0; i < m.count(); ++i)
    for (uint32_t j = i + 1; j < m.count(); ++j)
      for (unsigned a = 0; a < 256; ++a) {
        if (!zmdev::mask_test(p + i * 64, a) || !zmdev::mask_test(p + j * 64, a)) continue;
        for (unsigned d = 0; d < 256; ++d)
          if (zmdev::mask_test(p + i * 64 + 32, d) && zmdev::mask_test(p + j * 64 + 32, d)) t.emplace_back(i, j, a << 8 | d);
      }
  return t;
}

std::string show(const std::vector<Triple>& t) {
  std::string s = "[";
  for (size_t k = 0; k < t.size() && k < 12; ++k) {
    char b[48];
    std::snprintf(b, sizeof b, "%s(%u,%u,%02x.%04x)", k ? " " : "", std::get<0>(t[k]), std::get<1>(t[k]),
                  std::get<2>(t[k]) >> 8, std::get<2>(t[k]) & 0xff);
    s += b;
  }
  if (t.size() > 12) s += " …" + std::to_string(t.size()) + " in all";
  return s + "]";
}

#define CHECK_CONFLICTS(matrices, ...)                                                                         \
  do {                                                                                                        \
    ++check::checks();                                                                                        \
    const std::vector<Triple> got_ = find(matrices);                                                          \
    const std::vector<Triple> want_ = __VA_ARGS__;                                                            \
    if (got_ != want_) check::fail(__FILE__, __LINE__, "got " + show(got_) + " want " + show(want_));          \
  } while (0)

uint32_t apqn(unsigned adapter, unsigned domain) { return adapter << 8 | domain; }

}  // namespace

TEST_CASE(no_matrices_or_one_matrix) {
  CHECK_CONFLICTS(Matrices{}, {});
  CHECK_CONFLICTS(Matrices{}.add(all_ones(), all_ones()), {});
}

TEST_CASE(empty_matrices_share_nothing) {
  CHECK_CONFLICTS(Matrices{}.add(Mask{}, Mask{}).add(Mask{}, Mask{}), {});
  // Adapters without domains (or domains without adapters) hold no APQN, even when they overlap.
  CHECK_CONFLICTS(Matrices{}.add(ids({5}), Mask{}).add(ids({5}), ids({4})), {});
  CHECK_CONFLICTS(Matrices{}.add(Mask{}, ids({4})).add(ids({5}), ids({4})), {});
  CHECK_CONFLICTS(Matrices{}.add(all_ones(), Mask{}).add(Mask{}, all_ones()).add(all_ones(), Mask{}), {});
}

TEST_CASE(shared_adapters_with_disjoint_domains_do_not_conflict) {
  CHECK_CONFLICTS(Matrices{}.add(ids({5, 6}), ids({4})).add(ids({5, 6}), ids({0x47, 0xab})), {});
  CHECK_CONFLICTS(Matrices{}.add(ids({5}), ids({4})).add(ids({6}), ids({4})), {});  // and the reverse
  CHECK_CONFLICTS(Matrices{}.add(all_ones(), id_range(0, 127)).add(all_ones(), id_range(128, 255)), {});
}

TEST_CASE(a_pair_sharing_one_apqn) {
  CHECK_CONFLICTS(Matrices{}.add(ids({5}), ids({4, 0xab})).add(ids({5, 6}), ids({0xab})), {{0, 1, apqn(5, 0xab)}});
  // An unrelated matrix between them does not change the indices reported.
  CHECK_CONFLICTS(Matrices{}.add(ids({5}), ids({4})).add(ids({9}), ids({9})).add(ids({5}), ids({4})),
                  {{0, 2, apqn(5, 4)}});
}

TEST_CASE(a_pair_sharing_several_apqns_in_order) {
  CHECK_CONFLICTS(Matrices{}.add(ids({5, 6}), ids({4, 0xab})).add(ids({5, 6, 7}), ids({4, 0xab, 0xff})),
                  {{0, 1, apqn(5, 4)}, {0, 1, apqn(5, 0xab)}, {0, 1, apqn(6, 4)}, {0, 1, apqn(6, 0xab)}});
}

TEST_CASE(triples_report_every_pair) {
  Matrices m;
  m.add(ids({5}), ids({4})).add(ids({5}), ids({4})).add(ids({5}), ids({4}));
  CHECK_CONFLICTS(m, {{0, 1, apqn(5, 4)}, {0, 2, apqn(5, 4)}, {1, 2, apqn(5, 4)}});
  // Three matrices sharing different APQNs pairwise.
  Matrices n;
  n.add(ids({1, 2}), ids({1}))   // 01.0001 02.0001
      .add(ids({2, 3}), ids({1}))   // 02.0001 03.0001
      .add(ids({1, 3}), ids({1}));  // 01.0001 03.0001
  CHECK_CONFLICTS(n, {{0, 1, apqn(2, 1)}, {0, 2, apqn(1, 1)}, {1, 2, apqn(3, 1)}});
}

TEST_CASE(extreme_ids_encode_as_adapter_shift_8_or_domain) {
  CHECK_CONFLICTS(Matrices{}.add(ids({255}), ids({255})).add(ids({255}), ids({255})), {{0, 1, 0xffffu}});
  CHECK_CONFLICTS(Matrices{}.add(ids({0}), ids({0})).add(ids({0}), ids({0})), {{0, 1, 0u}});
  CHECK_CONFLICTS(Matrices{}.add(ids({0}), ids({255})).add(ids({0, 255}), ids({255})), {{0, 1, 0x00ffu}});
}

TEST_CASE(full_matrices_share_all_65536_apqns) {
  Matrices m;
  m.add(all_ones(), all_ones()).add(all_ones(), all_ones());
  std::vector<Triple> got = find(m);
  CHECK_EQ(got.size(), size_t{65536});
  bool ordered = true;
  for (size_t k = 0; k < got.size(); ++k) ordered = ordered && got[k] == Triple(0, 1, static_cast<uint32_t>(k));
  CHECK(ordered);
}

TEST_CASE(results_are_appended) {
  Conflicts out{{7, 8, 9}};
  Matrices m;
  m.add(ids({5}), ids({4})).add(ids({5}), ids({4}));
  zmdev::find_shared_apqns(m.bytes.data(), m.count(), out);
  CHECK_EQ(out.size(), size_t{2});
  CHECK(out[0].a == 7 && out[0].b == 8 && out[0].apqn == 9);
  CHECK(out[1].a == 0 && out[1].b == 1 && out[1].apqn == apqn(5, 4));
  Matrices none;
  none.add(ids({5}), ids({4}));
  zmdev::find_shared_apqns(none.bytes.data(), none.count(), out);
  CHECK_EQ(out.size(), size_t{2});
}

TEST_CASE(agrees_with_a_pairwise_check_on_random_small_inputs) {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&state]() -> unsigned {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<unsigned>(state >> 32);
  };
  for (int round = 0; round < 300; ++round) {
    Matrices m;
    size_t n = next() % 7;
    for (size_t i = 0; i < n; ++i) {
      // IDs drawn from a small range so that overlaps are common.
      Mask apm{}, aqm{};
      unsigned span = 1 + next() % 12, base = (next() % 2) ? 0 : 240;
      for (int k = static_cast<int>(next() % 4); k > 0; --k) zmdev::mask_set(apm.data(), base + next() % span);
      for (int k = static_cast<int>(next() % 4); k > 0; --k) zmdev::mask_set(aqm.data(), base + next() % span);
      m.add(apm, aqm);
    }
    CHECK_CONFLICTS(m, naive(m));
  }
}

// ---- limits: the first `limit` entries of the same order, and the total ----------------------

namespace {

struct Limited {
  uint64_t total;
  std::vector<Triple> got;
};

Limited find_limited(const Matrices& m, uint64_t limit) {
  Conflicts out;
  Limited r{zmdev::find_shared_apqns(m.bytes.data(), m.count(), out, limit), {}};
  for (const auto& c : out) r.got.emplace_back(c.a, c.b, c.apqn);
  return r;
}

std::vector<Triple> prefix(const std::vector<Triple>& v, uint64_t n) {
  return std::vector<Triple>(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min<uint64_t>(n, v.size())));
}

}  // namespace

TEST_CASE(limit_gives_the_first_entries_and_the_total) {
  Matrices m;
  m.add(ids({1, 2}), ids({3, 4})).add(ids({9}), ids({9})).add(ids({2}), ids({4})).add(ids({1, 2}), ids({3}));
  const std::vector<Triple> all = naive(m);
  CHECK_EQ(all.size(), size_t{3});  // 0-2: 02.0004; 0-3: 01.0003 02.0003
  for (uint64_t limit = 0; limit <= all.size() + 2; ++limit) {
    Limited r = find_limited(m, limit);
    CHECK_EQ(r.total, uint64_t{3});
    if (r.got != prefix(all, limit)) check::fail(__FILE__, __LINE__, "limit " + std::to_string(limit) + ": got " + show(r.got));
  }
  CHECK_EQ(find_limited(Matrices{}, 0).total, uint64_t{0});
  CHECK_EQ(find_limited(Matrices{}.add(ids({1}), ids({1})).add(ids({2}), ids({2})), 0).total, uint64_t{0});
}

// The 12.8 KB input that used to ask for gigabytes: 200 matrices of every APQN.
TEST_CASE(saturated_matrices_stay_bounded) {
  Matrices m;
  for (int i = 0; i < 200; ++i) m.add(all_ones(), all_ones());
  Limited r = find_limited(m, 100000);
  CHECK_EQ(r.total, uint64_t{19900} * 65536);
  CHECK_EQ(r.got.size(), size_t{100000});
  bool ordered = true;
  for (size_t k = 0; k < r.got.size(); ++k)
    ordered = ordered && r.got[k] == Triple(0, static_cast<uint32_t>(1 + k / 65536), static_cast<uint32_t>(k % 65536));
  CHECK(ordered);
  CHECK(r.got[65536] == Triple(0, 2, 0));
  Limited none = find_limited(m, 0);
  CHECK_EQ(none.total, uint64_t{19900} * 65536);
  CHECK(none.got.empty());
}

TEST_CASE(limit_skips_matrices_that_share_nothing) {
  Matrices m;
  m.add(ids({1}), ids({1}))           // 0: shares with 3 and 5
      .add(ids({7}), ids({7}))       // 1: alone
      .add(ids({1}), ids({2}))       // 2: shares with 5 (01.0002)
      .add(ids({1}), ids({1}))       // 3
      .add(Mask{}, all_ones())       // 4: no adapters
      .add(ids({1}), ids({1, 2}));   // 5
  const std::vector<Triple> all = naive(m);
  CHECK_EQ(all.size(), size_t{4});
  for (uint64_t limit = 0; limit < all.size(); ++limit) {
    Limited r = find_limited(m, limit);
    CHECK_EQ(r.total, uint64_t{4});
    if (r.got != prefix(all, limit)) check::fail(__FILE__, __LINE__, "limit " + std::to_string(limit) + ": got " + show(r.got));
  }
}

TEST_CASE(limit_agrees_with_the_pairwise_prefix_on_random_inputs) {
  uint64_t state = 0x2545f4914f6cdd1dull;
  auto next = [&state]() -> unsigned {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<unsigned>(state >> 32);
  };
  for (int round = 0; round < 300; ++round) {
    Matrices m;
    size_t n = next() % 9;
    for (size_t i = 0; i < n; ++i) {
      Mask apm{}, aqm{};
      unsigned span = 1 + next() % 6, base = (next() % 2) ? 0 : 250;
      for (int k = static_cast<int>(next() % 4); k > 0; --k) zmdev::mask_set(apm.data(), base + next() % span);
      for (int k = static_cast<int>(next() % 4); k > 0; --k) zmdev::mask_set(aqm.data(), base + next() % span);
      m.add(apm, aqm);
    }
    const std::vector<Triple> all = naive(m);
    uint64_t limit = next() % (all.size() + 2);
    Limited r = find_limited(m, limit);
    CHECK_EQ(r.total, static_cast<uint64_t>(all.size()));
    if (r.got != prefix(all, limit))
      check::fail(__FILE__, __LINE__, "round " + std::to_string(round) + " limit " + std::to_string(limit) + ": got " +
                                          show(r.got) + " want " + show(prefix(all, limit)));
  }
}

TEST_MAIN()
