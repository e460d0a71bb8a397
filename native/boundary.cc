#include "boundary.h"

#include <climits>
#include <cmath>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>

namespace zmdev {
namespace boundary {

bool uint_from_number(double v, uint64_t max, uint64_t* out) {
  // NaN fails every comparison, so it falls out here as well.
  if (!(v >= 0) || !(v <= static_cast<double>(max)) || std::trunc(v) != v) return false;
  *out = static_cast<uint64_t>(v);
  return true;
}

bool fd_from_number(double v, int* fd) {
  uint64_t u = 0;
  if (!uint_from_number(v, INT32_MAX, &u)) return false;
  *fd = static_cast<int>(u);
  return true;
}

bool has_nul(const char* s, size_t n) { return n > 0 && std::memchr(s, '\0', n) != nullptr; }

Caught describe_current_exception() noexcept {
  try {
    std::exception_ptr p = std::current_exception();
    if (p) std::rethrow_exception(p);
    return {"ENATIVE", "no exception"};
  } catch (const std::bad_alloc&) {
    return {"ENOMEM", "out of memory (std::bad_alloc)"};
  } catch (const std::length_error& e) {
    return {"ENOMEM", e.what()};
  } catch (const std::exception& e) {
    return {"ENATIVE", e.what()};
  } catch (...) {
    return {"ENATIVE", "an exception that is not a std::exception"};
  }
}

}  // namespace boundary
}  // namespace zmdev
