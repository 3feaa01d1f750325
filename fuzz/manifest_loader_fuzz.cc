// libFuzzer target: the manifest loader. Any bytes must give either a
// manifest that satisfies every invariant (and re-encodes to an equal one)
// or a Corruption status; never a crash, a hang or an out-of-bounds read.
// DecodeManifest runs the FlatBuffers verifier before touching any field.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "engine/catalog/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = laser::DecodeManifest(std::span<const uint8_t>(data, size), "fuzz/MANIFEST");
  if (!m.ok()) {
    if (!m.status().IsCorruption()) std::abort();
    return 0;
  }
  const std::vector<uint8_t> again = laser::EncodeManifest(*m);
  auto back = laser::DecodeManifest(again, "fuzz/MANIFEST");
  if (!back.ok() || laser::EncodeManifest(*back) != again) std::abort();
  return 0;
}
