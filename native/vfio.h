// VFIO device ioctls as vfio_ap answers them: one ioctl(2) on an open device fd, errno kept.
// Pure C++ (no N-API). Returns 0 on success and -errno on failure. The fd is opened and closed
// by the caller (Node's fs), so that it is an ordinary Node fd.
#pragma once

#include <cstddef>
#include <cstdint>

namespace zmdev {
namespace vfio {

// _IO(';', 100 + n): no size or direction bits, so the kernel takes the argument's size from its
// own struct (and its argsz field), not from the request number.
constexpr unsigned long kDeviceGetInfo = 0x3b6b;
constexpr unsigned long kDeviceGetIrqInfo = 0x3b6d;
constexpr unsigned long kDeviceSetIrqs = 0x3b6e;
constexpr unsigned long kDeviceReset = 0x3b6f;

// The bytes the kernel's handler copies from or to the argument for a known request, whatever
// argsz says: vfio_device_info and vfio_irq_info headers (16), vfio_irq_set header plus the one
// s32 fd vfio_ap reads at offset 20 (24), and nothing for RESET. 0 for any other request.
size_t min_argument_bytes(unsigned long request);

// One ioctl(fd, request, buf). A known request whose buffer is shorter than
// min_argument_bytes() is refused with -EFAULT without reaching the kernel, since the kernel
// would copy outside the buffer. RESET passes no argument. EINTR is retried.
int vfio_ioctl(int fd, unsigned long request, uint8_t* buf, size_t len);

}  // namespace vfio
}  // namespace zmdev
