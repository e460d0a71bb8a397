// kstrtoul(s, 0) (parse_kstrtoul). Invariants:
//  * agreement with a model of docs/kernel.md §0 that finds the digit run by hand and lets the C library's
//    strtoull (ERANGE) give the value: same errno, same value;
//  * a refusal never writes the value, has a reason and a position inside the C string;
//  * an accepted value, written back in decimal, 0x/0X hex, leading-0 octal, with a '+' or a
//    trailing newline, reads back the same.
#include <cinttypes>

#include "fuzz_common.h"

namespace {

constexpr uint64_t kUntouched = 0x0123456789abcdefull;

struct Run {
  zmdev::ParseStatus st;
  uint64_t value;
};

Run parse(const std::string& s) {
  Run r{{}, kUntouched};
  r.st = zmdev::parse_kstrtoul(fz::u8(s), s.size(), &r.value);
  return r;
}

bool digit_in(char c, unsigned base) { return fz::hexdigit(c) && fz::hexvalue(c) < base; }

int model(const std::string& s, uint64_t* value) {
  size_t i = s.size() && s[0] == '+' ? 1 : 0;
  unsigned base = 10;
  if (i < s.size() && s[i] == '0') {
    base = 8;
    if (i + 2 < s.size() && (s[i + 1] | 0x20) == 'x' && fz::hexdigit(s[i + 2])) {
      base = 16;
      i += 2;
    }
  }
  size_t k = i;
  while (k < s.size() && digit_in(s[k], base)) ++k;
  if (k == i) return EINVAL;
  std::string digits = s.substr(i, k - i);
  errno = 0;
  unsigned long long v = std::strtoull(digits.c_str(), nullptr, static_cast<int>(base));
  if (errno == ERANGE) return ERANGE;
  if (k < s.size() && s[k] == '\n') ++k;
  if (k != s.size()) return EINVAL;
  *value = v;
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in = fz::c_string(data, size);
  const std::string shown = fz::printable(data, size);
  Run r{{}, kUntouched};
  r.st = zmdev::parse_kstrtoul(data, size, &r.value);
  FZ_CHECK(r.st.err == 0 || r.st.err == EINVAL || r.st.err == ERANGE, shown);

  uint64_t mv = 0;
  int want = model(in, &mv);
  FZ_CHECK(want == r.st.err, shown + " core errno " + std::to_string(r.st.err) + " model " + std::to_string(want));
  if (!want) FZ_CHECK(mv == r.value, shown + " core " + std::to_string(r.value) + " model " + std::to_string(mv));

  if (r.st.err) {
    FZ_CHECK(r.value == kUntouched, shown);
    FZ_CHECK(r.st.reason && *r.st.reason, shown);
    FZ_CHECK(r.st.pos <= in.size(), shown + " pos " + std::to_string(r.st.pos));
    return 0;
  }

  char buf[64];
  const char* formats[] = {"%" PRIu64, "0x%" PRIx64, "0X%" PRIX64, "0%" PRIo64, "+%" PRIu64 "\n", "0x%016" PRIx64 "\n"};
  for (const char* f : formats) {
    std::snprintf(buf, sizeof buf, f, r.value);
    Run back = parse(buf);
    FZ_CHECK(back.st.err == 0 && back.value == r.value, shown + " -> " + fz::printable(std::string(buf)));
  }
  return 0;
}
