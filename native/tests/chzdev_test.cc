// chzdev --type ap apmask=/aqmask= lists: docs/kernel.md §11.1, the examples of chzdev.8 and
// the seed procedure (freeing adapters 0, 10 and domains 1, 2, 4). A set bit = kept by the host.
#include <string>

#include "check.h"

using check::all_ones;
using check::chzdev;
using check::id_range;
using check::ids;
using check::Mask;
using check::without;

namespace {

const Mask kZero{};
const Mask kAll = all_ones();
const Mask kSome = ids({1, 2, 3, 4, 5, 7});

Mask union_of(Mask a, const Mask& b) {
  for (size_t k = 0; k < a.size(); ++k) a[k] |= b[k];
  return a;
}

}  // namespace

TEST_CASE(absolute_lists_name_the_host_ids) {
  CHECK_MASK(chzdev("3,5-10,0x25", kAll), union_of(ids({3, 0x25}), id_range(5, 10)));
  CHECK_MASK(chzdev("3,5-10,0x25", kZero), union_of(ids({3, 0x25}), id_range(5, 10)));
  CHECK_MASK(chzdev("0", kAll), ids({0}));
  CHECK_MASK(chzdev("255", kZero), ids({255}));
  CHECK_MASK(chzdev("0-255", kZero), kAll);
  CHECK_MASK(chzdev("7,3", kZero), ids({3, 7}));  // order does not matter
  CHECK_MASK(chzdev("3,3,3-4", kZero), ids({3, 4}));
}

TEST_CASE(relative_lists_change_the_current_mask) {
  CHECK_MASK(chzdev("+0-4,-0xf0", kZero), id_range(0, 4));
  CHECK_MASK(chzdev("+0-4,-0xf0", kAll), without(kAll, {0xf0}));
  CHECK_MASK(chzdev("+9", kSome), ids({1, 2, 3, 4, 5, 7, 9}));
  CHECK_MASK(chzdev("-1-3", kSome), ids({4, 5, 7}));
  CHECK_MASK(chzdev("+5,-5", kZero), kZero);  // left to right: the last change wins
  CHECK_MASK(chzdev("-5,+5", kZero), ids({5}));
}

TEST_CASE(seed_procedure_forms_agree) {
  // Free adapters 0 and 10, domains 1, 2 and 4 — four spellings of the same change.
  const Mask ap = without(kAll, {0, 10});
  const Mask aq = without(kAll, {1, 2, 4});
  CHECK_MASK(chzdev("-0x0,-0xa", kAll), ap);
  CHECK_MASK(chzdev("-0,-10", kAll), ap);
  CHECK_MASK(chzdev("1-9,11-255", kAll), ap);
  CHECK_MASK(chzdev("1-9,11-255", kZero), ap);  // absolute: the current mask does not matter
  CHECK_MASK(chzdev("-0x0001,-0x0002,-0x0004", kAll), aq);
  CHECK_MASK(chzdev("-1,-2,-4", kAll), aq);
  CHECK_MASK(chzdev("-1-2,-4", kAll), aq);
  CHECK_MASK(chzdev("0,3,5-255", kAll), aq);
  CHECK_MASK(chzdev("0,3,5-255", kSome), aq);
}

TEST_CASE(man_page_examples) {
  CHECK_MASK(chzdev("-1,-20-22", kAll), without(kAll, {1, 20, 21, 22}));
  CHECK_MASK(chzdev("+5,+8-10", kZero), ids({5, 8, 9, 10}));
  CHECK_MASK(chzdev("0-120,129-255", kZero), union_of(id_range(0, 120), id_range(129, 255)));
  CHECK_MASK(chzdev("0-200,220-255", kZero), union_of(id_range(0, 200), id_range(220, 255)));
}

TEST_CASE(numbers_are_strtoul_base_0) {
  CHECK_MASK(chzdev("010", kZero), ids({8}));     // leading 0: octal
  CHECK_MASK(chzdev("0x10", kZero), ids({16}));
  CHECK_MASK(chzdev("0X1f", kZero), ids({31}));
  CHECK_MASK(chzdev("0377", kZero), ids({255}));
  CHECK_MASK(chzdev("+010-012", kZero), id_range(8, 10));
  CHECK_MASK(chzdev("0x0-0xff", kZero), kAll);
  CHECK_REFUSED(chzdev("08", kZero), EINVAL, 1);   // "0" is read, "8" is left over
  CHECK_REFUSED(chzdev("1x", kZero), EINVAL, 1);
  CHECK_REFUSED(chzdev("0x", kZero), EINVAL, 1);
  CHECK_REFUSED(chzdev("0xg", kZero), EINVAL, 1);
}

TEST_CASE(ids_must_be_0_to_255) {
  CHECK_REFUSED(chzdev("256", kZero), EINVAL, 0);
  CHECK_REFUSED(chzdev("0-256", kZero), EINVAL, 2);
  CHECK_REFUSED(chzdev("1,300", kZero), EINVAL, 2);
  CHECK_REFUSED(chzdev("+0x100", kZero), EINVAL, 1);
  CHECK_REFUSED(chzdev("-1-0400", kAll), EINVAL, 3);
  CHECK_REFUSED(chzdev("99999999999999999999999", kZero), EINVAL, 0);  // strtoul saturates
}

TEST_CASE(mixing_absolute_and_relative_is_refused) {
  CHECK_REFUSED(chzdev("1,+2", kZero), EINVAL, 2);
  CHECK_REFUSED(chzdev("+1,2", kZero), EINVAL, 3);
  CHECK_REFUSED(chzdev("-1,2-3", kAll), EINVAL, 3);
  CHECK_REFUSED(chzdev("0-9,-5", kAll), EINVAL, 4);
  CHECK_REFUSED(chzdev(",+1", kZero), EINVAL, 1);  // the first character chooses the mode
}

TEST_CASE(reversed_ranges_are_refused) {
  // zdev compares pointers and silently accepts "10-3" setting nothing (docs/kernel.md §11.1); the core
  // refuses it instead, at the range end.
  CHECK_REFUSED(chzdev("10-3", kZero), EINVAL, 3);
  CHECK_REFUSED(chzdev("+10-3", kZero), EINVAL, 4);
  CHECK_REFUSED(chzdev("-0xa-0x3", kAll), EINVAL, 5);
  CHECK_MASK(chzdev("3-3", kZero), ids({3}));
}

TEST_CASE(malformed_entries_are_refused) {
  CHECK_REFUSED(chzdev("", kAll), EINVAL, 0);
  CHECK_REFUSED(chzdev(",", kAll), EINVAL, 0);
  CHECK_REFUSED(chzdev(",,,", kAll), EINVAL, 0);
  CHECK_REFUSED(chzdev("+", kAll), EINVAL, 1);
  CHECK_REFUSED(chzdev("-", kAll), EINVAL, 1);
  CHECK_REFUSED(chzdev("+1,-", kAll), EINVAL, 4);
  CHECK_REFUSED(chzdev("1-", kAll), EINVAL, 2);
  CHECK_REFUSED(chzdev("-5-", kAll), EINVAL, 3);
  CHECK_REFUSED(chzdev("1-2-3", kAll), EINVAL, 3);
  CHECK_REFUSED(chzdev("--5", kAll), EINVAL, 1);  // zdev would read the empty start as 0
  CHECK_REFUSED(chzdev("+-5", kAll), EINVAL, 1);
  CHECK_REFUSED(chzdev("1;2", kAll), EINVAL, 1);
}

TEST_CASE(empty_entries_vanish) {
  CHECK_MASK(chzdev("1,,2", kZero), ids({1, 2}));
  CHECK_MASK(chzdev("1,", kZero), ids({1}));
  CHECK_MASK(chzdev(",1", kAll), ids({1}));
  CHECK_MASK(chzdev("+1,,-2,", kAll), without(kAll, {2}));
}

TEST_CASE(a_refused_list_changes_nothing_even_when_out_is_current) {
  Mask m = kSome;
  const std::string bad = "+0-255,-1,+300";
  zmdev::ParseStatus st = zmdev::parse_chzdev_mask(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), m.data(), m.data());
  CHECK_EQ(st.err, EINVAL);
  CHECK(m == kSome);
  const std::string good = "+0-255,-1";
  st = zmdev::parse_chzdev_mask(reinterpret_cast<const uint8_t*>(good.data()), good.size(), m.data(), m.data());
  CHECK_EQ(st.err, 0);
  CHECK(m == without(kAll, {1}));
}

TEST_MAIN()
