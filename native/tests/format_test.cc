// The kernel's read format for a mask (docs/kernel.md §0, §1.1: "0x" + 64 lowercase hex digits)
// and the inverted bit numbering of the mask helpers (ID 0 = most significant bit of byte 0).
#include <string>

#include "check.h"

using check::all_ones;
using check::hex;
using check::id_range;
using check::ids;
using check::Mask;

TEST_CASE(format_is_0x_and_64_lowercase_digits) {
  CHECK_EQ(hex(Mask{}), "0x" + std::string(64, '0'));
  CHECK_EQ(hex(all_ones()), "0x" + std::string(64, 'f'));
  CHECK_EQ(hex(ids({1, 7})), "0x41" + std::string(62, '0'));
  CHECK_EQ(hex(ids({0})), "0x8" + std::string(63, '0'));
  CHECK_EQ(hex(ids({255})), "0x" + std::string(63, '0') + "1");
  CHECK_EQ(hex(id_range(0, 15)), "0xffff" + std::string(60, '0'));
  Mask m{};
  for (size_t k = 0; k < m.size(); ++k) m[k] = static_cast<uint8_t>(0xa0 + (k & 15));
  std::string text = hex(m);
  CHECK_EQ(text.size(), size_t{66});
  for (size_t k = 2; k < text.size(); ++k) CHECK(std::string("0123456789abcdef").find(text[k]) != std::string::npos);
  CHECK_EQ(text.substr(0, 10), "0xa0a1a2a3");
}

TEST_CASE(format_writes_exactly_66_bytes) {
  char buf[70];
  std::memset(buf, '#', sizeof buf);
  Mask m = ids({3});
  zmdev::format_mask(m.data(), buf);
  CHECK_EQ(std::string(buf, 66), "0x1" + std::string(63, '0'));
  for (size_t k = 66; k < sizeof buf; ++k) CHECK_EQ(buf[k], '#');
}

TEST_CASE(inverted_bit_numbering) {
  Mask m{};
  zmdev::mask_set(m.data(), 0);
  CHECK_EQ(m[0], 0x80);
  zmdev::mask_set(m.data(), 7);
  CHECK_EQ(m[0], 0x81);
  zmdev::mask_set(m.data(), 8);
  CHECK_EQ(m[1], 0x80);
  zmdev::mask_set(m.data(), 255);
  CHECK_EQ(m[31], 0x01);
  CHECK(zmdev::mask_test(m.data(), 0) && zmdev::mask_test(m.data(), 7) && zmdev::mask_test(m.data(), 255));
  CHECK(!zmdev::mask_test(m.data(), 1));
  zmdev::mask_clear(m.data(), 0);
  CHECK_EQ(m[0], 0x01);
  CHECK(!zmdev::mask_test(m.data(), 0));
}

TEST_CASE(popcount) {
  CHECK_EQ(zmdev::mask_popcount(Mask{}.data()), 0u);
  CHECK_EQ(zmdev::mask_popcount(all_ones().data()), 256u);
  CHECK_EQ(zmdev::mask_popcount(ids({0, 63, 64, 127, 128, 255}).data()), 6u);
  CHECK_EQ(zmdev::mask_popcount(id_range(10, 200).data()), 191u);
}

TEST_MAIN()
