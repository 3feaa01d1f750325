#include "engine/index/checkpoint.hpp"

#include <xxhash.h>

#include <cstring>

#include "engine/segment/segment_format.hpp"

namespace laser {
namespace {

constexpr char kMagic[8] = {'L', 'A', 'S', 'E', 'R', 'I', 'D', 'X'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 40;

// Resize + memcpy rather than push_back: GCC 12 reports a false
// -Wstringop-overflow for byte-wise push_back after insert.
void PutBytes(const uint8_t* p, size_t n, std::vector<uint8_t>* out) {
  const size_t at = out->size();
  out->resize(at + n);
  std::memcpy(out->data() + at, p, n);
}
void PutU32(uint32_t v, std::vector<uint8_t>* out) {
  uint8_t b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  PutBytes(b, 4, out);
}
void PutU64(uint64_t v, std::vector<uint8_t>* out) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  PutBytes(b, 8, out);
}

// Bounds-checked little-endian reader over the checkpoint bytes.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> b, const std::string& file) : b_(b), file_(file) {}
  bool U32(uint32_t* v) {
    if (b_.size() - pos_ < 4) return false;
    *v = 0;
    for (int i = 3; i >= 0; --i) *v = (*v << 8) | b_[pos_ + static_cast<size_t>(i)];
    pos_ += 4;
    return true;
  }
  bool U64(uint64_t* v) {
    if (b_.size() - pos_ < 8) return false;
    *v = 0;
    for (int i = 7; i >= 0; --i) *v = (*v << 8) | b_[pos_ + static_cast<size_t>(i)];
    pos_ += 8;
    return true;
  }
  size_t pos() const { return pos_; }
  size_t remaining() const { return b_.size() - pos_; }
  Status Error(const std::string& what) const {
    return Status::Corruption("index checkpoint " + file_ + " offset " + std::to_string(pos_) +
                              ": " + what);
  }

 private:
  std::span<const uint8_t> b_;
  const std::string& file_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<uint8_t> EncodeIndexCheckpoint(const ManifestData& m, const IndexView& tables) {
  std::vector<uint8_t> out;
  PutBytes(reinterpret_cast<const uint8_t*>(kMagic), 8, &out);
  PutU32(kVersion, &out);
  PutU32(0, &out);
  PutU64(m.index_epoch, &out);
  PutU32(static_cast<uint32_t>(m.segments.size()), &out);
  PutU32(static_cast<uint32_t>(tables.size()), &out);
  PutU64(0, &out);
  for (const SegmentEntry& s : m.segments) {
    PutU64(s.id, &out);
    PutU64(s.size, &out);
  }
  for (const auto& [id, index] : tables) {
    PutU32(id, &out);
    PutU64(index->users(), &out);
    index->ForEach([&](uint64_t user, std::span<const BlockHandle> hs) {
      PutU64(user, &out);
      PutU32(static_cast<uint32_t>(hs.size()), &out);
      for (const BlockHandle& h : hs) {
        PutU64(static_cast<uint64_t>(h.first_key), &out);
        PutU64(static_cast<uint64_t>(h.last_key), &out);
        PutU64(h.offset, &out);
        PutU32(h.segment, &out);
        PutU32(h.length, &out);
        PutU32(h.count, &out);
      }
    });
  }
  PutU64(XXH64(out.data(), out.size(), 0), &out);
  return out;
}

Result<IndexMap> DecodeIndexCheckpoint(std::span<const uint8_t> bytes, const ManifestData& m,
                                       const std::string& file) {
  if (bytes.size() < kHeaderSize + 8) {
    return Status::Corruption("index checkpoint " + file + " offset 0: truncated (" +
                              std::to_string(bytes.size()) + " bytes)");
  }
  const size_t body = bytes.size() - 8;
  uint64_t stored = 0;
  for (int i = 7; i >= 0; --i) stored = (stored << 8) | bytes[body + static_cast<size_t>(i)];
  if (stored != XXH64(bytes.data(), body, 0)) {
    return Status::Corruption("index checkpoint " + file + " offset " + std::to_string(body) +
                              ": checksum mismatch");
  }
  Cursor c(bytes.subspan(0, body), file);
  if (std::memcmp(bytes.data(), kMagic, 8) != 0) return c.Error("bad magic");
  uint64_t skip = 0;
  if (!c.U64(&skip)) return c.Error("truncated header");
  uint32_t version = 0, reserved = 0, nseg = 0, ntables = 0;
  uint64_t epoch = 0, reserved64 = 0;
  if (!c.U32(&version) || !c.U32(&reserved) || !c.U64(&epoch) || !c.U32(&nseg) ||
      !c.U32(&ntables) || !c.U64(&reserved64)) {
    return c.Error("truncated header");
  }
  if (version != kVersion) return c.Error("unsupported version " + std::to_string(version));
  if (epoch != m.index_epoch) {
    return c.Error("stale: epoch " + std::to_string(epoch) + ", manifest has " +
                   std::to_string(m.index_epoch));
  }
  if (nseg != m.segments.size()) return c.Error("stale: segment list differs from the manifest");
  for (const SegmentEntry& s : m.segments) {
    uint64_t id = 0, size = 0;
    if (!c.U64(&id) || !c.U64(&size)) return c.Error("truncated segment list");
    if (id != s.id || size != s.size) {
      return c.Error("stale: segment list differs from the manifest");
    }
  }
  IndexMap out;
  std::vector<BlockHandle> hs;
  for (uint32_t t = 0; t < ntables; ++t) {
    uint32_t table_id = 0;
    uint64_t users = 0;
    if (!c.U32(&table_id) || !c.U64(&users)) return c.Error("truncated table header");
    const bool keep = m.FindTable(table_id) != nullptr;
    if (keep && out.count(table_id) != 0) {
      return c.Error("duplicate table " + std::to_string(table_id));
    }
    auto index = std::make_unique<TableIndex>();
    bool have_prev = false;
    uint64_t prev = 0;
    for (uint64_t u = 0; u < users; ++u) {
      uint64_t user = 0;
      uint32_t n = 0;
      if (!c.U64(&user) || !c.U32(&n)) return c.Error("truncated user entry");
      if (have_prev && user <= prev) return c.Error("users not ascending");
      if (n == 0 || c.remaining() / 36 < n) return c.Error("bad handle count " + std::to_string(n));
      have_prev = true;
      prev = user;
      hs.resize(n);
      for (uint32_t i = 0; i < n; ++i) {
        uint64_t first = 0, last = 0, offset = 0;
        uint32_t seg = 0, len = 0, count = 0;
        const size_t at = c.pos();
        c.U64(&first);
        c.U64(&last);
        c.U64(&offset);
        c.U32(&seg);
        c.U32(&len);
        c.U32(&count);
        const SegmentEntry* s = m.FindSegment(seg);
        if (s == nullptr || len < segment::kFrameHeaderSize ||
            (count == 0 && len != segment::kFrameHeaderSize) || offset < segment::kFileHeaderSize ||
            offset > s->size || len > s->size - offset ||
            static_cast<int64_t>(first) > static_cast<int64_t>(last)) {
          return Status::Corruption("index checkpoint " + file + " offset " + std::to_string(at) +
                                    ": handle outside the segments");
        }
        hs[i] = BlockHandle{
            static_cast<int64_t>(first), static_cast<int64_t>(last), offset, seg, len, count};
      }
      if (keep) index->Append(user, hs);
    }
    if (keep) out.emplace(table_id, std::move(index));
  }
  if (c.remaining() != 0) return c.Error("trailing bytes");
  return out;
}

}  // namespace laser
