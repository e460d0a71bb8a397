// What the N-API glue checks before it trusts a JavaScript value, and how it names a C++
// exception it caught. Pure C++ (no N-API), so that the unit tests can pin every rule.
#pragma once

#include <cstddef>
#include <cstdint>

namespace zmdev {
namespace boundary {

// An fd as the kernel takes it: a whole number in [0, INT32_MAX]. A JS number such as 2**53, -1,
// 1.5 or NaN is refused instead of being wrapped or truncated into some other, open, fd.
bool fd_from_number(double v, int* fd);

// A whole number in [0, max]; max must not exceed 2**53 (the largest exact JS integer range).
bool uint_from_number(double v, uint64_t max, uint64_t* out);

// Whether a byte string holds a NUL: the C string a syscall sees would end there.
bool has_nul(const char* s, size_t n);

// The errno name and a short description of the exception being handled: ENOMEM for
// std::bad_alloc and std::length_error (a size nothing can hold), ENATIVE for anything else.
// Call it only inside a catch block. Allocates nothing: `message` points at static text or at
// the exception's what(), valid until the catch block ends.
struct Caught {
  const char* code;
  const char* message;
};
Caught describe_current_exception() noexcept;

}  // namespace boundary
}  // namespace zmdev
