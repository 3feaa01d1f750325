#include "engine/memtable/arena.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace laser {
namespace {

TEST_CASE(
    "arena: aligned, disjoint allocations that keep their bytes across the switch to huge blocks") {
  Arena arena;
  struct Piece {
    char* p;
    size_t n;
    uint8_t fill;
  };
  std::vector<Piece> pieces;
  std::mt19937_64 rng(3);
  size_t huge_aligned = 0;  // allocations that start a 2 MiB-aligned block
  size_t usage_before_huge = 0;
  // Well past kHugeFrom, with now and then a request large enough for a
  // block of its own (over a quarter of either block size).
  while (arena.MemoryUsage() < 4 * Arena::kHugeFrom) {
    const bool large = rng() % 5000 == 0;
    const size_t n = large ? Arena::kHugeBlockSize / 4 + rng() % 4096 : 1 + rng() % 600;
    const size_t align = size_t{1} << (rng() % 7);  // 1 .. 64
    const size_t before = arena.MemoryUsage();
    char* p = arena.Allocate(n, align);
    REQUIRE(p != nullptr);
    CHECK(reinterpret_cast<uintptr_t>(p) % align == 0);
    const uint8_t fill = static_cast<uint8_t>(rng());
    std::memset(p, fill, n);
    pieces.push_back(Piece{p, n, fill});
    if (before < Arena::kHugeFrom) usage_before_huge = arena.MemoryUsage();
    if (before >= Arena::kHugeFrom && reinterpret_cast<uintptr_t>(p) % Arena::kHugeBlockSize == 0) {
      ++huge_aligned;
    }
  }
  // Every allocation still holds what was written to it: none overlaps
  // another, and none moved.
  size_t bad = 0;
  for (const Piece& piece : pieces) {
    for (size_t i = 0; i < piece.n; ++i) {
      if (static_cast<uint8_t>(piece.p[i]) != piece.fill) {
        ++bad;
        break;
      }
    }
  }
  CHECK(bad == 0);
  // Below the threshold the arena grew by small blocks; past it, the blocks
  // it took started on a huge page's boundary.
  CHECK(usage_before_huge < Arena::kHugeFrom + Arena::kHugeBlockSize);
  CHECK(huge_aligned >= 3);
}

}  // namespace
}  // namespace laser
