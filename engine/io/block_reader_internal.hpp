// Shared pieces of the BlockReader backends. Internal to engine/io.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/io/block_reader.hpp"
#include "engine/io/read_plan.hpp"

namespace laser {

struct ReadBufferAccess {
  // Sizes *out and *plans to reqs.size() and gives each request its aligned
  // buffer and read plan, with the options' test hooks (need == 0 for an empty request). Returns
  // ResourceExhausted naming the request iff an allocation fails.
  static Status Prepare(std::span<const ReadRequest> reqs, const BlockReaderOptions& options,
                        std::vector<ReadBuffer>* out, std::vector<ReadPlan>* plans);
};

std::unique_ptr<BlockReader> NewPreadBlockReader(const BlockReaderOptions& options);
// Returns the io_uring backend, or NotSupported with *why_not set to the reason.
Result<std::unique_ptr<BlockReader>> NewUringBlockReader(const BlockReaderOptions& options,
                                                         std::string* why_not);

}  // namespace laser
