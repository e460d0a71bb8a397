// Shared pieces of the libFuzzer targets: an invariant check that aborts with a readable message
// (libFuzzer then saves the input as a crash), mask helpers, and small independent models of the
// reference grammars written from docs/kernel.md §0/§1.2 to compare the core against.
#pragma once

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "apqn_conflicts.h"
#include "mask_core.h"

namespace fz {

using Mask = std::array<uint8_t, zmdev::kMaskBytes>;

[[noreturn]] inline void violated(const char* file, int line, const char* what, const std::string& detail) {
  std::fprintf(stderr, "\n*** invariant violated at %s:%d: %s\n    %s\n", file, line, what, detail.c_str());
  std::abort();
}

inline std::string printable(const uint8_t* s, size_t n) {
  std::string r = "\"";
  for (size_t k = 0; k < n && k < 400; ++k) {
    uint8_t c = s[k];
    if (c == '\n') r += "\\n";
    else if (c == '"' || c == '\\') { r += '\\'; r += static_cast<char>(c); }
    else if (c < 0x20 || c >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      r += b;
    } else r += static_cast<char>(c);
  }
  return r + (n > 400 ? "\"…" : "\"");
}
inline std::string printable(const std::string& s) {
  return printable(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

inline std::string hex(const Mask& m) {
  char b[66];
  zmdev::format_mask(m.data(), b);
  return std::string(b, 66);
}

#define FZ_CHECK(cond, detail)                                   \
  do {                                                           \
    if (!(cond)) fz::violated(__FILE__, __LINE__, #cond, detail); \
  } while (0)

inline const uint8_t* u8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// The input as the driver sees it: up to the first NUL.
inline std::string c_string(const uint8_t* data, size_t size) {
  const void* nul = size ? std::memchr(data, 0, size) : nullptr;
  size_t n = nul ? static_cast<size_t>(static_cast<const uint8_t*>(nul) - data) : size;
  return std::string(reinterpret_cast<const char*>(data), n);
}

inline Mask sentinel(uint8_t salt = 0) {
  Mask m;
  for (size_t k = 0; k < m.size(); ++k) m[k] = static_cast<uint8_t>(0x5a ^ (k * 37) ^ salt);
  return m;
}
inline Mask filled(uint8_t b) {
  Mask m;
  m.fill(b);
  return m;
}

inline bool hexdigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline unsigned hexvalue(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
  return static_cast<unsigned>(c - 'A' + 10);
}

// ---- model of docs/kernel.md §1.2 absolute mode: 0 or EINVAL ---------------------------------
inline int model_hex(const std::string& s, Mask& out) {
  Mask m{};
  size_t i = 0;
  if (s.size() >= 2 && s[0] == '0' && s[1] == 'x') i = 1;  // "0x": the 0 goes, then the x below
  if (i < s.size() && s[i] == 'x') ++i;
  for (unsigned nibble = 0; i < s.size() && hexdigit(s[i]) && nibble < 64; ++i, ++nibble) {
    unsigned v = hexvalue(s[i]);
    m[nibble / 2] = static_cast<uint8_t>(m[nibble / 2] | (nibble % 2 ? v : v << 4));
  }
  if (i < s.size() && s[i] == '\n') ++i;
  if (i != s.size()) return EINVAL;
  out = m;
  return 0;
}

// Base-0 number as the kernel's simple_strtoul reads it: returns the bytes used (0 = no digit);
// the value wraps modulo 2^64.
inline size_t model_number(const std::string& s, size_t i, uint64_t* value) {
  size_t start = i;
  unsigned base = 10;
  if (i < s.size() && s[i] == '0') {
    base = 8;
    if (i + 2 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X') && hexdigit(s[i + 2])) {
      base = 16;
      i += 2;
    }
  }
  uint64_t v = 0;
  size_t digits = 0;
  for (; i < s.size() && hexdigit(s[i]) && hexvalue(s[i]) < base; ++i, ++digits) v = v * base + hexvalue(s[i]);
  *value = v;
  return digits ? i - start : 0;
}

// ---- model of docs/kernel.md §1.2 relative mode ------------------------------------------------
inline int model_relative(const std::string& s, const Mask& current, Mask& out) {
  Mask m = current;
  size_t i = 0;
  while (i < s.size()) {
    char sign = s[i++];
    if (sign != '+' && sign != '-') return EINVAL;
    uint64_t a = 0, z = 0;
    size_t used = model_number(s, i, &a);
    if (!used || a > 255) return EINVAL;
    i += used;
    z = a;
    if (i < s.size() && s[i] == '-') {
      used = model_number(s, ++i, &z);
      if (!used || z < a || z > 255) return EINVAL;
      i += used;
    }
    for (uint64_t id = a; id <= z; ++id) {
      uint8_t bit = static_cast<uint8_t>(0x80u >> (id % 8));
      m[id / 8] = static_cast<uint8_t>(sign == '+' ? (m[id / 8] | bit) : (m[id / 8] & ~bit));
    }
    while (i < s.size() && (s[i] == ',' || s[i] == '\n')) ++i;
  }
  out = m;
  return 0;
}

inline int model_kernel_mask(const std::string& s, const Mask& current, Mask& out) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) return model_relative(s, current, out);
  return model_hex(s, out);
}

// Decoded list of IDs "a-b,c,…" for a mask (absolute chzdev syntax), empty for the empty mask.
inline std::string id_list(const Mask& m, const char* sign = "") {
  std::string r;
  for (unsigned id = 0; id < 256;) {
    if (!zmdev::mask_test(m.data(), id)) {
      ++id;
      continue;
    }
    unsigned end = id;
    while (end + 1 < 256 && zmdev::mask_test(m.data(), end + 1)) ++end;
    if (!r.empty()) r += ',';
    r += sign + std::to_string(id);
    if (end != id) r += "-" + std::to_string(end);
    id = end + 1;
  }
  return r;
}

}  // namespace fz
