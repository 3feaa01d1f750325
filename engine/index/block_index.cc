#include "engine/index/block_index.hpp"

#include <malloc.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>

namespace laser {

TableIndex::TableIndex() = default;

TableIndex::~TableIndex() {
  for (auto& leaf : leaves_) {
    for (uint32_t i = 0; i < leaf->n; ++i) std::free(leaf->vals[i]);
  }
}

size_t TableIndex::LeafFor(uint64_t user) const {
  assert(!leaves_.empty());
  auto it = std::upper_bound(mins_.begin(), mins_.end(), user);
  return it == mins_.begin() ? 0 : static_cast<size_t>(it - mins_.begin()) - 1;
}

TableIndex::Blocks* const* TableIndex::Find(uint64_t user) const {
  if (leaves_.empty()) return nullptr;
  const Leaf& leaf = *leaves_[LeafFor(user)];
  // The binary search would wait for four or five of the keys' lines, one
  // after another; requested together, they arrive in one wait. The keys
  // need not start on a line: the last one is requested by its last byte.
  const char* keys = reinterpret_cast<const char*>(leaf.keys);
  for (size_t off = 0; off < sizeof(leaf.keys); off += 64) __builtin_prefetch(keys + off);
  __builtin_prefetch(keys + sizeof(leaf.keys) - 1);
  const uint64_t* end = leaf.keys + leaf.n;
  const uint64_t* it = std::lower_bound(leaf.keys, end, user);
  if (it == end || *it != user) return nullptr;
  return &leaf.vals[it - leaf.keys];
}

std::vector<BlockHandle> TableIndex::Get(uint64_t user) const {
  std::vector<BlockHandle> out;
  Get(user, &out);
  return out;
}

void TableIndex::Get(uint64_t user, std::vector<BlockHandle>* out) const {
  Blocks* const* slot = Find(user);
  if (slot == nullptr) {
    out->clear();
    return;
  }
  out->assign((*slot)->h, (*slot)->h + (*slot)->n);
}

bool TableIndex::Contains(uint64_t user) const { return Find(user) != nullptr; }

std::optional<BlockHandle> TableIndex::Last(uint64_t user) const {
  Blocks* const* slot = Find(user);
  if (slot == nullptr || (*slot)->n == 0) return std::nullopt;
  return (*slot)->h[(*slot)->n - 1];
}

TableIndex::Blocks* TableIndex::NewBlocks(std::span<const BlockHandle> a,
                                          std::span<const BlockHandle> b) {
  const size_t n = a.size() + b.size();
  void* mem = std::malloc(sizeof(Blocks) + n * sizeof(BlockHandle));
  if (mem == nullptr) throw std::bad_alloc();
  Blocks* blocks = static_cast<Blocks*>(mem);
  blocks->n = static_cast<uint32_t>(n);
  if (!a.empty()) std::memcpy(blocks->h, a.data(), a.size() * sizeof(BlockHandle));
  if (!b.empty()) std::memcpy(blocks->h + a.size(), b.data(), b.size() * sizeof(BlockHandle));
  Account(blocks, +1);
  return blocks;
}

void TableIndex::FreeBlocks(Blocks* b) {
  Account(b, -1);
  std::free(b);
}

void TableIndex::Account(const Blocks* b, int sign) {
  const uint64_t bytes = malloc_usable_size(const_cast<Blocks*>(b));
  uint64_t events = 0;
  for (uint32_t i = 0; i < b->n; ++i) events += b->h[i].count;
  if (sign > 0) {
    block_bytes_ += bytes;
    entries_ += b->n;
    events_ += events;
  } else {
    block_bytes_ -= bytes;
    entries_ -= b->n;
    events_ -= events;
  }
}

void TableIndex::InsertNew(uint64_t user, Blocks* b) {
  ++users_;
  if (leaves_.empty()) {
    leaves_.push_back(std::make_unique<Leaf>());
    mins_.push_back(user);
  }
  size_t li = LeafFor(user);
  Leaf* leaf = leaves_[li].get();
  if (leaf->n == kLeafCapacity) {
    // Split in half; appends in ascending user order (the common case of a
    // flush) fill the left leaf completely instead.
    auto right = std::make_unique<Leaf>();
    const bool tail = li + 1 == leaves_.size() && user > leaf->keys[leaf->n - 1];
    const uint32_t keep = tail ? kLeafCapacity : kLeafCapacity / 2;
    right->n = leaf->n - keep;
    std::memcpy(right->keys, leaf->keys + keep, right->n * sizeof(uint64_t));
    std::memcpy(right->vals, leaf->vals + keep, right->n * sizeof(Blocks*));
    leaf->n = keep;
    if (right->n == 0) {
      right->keys[0] = user;
      right->vals[0] = b;
      right->n = 1;
      mins_.insert(mins_.begin() + static_cast<ptrdiff_t>(li) + 1, user);
      leaves_.insert(leaves_.begin() + static_cast<ptrdiff_t>(li) + 1, std::move(right));
      return;
    }
    mins_.insert(mins_.begin() + static_cast<ptrdiff_t>(li) + 1, right->keys[0]);
    leaves_.insert(leaves_.begin() + static_cast<ptrdiff_t>(li) + 1, std::move(right));
    if (user >= mins_[li + 1]) ++li;
    leaf = leaves_[li].get();
  }
  uint64_t* end = leaf->keys + leaf->n;
  const size_t pos = static_cast<size_t>(std::lower_bound(leaf->keys, end, user) - leaf->keys);
  std::memmove(leaf->keys + pos + 1, leaf->keys + pos, (leaf->n - pos) * sizeof(uint64_t));
  std::memmove(leaf->vals + pos + 1, leaf->vals + pos, (leaf->n - pos) * sizeof(Blocks*));
  leaf->keys[pos] = user;
  leaf->vals[pos] = b;
  ++leaf->n;
  mins_[li] = leaf->keys[0];
}

void TableIndex::Erase(uint64_t user) {
  const size_t li = LeafFor(user);
  Leaf* leaf = leaves_[li].get();
  uint64_t* end = leaf->keys + leaf->n;
  const size_t pos = static_cast<size_t>(std::lower_bound(leaf->keys, end, user) - leaf->keys);
  assert(pos < leaf->n && leaf->keys[pos] == user);
  FreeBlocks(leaf->vals[pos]);
  std::memmove(leaf->keys + pos, leaf->keys + pos + 1, (leaf->n - pos - 1) * sizeof(uint64_t));
  std::memmove(leaf->vals + pos, leaf->vals + pos + 1, (leaf->n - pos - 1) * sizeof(Blocks*));
  --leaf->n;
  --users_;
  if (leaf->n == 0) {
    leaves_.erase(leaves_.begin() + static_cast<ptrdiff_t>(li));
    mins_.erase(mins_.begin() + static_cast<ptrdiff_t>(li));
  } else {
    mins_[li] = leaf->keys[0];
  }
}

void TableIndex::Append(uint64_t user, std::span<const BlockHandle> handles) {
  if (handles.empty()) return;
  Blocks* const* slot = Find(user);
  if (slot == nullptr) {
    InsertNew(user, NewBlocks({}, handles));
    return;
  }
  Blocks* old = *slot;
  Blocks* grown = NewBlocks(std::span<const BlockHandle>(old->h, old->n), handles);
  *const_cast<Blocks**>(slot) = grown;
  FreeBlocks(old);
}

void TableIndex::Set(uint64_t user, std::span<const BlockHandle> handles) {
  Blocks* const* slot = Find(user);
  if (slot == nullptr) {
    if (!handles.empty()) InsertNew(user, NewBlocks({}, handles));
    return;
  }
  if (handles.empty()) {
    Erase(user);
    return;
  }
  Blocks* old = *slot;
  *const_cast<Blocks**>(slot) = NewBlocks(handles, {});
  FreeBlocks(old);
}

std::vector<uint64_t> TableIndex::Users(std::optional<uint64_t> after, size_t limit) const {
  std::vector<uint64_t> out;
  if (leaves_.empty() || limit == 0) return out;
  size_t li = after ? LeafFor(*after) : 0;
  for (; li < leaves_.size() && out.size() < limit; ++li) {
    const Leaf& leaf = *leaves_[li];
    const uint64_t* it =
        after ? std::upper_bound(leaf.keys, leaf.keys + leaf.n, *after) : leaf.keys;
    for (; it != leaf.keys + leaf.n && out.size() < limit; ++it) out.push_back(*it);
  }
  return out;
}

uint64_t TableIndex::bytes() const {
  return block_bytes_ + leaves_.capacity() * sizeof(leaves_[0]) + leaves_.size() * sizeof(Leaf) +
         mins_.capacity() * sizeof(uint64_t) + sizeof(*this);
}

}  // namespace laser
