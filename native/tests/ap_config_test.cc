// The mdev ap_config write: docs/kernel.md §4.6 (parsing), §4.4 (the 201-byte read format it
// mirrors) and §1.2 absolute rules for each token.
#include <string>

#include "check.h"

using namespace std::string_literals;
using check::all_ones;
using check::from_hex;
using check::hex;
using check::ids;
using check::Mask;
using check::sentinel;

namespace {

const Mask kZero{};

struct Config {
  zmdev::ParseStatus st;
  Mask apm, aqm, adm;
};

Config parse(const std::string& in) {
  Config c{{}, sentinel(), sentinel(), sentinel()};
  c.st = zmdev::parse_ap_config(reinterpret_cast<const uint8_t*>(in.data()), in.size(), c.apm.data(), c.aqm.data(),
                                c.adm.data());
  return c;
}

// The attribute's read format: three 66-character masks, ',' between them, '\n' at the end.
std::string canonical(const Mask& a, const Mask& q, const Mask& d) { return hex(a) + "," + hex(q) + "," + hex(d) + "\n"; }

void expect_ok(const char* file, int line, const std::string& in, const Mask& a, const Mask& q, const Mask& d) {
  ++check::checks();
  Config c = parse(in);
  if (c.st.err) {
    check::fail(file, line, check::quote(in) + ": refused, errno " + std::to_string(c.st.err) + " at " +
                                std::to_string(c.st.pos) + " (" + c.st.reason + ")");
  } else if (c.apm != a || c.aqm != q || c.adm != d) {
    check::fail(file, line, check::quote(in) + ": got " + hex(c.apm) + "," + hex(c.aqm) + "," + hex(c.adm));
  }
}

void expect_refused(const char* file, int line, const std::string& in, size_t pos) {
  ++check::checks();
  Config c = parse(in);
  if (c.st.err != EINVAL) {
    check::fail(file, line, check::quote(in) + ": errno " + std::to_string(c.st.err) + ", want EINVAL");
  } else if (c.st.pos != pos) {
    check::fail(file, line, check::quote(in) + ": refused at " + std::to_string(c.st.pos) + ", want " +
                                std::to_string(pos) + " (" + c.st.reason + ")");
  } else if (c.apm != sentinel() || c.aqm != sentinel() || c.adm != sentinel()) {
    check::fail(file, line, check::quote(in) + ": a refused write changed an output mask");
  }
}

#define EXPECT_OK(in, a, q, d) expect_ok(__FILE__, __LINE__, in, a, q, d)
#define EXPECT_REFUSED(in, pos) expect_refused(__FILE__, __LINE__, in, pos)

const Mask kA = ids({5, 6});
const Mask kQ = ids({4, 0x47, 0xab, 0xff});
const Mask kD = ids({4});

}  // namespace

TEST_CASE(canonical_text_is_201_bytes_and_parses_back) {
  std::string text = canonical(kA, kQ, kD);
  CHECK_EQ(text.size(), zmdev::kApConfigLen);
  CHECK_EQ(zmdev::kApConfigLen, size_t{201});
  EXPECT_OK(text, kA, kQ, kD);
  EXPECT_OK(canonical(kZero, kZero, kZero), kZero, kZero, kZero);
  EXPECT_OK(canonical(all_ones(), all_ones(), all_ones()), all_ones(), all_ones(), all_ones());
}

TEST_CASE(input_is_truncated_to_201_bytes) {
  // A canonical string followed by junk is accepted: the junk is never seen.
  EXPECT_OK(canonical(kA, kQ, kD) + "garbage", kA, kQ, kD);
  EXPECT_OK(canonical(kA, kQ, kD) + "\n\n,0xZZ", kA, kQ, kD);
  // Three full masks without the newline are 200 bytes; byte 200 is still read...
  std::string no_nl = hex(kA) + "," + hex(kQ) + "," + hex(kD);
  CHECK_EQ(no_nl.size(), size_t{200});
  EXPECT_OK(no_nl, kA, kQ, kD);                 // A,B,C: the third token ends the string
  EXPECT_REFUSED(no_nl + "f", 200);             // a 65th digit at byte 200 is refused
  EXPECT_REFUSED(no_nl + " ", 200);
  // ...byte 201 is not.
  EXPECT_OK(no_nl + "\nf", kA, kQ, kD);
  EXPECT_OK(no_nl + "\n" + std::string(4000, 'z'), kA, kQ, kD);
}

TEST_CASE(a_b_newline_is_accepted_with_no_control_domains) {
  // The empty text after the newline is the third token (docs/kernel.md §4.6).
  EXPECT_OK(hex(kA) + "," + hex(kQ) + "\n", kA, kQ, kZero);
  EXPECT_OK("0x41,0x8\n", ids({1, 7}), ids({0}), kZero);
}

TEST_CASE(missing_tokens_are_refused) {
  EXPECT_REFUSED(hex(kA) + "," + hex(kQ), 133);  // A,B without newline: refused at the end
  EXPECT_REFUSED(hex(kA) + "\n", 67);            // A\n
  EXPECT_REFUSED(hex(kA), 66);                   // A
  EXPECT_REFUSED("0x41", 4);
  EXPECT_REFUSED("", 0);
  EXPECT_REFUSED("\n", 1);
  EXPECT_REFUSED(",", 1);
}

TEST_CASE(extra_tokens_are_ignored) {
  EXPECT_OK("0x41,0x8,0x1,0x2\n", ids({1, 7}), ids({0}), ids({3}));
  EXPECT_OK("0x41,0x8,0x1,not-hex at all", ids({1, 7}), ids({0}), ids({3}));
  EXPECT_OK("0x41,0x8,0x1\nsecond line", ids({1, 7}), ids({0}), ids({3}));
}

TEST_CASE(commas_and_newlines_are_both_separators) {
  EXPECT_OK("0x41\n0x8\n0x1\n", ids({1, 7}), ids({0}), ids({3}));
  EXPECT_OK("0x41,0x8\n0x1", ids({1, 7}), ids({0}), ids({3}));
  EXPECT_OK(",,\n", kZero, kZero, kZero);  // three empty tokens: all zeros
  EXPECT_OK("\n\n\n", kZero, kZero, kZero);
  EXPECT_OK(",,", kZero, kZero, kZero);
  EXPECT_OK("0x41,,\n", ids({1, 7}), kZero, kZero);
}

TEST_CASE(each_token_follows_the_absolute_rules) {
  EXPECT_OK("41,8,1\n", ids({1, 7}), ids({0}), ids({3}));        // hex without 0x
  EXPECT_OK("x41,0x,0\n", ids({1, 7}), kZero, kZero);            // lone x, bare 0x, 0
  EXPECT_OK("0xABCDEF,0,0\n", from_hex("abcdef"), kZero, kZero);  // either case of digits
  EXPECT_REFUSED("0X41,0x8,0x1\n", 1);                           // uppercase 0X
  EXPECT_REFUSED("0x41,0X8,0x1\n", 6);
  EXPECT_REFUSED("0x41,0x8 ,0x1\n", 8);                          // white space in a token
  EXPECT_REFUSED(" 0x41,0x8,0x1\n", 0);
  EXPECT_REFUSED("0x41,0xg,\n", 7);
  EXPECT_REFUSED("0x41,0x8,0x1\r\n", 12);
  EXPECT_REFUSED("+1,+2,+3\n", 0);                               // no relative syntax here
  EXPECT_REFUSED("0x" + std::string(65, 'f') + ",0,0\n", 66);   // 65 digits
  EXPECT_REFUSED("0,0,0x" + std::string(65, 'f') + "\n", 70);
  EXPECT_OK("0x" + std::string(64, 'f') + ",0,0\n", all_ones(), kZero, kZero);
}

TEST_CASE(a_bad_token_fails_the_whole_write) {
  // Even when the bad token comes last, no output mask changes (checked by EXPECT_REFUSED).
  EXPECT_REFUSED(canonical(kA, kQ, kD).substr(0, 200) + "q", 200);
  EXPECT_REFUSED("0x41,0x8,zz\n", 9);
}

TEST_CASE(a_nul_byte_ends_the_input) {
  EXPECT_OK("0x41,0x8\n\0garbage"s, ids({1, 7}), ids({0}), kZero);
  EXPECT_REFUSED("0x41,0x8\0,0x1\n"s, 8);
}

TEST_MAIN()
