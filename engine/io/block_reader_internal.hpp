// Shared pieces of the BlockReader backends. Internal to engine/io.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/io/block_reader.hpp"
#include "engine/io/read_plan.hpp"

namespace laser {

// Buffers a ReadBuffer can borrow instead of allocating its own.
class ReadBufferPool {
 public:
  // Returns a free buffer of at least `bytes` aligned to `align`, now owned by
  // the caller, or null iff there is none.
  virtual uint8_t* Take(size_t bytes, size_t align) = 0;
  // Gives back a buffer Take returned. Thread-safe.
  virtual void Give(uint8_t* p) = 0;

 protected:
  ~ReadBufferPool() = default;
};

struct ReadBufferAccess {
  // Sizes *out and *plans to reqs.size() and gives each request its aligned
  // buffer and read plan, with the options' test hooks (need == 0 for an empty request). Returns
  // ResourceExhausted naming the request iff an allocation fails.
  // With a pool, each non-empty request first tries to take its buffer from it.
  static Status Prepare(std::span<const ReadRequest> reqs, const BlockReaderOptions& options,
                        std::vector<ReadBuffer>* out, std::vector<ReadPlan>* plans,
                        ReadBufferPool* pool = nullptr);
};

std::unique_ptr<BlockReader> NewPreadBlockReader(const BlockReaderOptions& options);
// Returns the io_uring backend, or NotSupported with *why_not set to the reason.
// On success *why_not is "" iff every ring has the registered buffers the
// options ask for, else says which lack them and why.
Result<std::unique_ptr<BlockReader>> NewUringBlockReader(const BlockReaderOptions& options,
                                                         std::string* why_not);

}  // namespace laser
