// A loaded LASER scoring model (DESIGN.md section 5, docs/model.md): the
// float32 weights of a safetensors file, checked tensor by tensor against the
// shapes its config implies, plus the matrices the fast scorer derives from
// them once at load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "laser/status.hpp"

namespace laser::model {

class SafetensorsFile;

// The config in `__metadata__` (decimal strings) and the sizes that follow
// from the tensor shapes.
struct ModelConfig {
  int L = 1000;  // newest events scored
  int w = 10;    // segment length
  int H = 2;     // STA heads
  int d_q = 16;  // STA gate width per head
  int M = 2;     // GSTA layers
  int H_g = 2;   // GSTA heads
  int r = 5;     // newest segments in the mean-pool term
  std::string item_column = "item_id";
  std::string action_column = "action";
  // From the tensors.
  int d_i = 0;                // item embedding width
  int d_a = 0;                // action embedding width
  int d = 0;                  // d_i + d_a
  int num_items = 0;          // rows of item_emb (row 0 = unknown item)
  int num_actions = 0;        // rows of action_emb
  int segments = 0;           // L' = ceil(L / w), rows of sta.recency
  int ffn = 0;                // STA FFN width
  int head_hidden = 0;        // head.w1 rows
  std::vector<int> gsta_ffn;  // per GSTA layer FFN width
};

struct ModelOptions {
  // Precompute, at load, the target-independent projections of every item
  // row and action row (the gate keys and the distributed Wo·Wv / W1·Wo·Wv
  // values), so a history only gathers rows. Costs
  // Model::precomputed_bytes() of memory; refused with ResourceExhausted
  // beyond precompute_budget_bytes.
  bool precompute = false;
  size_t precompute_budget_bytes = size_t{1} << 30;
  // Also keep the STA FFN's W2 (the largest GEMM left per segment and
  // target) in bf16 and run that GEMM with bf16 inputs and float32
  // accumulation where the CPU has AVX512_BF16 (elsewhere float32 is used).
  // Error bound: docs/model.md.
  bool bf16_ffn = false;
};

// A row-major float32 matrix (rows x cols); vectors are rows = 1.
struct Mat {
  int rows = 0;
  int cols = 0;
  std::vector<float> v;
  const float* row(int i) const { return v.data() + static_cast<size_t>(i) * cols; }
  float* row(int i) { return v.data() + static_cast<size_t>(i) * cols; }
  const float* data() const { return v.data(); }
};

struct GstaLayer {
  Mat wq, wk, wv, wo;  // d x d as stored (out x in)
  Mat ln1_gamma, ln1_beta, ln2_gamma, ln2_beta;
  Mat w1, b1, w2, b2;
  // Transposed (in x out) copies for the row-batched GEMMs.
  Mat wq_t, wv_t, wo_t, w1_t, w2_t;
};

// The weights as stored (matrices are out x in: y = W x) and derived copies.
struct ModelWeights {
  std::vector<uint64_t> item_ids;
  Mat item_emb, action_emb;
  Mat sta_wq, sta_wk, sta_wv, sta_gate_bias, sta_wo, sta_recency;
  Mat sta_w1, sta_b1, sta_w2, sta_b2, sta_ln_gamma, sta_ln_beta;
  Mat target_proj;
  std::vector<GstaLayer> gsta;
  Mat head_w1, head_b1, head_w2, head_b2;

  // Derived at load (docs/model.md, "Fast formulation").
  Mat sta_wq_t;       // d_i x H*d_q
  Mat sta_wk_t;       // d x H*d_q
  Mat sta_wv_t;       // d x d
  Mat sta_wo_t;       // d x d
  Mat sta_w1_t;       // d x F
  Mat sta_w2_t;       // F x d
  Mat target_proj_t;  // d_i x d
  Mat head_w1_t;      // 4d x head_hidden
  // wc_t: d x H*(d+F); head h's columns [h*(d+F), h*(d+F)+d) hold
  // (Wo_h Wv_h)^T and the next F hold (W1 Wo_h Wv_h)^T, where Wo_h are the
  // columns of Wo and Wv_h the rows of Wv that belong to head h.
  Mat wc_t;
  // seg_bias: L' x (d+F), row j-1 = [p_j + b2 | W1 p_j + b1]: the
  // target-independent part of segment j's FFN input and residual.
  Mat seg_bias;
  std::vector<uint16_t> sta_w2_bf16;  // W2^T as PackBf16Pairs(F x d), iff bf16_ffn
  // Precomputed rows (iff ModelOptions::precompute): [k | c] per item row
  // from the item part of x, and per action row from the action part.
  Mat item_pre;    // num_items x (H*d_q + H*(d+F))
  Mat action_pre;  // num_actions x (H*d_q + H*(d+F))
};

class Model {
 public:
  // Loads and validates the model at `path`. Errors: NotFound / IOError for
  // the file, Corruption for its bytes, InvalidArgument naming the tensor for
  // a missing tensor, a wrong dtype or shape, a NaN/Inf value or a bad
  // config value, ResourceExhausted if precomputation exceeds its budget.
  static Result<std::shared_ptr<const Model>> Load(const std::string& path,
                                                   const ModelOptions& options);
  // As Load, from the file's bytes; `source` names them in errors.
  static Result<std::shared_ptr<const Model>> FromBytes(std::vector<uint8_t> bytes,
                                                        const std::string& source,
                                                        const ModelOptions& options);

  const ModelConfig& config() const { return config_; }
  const ModelOptions& options() const { return options_; }
  const ModelWeights& weights() const { return w_; }
  // Row of item_emb for `item_id`; 0 (the unknown row) iff it is not listed.
  int ItemRow(uint64_t item_id) const;
  // Row of action_emb for `action`; 0 iff outside [0, num_actions).
  int ActionRow(int64_t action) const {
    return action >= 0 && action < config_.num_actions ? static_cast<int>(action) : 0;
  }
  // Bytes held by the precomputed per-item/per-action rows (0 without).
  size_t precomputed_bytes() const;
  // Bytes held by all weights, derived matrices included.
  size_t memory_bytes() const;

 private:
  static Result<std::shared_ptr<const Model>> Build(const SafetensorsFile& f,
                                                    const ModelOptions& options);

  ModelConfig config_;
  ModelOptions options_;
  ModelWeights w_;
};

}  // namespace laser::model
