// ap_config writes (parse_ap_config). Invariants:
//  * agreement with a model of docs/kernel.md §4.6: truncate to 201 bytes, split like strsep(",\n") into at most
//    three tokens, each read by the absolute rules (the model of §1.2 and parse_kernel_hex);
//  * only the first 201 bytes matter; bytes after a NUL are never read;
//  * a refusal leaves all three outputs untouched and points inside the (truncated) input;
//  * the canonical read text of an accepted result parses back to it.
#include "fuzz_common.h"

using fz::Mask;

namespace {

struct Run {
  zmdev::ParseStatus st;
  Mask apm, aqm, adm;
};

Run parse(const uint8_t* s, size_t n) {
  Run r{{}, fz::sentinel(1), fz::sentinel(2), fz::sentinel(3)};
  r.st = zmdev::parse_ap_config(s, n, r.apm.data(), r.aqm.data(), r.adm.data());
  return r;
}

bool same(const Run& a, const Run& b) {
  return a.st.err == b.st.err && a.st.pos == b.st.pos && a.apm == b.apm && a.aqm == b.aqm && a.adm == b.adm;
}

// strsep semantics: a NULL rest after the last piece; an empty rest ("") still yields one "" piece.
int model(std::string s, Mask out[3]) {
  if (s.size() > zmdev::kApConfigLen) s.resize(zmdev::kApConfigLen);
  bool have_rest = true;
  size_t pos = 0;
  for (int k = 0; k < 3; ++k) {
    if (!have_rest) return EINVAL;
    size_t stop = s.find_first_of(",\n", pos);
    std::string token = s.substr(pos, stop == std::string::npos ? std::string::npos : stop - pos);
    if (stop == std::string::npos) have_rest = false;
    else pos = stop + 1;
    if (fz::model_hex(token, out[k])) return EINVAL;
    Mask core{};
    zmdev::ParseStatus h = zmdev::parse_kernel_hex(fz::u8(token), token.size(), core.data());
    FZ_CHECK(h.err == 0 && core == out[k], fz::printable(token));
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in = fz::c_string(data, size);
  const std::string shown = fz::printable(data, size);
  Run r = parse(data, size);
  FZ_CHECK(r.st.err == 0 || r.st.err == EINVAL, shown);

  Mask m[3];
  int want = model(in, m);
  FZ_CHECK(want == r.st.err, shown + " core errno " + std::to_string(r.st.err) + " model " + std::to_string(want));
  if (!want) FZ_CHECK(m[0] == r.apm && m[1] == r.aqm && m[2] == r.adm, shown);

  // Only the first 201 bytes of the C string count.
  std::string cut = in.substr(0, zmdev::kApConfigLen);
  FZ_CHECK(same(parse(fz::u8(cut), cut.size()), r), shown);
  std::string longer = cut + (cut.size() == zmdev::kApConfigLen ? "\n\nzz,0X" : std::string(1, '\0') + "zz");
  FZ_CHECK(same(parse(fz::u8(longer), longer.size()), r), shown);

  if (r.st.err) {
    FZ_CHECK(r.apm == fz::sentinel(1) && r.aqm == fz::sentinel(2) && r.adm == fz::sentinel(3), shown);
    FZ_CHECK(r.st.reason && *r.st.reason, shown);
    FZ_CHECK(r.st.pos <= cut.size(), shown + " pos " + std::to_string(r.st.pos));
    return 0;
  }

  std::string canonical = fz::hex(r.apm) + "," + fz::hex(r.aqm) + "," + fz::hex(r.adm) + "\n";
  FZ_CHECK(canonical.size() == zmdev::kApConfigLen, canonical);
  Run back = parse(fz::u8(canonical), canonical.size());
  FZ_CHECK(back.st.err == 0 && back.apm == r.apm && back.aqm == r.aqm && back.adm == r.adm, shown);
  canonical += "trailing junk is cut off";
  back = parse(fz::u8(canonical), canonical.size());
  FZ_CHECK(back.st.err == 0 && back.apm == r.apm && back.aqm == r.aqm && back.adm == r.adm, shown);
  return 0;
}
