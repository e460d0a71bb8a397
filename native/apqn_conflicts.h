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

// Appends one entry per (pair of matrices, APQN both contain), ordered by a, b, apqn.
// Uses an owner table over the 65,536 APQNs: no pair of matrices is compared directly.
void find_shared_apqns(const uint8_t* matrices, size_t count, std::vector<ApqnConflict>& out);

// Number of set bits of a 256-bit mask.
unsigned mask_popcount(const uint8_t* m);

}  // namespace zmdev
