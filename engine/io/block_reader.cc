#include "engine/io/block_reader.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "engine/io/block_reader_internal.hpp"
#include "engine/util/status_macros.hpp"

namespace laser {

void ReadBuffer::Release::operator()(uint8_t* p) const {
  if (pool != nullptr) {
    pool->Give(p);
  } else {
    std::free(p);
  }
}

Status ReadBufferAccess::Prepare(std::span<const ReadRequest> reqs,
                                 const BlockReaderOptions& options, std::vector<ReadBuffer>* out,
                                 std::vector<ReadPlan>* plans, ReadBufferPool* pool) {
  out->clear();
  out->resize(reqs.size());
  plans->assign(reqs.size(), ReadPlan{});
  for (size_t i = 0; i < reqs.size(); ++i) {
    const ReadRequest& r = reqs[i];
    assert(r.file != nullptr);
    ReadPlan& p = (*plans)[i];
    ReadBuffer& b = (*out)[i];
    const size_t align = r.file->direct_alignment();
    p.align = align;
    p.max_per_call = options.max_bytes_per_read;
    p.fake_retry_every = options.inject_retryable_error_every;
    p.calls = static_cast<unsigned>(i);  // staggers the injected failures
    p.start = align != 0 ? AlignDown(r.offset, align) : r.offset;
    const uint64_t end = align != 0 ? AlignUp(r.offset + r.length, align) : r.offset + r.length;
    p.cap = static_cast<size_t>(end - p.start);
    p.need = r.length == 0 ? 0 : static_cast<size_t>(r.offset + r.length - p.start);
    const size_t mem_align = std::max(align, kDirectMemAlign);
    uint8_t* slot = pool != nullptr && r.length != 0 ? pool->Take(p.cap, mem_align) : nullptr;
    if (slot != nullptr) {
      b.storage_ = std::unique_ptr<uint8_t, ReadBuffer::Release>(slot, ReadBuffer::Release{pool});
    } else {
      b.storage_.reset(AllocateAligned(p.cap, mem_align).release());
    }
    if (!b.storage_) {
      out->clear();
      return Status::ResourceExhausted("read '" + r.file->path() + "' at offset " +
                                       std::to_string(r.offset) + ": cannot allocate " +
                                       std::to_string(p.cap) + " bytes");
    }
    b.skip_ = static_cast<size_t>(r.offset - p.start);
    b.length_ = r.length;
    p.buf = b.storage_.get();
  }
  return Status::OK();
}

Result<std::unique_ptr<BlockReader>> NewBlockReader(IoBackend want, std::string* fallback_reason) {
  return NewBlockReader(want, fallback_reason, BlockReaderOptions{});
}

Result<std::unique_ptr<BlockReader>> NewBlockReader(IoBackend want, std::string* fallback_reason,
                                                    const BlockReaderOptions& options) {
  assert(options.inject_retryable_error_every != 1 && "every read would fail forever");
  std::string reason;
  if (want == IoBackend::kAuto) {
    const char* env = std::getenv("LASER_IO_BACKEND");
    std::string_view v = env != nullptr ? env : "";
    if (v == "pread") {
      want = IoBackend::kPread;
      reason = "LASER_IO_BACKEND=pread selects the pread backend";
    } else if (v == "uring" || v == "io_uring") {
      want = IoBackend::kUring;
    } else if (!v.empty() && v != "auto") {
      return Status::InvalidArgument("LASER_IO_BACKEND='" + std::string(v) +
                                     "': expected pread, uring or auto");
    }
  }
  if (fallback_reason != nullptr) *fallback_reason = reason;
  if (want == IoBackend::kPread) return NewPreadBlockReader(options);
  std::string why_not;
  auto uring = NewUringBlockReader(options, &why_not);
  if (uring.ok()) {
    if (fallback_reason != nullptr) *fallback_reason = why_not;
    return uring;
  }
  if (want == IoBackend::kUring) return uring;
  if (fallback_reason != nullptr) *fallback_reason = why_not;
  return NewPreadBlockReader(options);
}

}  // namespace laser
