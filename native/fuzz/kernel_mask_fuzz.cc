// apmask/aqmask writes (parse_kernel_mask, parse_kernel_hex). Invariants:
//  * the core agrees with the independent model of docs/kernel.md §1.2 on accept/refuse, errno and result;
//  * a refusal leaves `out` untouched, carries a reason and a position inside the C string;
//  * absolute mode ignores the current mask and equals parse_kernel_hex; an absolute refusal at p
//    means the first p bytes alone are accepted (the scan stopped at the first bad byte);
//  * relative mode from all-zeros, all-ones and a third mask agrees on every bit the input names:
//    result(C) = result(0) | (C & result(1));
//  * bytes after a NUL are never read; format(result) parses back to result.
#include "fuzz_common.h"

using fz::Mask;

namespace {

struct Run {
  zmdev::ParseStatus st;
  Mask out;
};

Run parse(const uint8_t* s, size_t n, const Mask& current) {
  Run r{{}, fz::sentinel()};
  r.st = zmdev::parse_kernel_mask(s, n, current.data(), r.out.data());
  return r;
}

bool same_status(const zmdev::ParseStatus& a, const zmdev::ParseStatus& b) { return a.err == b.err && a.pos == b.pos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in = fz::c_string(data, size);
  const std::string shown = fz::printable(data, size);
  const Mask zero{}, ones = fz::filled(0xff);
  Mask third{};
  for (size_t k = 0; k < size; ++k) third[k % 32] = static_cast<uint8_t>(third[k % 32] * 31 + data[k] + 1);

  Run r0 = parse(data, size, zero), r1 = parse(data, size, ones), r3 = parse(data, size, third);

  // The errno and the position never depend on the current mask.
  FZ_CHECK(same_status(r0.st, r1.st) && same_status(r0.st, r3.st), shown);
  FZ_CHECK(r0.st.err == 0 || r0.st.err == EINVAL, shown);

  // Against the model.
  Mask model{};
  int model_err = fz::model_kernel_mask(in, third, model);
  FZ_CHECK(model_err == r3.st.err, shown + " core errno " + std::to_string(r3.st.err) + " model " + std::to_string(model_err));
  if (!model_err) FZ_CHECK(model == r3.out, shown + " core " + fz::hex(r3.out) + " model " + fz::hex(model));

  // Bytes after a NUL do not matter; a NUL-terminated copy gives the same answer.
  {
    std::string extended = in + std::string(1, '\0') + "+0-255,zz";
    Run e = parse(fz::u8(extended), extended.size(), third);
    FZ_CHECK(same_status(e.st, r3.st) && e.out == r3.out, shown);
  }

  const bool relative = !in.empty() && (in[0] == '+' || in[0] == '-');
  if (r0.st.err) {
    FZ_CHECK(r0.out == fz::sentinel() && r1.out == fz::sentinel() && r3.out == fz::sentinel(), shown);
    FZ_CHECK(r0.st.reason && *r0.st.reason, shown);
    FZ_CHECK(r0.st.pos <= in.size(), shown + " pos " + std::to_string(r0.st.pos));
    // In place (out == current) a refusal changes nothing either.
    Mask inplace = third;
    zmdev::parse_kernel_mask(data, size, inplace.data(), inplace.data());
    FZ_CHECK(inplace == third, shown);
    if (!relative) {
      Mask hex = fz::sentinel();
      zmdev::ParseStatus h = zmdev::parse_kernel_hex(data, size, hex.data());
      FZ_CHECK(same_status(h, r0.st), shown);
      Run prefix = parse(data, r0.st.pos, third);
      FZ_CHECK(prefix.st.err == 0, shown + " refused at " + std::to_string(r0.st.pos) + " but its prefix is refused too");
    }
    return 0;
  }

  if (relative) {
    // Bits named by the input are forced; the others keep the current value.
    for (size_t k = 0; k < 32; ++k) {
      FZ_CHECK((r0.out[k] & ~r1.out[k]) == 0, shown);  // never forced to 1 from ones but 0 from zeros
      FZ_CHECK(r3.out[k] == (r0.out[k] | (third[k] & r1.out[k])), shown);
    }
  } else {
    FZ_CHECK(r0.out == r1.out && r0.out == r3.out, shown);
    Mask hex = fz::sentinel();
    zmdev::ParseStatus h = zmdev::parse_kernel_hex(data, size, hex.data());
    FZ_CHECK(h.err == 0 && hex == r0.out, shown);
  }

  // The read format (with or without the newline echo adds) writes the same mask back.
  std::string text = fz::hex(r3.out);
  Run back = parse(fz::u8(text), text.size(), fz::sentinel(7));
  FZ_CHECK(back.st.err == 0 && back.out == r3.out, shown + " -> " + text);
  text += "\n";
  back = parse(fz::u8(text), text.size(), third);
  FZ_CHECK(back.st.err == 0 && back.out == r3.out, shown + " -> " + text);
  // So does the relative form "-0-255,+ids" from any start.
  std::string ids = fz::id_list(r3.out, "+");
  std::string rel = "-0-255" + (ids.empty() ? "" : "," + ids);
  back = parse(fz::u8(rel), rel.size(), ones);
  FZ_CHECK(back.st.err == 0 && back.out == r3.out, shown + " -> " + rel);
  return 0;
}
