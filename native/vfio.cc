#include "vfio.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace zmdev {
namespace vfio {

namespace {

constexpr unsigned kIocSizeShift = 16;
constexpr unsigned long kIocSizeMask = 0x3fff;
constexpr unsigned kIocDirShift = 30;

bool carries_argsz(unsigned long request) { return request != kDeviceReset; }

}  // namespace

size_t encoded_size(unsigned long request) {
  if (((request >> kIocDirShift) & 3u) == 0) return 0;  // _IOC_NONE: the size bits mean nothing
  return static_cast<size_t>((request >> kIocSizeShift) & kIocSizeMask);
}

bool is_known_request(unsigned long request) {
  switch (request) {
    case kDeviceGetInfo:
    case kDeviceGetIrqInfo:
    case kDeviceSetIrqs:
    case kDeviceReset:
      return true;
    default:
      return false;
  }
}

size_t min_argument_bytes(unsigned long request) {
  switch (request) {
    case kDeviceGetInfo:
    case kDeviceGetIrqInfo:
      return 16;
    case kDeviceSetIrqs:
      return 24;
    default:
      return 0;
  }
}

int check_request(unsigned long request, const uint8_t* buf, size_t len) {
  if (!is_known_request(request)) return -ENOTTY;
  size_t need = std::max(encoded_size(request), min_argument_bytes(request));
  if (len < need) return -EFAULT;
  if (carries_argsz(request)) {
    uint32_t argsz;
    if (len < sizeof argsz) return -EFAULT;
    std::memcpy(&argsz, buf, sizeof argsz);
    if (len < argsz) return -EFAULT;
  }
  return 0;
}

int vfio_ioctl(int fd, unsigned long request, uint8_t* buf, size_t len) {
  int refused = check_request(request, buf, len);
  if (refused) return refused;
  void* arg = request == kDeviceReset || len == 0 ? nullptr : buf;
  int r;
  do r = ::ioctl(fd, request, arg);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : 0;
}

}  // namespace vfio
}  // namespace zmdev
