// What vfio_ioctl lets through to the kernel: the four VFIO device requests zmdev sends, each
// with a buffer that holds everything the kernel may copy. Refusals happen before the syscall;
// a pty master, which answers TCGETS, shows that they do.
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "check.h"
#include "vfio.h"

using namespace zmdev::vfio;

namespace {

// _IOC(dir, type, nr, size) in the generic layout.
constexpr unsigned long ioc(unsigned long dir, unsigned long type, unsigned long nr, unsigned long size) {
  return dir << 30 | size << 16 | type << 8 | nr;
}

std::vector<uint8_t> with_argsz(size_t len, uint32_t argsz) {
  std::vector<uint8_t> b(len, 0);
  std::memcpy(b.data(), &argsz, sizeof argsz);
  return b;
}

int checked(unsigned long request, const std::vector<uint8_t>& b, size_t len) { return check_request(request, b.data(), len); }

}  // namespace

TEST_CASE(encoded_sizes) {
  CHECK_EQ(encoded_size(0x5401), size_t{0});  // TCGETS: an old number, no _IOC bits
  CHECK_EQ(encoded_size(kDeviceGetInfo), size_t{0});
  CHECK_EQ(encoded_size(ioc(2, 'T', 0x30, 4)), size_t{4});       // _IOR('T', 0x30, int)
  CHECK_EQ(encoded_size(ioc(1, ';', 1, 24)), size_t{24});        // _IOW
  CHECK_EQ(encoded_size(ioc(3, ';', 1, 0x3fff)), size_t{0x3fff});  // _IOWR, largest size
  CHECK_EQ(encoded_size(ioc(0, ';', 1, 8)), size_t{0});          // size bits without a direction
}

TEST_CASE(only_the_four_vfio_device_requests) {
  CHECK(is_known_request(kDeviceGetInfo));
  CHECK(is_known_request(kDeviceGetIrqInfo));
  CHECK(is_known_request(kDeviceSetIrqs));
  CHECK(is_known_request(kDeviceReset));
  const std::vector<uint8_t> big = with_argsz(4096, 24);
  const unsigned long others[] = {0x5401, 0x3b6a, 0x3b6c, 0x3b70, 0, ioc(2, ';', 0x6b, 24), kDeviceGetInfo | (1ul << 32)};
  for (unsigned long r : others) {
    CHECK(!is_known_request(r));
    CHECK_EQ(checked(r, big, big.size()), -ENOTTY);
  }
}

TEST_CASE(buffers_hold_the_handler_minimum) {
  for (unsigned long r : {kDeviceGetInfo, kDeviceGetIrqInfo}) {
    CHECK_EQ(checked(r, with_argsz(16, 16), 15), -EFAULT);
    CHECK_EQ(checked(r, with_argsz(16, 16), 16), 0);
    CHECK_EQ(checked(r, with_argsz(16, 16), 0), -EFAULT);
  }
  CHECK_EQ(checked(kDeviceSetIrqs, with_argsz(24, 20), 23), -EFAULT);  // vfio_ap reads the fd at 20
  CHECK_EQ(checked(kDeviceSetIrqs, with_argsz(24, 24), 24), 0);
  CHECK_EQ(check_request(kDeviceReset, nullptr, 0), 0);  // RESET takes no argument
  CHECK_EQ(checked(kDeviceReset, with_argsz(8, 0xffffffff), 8), 0);
}

TEST_CASE(buffers_hold_their_argsz) {
  CHECK_EQ(checked(kDeviceGetInfo, with_argsz(24, 24), 24), 0);
  CHECK_EQ(checked(kDeviceGetInfo, with_argsz(16, 24), 16), -EFAULT);  // VFIO copies back up to argsz
  CHECK_EQ(checked(kDeviceGetInfo, with_argsz(64, 64), 64), 0);
  CHECK_EQ(checked(kDeviceGetInfo, with_argsz(64, 65), 64), -EFAULT);
  CHECK_EQ(checked(kDeviceGetIrqInfo, with_argsz(16, 0xffffffff), 16), -EFAULT);
  CHECK_EQ(checked(kDeviceSetIrqs, with_argsz(24, 28), 24), -EFAULT);
  CHECK_EQ(checked(kDeviceGetInfo, with_argsz(16, 0), 16), 0);  // too small: the kernel's EINVAL
}

TEST_CASE(refusals_come_before_the_syscall) {
  int pty = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  CHECK(pty >= 0);
  if (pty < 0) return;
  struct termios tio;
  CHECK_EQ(::ioctl(pty, TCGETS, &tio), 0);  // the kernel would answer this one
  // A 1-byte view at the start of a larger buffer: nothing after it may change.
  std::vector<uint8_t> b(64, 0xaa);
  CHECK_EQ(vfio_ioctl(pty, TCGETS, b.data(), 1), -ENOTTY);
  CHECK_EQ(vfio_ioctl(pty, TCGETS, b.data(), b.size()), -ENOTTY);
  bool untouched = true;
  for (uint8_t x : b) untouched = untouched && x == 0xaa;
  CHECK(untouched);
  std::vector<uint8_t> info = with_argsz(16, 24);
  CHECK_EQ(vfio_ioctl(pty, kDeviceGetInfo, info.data(), info.size()), -EFAULT);
  info = with_argsz(24, 24);
  CHECK_EQ(vfio_ioctl(pty, kDeviceGetInfo, info.data(), info.size()), -ENOTTY);  // now the kernel's answer
  ::close(pty);
}

TEST_CASE(kernel_errors_are_kept) {
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  CHECK(null_fd >= 0);
  std::vector<uint8_t> info = with_argsz(24, 24);
  CHECK_EQ(vfio_ioctl(null_fd, kDeviceGetInfo, info.data(), info.size()), -ENOTTY);
  CHECK_EQ(vfio_ioctl(null_fd, kDeviceReset, nullptr, 0), -ENOTTY);
  ::close(null_fd);
  CHECK_EQ(vfio_ioctl(null_fd, kDeviceReset, nullptr, 0), -EBADF);
}

TEST_MAIN()
