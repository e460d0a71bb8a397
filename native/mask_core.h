// zmdev mask core: 256-bit AP masks and the grammars the kernel and the s390 tools accept.
// Pure C++17, no Node: the N-API glue (addon.cc) is the only file that knows JavaScript.
#pragma once

#include <cstddef>
#include <cstdint>

namespace zmdev {

constexpr int kMaskBits = 256;
constexpr int kMaskBytes = 32;

// Bit numbering is "inverted" as in the kernel's set_bit_inv: ID 0 is the most significant bit
// of byte 0, so the hex text reads left to right in ID order.
inline bool mask_test(const uint8_t* m, unsigned id) { return (m[id >> 3] >> (7 - (id & 7))) & 1u; }
inline void mask_set(uint8_t* m, unsigned id) { m[id >> 3] |= static_cast<uint8_t>(0x80u >> (id & 7)); }
inline void mask_clear(uint8_t* m, unsigned id) { m[id >> 3] &= static_cast<uint8_t>(~(0x80u >> (id & 7))); }

// The result of every parser: err is 0 or a positive errno (EINVAL, ERANGE); pos is the byte
// offset at which the input was refused and reason a static English phrase saying why.
struct ParseStatus {
  int err;
  size_t pos;
  const char* reason;
};

// Kernel sysfs store of /sys/bus/ap/apmask and aqmask (ap_parse_bitmap_str): a first '+' or '-'
// selects relative mode (start from `current`), anything else absolute hex (start from zero).
// The input is what the driver sees: `len` bytes, ending early at a NUL as a C string would.
ParseStatus parse_kernel_mask(const uint8_t* s, size_t len, const uint8_t* current, uint8_t* out);

// Absolute hex only (hex2bitmap); `out` is cleared first.
ParseStatus parse_kernel_hex(const uint8_t* s, size_t len, uint8_t* out);

// The three comma/newline separated hex masks of an mdev's ap_config attribute. The input is
// truncated to kApConfigLen bytes first, as the kernel does.
constexpr size_t kApConfigLen = 201;
ParseStatus parse_ap_config(const uint8_t* s, size_t len, uint8_t* apm, uint8_t* aqm, uint8_t* adm);

// kstrtoul(s, 0): the parser of assign_* / unassign_* / remove. EINVAL or ERANGE.
ParseStatus parse_kstrtoul(const uint8_t* s, size_t len, uint64_t* value);

// chzdev --type ap apmask=/aqmask= lists: absolute "3,5-10,0x25" (listed IDs stay with the host)
// or relative "+0-4,-0xf0". Unlike zdev, a reversed range ("10-3") is refused.
ParseStatus parse_chzdev_mask(const uint8_t* s, size_t len, const uint8_t* current, uint8_t* out);

// Writes "0x" + 64 lowercase hex digits (66 bytes, no NUL) — the kernel's read format.
void format_mask(const uint8_t* m, char* out66);

}  // namespace zmdev
