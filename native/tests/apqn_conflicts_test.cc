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

TEST_MAIN()
