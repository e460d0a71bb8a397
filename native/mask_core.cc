// Parsers that reproduce, byte for byte, how the Linux AP bus, vfio_ap and zdev read their input.
// Each function names the kernel/tool routine whose behaviour it reproduces; the code is our own.
#include "mask_core.h"

#include <cerrno>
#include <cstring>

namespace zmdev {
namespace {

constexpr ParseStatus kOk{0, 0, nullptr};

ParseStatus fail(int err, size_t pos, const char* reason) { return ParseStatus{err, pos, reason}; }

// The kernel hands drivers a NUL-terminated copy of the written bytes: a NUL ends the input.
size_t c_length(const uint8_t* s, size_t len) {
  const void* nul = len ? std::memchr(s, 0, len) : nullptr;
  return nul ? static_cast<size_t>(static_cast<const uint8_t*>(nul) - s) : len;
}

bool is_xdigit(uint8_t c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

int digit_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  uint8_t lc = c | 0x20;
  if (lc >= 'a' && lc <= 'f') return lc - 'a' + 10;
  return 99;
}

// Cursor over a C string of known length; reads past the end yield NUL like the kernel's buffer.
struct Cursor {
  const uint8_t* s;
  size_t n;
  size_t i = 0;
  uint8_t at(size_t k) const { return k < n ? s[k] : 0; }
  uint8_t peek(size_t off = 0) const { return at(i + off); }
  bool end() const { return i >= n; }
};

// The kernel's base-0 number reader (_parse_integer_fixup_radix + _parse_integer): "0x" means hex
// only when a hex digit follows, a leading 0 means octal, otherwise decimal. No sign, no spaces.
// Returns the number of digits consumed; the value wraps modulo 2^64 and `overflow` reports it.
size_t kernel_number(Cursor& c, uint64_t* value, bool* overflow) {
  unsigned base = 10;
  if (c.peek() == '0') {
    if ((c.peek(1) | 0x20) == 'x' && is_xdigit(c.peek(2))) {
      base = 16;
      c.i += 2;
    } else {
      base = 8;
    }
  }
  uint64_t res = 0;
  size_t digits = 0;
  *overflow = false;
  while (!c.end()) {
    int v = digit_value(c.peek());
    if (v >= static_cast<int>(base)) break;
    if (res > (UINT64_MAX - static_cast<uint64_t>(v)) / base) *overflow = true;
    res = res * base + static_cast<uint64_t>(v);
    ++digits;
    ++c.i;
  }
  *value = res;
  return digits;
}

// hex2bitmap: optional lowercase "0x" (or a lone "x"), up to 64 hex digits filling bits from the
// left, one optional '\n', then the end. No digits at all means an all-zero mask.
ParseStatus hex_into(Cursor& c, uint8_t* out) {
  std::memset(out, 0, kMaskBytes);
  if (c.peek() == '0' && c.peek(1) == 'x') c.i += 1;
  if (c.peek() == 'x') c.i += 1;
  unsigned bit = 0;
  while (!c.end() && is_xdigit(c.peek()) && bit < kMaskBits) {
    unsigned v = static_cast<unsigned>(digit_value(c.peek()));
    out[bit >> 3] |= static_cast<uint8_t>((bit & 4) ? v : v << 4);
    bit += 4;
    ++c.i;
  }
  if (c.peek() == '\n' && !c.end()) ++c.i;
  if (c.end()) return kOk;
  uint8_t bad = c.peek();
  if (is_xdigit(bad) && bit == kMaskBits) return fail(EINVAL, c.i, "more than 64 hex digits (a mask has 256 bits)");
  if (bad == 'X' && c.i == 1 && c.at(0) == '0')
    return fail(EINVAL, c.i, "uppercase 0X prefix is not recognised (write 0x or no prefix)");
  if (bad == ' ' || bad == '\t') return fail(EINVAL, c.i, "white space is not allowed");
  if (bad == '\n') return fail(EINVAL, c.i, "only one trailing newline is allowed");
  return fail(EINVAL, c.i, "not a hex digit");
}

const char* term_start_reason(uint8_t ch) {
  if (ch == ' ' || ch == '\t') return "white space is not allowed";
  return "each relative term must start with + or - (terms cannot mix with absolute hex)";
}

// modify_bitmap: terms "+N", "-N", "+A-B", "-A-B" applied left to right; any run of ',' and
// '\n' may separate terms (none is needed: "+1+2" is two terms).
ParseStatus relative_into(Cursor& c, uint8_t* m) {
  while (!c.end()) {
    uint8_t sign = c.peek();
    if (sign != '+' && sign != '-') return fail(EINVAL, c.i, term_start_reason(sign));
    ++c.i;
    uint64_t a = 0, z = 0;
    bool ovf = false;
    size_t at = c.i;
    if (!kernel_number(c, &a, &ovf)) return fail(EINVAL, at, "expected a number (decimal, 0x hex or 0 octal)");
    if (a >= kMaskBits) return fail(EINVAL, at, "ID is above 255");
    z = a;
    if (c.peek() == '-' && !c.end()) {
      ++c.i;
      at = c.i;
      if (!kernel_number(c, &z, &ovf)) return fail(EINVAL, at, "expected the end of the range after '-'");
      if (a > z) return fail(EINVAL, at, "range end is below its start");
      if (z >= kMaskBits) return fail(EINVAL, at, "range end is above 255");
    }
    for (uint64_t id = a; id <= z; ++id) {
      if (sign == '+')
        mask_set(m, static_cast<unsigned>(id));
      else
        mask_clear(m, static_cast<unsigned>(id));
    }
    while (!c.end() && (c.peek() == ',' || c.peek() == '\n')) ++c.i;
  }
  return kOk;
}

// glibc strtoul(s, &end, 0) as zdev uses it: leading white space, an optional sign, base prefix.
// Returns false when no digit was read (glibc would return 0 without complaint; see below).
bool libc_strtoul(const uint8_t* s, size_t n, uint64_t* value, size_t* end) {
  size_t i = 0;
  while (i < n && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) ++i;
  bool neg = false;
  if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  unsigned base = 10;
  if (i < n && s[i] == '0') {
    if (i + 2 < n && (s[i + 1] | 0x20) == 'x' && is_xdigit(s[i + 2])) {
      base = 16;
      i += 2;
    } else {
      base = 8;
    }
  }
  uint64_t res = 0;
  bool overflow = false;
  size_t start = i;
  while (i < n) {
    int v = digit_value(s[i]);
    if (v >= static_cast<int>(base)) break;
    if (res > (UINT64_MAX - static_cast<uint64_t>(v)) / base) overflow = true;
    res = res * base + static_cast<uint64_t>(v);
    ++i;
  }
  if (i == start) return false;
  if (overflow) res = UINT64_MAX;
  else if (neg) res = ~res + 1;
  *value = res;
  *end = i;
  return true;
}

// One zdev list entry ("5", "0x25", "5-10"); `off` is its offset in the whole input.
ParseStatus chzdev_number(const uint8_t* s, size_t n, size_t off, uint64_t* v, const char* what) {
  size_t end = 0;
  // zdev passes an empty string to strtoul and reads 0; we refuse it instead ("+-5" is not 0-5).
  if (!libc_strtoul(s, n, v, &end)) return fail(EINVAL, off, what);
  if (end != n) return fail(EINVAL, off + end, "unexpected character after the number");
  if (*v > 255) return fail(EINVAL, off, "ID is above 255");
  return kOk;
}

}  // namespace

ParseStatus parse_kernel_hex(const uint8_t* s, size_t len, uint8_t* out) {
  Cursor c{s, c_length(s, len)};
  return hex_into(c, out);
}

ParseStatus parse_kernel_mask(const uint8_t* s, size_t len, const uint8_t* current, uint8_t* out) {
  Cursor c{s, c_length(s, len)};
  uint8_t scratch[kMaskBytes];
  ParseStatus st;
  if (c.peek() == '+' || c.peek() == '-') {
    std::memcpy(scratch, current, kMaskBytes);
    st = relative_into(c, scratch);
  } else {
    st = hex_into(c, scratch);
  }
  if (st.err == 0) std::memcpy(out, scratch, kMaskBytes);
  return st;
}

ParseStatus parse_ap_config(const uint8_t* s, size_t len, uint8_t* apm, uint8_t* aqm, uint8_t* adm) {
  size_t n = c_length(s, len);
  if (n > kApConfigLen) n = kApConfigLen;
  uint8_t* masks[3] = {apm, aqm, adm};
  uint8_t scratch[3][kMaskBytes];
  static const char* const missing[3] = {
      "missing the adapter mask (ap_config takes apm,aqm,adm)",
      "missing the domain mask (ap_config takes apm,aqm,adm)",
      "missing the control-domain mask (ap_config takes apm,aqm,adm followed by a newline)"};
  size_t pos = 0;
  bool exhausted = false;  // strsep has returned the last piece
  for (int k = 0; k < 3; ++k) {
    if (exhausted) return fail(EINVAL, n, missing[k]);
    size_t stop = pos;
    while (stop < n && s[stop] != ',' && s[stop] != '\n') ++stop;
    Cursor c{s + pos, stop - pos};
    ParseStatus st = hex_into(c, scratch[k]);
    if (st.err) return fail(st.err, pos + st.pos, st.reason);
    if (stop >= n) exhausted = true;
    pos = stop + 1;
  }
  for (int k = 0; k < 3; ++k) std::memcpy(masks[k], scratch[k], kMaskBytes);
  return kOk;
}

ParseStatus parse_kstrtoul(const uint8_t* s, size_t len, uint64_t* value) {
  Cursor c{s, c_length(s, len)};
  if (c.peek() == '+' && !c.end()) ++c.i;
  size_t at = c.i;
  uint64_t v = 0;
  bool ovf = false;
  size_t digits = kernel_number(c, &v, &ovf);
  if (ovf) return fail(ERANGE, at, "number does not fit in 64 bits");
  if (!digits) {
    if (c.end()) return fail(EINVAL, at, "expected a number (decimal, 0x hex or 0 octal)");
    uint8_t ch = c.peek();
    if (ch == '-') return fail(EINVAL, at, "negative numbers are not accepted");
    if (ch == ' ' || ch == '\t') return fail(EINVAL, at, "white space is not allowed");
    return fail(EINVAL, at, "expected a number (decimal, 0x hex or 0 octal)");
  }
  if (c.peek() == '\n' && !c.end()) ++c.i;
  if (!c.end()) {
    uint8_t ch = c.peek();
    bool leading_zero = digits == 1 && s[at] == '0';
    if ((ch == '8' || ch == '9') && s[at] == '0') return fail(EINVAL, c.i, "a leading 0 means octal: 8 and 9 are not octal digits");
    if (leading_zero && (ch | 0x20) == 'x') return fail(EINVAL, c.i, "0x must be followed by a hex digit");
    if (ch == '\n') return fail(EINVAL, c.i, "only one trailing newline is allowed");
    if (ch == ' ' || ch == '\t') return fail(EINVAL, c.i, "white space is not allowed");
    return fail(EINVAL, c.i, "unexpected character after the number");
  }
  *value = v;
  return kOk;
}

ParseStatus parse_chzdev_mask(const uint8_t* s, size_t len, const uint8_t* current, uint8_t* out) {
  size_t n = c_length(s, len);
  bool relative = n > 0 && (s[0] == '+' || s[0] == '-');
  uint8_t m[kMaskBytes];
  if (relative)
    std::memcpy(m, current, kMaskBytes);
  else
    std::memset(m, 0, kMaskBytes);
  size_t i = 0;
  bool any = false;
  while (i < n) {
    while (i < n && s[i] == ',') ++i;  // strtok: empty entries vanish
    if (i >= n) break;
    size_t start = i;
    while (i < n && s[i] != ',') ++i;
    const uint8_t* e = s + start;
    size_t elen = i - start;
    any = true;
    bool has_sign = e[0] == '+' || e[0] == '-';
    if (relative && !has_sign) return fail(EINVAL, start, "relative lists need + or - before every entry");
    if (!relative && has_sign) return fail(EINVAL, start, "cannot mix absolute and relative entries (start every entry with + or -, or none)");
    bool set = true;
    size_t off = start;
    if (relative) {
      set = e[0] == '+';
      ++e;
      --elen;
      ++off;
      if (elen == 0) return fail(EINVAL, off, "expected an ID or a range after the sign");
    }
    const void* dash = std::memchr(e, '-', elen);
    uint64_t a = 0, z = 0;
    if (dash) {
      size_t d = static_cast<size_t>(static_cast<const uint8_t*>(dash) - e);
      if (d + 1 == elen) return fail(EINVAL, off + d + 1, "expected the end of the range after '-'");
      ParseStatus st = chzdev_number(e, d, off, &a, "expected the start of the range before '-'");
      if (st.err) return st;
      st = chzdev_number(e + d + 1, elen - d - 1, off + d + 1, &z, "expected the end of the range after '-'");
      if (st.err) return st;
      if (a > z) return fail(EINVAL, off + d + 1, "range end is below its start");
    } else {
      ParseStatus st = chzdev_number(e, elen, off, &a, "expected an ID (decimal, 0x hex or 0 octal)");
      if (st.err) return st;
      z = a;
    }
    for (uint64_t id = a; id <= z; ++id) {
      if (set)
        mask_set(m, static_cast<unsigned>(id));
      else
        mask_clear(m, static_cast<unsigned>(id));
    }
  }
  if (!any) return fail(EINVAL, 0, "empty list (give IDs such as 3,5-10,0x25 or changes such as +0-4,-0xf0)");
  std::memcpy(out, m, kMaskBytes);
  return kOk;
}

void format_mask(const uint8_t* m, char* out66) {
  static const char hex[] = "0123456789abcdef";
  out66[0] = '0';
  out66[1] = 'x';
  for (int k = 0; k < kMaskBytes; ++k) {
    out66[2 + 2 * k] = hex[m[k] >> 4];
    out66[3 + 2 * k] = hex[m[k] & 15];
  }
}

}  // namespace zmdev
