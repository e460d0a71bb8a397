// sysfs reads stay bounded: a file without an end gives EFBIG instead of growing without limit.
#include <errno.h>

#include <string>

#include "check.h"
#include "sysfs_io.h"

using namespace zmdev::sysfs;

TEST_CASE(a_file_without_an_end_is_efbig) {
  std::string out = "kept";
  const char* syscall = nullptr;
  CHECK_EQ(read_attribute("/dev/zero", &out, &syscall), -EFBIG);
  CHECK_EQ(std::string(syscall), std::string("read"));
  CHECK_EQ(out, std::string("kept"));  // restored
}

TEST_CASE(ordinary_files_are_read_whole) {
  std::string out;
  const char* syscall = nullptr;
  CHECK_EQ(read_attribute("/proc/self/stat", &out, &syscall), 0);
  CHECK(!out.empty());
  out.clear();
  CHECK_EQ(read_attribute("/dev/null", &out, &syscall), 0);
  CHECK(out.empty());
  CHECK_EQ(read_attribute("/nonexistent/x", &out, &syscall), -ENOENT);
  CHECK_EQ(std::string(syscall), std::string("open"));
}

TEST_CASE(batch_reads_report_efbig_in_place) {
  const char paths[] = "/dev/null\0/dev/zero\0/nonexistent/x";
  std::string contents;
  int32_t status[6] = {};
  CHECK_EQ(read_attributes(paths, 3, &contents, status), size_t{2});
  CHECK_EQ(status[0], 0);
  CHECK_EQ(status[2], -EFBIG);
  CHECK_EQ(status[3], static_cast<int32_t>(kSyscallRead));
  CHECK_EQ(status[4], -ENOENT);
  CHECK_EQ(status[5], static_cast<int32_t>(kSyscallOpen));
  CHECK(contents.empty());
}

TEST_MAIN()
