// The shared-APQN check of native/apqn_conflicts.cc as a plain C++ program, without N-API: the
// reference that tells how much the addon's call and result conversion add on top of the core.
//
//   plain_conflicts <matrices file> <warm-up runs> <timed runs>
//
// The file holds n matrices of 64 bytes back to back (the layout of MatrixTable). Prints one line
// of JSON: the number of matrices, the number of (a, b, apqn) entries found, a checksum over them
// in order, and the time of each timed run in nanoseconds.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "../../native/apqn_conflicts.h"

namespace {

// FNV-1a over the 32-bit values a, b, apqn of each entry in order (benchmarks/run.ts computes the
// same over the addon's triples).
uint32_t checksum(const std::vector<zmdev::ApqnConflict>& found) {
  uint32_t h = 2166136261u;
  for (const auto& c : found) {
    for (uint32_t v : {c.a, c.b, c.apqn}) {
      h ^= v;
      h *= 16777619u;
    }
  }
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <matrices file> <warm-up runs> <timed runs>\n", argv[0]);
    return 2;
  }
  std::FILE* f = std::fopen(argv[1], "rb");
  if (!f) {
    std::perror(argv[1]);
    return 1;
  }
  std::vector<uint8_t> bytes;
  uint8_t buf[65536];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + got);
  std::fclose(f);
  if (bytes.size() % zmdev::kMatrixBytes) {
    std::fprintf(stderr, "%s: size is not a multiple of 64\n", argv[1]);
    return 1;
  }
  size_t n = bytes.size() / zmdev::kMatrixBytes;
  int warm = std::atoi(argv[2]);
  int runs = std::atoi(argv[3]);

  std::vector<zmdev::ApqnConflict> found;
  uint64_t sink = 0;
  for (int r = 0; r < warm; ++r) {
    found.clear();
    zmdev::find_shared_apqns(bytes.data(), n, found);
    sink += found.size();
  }
  std::vector<long long> ns;
  for (int r = 0; r < runs; ++r) {
    // A fresh vector each run, as the addon's FindSharedApqns does.
    std::vector<zmdev::ApqnConflict> out;
    auto t0 = std::chrono::steady_clock::now();
    zmdev::find_shared_apqns(bytes.data(), n, out);
    auto t1 = std::chrono::steady_clock::now();
    ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    sink += out.size();
    found.swap(out);
  }
  std::printf("{\"matrices\":%zu,\"entries\":%zu,\"checksum\":%u,\"sink\":%llu,\"ns\":[", n, found.size(),
              checksum(found), static_cast<unsigned long long>(sink));
  for (size_t i = 0; i < ns.size(); ++i) std::printf("%s%lld", i ? "," : "", ns[i]);
  std::printf("]}\n");
  return 0;
}
