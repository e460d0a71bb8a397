// /sys/bus/ap/apmask and aqmask writes: docs/kernel.md §0 (bit numbering) and §1.2 (grammar),
// worked examples from §9.1. Every refusal is checked for its errno, its byte position and for
// leaving the output untouched (the kernel parses into a scratch copy).
#include <string>

#include "check.h"

using namespace std::string_literals;
using check::all_ones;
using check::from_hex;
using check::id_range;
using check::ids;
using check::kernel;
using check::Mask;
using check::without;

namespace {

const Mask kZero{};
const Mask kAll = all_ones();
const Mask kSome = ids({1, 2, 3, 4, 5, 7});  // kernel.md §9.1 #17, 0x7d00…

std::string ff(size_t n) { return std::string(n, 'f'); }

}  // namespace

// ---- absolute mode: hex2bitmap ----------------------------------------------------------------

TEST_CASE(absolute_prefixed_hex_sets_ids_from_the_left) {
  CHECK_MASK(kernel("0x41", kAll), ids({1, 7}));   // kernel.md §9.1 #1
  CHECK_MASK(kernel("0x8", kAll), ids({0}));
  CHECK_MASK(kernel("0x41\n", kZero), ids({1, 7}));  // echo adds one newline
  CHECK_EQ(check::hex(kernel("0x41", kAll).out), "0x41" + std::string(62, '0'));
}

TEST_CASE(absolute_without_prefix_is_still_hex) {
  CHECK_MASK(kernel("41", kAll), ids({1, 7}));  // kernel.md §9.1 #3
  CHECK_MASK(kernel("255", kZero), ids({2, 5, 7, 9, 11}));  // not decimal 255
  CHECK_MASK(kernel("x41", kZero), ids({1, 7}));  // a lone leading x is skipped too
  CHECK_MASK(kernel("8000000000000000000000000000000000000000000000000000000000000001", kZero), ids({0, 255}));
}

TEST_CASE(absolute_hex_digits_in_either_case) {
  CHECK_MASK(kernel("0xABCDEF", kZero), from_hex("abcdef"));
  CHECK_MASK(kernel("0xaBcD", kZero), from_hex("abcd"));
}

TEST_CASE(absolute_uppercase_0X_is_refused) {
  CHECK_REFUSED(kernel("0X41", kAll), EINVAL, 1);  // kernel.md §9.1 #5: the 0 is a digit, X stops the scan
  CHECK_REFUSED(kernel("0X", kAll), EINVAL, 1);
  CHECK_REFUSED(kernel("X41", kAll), EINVAL, 0);
}

TEST_CASE(absolute_empty_digit_strings_clear_everything) {
  // kernel.md §1.2 abs 4 and §9.1 #13: 0x, x, 0 and a bare newline all mean all zeros.
  for (const char* in : {"0x", "x", "0", "\n", "0x\n", "x\n", "0\n", "00000"}) {
    CHECK_MASK(kernel(in, kAll), kZero);
  }
  // Zero bytes never reach the driver (kernel.md §0); the parser, called anyway, reads an empty digit string.
  CHECK_MASK(kernel("", kAll), kZero);
}

TEST_CASE(absolute_starts_from_zero_whatever_the_current_mask) {
  CHECK_MASK(kernel("0x8", kAll), ids({0}));
  CHECK_MASK(kernel("0x8", kSome), ids({0}));
}

TEST_CASE(absolute_64_digits_fill_the_mask_and_65_are_refused) {
  CHECK_MASK(kernel("0x" + ff(64), kZero), kAll);
  CHECK_MASK(kernel("0x" + ff(64) + "\n", kZero), kAll);
  CHECK_MASK(kernel(ff(64), kZero), kAll);
  CHECK_REFUSED(kernel("0x" + ff(65), kZero), EINVAL, 66);  // the 65th digit
  CHECK_REFUSED(kernel(ff(65), kZero), EINVAL, 64);
  CHECK_REFUSED(kernel("0x" + ff(64) + "0\n", kZero), EINVAL, 66);  // even a zero digit
}

TEST_CASE(absolute_trailing_junk_is_refused) {
  CHECK_REFUSED(kernel("0x41 ", kZero), EINVAL, 4);     // trailing space
  CHECK_REFUSED(kernel("0x41\n\n", kZero), EINVAL, 5);  // two newlines
  CHECK_REFUSED(kernel("0x41\t", kZero), EINVAL, 4);
  CHECK_REFUSED(kernel("0x41\r\n", kZero), EINVAL, 4);
  CHECK_REFUSED(kernel("0x4g", kZero), EINVAL, 3);      // not a hex digit
  CHECK_REFUSED(kernel("0x41\nx", kZero), EINVAL, 5);   // nothing may follow the newline
  CHECK_REFUSED(kernel("\n\n", kZero), EINVAL, 1);
  CHECK_REFUSED(kernel(" 0x41", kZero), EINVAL, 0);     // leading space
  CHECK_REFUSED(kernel("0xx41", kZero), EINVAL, 2);     // 0x then x are skipped once each
  CHECK_REFUSED(kernel("0x0x41", kZero), EINVAL, 3);
  CHECK_REFUSED(kernel("0x41,0x42", kZero), EINVAL, 4);
  CHECK_REFUSED(kernel("1,2", kZero), EINVAL, 1);       // absolute mode is not a list
}

TEST_CASE(absolute_cannot_be_followed_by_relative_terms) {
  CHECK_REFUSED(kernel("0x41+5", kZero), EINVAL, 4);
  CHECK_REFUSED(kernel("5,+6", kZero), EINVAL, 1);
}

TEST_CASE(a_nul_byte_ends_the_input) {
  // The driver sees a C string: what follows a NUL is not read.
  CHECK_MASK(kernel("0x41\0garbage"s, kZero), ids({1, 7}));
  CHECK_MASK(kernel("+1\0+2"s, kZero), ids({1}));
  CHECK_MASK(kernel("\0+1"s, kAll), kZero);  // empty C string: absolute, all zeros
}

TEST_CASE(formatted_masks_parse_back) {
  for (const Mask& m : {kZero, kAll, kSome, ids({0}), ids({255}), id_range(17, 201), from_hex("0123456789abcdef")}) {
    std::string text = check::hex(m);
    CHECK_MASK(kernel(text, check::sentinel()), m);
    CHECK_MASK(kernel(text + "\n", kAll), m);  // the read format is followed by a newline
  }
}

// ---- relative mode: modify_bitmap ------------------------------------------------------------

TEST_CASE(relative_examples_from_the_reference) {
  CHECK_EQ(check::hex(kernel("-5,-6", kAll).out), "0xf9" + ff(62));  // kernel.md §9.1 #15
  CHECK_EQ(check::hex(kernel("-4,-0x47,-0xab,-0xff", kAll).out),   // kernel.md §9.1 #16
           "0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe");
  CHECK_EQ(check::hex(kSome), "0x7d" + std::string(62, '0'));
  CHECK_EQ(check::hex(kernel("+0,-6,+0x47,-0xf0", kSome).out),     // kernel.md §9.1 #17
           "0xfd00000000000000010000000000000000000000000000000000000000000000");
  CHECK_MASK(kernel("+0-15", kZero), id_range(0, 15));               // kernel.md §9.1 #22
  CHECK_EQ(check::hex(kernel("+0-15", kZero).out), "0xffff" + std::string(60, '0'));
}

TEST_CASE(relative_plus_0_dash_6_is_a_range) {
  CHECK_MASK(kernel("+0-6", kSome), id_range(0, 7));  // kernel.md §9.1 #24: not "+0 then -6"
  CHECK_EQ(check::hex(kernel("+0-6", kSome).out), "0xff" + std::string(62, '0'));
  CHECK_MASK(kernel("-0-6", kAll), without(kAll, {0, 1, 2, 3, 4, 5, 6}));
}

TEST_CASE(relative_starts_from_the_current_mask) {
  CHECK_MASK(kernel("+9", kSome), ids({1, 2, 3, 4, 5, 7, 9}));
  CHECK_MASK(kernel("-3", kSome), ids({1, 2, 4, 5, 7}));
  CHECK_MASK(kernel("-200", kZero), kZero);  // clearing a clear bit
  CHECK_MASK(kernel("+255", kZero), ids({255}));
  CHECK_MASK(kernel("+0-255", kZero), kAll);
  CHECK_MASK(kernel("-0-255", kAll), kZero);
}

TEST_CASE(relative_numbers_are_decimal_hex_or_octal) {
  CHECK_MASK(kernel("+010", kZero), ids({8}));    // leading 0: octal
  CHECK_MASK(kernel("+0x10", kZero), ids({16}));
  CHECK_MASK(kernel("+0X10", kZero), ids({16}));  // uppercase X is fine in relative mode
  CHECK_MASK(kernel("+0x1F", kZero), ids({31}));
  CHECK_MASK(kernel("+0377", kZero), ids({255}));
  CHECK_MASK(kernel("+00", kZero), ids({0}));
  CHECK_MASK(kernel("+0", kZero), ids({0}));
  CHECK_MASK(kernel("+0x0-0x3", kZero), id_range(0, 3));
  CHECK_MASK(kernel("+010-012", kZero), id_range(8, 10));
}

TEST_CASE(relative_octal_with_8_or_9_is_refused) {
  CHECK_REFUSED(kernel("+08", kZero), EINVAL, 2);   // "+0" reads, then "8" is no term
  CHECK_REFUSED(kernel("+09", kSome), EINVAL, 2);
  CHECK_REFUSED(kernel("+0-08", kZero), EINVAL, 4);  // range 0-0, then "8" is no term
  CHECK_REFUSED(kernel("+1-08", kZero), EINVAL, 3);  // range 1-0: end below start
}

TEST_CASE(relative_0x_without_a_hex_digit_reads_as_octal_zero) {
  // "0x" is a hex prefix only when a hex digit follows; otherwise 0 is read and x is left over.
  CHECK_REFUSED(kernel("+0x", kZero), EINVAL, 2);
  CHECK_REFUSED(kernel("+0xg", kZero), EINVAL, 2);
}

TEST_CASE(relative_separators) {
  const Mask one_two = ids({1, 2});
  CHECK_MASK(kernel("+1,+2", kZero), one_two);
  CHECK_MASK(kernel("+1,,+2", kZero), one_two);
  CHECK_MASK(kernel("+1\n+2", kZero), one_two);
  CHECK_MASK(kernel("+1+2", kZero), one_two);  // no separator is needed
  CHECK_MASK(kernel("+1,\n,\n+2", kZero), one_two);
  CHECK_MASK(kernel("+1,+2,\n", kZero), one_two);  // trailing ",\n"
  CHECK_MASK(kernel("+1,+2\n", kZero), one_two);
  CHECK_MASK(kernel("+1,+2\n\n\n", kZero), one_two);  // any run, unlike absolute mode
  CHECK_MASK(kernel("+1-2-3", kAll), without(kAll, {3}));  // range 1-2, then the term -3
  CHECK_MASK(kernel("+1-2-3", kZero), one_two);
}

TEST_CASE(relative_white_space_is_refused_anywhere) {
  CHECK_REFUSED(kernel("+1 ", kZero), EINVAL, 2);
  CHECK_REFUSED(kernel("+ 1", kZero), EINVAL, 1);
  CHECK_REFUSED(kernel("+1, +2", kZero), EINVAL, 3);
  CHECK_REFUSED(kernel("+1 -2", kZero), EINVAL, 2);
  CHECK_REFUSED(kernel("+1\t", kZero), EINVAL, 2);
  CHECK_REFUSED(kernel("+1\r\n", kZero), EINVAL, 2);
}

TEST_CASE(relative_terms_need_a_sign_and_a_number) {
  CHECK_REFUSED(kernel("+", kZero), EINVAL, 1);
  CHECK_REFUSED(kernel("-", kAll), EINVAL, 1);
  CHECK_REFUSED(kernel("+\n", kZero), EINVAL, 1);
  CHECK_REFUSED(kernel("+,", kZero), EINVAL, 1);
  CHECK_REFUSED(kernel("++1", kZero), EINVAL, 1);
  CHECK_REFUSED(kernel("+-1", kZero), EINVAL, 1);
  CHECK_REFUSED(kernel("+x1", kZero), EINVAL, 1);
  CHECK_REFUSED(kernel("+1,,x", kZero), EINVAL, 4);
  CHECK_REFUSED(kernel("+1,5", kZero), EINVAL, 3);     // no mixing: a bare token after a term
  CHECK_REFUSED(kernel("-5,0x41", kAll), EINVAL, 3);
  CHECK_REFUSED(kernel("+1,+", kZero), EINVAL, 4);
}

TEST_CASE(relative_ranges) {
  CHECK_MASK(kernel("+3-3", kZero), ids({3}));
  CHECK_MASK(kernel("+250-255", kZero), id_range(250, 255));
  CHECK_REFUSED(kernel("+5-3", kZero), EINVAL, 3);     // end below start
  CHECK_REFUSED(kernel("+5-", kZero), EINVAL, 3);      // no end
  CHECK_REFUSED(kernel("+5-,+6", kZero), EINVAL, 3);
  CHECK_REFUSED(kernel("+5-x", kZero), EINVAL, 3);
  CHECK_REFUSED(kernel("+0-256", kZero), EINVAL, 3);   // end above 255
  CHECK_REFUSED(kernel("+0-0x100", kZero), EINVAL, 3);
}

TEST_CASE(relative_ids_above_255_are_refused) {
  CHECK_REFUSED(kernel("+256", kZero), EINVAL, 1);
  CHECK_REFUSED(kernel("-0x100", kAll), EINVAL, 1);
  CHECK_REFUSED(kernel("+1,+0400", kZero), EINVAL, 4);
  // The kernel comment's own example fails: 0x128 is 296 (kernel.md §1.2 rel 3, §9.1 #30).
  CHECK_REFUSED(kernel("-0-255,+1-16,+0x128", kAll), EINVAL, 14);
  CHECK_REFUSED(kernel("-0-255,+1-16,+0x128", kZero), EINVAL, 14);
  // Without the bad term it means "exactly IDs 1..16".
  CHECK_MASK(kernel("-0-255,+1-16", kAll), id_range(1, 16));
  CHECK_MASK(kernel("-0-255,+1-16,+0x12", kAll), ids({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18}));
}

TEST_CASE(relative_numbers_wrap_modulo_2_to_the_64) {
  // kernel.md §1.2 rel 6 [derived]: no overflow check, the value wraps.
  CHECK_MASK(kernel("+18446744073709551616", kZero), ids({0}));   // 2^64
  CHECK_MASK(kernel("+18446744073709551617", kZero), ids({1}));
  CHECK_MASK(kernel("+18446744073709551871", kZero), ids({255}));  // 2^64 + 255
  CHECK_MASK(kernel("+0x10000000000000005", kZero), ids({5}));
  CHECK_MASK(kernel("+0-18446744073709551618", kZero), id_range(0, 2));
  CHECK_REFUSED(kernel("+18446744073709551615", kZero), EINVAL, 1);  // 2^64 - 1 does not wrap
  CHECK_REFUSED(kernel("+18446744073709551872", kZero), EINVAL, 1);  // 2^64 + 256
}

TEST_CASE(relative_last_operation_on_a_bit_wins) {
  CHECK_MASK(kernel("+5,-5", kZero), kZero);
  CHECK_MASK(kernel("-5,+5", kZero), ids({5}));
  CHECK_MASK(kernel("-0-255,+7", kAll), ids({7}));
  CHECK_MASK(kernel("+0-255,-7", kZero), without(kAll, {7}));
}

TEST_CASE(a_refused_write_changes_nothing_even_when_out_is_current) {
  Mask m = kSome;
  const std::string bad = "+0-255,-1,+300";
  zmdev::ParseStatus st = zmdev::parse_kernel_mask(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), m.data(), m.data());
  CHECK_EQ(st.err, EINVAL);
  CHECK(m == kSome);
  const std::string good = "+0-255,-1";
  st = zmdev::parse_kernel_mask(reinterpret_cast<const uint8_t*>(good.data()), good.size(), m.data(), m.data());
  CHECK_EQ(st.err, 0);
  CHECK(m == without(kAll, {1}));
  const std::string bad_abs = "0x41 ";
  st = zmdev::parse_kernel_mask(reinterpret_cast<const uint8_t*>(bad_abs.data()), bad_abs.size(), m.data(), m.data());
  CHECK_EQ(st.err, EINVAL);
  CHECK(m == without(kAll, {1}));
}

// ---- parse_kernel_hex: the absolute reader on its own ------------------------------------------

TEST_CASE(kernel_hex_agrees_with_absolute_mode) {
  for (const char* in : {"0x41", "41", "x41", "0x", "\n", "0", "0xABCDEF\n", "0X41", "0x41 ", "0x41\n\n", "+1", "-1"}) {
    Mask a = check::sentinel(), b{};
    std::string s(in);
    zmdev::ParseStatus sa = zmdev::parse_kernel_mask(reinterpret_cast<const uint8_t*>(s.data()), s.size(), kAll.data(), a.data());
    zmdev::ParseStatus sb = zmdev::parse_kernel_hex(reinterpret_cast<const uint8_t*>(s.data()), s.size(), b.data());
    if (s[0] == '+' || s[0] == '-') {
      CHECK_EQ(sb.err, EINVAL);  // relative syntax is not hex
      CHECK_EQ(sb.pos, 0u);
      continue;
    }
    CHECK_EQ(sa.err, sb.err);
    CHECK_EQ(sa.pos, sb.pos);
    if (!sa.err) CHECK(a == b);
  }
}

TEST_MAIN()
