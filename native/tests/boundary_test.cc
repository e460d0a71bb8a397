// The checks the addon makes before it trusts a JavaScript value, and the names it gives to the
// C++ exceptions it catches.
#include <cmath>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "boundary.h"
#include "check.h"

using zmdev::boundary::Caught;
using zmdev::boundary::describe_current_exception;
using zmdev::boundary::fd_from_number;
using zmdev::boundary::has_nul;
using zmdev::boundary::uint_from_number;

namespace {

struct Named {
  std::string code, message;
};

// The message may point into the exception object: copy it while the catch block runs.
template <typename F>
Named caught(F throw_it) {
  try {
    throw_it();
  } catch (...) {
    Caught c = describe_current_exception();
    return {c.code, c.message};
  }
  return {"none", "nothing thrown"};
}

}  // namespace

TEST_CASE(fd_accepts_nonnegative_int32_only) {
  int fd = -7;
  CHECK(fd_from_number(0, &fd));
  CHECK_EQ(fd, 0);
  CHECK(fd_from_number(3, &fd));
  CHECK_EQ(fd, 3);
  CHECK(fd_from_number(2147483647.0, &fd));
  CHECK_EQ(fd, 2147483647);
  CHECK(fd_from_number(-0.0, &fd));
  CHECK_EQ(fd, 0);
  fd = 42;
  const double refused[] = {9007199254740992.0,  // 2**53: Int32Value() made it fd 0
                            -1, 1.5,             // 1.5 became fd 1 (stdout)
                            2147483648.0, 4294967296.0 + 3, -2147483648.0,
                            std::nan(""), std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity(), 1e-300};
  for (double v : refused) CHECK(!fd_from_number(v, &fd));
  CHECK_EQ(fd, 42);  // untouched on refusal
}

TEST_CASE(uint_range_and_wholeness) {
  uint64_t u = 5;
  CHECK(uint_from_number(0, 10, &u));
  CHECK_EQ(u, uint64_t{0});
  CHECK(uint_from_number(10, 10, &u));
  CHECK_EQ(u, uint64_t{10});
  CHECK(!uint_from_number(11, 10, &u));
  CHECK(!uint_from_number(0.5, 10, &u));
  CHECK(!uint_from_number(-1, 10, &u));
  CHECK(!uint_from_number(std::nan(""), 10, &u));
  CHECK(uint_from_number(4294967295.0, 4294967295u, &u));
  CHECK_EQ(u, uint64_t{4294967295u});
  CHECK(!uint_from_number(4294967296.0, 4294967295u, &u));
  const uint64_t exact = uint64_t{1} << 53;
  CHECK(uint_from_number(9007199254740992.0, exact, &u));
  CHECK_EQ(u, exact);
  CHECK(!uint_from_number(std::numeric_limits<double>::infinity(), exact, &u));
  CHECK_EQ(u, exact);
}

TEST_CASE(nul_anywhere_in_the_bytes) {
  CHECK(!has_nul("", 0));
  CHECK(!has_nul("/sys/bus/ap", 11));
  const std::string inner("/sys\0/x", 7);
  CHECK(has_nul(inner.data(), inner.size()));
  const std::string last("/sys/x\0", 7);
  CHECK(has_nul(last.data(), last.size()));
  CHECK(!has_nul(last.data(), 6));  // only the bytes given count
}

TEST_CASE(exceptions_get_an_errno_name) {
  Named c = caught([] { throw std::bad_alloc(); });
  CHECK_EQ(c.code, std::string("ENOMEM"));
  CHECK(c.message.find("bad_alloc") != std::string::npos);

  c = caught([] { std::vector<uint64_t> v; v.reserve(v.max_size() + 1); });
  CHECK_EQ(c.code, std::string("ENOMEM"));

  c = caught([] { throw std::runtime_error("core invariant broken"); });
  CHECK_EQ(c.code, std::string("ENATIVE"));
  CHECK_EQ(c.message, std::string("core invariant broken"));

  c = caught([] { throw 42; });
  CHECK_EQ(c.code, std::string("ENATIVE"));
  CHECK(c.message.find("not a std::exception") != std::string::npos);

  Caught none = describe_current_exception();  // outside a catch block: nothing to describe, no crash
  CHECK_EQ(std::string(none.code), std::string("ENATIVE"));
}

TEST_MAIN()
