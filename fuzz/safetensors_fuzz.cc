// libFuzzer target: arbitrary bytes through the safetensors reader and the
// model loader (every tensor, shape, dtype and value check). Must never crash,
// leak or read out of bounds; scoring runs on whatever loads.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "operators/model/model.hpp"
#include "operators/model/safetensors.hpp"
#include "operators/model/scorer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  auto f = laser::model::SafetensorsFile::Parse(bytes, "fuzz.safetensors");
  if (f.ok()) {
    for (const auto& t : f->tensors()) {
      auto raw = f->Data(t);
      if (!raw.empty()) (void)raw[raw.size() - 1];
    }
  }
  auto m = laser::model::Model::FromBytes(std::move(bytes), "fuzz.safetensors", {});
  if (m.ok()) {
    const uint64_t items[3] = {1, 2, 3};
    const int64_t actions[3] = {0, 1, -1};
    const uint64_t targets[2] = {1, 99};
    laser::model::ScoreOutput out;
    laser::model::ScoreScratch scratch;
    (void)laser::model::Score(**m, items, actions, targets, {}, &out, &scratch);
  }
  return 0;
}
