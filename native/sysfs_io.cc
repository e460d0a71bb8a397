#include "sysfs_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace zmdev {
namespace sysfs {

namespace {

// open(2) does not store anything, so retrying it after a signal is harmless.
int open_retry(const char* path, int flags) {
  int fd;
  do fd = ::open(path, flags | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  return fd;
}

// Reads fd until EOF straight into the tail of *out. sysfs hands out at most a page per
// attribute, so one 4 KiB step plus the EOF read is the common case.
int read_to_end(int fd, std::string* out) {
  constexpr size_t kStep = 4096;
  const size_t start = out->size();
  size_t used = start;
  for (;;) {
    out->resize(used + kStep);
    ssize_t n = ::read(fd, &(*out)[used], kStep);
    if (n > 0) {
      used += static_cast<size_t>(n);
      if (used - start > kMaxAttributeBytes) {
        out->resize(used);
        return -EFBIG;
      }
    } else if (n == 0) {
      out->resize(used);
      return 0;
    } else if (errno != EINTR) {
      int e = errno;
      out->resize(used);
      return -e;
    }
  }
}

}  // namespace

int read_attribute(const char* path, std::string* out, const char** syscall) {
  const size_t start = out->size();
  int fd = open_retry(path, O_RDONLY);
  if (fd < 0) {
    *syscall = "open";
    return -errno;
  }
  int r = read_to_end(fd, out);
  ::close(fd);  // a read-only descriptor has nothing left to report
  if (r < 0) {
    out->resize(start);
    *syscall = "read";
  }
  return r;
}

size_t read_attributes(const char* paths, size_t count, std::string* contents, int32_t* status) {
  size_t failed = 0;
  const char* p = paths;
  for (size_t i = 0; i < count; ++i) {
    const size_t before = contents->size();
    const char* syscall = nullptr;
    int r = read_attribute(p, contents, &syscall);
    int32_t len_or_err;
    int32_t which = kSyscallNone;
    if (r < 0) {
      len_or_err = r;
      which = std::strcmp(syscall, "open") == 0 ? kSyscallOpen : kSyscallRead;
      ++failed;
    } else {
      len_or_err = static_cast<int32_t>(contents->size() - before);
    }
    std::memcpy(status + 2 * i, &len_or_err, sizeof len_or_err);
    std::memcpy(status + 2 * i + 1, &which, sizeof which);
    p += std::strlen(p) + 1;
  }
  return failed;
}

long write_attribute(const char* path, const uint8_t* data, size_t length, const char** syscall) {
  int fd = open_retry(path, O_WRONLY);
  if (fd < 0) {
    *syscall = "open";
    return -errno;
  }
  // Exactly one write(2): the kernel runs one store per call, so a retry would be a second store.
  ssize_t n = ::write(fd, data, length);
  int write_errno = errno;
  int closed = ::close(fd);
  int close_errno = errno;
  if (n < 0) {
    *syscall = "write";
    return -write_errno;
  }
  if (closed < 0 && close_errno != EINTR) {
    *syscall = "close";
    return -close_errno;
  }
  return static_cast<long>(n);
}

int list_directory(const char* path, std::vector<std::string>* names, const char** syscall) {
  *syscall = "readdir";
  DIR* d = ::opendir(path);
  if (d == nullptr) return -errno;
  for (;;) {
    errno = 0;
    struct dirent* e = ::readdir(d);
    if (e == nullptr) {
      int err = errno;
      ::closedir(d);
      if (err != 0) return -err;
      break;
    }
    const char* n = e->d_name;
    if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
    names->emplace_back(n);
  }
  std::sort(names->begin(), names->end());
  return 0;
}

int read_link(const char* path, std::string* out, const char** syscall) {
  size_t size = 256;
  for (;;) {
    out->resize(size);
    ssize_t n = ::readlink(path, &(*out)[0], size);
    if (n < 0) {
      *syscall = "readlink";
      out->clear();
      return -errno;
    }
    if (static_cast<size_t>(n) < size) {
      out->resize(static_cast<size_t>(n));
      return 0;
    }
    size *= 2;  // the target may have been cut: try again with room to spare
  }
}

int stat_path(const char* path, bool follow, int* kind, unsigned* mode, const char** syscall) {
  struct stat st;
  int r = follow ? ::stat(path, &st) : ::lstat(path, &st);
  if (r < 0) {
    *syscall = "stat";
    return -errno;
  }
  *kind = S_ISDIR(st.st_mode) ? kDirectory : S_ISLNK(st.st_mode) ? kLink : kFile;
  *mode = static_cast<unsigned>(st.st_mode & 07777);
  return 0;
}

}  // namespace sysfs
}  // namespace zmdev
