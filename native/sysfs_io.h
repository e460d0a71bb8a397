// sysfs attribute I/O as the kernel sees it: whole reads, one write(2) per store, errno kept.
// Pure C++ (no N-API). Every function returns 0 (or a byte count) on success and -errno on
// failure; `*syscall` then names the call that failed ("open", "read", "write", "readdir",
// "readlink", "stat", "close") so the caller can build a Node-style error without guessing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace zmdev {
namespace sysfs {

// The most bytes one read_attribute takes. A sysfs text attribute holds at most a page; a file
// that never ends (a root moved to /dev, where `zero` has no EOF) would otherwise grow the string
// until memory runs out.
constexpr size_t kMaxAttributeBytes = size_t{16} << 20;

// Appends the whole content of `path` to *out (open O_RDONLY|O_CLOEXEC, read until EOF, close).
// More than kMaxAttributeBytes is -EFBIG (syscall "read"). On failure *out is restored to its
// previous length.
int read_attribute(const char* path, std::string* out, const char** syscall);

// Reads `count` NUL-terminated paths laid back to back in `paths`. Every content is appended to
// *contents; status[2*i] receives its length or -errno, status[2*i+1] the failing syscall
// (kSyscallOpen / kSyscallRead) or 0. Returns how many reads failed.
enum BatchSyscall : int32_t { kSyscallNone = 0, kSyscallOpen = 1, kSyscallRead = 2 };
size_t read_attributes(const char* paths, size_t count, std::string* contents, int32_t* status);

// One write(2) of exactly `length` bytes (open O_WRONLY|O_CLOEXEC, no O_CREAT, no O_TRUNC).
// Returns the count write(2) reported, or -errno. Nothing is added, removed or retried.
long write_attribute(const char* path, const uint8_t* data, size_t length, const char** syscall);

// Directory entries without "." and "..", sorted bytewise.
int list_directory(const char* path, std::vector<std::string>* names, const char** syscall);

// The target of a symbolic link, whatever its length.
int read_link(const char* path, std::string* out, const char** syscall);

enum Kind : int { kFile = 0, kDirectory = 1, kLink = 2 };

// lstat(2) (or stat(2) with follow) reduced to a kind and the permission bits (mode & 07777).
// Anything that is neither a directory nor a link counts as a file.
int stat_path(const char* path, bool follow, int* kind, unsigned* mode, const char** syscall);

}  // namespace sysfs
}  // namespace zmdev
