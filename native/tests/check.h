// A deliberately tiny test harness for the native core: named cases, non-fatal checks that report
// file:line and both values, and one exit status for ctest. Plus mask helpers shared by the tests.
// Run a test binary with a substring argument to run only the matching cases.
#pragma once

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "apqn_conflicts.h"
#include "mask_core.h"

namespace check {

struct Case {
  const char* name;
  void (*fn)();
};

inline std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}
inline int& failures() {
  static int n = 0;
  return n;
}
inline int& checks() {
  static int n = 0;
  return n;
}
inline const char*& current_case() {
  static const char* name = "";
  return name;
}

struct Registrar {
  Registrar(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

inline void fail(const char* file, int line, const std::string& what) {
  ++failures();
  std::fprintf(stderr, "FAIL %s (%s:%d): %s\n", current_case(), file, line, what.c_str());
}

inline std::string quote(const std::string& s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    if (c == '\n') r += "\\n";
    else if (c == '\t') r += "\\t";
    else if (c == '\r') r += "\\r";
    else if (c == '"' || c == '\\') { r += '\\'; r += static_cast<char>(c); }
    else if (c < 0x20 || c >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      r += b;
    } else r += static_cast<char>(c);
  }
  return r + "\"";
}

inline std::string show(const std::string& s) { return quote(s); }
inline std::string show(const char* s) { return s ? quote(s) : "(null)"; }
inline std::string show(bool v) { return v ? "true" : "false"; }
template <typename T>
std::string show(const T& v) {
  return std::to_string(v);
}

inline int run(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int ran = 0;
  for (const Case& c : registry()) {
    if (filter && !std::strstr(c.name, filter)) continue;
    current_case() = c.name;
    int before = failures();
    c.fn();
    ++ran;
    if (failures() == before) std::printf("ok   %s\n", c.name);
    else std::printf("FAIL %s\n", c.name);
  }
  std::printf("%d cases, %d checks, %d failures\n", ran, checks(), failures());
  if (ran == 0) {
    std::fprintf(stderr, "no test case matched\n");
    return 1;
  }
  return failures() ? 1 : 0;
}

}  // namespace check

#define CHECK_CAT2(a, b) a##b
#define CHECK_CAT(a, b) CHECK_CAT2(a, b)
#define TEST_CASE(name)                                                       \
  static void CHECK_CAT(test_, name)();                                       \
  static check::Registrar CHECK_CAT(reg_, name)(#name, CHECK_CAT(test_, name)); \
  static void CHECK_CAT(test_, name)()

#define CHECK(cond)                                           \
  do {                                                        \
    ++check::checks();                                        \
    if (!(cond)) check::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_EQ(a, b)                                                                          \
  do {                                                                                          \
    ++check::checks();                                                                          \
    const auto& check_a_ = (a);                                                                 \
    const auto& check_b_ = (b);                                                                 \
    if (!(check_a_ == check_b_))                                                                \
      check::fail(__FILE__, __LINE__,                                                           \
                  std::string(#a " == " #b ": got ") + check::show(check_a_) + " vs " + check::show(check_b_)); \
  } while (0)

#define TEST_MAIN() \
  int main(int argc, char** argv) { return check::run(argc, argv); }

// ---- masks ----------------------------------------------------------------------------------------
namespace check {

using Mask = std::array<uint8_t, zmdev::kMaskBytes>;

inline Mask ids(std::initializer_list<unsigned> list) {
  Mask m{};
  for (unsigned id : list) zmdev::mask_set(m.data(), id);
  return m;
}
inline Mask id_range(unsigned a, unsigned z) {
  Mask m{};
  for (unsigned id = a; id <= z; ++id) zmdev::mask_set(m.data(), id);
  return m;
}
inline Mask all_ones() {
  Mask m;
  m.fill(0xff);
  return m;
}
inline Mask without(Mask m, std::initializer_list<unsigned> list) {
  for (unsigned id : list) zmdev::mask_clear(m.data(), id);
  return m;
}
inline Mask sentinel() {
  Mask m;
  for (size_t k = 0; k < m.size(); ++k) m[k] = static_cast<uint8_t>(0xa5 ^ (k * 29));
  return m;
}
inline std::string hex(const Mask& m) {
  char buf[66];
  zmdev::format_mask(m.data(), buf);
  return std::string(buf, 66);
}
// "0x" followed by `digits` hex digits padded with zeros to 64: the kernel's right padding.
inline Mask from_hex(const std::string& digits) {
  Mask m{};
  for (size_t k = 0; k < digits.size() && k < 64; ++k) {
    char c = digits[k];
    unsigned v = c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>((c | 0x20) - 'a' + 10);
    m[k / 2] |= static_cast<uint8_t>(k % 2 ? v : v << 4);
  }
  return m;
}

// The outcome of one parse: status, and the output buffer (which started as `sentinel()` for
// absolute parses unless a start buffer was given).
struct Outcome {
  zmdev::ParseStatus st;
  Mask out;
};

inline Outcome kernel(const std::string& in, const Mask& current) {
  Outcome o{{}, sentinel()};
  o.st = zmdev::parse_kernel_mask(reinterpret_cast<const uint8_t*>(in.data()), in.size(), current.data(), o.out.data());
  return o;
}
inline Outcome chzdev(const std::string& in, const Mask& current) {
  Outcome o{{}, sentinel()};
  o.st = zmdev::parse_chzdev_mask(reinterpret_cast<const uint8_t*>(in.data()), in.size(), current.data(), o.out.data());
  return o;
}

}  // namespace check

// Success with the expected mask.
#define CHECK_MASK(outcome_expr, expected)                                                        \
  do {                                                                                            \
    ++check::checks();                                                                            \
    const check::Outcome check_o_ = (outcome_expr);                                               \
    const check::Mask check_e_ = (expected);                                                      \
    if (check_o_.st.err)                                                                          \
      check::fail(__FILE__, __LINE__,                                                             \
                  std::string(#outcome_expr ": refused, errno ") + std::to_string(check_o_.st.err) + \
                      " at " + std::to_string(check_o_.st.pos) + " (" + check_o_.st.reason + ")"); \
    else if (check_o_.out != check_e_)                                                            \
      check::fail(__FILE__, __LINE__,                                                             \
                  std::string(#outcome_expr ": got ") + check::hex(check_o_.out) + " want " +    \
                      check::hex(check_e_));                                                      \
  } while (0)

// Refusal with errno `e` at byte `p`, a reason phrase, and the output left as it was.
#define CHECK_REFUSED(outcome_expr, e, p)                                                         \
  do {                                                                                            \
    ++check::checks();                                                                            \
    const check::Outcome check_o_ = (outcome_expr);                                               \
    if (check_o_.st.err != (e))                                                                   \
      check::fail(__FILE__, __LINE__,                                                             \
                  std::string(#outcome_expr ": errno ") + std::to_string(check_o_.st.err) +      \
                      ", want " + std::to_string(e) +                                             \
                      (check_o_.st.err ? "" : std::string(", parsed ") + check::hex(check_o_.out))); \
    else if (check_o_.st.pos != static_cast<size_t>(p))                                           \
      check::fail(__FILE__, __LINE__,                                                             \
                  std::string(#outcome_expr ": refused at ") + std::to_string(check_o_.st.pos) + \
                      ", want " + std::to_string(p) + " (" + check_o_.st.reason + ")");          \
    else if (!check_o_.st.reason || !*check_o_.st.reason)                                         \
      check::fail(__FILE__, __LINE__, #outcome_expr ": refusal without a reason");                 \
    else if (check_o_.out != check::sentinel())                                                   \
      check::fail(__FILE__, __LINE__, #outcome_expr ": a refused parse changed the output");       \
  } while (0)
