#include "vfio.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace zmdev {
namespace vfio {

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

int vfio_ioctl(int fd, unsigned long request, uint8_t* buf, size_t len) {
  if (len < min_argument_bytes(request)) return -EFAULT;
  void* arg = request == kDeviceReset || len == 0 ? nullptr : buf;
  int r;
  do r = ::ioctl(fd, request, arg);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : 0;
}

}  // namespace vfio
}  // namespace zmdev
