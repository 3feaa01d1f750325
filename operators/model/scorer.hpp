// Scoring one user's history against K candidate targets with a loaded LASER
// model (DESIGN.md section 5, docs/model.md). The K targets are scored
// together in tiles of kScoreTile: gates and pooled sums are GEMMs over a
// tile, target-independent projections of the history are computed once per
// call (or once per model load with ModelOptions::precompute).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "laser/status.hpp"
#include "operators/model/kernels/kernels.hpp"
#include "operators/model/model.hpp"

namespace laser::model {

// Most targets one Score call accepts (more is ResourceExhausted).
inline constexpr size_t kMaxTargetsPerCall = 4096;
// Targets scored together; bounds every per-target buffer to a tile.
inline constexpr int kScoreTile = 12;

enum class ScoreMethod : unsigned char {
  kSta,   // segmented target attention + GSTA + fusion (the model)
  kFull,  // one softmax over all n events; docs/model.md defines its head
};

// How the STA segment tokens are evaluated; both give the same result up to
// float32 rounding (docs/model.md gives the FLOP counts of each).
enum class StaFormulation : unsigned char {
  // kDistributed iff K >= 8: below, the direct form's per-target work costs
  // less than the per-call (or, precomputed, the row-gathering) work it saves.
  kAuto,
  kDirect,       // v_i = Wv x_i per event; Wo, W1, W2 per segment and target
  kDistributed,  // Wo·Wv and W1·Wo·Wv folded into per-event rows
};

struct ScoreOptions {
  ScoreMethod method = ScoreMethod::kSta;
  StaFormulation formulation = StaFormulation::kAuto;
  // Also return u_M (d floats per target).
  bool want_interest = false;
  // Kernel level; unset = BestSimdLevel(). REQUIRES CpuSupports(*simd).
  std::optional<SimdLevel> simd;
};

struct ScoreOutput {
  std::vector<float> score;     // K: sigmoid(logit)
  std::vector<float> logit;     // K
  std::vector<float> interest;  // K x d (u_M; for kFull the attention vector f), iff asked
};

// Reusable buffers of Score. One per thread; not thread-safe. (A Model is
// immutable: any number of threads may score with it, each with its scratch.)
class ScoreScratch {
 public:
  // Bytes currently held.
  size_t bytes() const;

 private:
  friend class ScorerImpl;
  std::vector<float> x_, kt_, kb_, c_, v_, g_, q_, e_, a_, cbuf_, tok_, pool_, u_, u0_, tmp_, z_,
      hid_;
  std::vector<float> qp_, alpha_, pooled_, vcat_, ffn_;
  std::vector<int> item_rows_, action_rows_, target_rows_;
};

// Scores `targets` for the history (items[i], actions[i]), oldest first; only
// the newest config().L events count, any length (0 included) is valid.
// Unknown items/targets use the unknown row; actions outside
// [0, num_actions) use row 0. Fills out->score/logit (and interest) with
// targets.size() entries. Errors: InvalidArgument iff items and actions
// differ in length; ResourceExhausted iff targets.size() > kMaxTargetsPerCall.
Status Score(const Model& model, std::span<const uint64_t> items, std::span<const int64_t> actions,
             std::span<const uint64_t> targets, const ScoreOptions& options, ScoreOutput* out,
             ScoreScratch* scratch);

// Floating-point operations per scored target for a history of n events and
// K targets: the naive evaluation (everything after the gates per segment
// and target, history projections once per call) and the one Score runs.
struct FlopCount {
  double naive_per_target = 0;
  double scorer_per_target = 0;
  double per_history = 0;  // target-independent work of one call, Score's way
};
FlopCount CountFlops(const Model& model, size_t n, size_t K, const ScoreOptions& options);

}  // namespace laser::model
