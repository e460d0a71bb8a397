// Shared-APQN detection over many adapter x domain matrices in time linear in their APQNs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace zmdev {

// Each matrix is 64 bytes: the 32-byte adapter mask (apm) then the 32-byte domain mask (aqm).
constexpr size_t kMatrixBytes = 64;

struct ApqnConflict {
  uint32_t a;     // index of the earlier matrix
  uint32_t b;     // index of the later matrix (a < b)
  uint32_t apqn;  // adapter << 8 | domain
};

// The entries are one per (pair of matrices, APQN both contain), ordered by a, b, apqn. Appends
// all of them, or, when there are more than `limit`, only the first `limit`; returns how many
// there are in all (saturating at UINT64_MAX). count must be below 2^32.
//
// A few kilobytes of input can stand for billions of entries (200 matrices of all 256 x 256
// APQNs share 1.3 billion), so memory stays in proportion to what is returned: up to about 36
// bytes per returned entry, plus 256 KiB per thread. When everything fits in the limit, an owner
// table over the 65,536 APQNs finds the entries without comparing matrices; past the limit, the
// matrices that share anything are compared pair by pair, up to the limit (see the .cc file).
uint64_t find_shared_apqns(const uint8_t* matrices, size_t count, std::vector<ApqnConflict>& out,
                           uint64_t limit = UINT64_MAX);

// Number of set bits of a 256-bit mask.
unsigned mask_popcount(const uint8_t* m);

}  // namespace zmdev
