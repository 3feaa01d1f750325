// SkipList: an ordered set with one writer and any number of lock-free
// readers.
//
// Thread safety: Insert must be externally serialised (one writer at a time).
// Readers (Contains, Iterator) need no lock and may run concurrently with the
// writer; they observe a consistent sorted subset of the keys that includes
// every key whose Insert returned before the read started. Nodes live in an
// Arena and are never removed, so a reader can never touch freed memory;
// the arena (and the list) must outlive every reader.
//
// Publication: a node's key and lower links are written before it is linked,
// and the link is stored with release order; readers load links with acquire
// order, so a reader that reaches a node sees its fully built contents.
//
// Appends are O(1): the writer remembers the last node of every level, so a
// key greater than every key in the list is linked without a search (the
// common case for a user's events, which mostly arrive in order-key order).
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <new>
#include <random>

#include "engine/memtable/arena.hpp"

namespace laser {

// Comparator: a copyable callable `int operator()(const Key& a, const Key& b)`
// returning <0, 0, >0. Key: a trivially copyable value (typically a pointer
// into the arena). Keys must be unique under the comparator. MaxHeight bounds
// the tower height: 4^MaxHeight keys are searched in O(log n).
template <typename Key, class Comparator, int MaxHeight = 12>
class SkipList {
 private:
  struct Node;

 public:
  static constexpr int kMaxHeight = MaxHeight;

  SkipList(Comparator cmp, Arena* arena);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // Inserts key. REQUIRES: no equal key is in the list; one writer at a time.
  void Insert(const Key& key);

  // Insert that also reports the keys adjacent to the new one: *before gets
  // the largest key < key and *after the smallest key > key, or nullptr if
  // there is none. Same REQUIRES as Insert.
  void Insert(const Key& key, const Key** before, const Key** after);

  // Insert for a key known to be greater than every key in the list: links
  // it without comparing keys. REQUIRES that, and one writer at a time.
  void Append(const Key& key);

  // Returns true iff a key equal to `key` is in the list.
  bool Contains(const Key& key) const;

  // Number of inserted keys; may lag behind a concurrent Insert.
  size_t size() const { return size_.load(std::memory_order_acquire); }

  // A read cursor. Safe to use concurrently with the writer.
  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list), node_(nullptr) {}
    // Returns true iff positioned at a key.
    bool Valid() const { return node_ != nullptr; }
    // REQUIRES Valid().
    const Key& key() const {
      assert(Valid());
      return node_->key;
    }
    // REQUIRES Valid().
    void Next() {
      assert(Valid());
      node_ = node_->Next(0);
    }
    // Moves to the last key < key(); invalid if none. REQUIRES Valid().
    void Prev() {
      assert(Valid());
      node_ = list_->FindLessThan(node_->key);
      if (node_ == list_->head_) node_ = nullptr;
    }
    // Positions at the first key >= target.
    void Seek(const Key& target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() {
      node_ = list_->FindLast();
      if (node_ == list_->head_) node_ = nullptr;
    }

   private:
    const SkipList* list_;
    const Node* node_;
  };

 private:
  struct Node {
    explicit Node(const Key& k) : key(k) {}
    Key const key;
    Node* Next(int level) const { return next_[level].load(std::memory_order_acquire); }
    void SetNext(int level, Node* n) { next_[level].store(n, std::memory_order_release); }
    // Only the writer reads links relaxed: it is the one that wrote them.
    Node* NextRelaxed(int level) const { return next_[level].load(std::memory_order_relaxed); }
    void SetNextRelaxed(int level, Node* n) { next_[level].store(n, std::memory_order_relaxed); }

    // Allocated with `height` entries (the struct declares one).
    std::atomic<Node*> next_[1];
  };

  Node* NewNode(const Key& key, int height);
  int RandomHeight();
  bool KeyIsAfterNode(const Key& key, const Node* n) const {
    return n != nullptr && cmp_(n->key, key) < 0;
  }
  // First node >= key, or nullptr; fills prev[level] with the last node < key
  // at every level when prev is not null.
  Node* FindGreaterOrEqual(const Key& key, Node** prev) const;
  // Last node < key, or head_.
  Node* FindLessThan(const Key& key) const;
  // Last node, or head_ if empty.
  Node* FindLast() const;
  int height() const { return height_.load(std::memory_order_relaxed); }

  Comparator const cmp_;
  Arena* const arena_;
  Node* const head_;
  std::atomic<int> height_{1};
  std::atomic<size_t> size_{0};
  std::minstd_rand rng_{0x5eed};
  // Writer only: the last node of every level (head_ where a level is empty).
  Node* tail_[kMaxHeight];
};

template <typename Key, class Comparator, int MaxHeight>
SkipList<Key, Comparator, MaxHeight>::SkipList(Comparator cmp, Arena* arena)
    : cmp_(cmp), arena_(arena), head_(NewNode(Key{}, kMaxHeight)) {
  for (int i = 0; i < kMaxHeight; ++i) {
    head_->SetNextRelaxed(i, nullptr);
    tail_[i] = head_;
  }
}

template <typename Key, class Comparator, int MaxHeight>
typename SkipList<Key, Comparator, MaxHeight>::Node* SkipList<Key, Comparator, MaxHeight>::NewNode(
    const Key& key, int height) {
  char* mem =
      arena_->Allocate(sizeof(Node) + sizeof(std::atomic<Node*>) * (height - 1), alignof(Node));
  Node* n = new (mem) Node(key);
  // Slots beyond the first are raw arena memory: construct them explicitly.
  for (int i = 1; i < height; ++i) new (&n->next_[i]) std::atomic<Node*>(nullptr);
  return n;
}

template <typename Key, class Comparator, int MaxHeight>
int SkipList<Key, Comparator, MaxHeight>::RandomHeight() {
  // Branching factor 4, as in LevelDB: ~1.33 links per node.
  int h = 1;
  while (h < kMaxHeight && (rng_() & 3) == 0) ++h;
  return h;
}

template <typename Key, class Comparator, int MaxHeight>
typename SkipList<Key, Comparator, MaxHeight>::Node*
SkipList<Key, Comparator, MaxHeight>::FindGreaterOrEqual(const Key& key, Node** prev) const {
  Node* x = head_;
  int level = height() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (KeyIsAfterNode(key, next)) {
      x = next;
    } else {
      if (prev != nullptr) prev[level] = x;
      if (level == 0) return next;
      --level;
    }
  }
}

template <typename Key, class Comparator, int MaxHeight>
typename SkipList<Key, Comparator, MaxHeight>::Node*
SkipList<Key, Comparator, MaxHeight>::FindLessThan(const Key& key) const {
  Node* x = head_;
  int level = height() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr && cmp_(next->key, key) < 0) {
      x = next;
    } else {
      if (level == 0) return x;
      --level;
    }
  }
}

template <typename Key, class Comparator, int MaxHeight>
typename SkipList<Key, Comparator, MaxHeight>::Node*
SkipList<Key, Comparator, MaxHeight>::FindLast() const {
  Node* x = head_;
  int level = height() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr) {
      x = next;
    } else {
      if (level == 0) return x;
      --level;
    }
  }
}

template <typename Key, class Comparator, int MaxHeight>
void SkipList<Key, Comparator, MaxHeight>::Insert(const Key& key) {
  const Key* before;
  const Key* after;
  Insert(key, &before, &after);
}

template <typename Key, class Comparator, int MaxHeight>
void SkipList<Key, Comparator, MaxHeight>::Insert(const Key& key, const Key** before,
                                                  const Key** after) {
  Node* prev[kMaxHeight];
  Node* x;
  if (tail_[0] == head_ || cmp_(tail_[0]->key, key) < 0) {
    // An append: the predecessor at every level is that level's last node.
    for (int i = 0; i < kMaxHeight; ++i) prev[i] = tail_[i];
    x = nullptr;
  } else {
    x = FindGreaterOrEqual(key, prev);
    assert(x == nullptr || cmp_(key, x->key) != 0);
  }
  *before = prev[0] == head_ ? nullptr : &prev[0]->key;
  *after = x == nullptr ? nullptr : &x->key;

  const int h = RandomHeight();
  if (h > height()) {
    for (int i = height(); i < h; ++i) prev[i] = head_;
    // A reader that sees the new height before the new links finds null
    // links from head_ at those levels and simply drops a level: safe.
    height_.store(h, std::memory_order_relaxed);
  }
  Node* n = NewNode(key, h);
  for (int i = 0; i < h; ++i) {
    Node* const next = prev[i]->NextRelaxed(i);
    n->SetNextRelaxed(i, next);
    prev[i]->SetNext(i, n);
    if (next == nullptr) tail_[i] = n;
  }
  size_.fetch_add(1, std::memory_order_release);
}

template <typename Key, class Comparator, int MaxHeight>
void SkipList<Key, Comparator, MaxHeight>::Append(const Key& key) {
  assert(tail_[0] == head_ || cmp_(tail_[0]->key, key) < 0);
  const int h = RandomHeight();
  if (h > height()) height_.store(h, std::memory_order_relaxed);
  Node* n = NewNode(key, h);
  for (int i = 0; i < h; ++i) {
    n->SetNextRelaxed(i, nullptr);
    tail_[i]->SetNext(i, n);
    tail_[i] = n;
  }
  size_.fetch_add(1, std::memory_order_release);
}

template <typename Key, class Comparator, int MaxHeight>
bool SkipList<Key, Comparator, MaxHeight>::Contains(const Key& key) const {
  Node* x = FindGreaterOrEqual(key, nullptr);
  return x != nullptr && cmp_(key, x->key) == 0;
}

}  // namespace laser
