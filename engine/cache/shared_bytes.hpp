#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <utility>

namespace laser {

// An immutable run of bytes (a frame) shared by the block cache and the
// reads that hold it, freed when the last holder lets go.
//
// One allocation holds the reference count, the length and the bytes. A
// warm read pins each cached frame (an atomic increment of the count) and
// then decodes the frame's header: with a std::shared_ptr to a std::vector
// those were two cache misses in two allocations, and together they took a
// sixth of a read that met three frames. Here the header shares the count's
// line.
class SharedBytes {
 public:
  SharedBytes() = default;
  SharedBytes(std::nullptr_t) {}  // NOLINT: a null frame, as from a miss

  // Returns a new run holding a then b.
  static SharedBytes Concat(std::span<const uint8_t> a, std::span<const uint8_t> b = {}) {
    const size_t n = a.size() + b.size();
    void* mem = ::operator new(sizeof(Rep) + n);
    Rep* rep = new (mem) Rep{1, n};
    uint8_t* dst = reinterpret_cast<uint8_t*>(rep + 1);
    if (!a.empty()) std::memcpy(dst, a.data(), a.size());
    if (!b.empty()) std::memcpy(dst + a.size(), b.data(), b.size());
    return SharedBytes(rep);
  }
  static SharedBytes Copy(std::span<const uint8_t> bytes) { return Concat(bytes); }

  SharedBytes(const SharedBytes& o) noexcept : rep_(o.rep_) {
    if (rep_ != nullptr) rep_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  SharedBytes(SharedBytes&& o) noexcept : rep_(std::exchange(o.rep_, nullptr)) {}
  SharedBytes& operator=(const SharedBytes& o) noexcept {
    SharedBytes(o).swap(*this);
    return *this;
  }
  SharedBytes& operator=(SharedBytes&& o) noexcept {
    SharedBytes(std::move(o)).swap(*this);
    return *this;
  }
  ~SharedBytes() { Release(); }

  void swap(SharedBytes& o) noexcept { std::swap(rep_, o.rep_); }

  // REQUIRES: non-null, for data() and size().
  const uint8_t* data() const {
    assert(rep_ != nullptr);
    return reinterpret_cast<const uint8_t*>(rep_ + 1);
  }
  size_t size() const {
    assert(rep_ != nullptr);
    return rep_->size;
  }
  std::span<const uint8_t> span() const { return {data(), size()}; }

  explicit operator bool() const { return rep_ != nullptr; }
  bool operator==(std::nullptr_t) const { return rep_ == nullptr; }

 private:
  struct Rep {
    std::atomic<uint32_t> refs;
    size_t size;
  };
  // The bytes start 8-aligned, as operator new's memory does.
  static_assert(sizeof(Rep) % 8 == 0);

  explicit SharedBytes(Rep* rep) : rep_(rep) {}

  void Release() {
    if (rep_ == nullptr) return;
    // acq_rel: the last holder's free must follow every other holder's reads.
    if (rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      rep_->~Rep();
      ::operator delete(rep_);
    }
    rep_ = nullptr;
  }

  Rep* rep_ = nullptr;
};

}  // namespace laser
