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

// The argument size a request number states in its _IOC bits (the generic layout x86 and s390
// share: direction in bits 30-31, size in bits 16-29): the size for _IOR/_IOW/_IOWR, 0 for _IO
// and for old numbers such as TCGETS (0x5401) that encode no size at all.
size_t encoded_size(unsigned long request);

// Whether zmdev sends this request: the four VFIO device ioctls above, nothing else.
bool is_known_request(unsigned long request);

// The bytes the kernel's handler copies from or to the argument for a known request, whatever
// argsz says: vfio_device_info and vfio_irq_info headers (16), vfio_irq_set header plus the one
// s32 fd vfio_ap reads at offset 20 (24), and nothing for RESET. 0 for any other request.
size_t min_argument_bytes(unsigned long request);

// 0, or the -errno that refuses ioctl(request, buf) before the kernel sees it:
//  * -ENOTTY for a request zmdev does not send (what a driver says of a request it does not
//    know): TCGETS into a 1-byte view used to have the tty layer write 36 bytes into it;
//  * -EFAULT for a buffer shorter than the kernel may touch: the size the request encodes, the
//    handler's minimum, or, for the structs that carry one (all but RESET), the argsz in their
//    first u32 (host byte order), since VFIO sizes what it copies back by argsz.
// An argsz below the minimum is left to the kernel, which answers EINVAL.
int check_request(unsigned long request, const uint8_t* buf, size_t len);

// One ioctl(fd, request, buf) after check_request(). RESET passes no argument. EINTR is retried.
int vfio_ioctl(int fd, unsigned long request, uint8_t* buf, size_t len);

}  // namespace vfio
}  // namespace zmdev
