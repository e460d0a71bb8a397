// chzdev apmask=/aqmask= lists (parse_chzdev_mask). Invariants:
//  * errno and position never depend on the current mask; a refusal leaves `out` untouched (also
//    when out is current) and points inside the C string;
//  * an absolute list ignores the current mask and always names at least one ID;
//  * a relative list from all-zeros, all-ones and a third mask agrees on every named bit:
//    result(C) = result(0) | (C & result(1));
//  * the result written back as an absolute list, or as "-0-255,+…", reads back the same, and the
//    kernel's relative grammar reads that same text to the same mask;
//  * on plain relative lists ("+a", "-a-b", short numbers) the chzdev and kernel grammars agree.
#include "fuzz_common.h"

using fz::Mask;

namespace {

struct Run {
  zmdev::ParseStatus st;
  Mask out;
};

Run parse(const uint8_t* s, size_t n, const Mask& current) {
  Run r{{}, fz::sentinel()};
  r.st = zmdev::parse_chzdev_mask(s, n, current.data(), r.out.data());
  return r;
}
Run parse(const std::string& s, const Mask& current) { return parse(fz::u8(s), s.size(), current); }

bool same_status(const zmdev::ParseStatus& a, const zmdev::ParseStatus& b) { return a.err == b.err && a.pos == b.pos; }

// Entries of the form [+-]NUM or [+-]NUM-NUM, NUM made of 1..10 hex digits or x, not ending in x
// (so no 64-bit wrap, and "0x" is never a dangling prefix), separated by runs of ','.
bool plain_relative(const std::string& s) {
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return false;
  auto num = [&s](size_t& i) {
    size_t start = i;
    while (i < s.size() && (fz::hexdigit(s[i]) || s[i] == 'x' || s[i] == 'X')) ++i;
    return i > start && i - start <= 10 && (s[i - 1] | 0x20) != 'x';
  };
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ',') {
      ++i;
      continue;
    }
    if (s[i] != '+' && s[i] != '-') return false;
    ++i;
    if (!num(i)) return false;
    if (i < s.size() && s[i] == '-') {
      ++i;
      if (!num(i)) return false;
    }
    if (i < s.size() && s[i] != ',') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in = fz::c_string(data, size);
  const std::string shown = fz::printable(data, size);
  const Mask zero{}, ones = fz::filled(0xff);
  Mask third{};
  for (size_t k = 0; k < size; ++k) third[(k * 7) % 32] = static_cast<uint8_t>(third[(k * 7) % 32] * 33 ^ data[k]);

  Run r0 = parse(data, size, zero), r1 = parse(data, size, ones), r3 = parse(data, size, third);
  FZ_CHECK(same_status(r0.st, r1.st) && same_status(r0.st, r3.st), shown);
  FZ_CHECK(r0.st.err == 0 || r0.st.err == EINVAL, shown);

  if (plain_relative(in)) {
    Mask kernel = fz::sentinel();
    zmdev::ParseStatus k = zmdev::parse_kernel_mask(fz::u8(in), in.size(), third.data(), kernel.data());
    FZ_CHECK(k.err == r3.st.err, shown + " chzdev errno " + std::to_string(r3.st.err) + " kernel " + std::to_string(k.err));
    if (!k.err) FZ_CHECK(kernel == r3.out, shown);
  }

  const bool relative = !in.empty() && (in[0] == '+' || in[0] == '-');
  if (r0.st.err) {
    FZ_CHECK(r0.out == fz::sentinel() && r1.out == fz::sentinel() && r3.out == fz::sentinel(), shown);
    FZ_CHECK(r0.st.reason && *r0.st.reason, shown);
    FZ_CHECK(r0.st.pos <= in.size(), shown + " pos " + std::to_string(r0.st.pos));
    Mask inplace = third;
    zmdev::parse_chzdev_mask(data, size, inplace.data(), inplace.data());
    FZ_CHECK(inplace == third, shown);
    return 0;
  }

  if (relative) {
    for (size_t k = 0; k < 32; ++k) {
      FZ_CHECK((r0.out[k] & ~r1.out[k]) == 0, shown);
      FZ_CHECK(r3.out[k] == (r0.out[k] | (third[k] & r1.out[k])), shown);
    }
  } else {
    FZ_CHECK(r0.out == r1.out && r0.out == r3.out, shown);
    FZ_CHECK(r0.out != zero, shown);
  }

  const Mask& result = r3.out;
  if (result != zero) {
    std::string abs = fz::id_list(result);
    Run back = parse(abs, third);
    FZ_CHECK(back.st.err == 0 && back.out == result, shown + " -> " + abs);
  }
  std::string ids = fz::id_list(result, "+");
  std::string rel = "-0-255" + (ids.empty() ? "" : "," + ids);
  Run back = parse(rel, ones);
  FZ_CHECK(back.st.err == 0 && back.out == result, shown + " -> " + rel);
  Mask kernel = fz::sentinel();
  zmdev::ParseStatus k = zmdev::parse_kernel_mask(fz::u8(rel), rel.size(), third.data(), kernel.data());
  FZ_CHECK(k.err == 0 && kernel == result, shown + " -> " + rel);
  return 0;
}
