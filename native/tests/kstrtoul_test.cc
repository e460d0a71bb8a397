// kstrtoul(s, 0), the reader of assign_* / unassign_* / remove: docs/kernel.md §0, §4.1-§4.3.
#include <string>

#include "check.h"

using namespace std::string_literals;

namespace {

constexpr uint64_t kUntouched = 0xdeadbeefcafef00dull;

struct Number {
  zmdev::ParseStatus st;
  uint64_t value;
};

Number parse(const std::string& in) {
  Number n{{}, kUntouched};
  n.st = zmdev::parse_kstrtoul(reinterpret_cast<const uint8_t*>(in.data()), in.size(), &n.value);
  return n;
}

void expect_value(const char* file, int line, const std::string& in, uint64_t want) {
  ++check::checks();
  Number n = parse(in);
  if (n.st.err)
    check::fail(file, line, check::quote(in) + ": refused, errno " + std::to_string(n.st.err) + " at " +
                                std::to_string(n.st.pos) + " (" + n.st.reason + ")");
  else if (n.value != want)
    check::fail(file, line, check::quote(in) + ": got " + std::to_string(n.value) + " want " + std::to_string(want));
}

void expect_refused(const char* file, int line, const std::string& in, int err, size_t pos) {
  ++check::checks();
  Number n = parse(in);
  if (n.st.err != err)
    check::fail(file, line, check::quote(in) + ": errno " + std::to_string(n.st.err) + " want " + std::to_string(err) +
                                (n.st.err ? "" : " (parsed " + std::to_string(n.value) + ")"));
  else if (n.st.pos != pos)
    check::fail(file, line, check::quote(in) + ": refused at " + std::to_string(n.st.pos) + " want " +
                                std::to_string(pos) + " (" + n.st.reason + ")");
  else if (!n.st.reason || !*n.st.reason)
    check::fail(file, line, check::quote(in) + ": refusal without a reason");
  else if (n.value != kUntouched)
    check::fail(file, line, check::quote(in) + ": a refused parse wrote the value");
}

#define EXPECT_VALUE(in, v) expect_value(__FILE__, __LINE__, in, v)
#define EXPECT_REFUSED(in, e, p) expect_refused(__FILE__, __LINE__, in, e, p)

}  // namespace

TEST_CASE(decimal) {
  EXPECT_VALUE("0", 0);
  EXPECT_VALUE("5", 5);
  EXPECT_VALUE("255", 255);
  EXPECT_VALUE("256", 256);  // the range check (ENODEV) is the attribute's, not the parser's
  EXPECT_VALUE("18446744073709551615", UINT64_MAX);
}

TEST_CASE(leading_zero_means_octal) {
  EXPECT_VALUE("010", 8);
  EXPECT_VALUE("00", 0);
  EXPECT_VALUE("0377", 255);
  EXPECT_VALUE("01777777777777777777777", UINT64_MAX);
  EXPECT_REFUSED("08", EINVAL, 1);
  EXPECT_REFUSED("09\n", EINVAL, 1);
  EXPECT_REFUSED("0178", EINVAL, 3);
}

TEST_CASE(hex_prefix_in_either_case) {
  EXPECT_VALUE("0x1f", 31);
  EXPECT_VALUE("0X1f", 31);
  EXPECT_VALUE("0x1F", 31);
  EXPECT_VALUE("0xff\n", 255);
  EXPECT_VALUE("0xffffffffffffffff", UINT64_MAX);
  EXPECT_VALUE("0x0000000000000000000000001", 1);  // leading zeros never overflow
}

TEST_CASE(a_bare_0x_or_0x_without_hex_digit_is_refused) {
  // "0x" is a prefix only when a hex digit follows; otherwise "0" is octal zero and x is junk.
  EXPECT_REFUSED("0x", EINVAL, 1);
  EXPECT_REFUSED("0x\n", EINVAL, 1);
  EXPECT_REFUSED("0xg", EINVAL, 1);
  EXPECT_REFUSED("0x1g", EINVAL, 3);
  EXPECT_REFUSED("x1", EINVAL, 0);
}

TEST_CASE(one_optional_plus_sign) {
  EXPECT_VALUE("+5", 5);
  EXPECT_VALUE("+0x10", 16);
  EXPECT_VALUE("+010", 8);
  EXPECT_REFUSED("++5", EINVAL, 1);
  EXPECT_REFUSED("+", EINVAL, 1);
  EXPECT_REFUSED("+\n", EINVAL, 1);
  EXPECT_REFUSED("+-5", EINVAL, 1);
}

TEST_CASE(minus_is_refused) {
  EXPECT_REFUSED("-5", EINVAL, 0);
  EXPECT_REFUSED("-0", EINVAL, 0);
  EXPECT_REFUSED("5-", EINVAL, 1);
}

TEST_CASE(at_most_one_trailing_newline) {
  EXPECT_VALUE("5\n", 5);
  EXPECT_VALUE("0\n", 0);
  EXPECT_REFUSED("5\n\n", EINVAL, 2);
  EXPECT_REFUSED("5\nx", EINVAL, 2);
  EXPECT_REFUSED("5\r\n", EINVAL, 1);
  EXPECT_REFUSED("\n", EINVAL, 0);
  EXPECT_REFUSED("\n5", EINVAL, 0);
}

TEST_CASE(white_space_and_empty_input_are_refused) {
  EXPECT_REFUSED("", EINVAL, 0);
  EXPECT_REFUSED(" 5", EINVAL, 0);
  EXPECT_REFUSED("5 ", EINVAL, 1);
  EXPECT_REFUSED("5 \n", EINVAL, 1);
  EXPECT_REFUSED("\t5", EINVAL, 0);
  EXPECT_REFUSED("1a", EINVAL, 1);  // decimal has no a
  EXPECT_REFUSED("5,6", EINVAL, 1);
}

TEST_CASE(overflow_is_erange) {
  EXPECT_REFUSED("18446744073709551616", ERANGE, 0);
  EXPECT_REFUSED("99999999999999999999999", ERANGE, 0);
  EXPECT_REFUSED("0x10000000000000000", ERANGE, 0);  // at the start of the number
  EXPECT_REFUSED("02000000000000000000000", ERANGE, 0);
  EXPECT_REFUSED("+18446744073709551616\n", ERANGE, 1);
  // Overflow is reported before any junk that follows the digits.
  EXPECT_REFUSED("18446744073709551616x", ERANGE, 0);
}

TEST_CASE(a_nul_byte_ends_the_input) {
  EXPECT_VALUE("5\0junk"s, 5);
  EXPECT_VALUE("5\n\0\n"s, 5);
  EXPECT_REFUSED("\0"s "5", EINVAL, 0);
}

TEST_MAIN()
