#include "operators/model/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/util/status_macros.hpp"
#include "operators/model/kernels/kernels.hpp"
#include "operators/model/safetensors.hpp"

namespace laser::model {

namespace {

// Parses a config value: a decimal integer in [lo, hi].
Status ParseConfigInt(const SafetensorsFile& f, const char* key, int lo, int hi, int* out) {
  auto it = f.metadata().find(key);
  if (it == f.metadata().end()) return Status::OK();  // keeps the default
  const std::string& s = it->second;
  long long v = 0;
  bool ok = !s.empty() && s.size() <= 9;
  for (char c : s) {
    if (c < '0' || c > '9') {
      ok = false;
      break;
    }
    v = v * 10 + (c - '0');
  }
  if (!ok || v < lo || v > hi) {
    return Status::InvalidArgument(f.source() + ": __metadata__ \"" + key + "\" = \"" + s +
                                   "\" is not an integer in [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "]");
  }
  *out = static_cast<int>(v);
  return Status::OK();
}

std::string ShapeString(const std::vector<uint64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + ")";
}

// Expected dimension: a value, or kAny to accept (and report) any size.
constexpr int64_t kAny = -1;

class Loader {
 public:
  explicit Loader(const SafetensorsFile& f) : f_(f) {}

  Status Error(const std::string& tensor, const std::string& what) const {
    return Status::InvalidArgument(f_.source() + ": tensor '" + tensor + "': " + what);
  }

  // Finds `name`, checks dtype F32 and the shape (kAny dims are filled in),
  // rejects NaN/Inf, and copies it into *out (rank 1 -> 1 x n).
  Status F32(const std::string& name, std::vector<int64_t> shape, Mat* out,
             std::vector<int64_t>* got = nullptr) {
    const TensorInfo* t = f_.Find(name);
    if (t == nullptr) return Error(name, "missing");
    if (t->dtype != DType::kF32) {
      return Error(name, std::string("dtype is ") + DTypeName(t->dtype) + ", expected F32");
    }
    bool match = t->shape.size() == shape.size();
    for (size_t i = 0; match && i < shape.size(); ++i) {
      if (shape[i] != kAny && static_cast<uint64_t>(shape[i]) != t->shape[i]) match = false;
      if (t->shape[i] > (1u << 30)) match = false;
    }
    if (!match) {
      std::string want = "(";
      for (size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) want += ", ";
        want += shape[i] == kAny ? std::string("*") : std::to_string(shape[i]);
      }
      want += ")";
      return Error(name, "shape is " + ShapeString(t->shape) + ", expected " + want);
    }
    if (got != nullptr) {
      got->assign(t->shape.begin(), t->shape.end());
    }
    out->rows = shape.size() == 2 ? static_cast<int>(t->shape[0]) : 1;
    out->cols = shape.size() == 2 ? static_cast<int>(t->shape[1]) : static_cast<int>(t->shape[0]);
    out->v.resize(t->num_elements);
    std::span<const uint8_t> raw = f_.Data(*t);
    if (!raw.empty()) std::memcpy(out->v.data(), raw.data(), raw.size());
    for (size_t i = 0; i < out->v.size(); ++i) {
      if (!std::isfinite(out->v[i])) {
        return Error(name, std::string(std::isnan(out->v[i]) ? "NaN" : "Inf") + " at element " +
                               std::to_string(i));
      }
    }
    return Status::OK();
  }

 private:
  const SafetensorsFile& f_;
};

Mat Transpose(const Mat& m) {
  Mat t;
  t.rows = m.cols;
  t.cols = m.rows;
  t.v.resize(m.v.size());
  for (int i = 0; i < m.rows; ++i) {
    for (int j = 0; j < m.cols; ++j) t.v[static_cast<size_t>(j) * m.rows + i] = m.row(i)[j];
  }
  return t;
}

Mat Zeros(int rows, int cols) {
  Mat m;
  m.rows = rows;
  m.cols = cols;
  m.v.assign(static_cast<size_t>(rows) * cols, 0.0f);
  return m;
}

size_t Bytes(const Mat& m) { return m.v.size() * sizeof(float); }

Status LoadConfig(const SafetensorsFile& f, ModelConfig* c) {
  LASER_RETURN_IF_ERROR(ParseConfigInt(f, "L", 1, 1 << 20, &c->L));
  LASER_RETURN_IF_ERROR(ParseConfigInt(f, "w", 1, 1 << 20, &c->w));
  LASER_RETURN_IF_ERROR(ParseConfigInt(f, "H", 1, 1024, &c->H));
  LASER_RETURN_IF_ERROR(ParseConfigInt(f, "d_q", 1, 1 << 16, &c->d_q));
  LASER_RETURN_IF_ERROR(ParseConfigInt(f, "M", 0, 64, &c->M));
  LASER_RETURN_IF_ERROR(ParseConfigInt(f, "H_g", 1, 1024, &c->H_g));
  LASER_RETURN_IF_ERROR(ParseConfigInt(f, "r", 1, 1 << 20, &c->r));
  for (const char* key : {"item_column", "action_column"}) {
    auto it = f.metadata().find(key);
    if (it == f.metadata().end()) continue;
    if (it->second.empty()) {
      return Status::InvalidArgument(f.source() + ": __metadata__ \"" + key + "\" is empty");
    }
    (std::string_view(key) == "item_column" ? c->item_column : c->action_column) = it->second;
  }
  c->segments = (c->L + c->w - 1) / c->w;
  return Status::OK();
}

Status LoadWeights(const SafetensorsFile& f, ModelConfig* c, ModelWeights* w) {
  Loader ld(f);
  const TensorInfo* ids = f.Find("item_ids");
  if (ids == nullptr) return ld.Error("item_ids", "missing");
  if (ids->dtype != DType::kU64 || ids->shape.size() != 1) {
    return ld.Error("item_ids", std::string("dtype ") + DTypeName(ids->dtype) + " shape " +
                                    ShapeString(ids->shape) + ", expected U64 (N)");
  }
  std::vector<int64_t> shp;
  LASER_RETURN_IF_ERROR(
      ld.F32("item_emb", {static_cast<int64_t>(ids->shape[0]), kAny}, &w->item_emb, &shp));
  if (shp[0] < 1 || shp[1] < 1) return ld.Error("item_emb", "needs at least one row and column");
  c->num_items = static_cast<int>(shp[0]);
  c->d_i = static_cast<int>(shp[1]);
  w->item_ids.resize(ids->shape[0]);
  std::span<const uint8_t> raw = f.Data(*ids);
  std::memcpy(w->item_ids.data(), raw.data(), raw.size());
  if (w->item_ids[0] != 0) return ld.Error("item_ids", "item_ids[0] must be 0 (the unknown row)");
  for (size_t i = 1; i < w->item_ids.size(); ++i) {
    if (w->item_ids[i] <= w->item_ids[i - 1]) {
      return ld.Error("item_ids", "not strictly ascending at index " + std::to_string(i));
    }
  }
  LASER_RETURN_IF_ERROR(ld.F32("action_emb", {kAny, kAny}, &w->action_emb, &shp));
  if (shp[0] < 1 || shp[1] < 1) return ld.Error("action_emb", "needs at least one row and column");
  c->num_actions = static_cast<int>(shp[0]);
  c->d_a = static_cast<int>(shp[1]);
  const int d = c->d = c->d_i + c->d_a;
  if (d % c->H != 0) {
    return ld.Error(
        "sta.wv", "d = " + std::to_string(d) + " is not a multiple of H = " + std::to_string(c->H));
  }
  if (d % c->H_g != 0) {
    return ld.Error("gsta.1.wq", "d = " + std::to_string(d) +
                                     " is not a multiple of H_g = " + std::to_string(c->H_g));
  }
  const int64_t hq = static_cast<int64_t>(c->H) * c->d_q;
  LASER_RETURN_IF_ERROR(ld.F32("sta.wq", {hq, c->d_i}, &w->sta_wq));
  LASER_RETURN_IF_ERROR(ld.F32("sta.wk", {hq, d}, &w->sta_wk));
  LASER_RETURN_IF_ERROR(ld.F32("sta.wv", {d, d}, &w->sta_wv));
  LASER_RETURN_IF_ERROR(ld.F32("sta.gate_bias", {c->H}, &w->sta_gate_bias));
  LASER_RETURN_IF_ERROR(ld.F32("sta.wo", {d, d}, &w->sta_wo));
  LASER_RETURN_IF_ERROR(ld.F32("sta.recency", {c->segments, d}, &w->sta_recency));
  LASER_RETURN_IF_ERROR(ld.F32("sta.ffn.w1", {kAny, d}, &w->sta_w1, &shp));
  c->ffn = static_cast<int>(shp[0]);
  if (c->ffn < 1) return ld.Error("sta.ffn.w1", "needs at least one row");
  LASER_RETURN_IF_ERROR(ld.F32("sta.ffn.b1", {c->ffn}, &w->sta_b1));
  LASER_RETURN_IF_ERROR(ld.F32("sta.ffn.w2", {d, c->ffn}, &w->sta_w2));
  LASER_RETURN_IF_ERROR(ld.F32("sta.ffn.b2", {d}, &w->sta_b2));
  LASER_RETURN_IF_ERROR(ld.F32("sta.ln.gamma", {d}, &w->sta_ln_gamma));
  LASER_RETURN_IF_ERROR(ld.F32("sta.ln.beta", {d}, &w->sta_ln_beta));
  LASER_RETURN_IF_ERROR(ld.F32("gsta.target_proj", {d, c->d_i}, &w->target_proj));
  w->gsta.resize(static_cast<size_t>(c->M));
  c->gsta_ffn.assign(static_cast<size_t>(c->M), 0);
  for (int m = 0; m < c->M; ++m) {
    const std::string p = "gsta." + std::to_string(m + 1) + ".";
    GstaLayer& g = w->gsta[static_cast<size_t>(m)];
    LASER_RETURN_IF_ERROR(ld.F32(p + "wq", {d, d}, &g.wq));
    LASER_RETURN_IF_ERROR(ld.F32(p + "wk", {d, d}, &g.wk));
    LASER_RETURN_IF_ERROR(ld.F32(p + "wv", {d, d}, &g.wv));
    LASER_RETURN_IF_ERROR(ld.F32(p + "wo", {d, d}, &g.wo));
    LASER_RETURN_IF_ERROR(ld.F32(p + "ln1.gamma", {d}, &g.ln1_gamma));
    LASER_RETURN_IF_ERROR(ld.F32(p + "ln1.beta", {d}, &g.ln1_beta));
    LASER_RETURN_IF_ERROR(ld.F32(p + "ln2.gamma", {d}, &g.ln2_gamma));
    LASER_RETURN_IF_ERROR(ld.F32(p + "ln2.beta", {d}, &g.ln2_beta));
    LASER_RETURN_IF_ERROR(ld.F32(p + "ffn.w1", {kAny, d}, &g.w1, &shp));
    const int fg = static_cast<int>(shp[0]);
    if (fg < 1) return ld.Error(p + "ffn.w1", "needs at least one row");
    c->gsta_ffn[static_cast<size_t>(m)] = fg;
    LASER_RETURN_IF_ERROR(ld.F32(p + "ffn.b1", {fg}, &g.b1));
    LASER_RETURN_IF_ERROR(ld.F32(p + "ffn.w2", {d, fg}, &g.w2));
    LASER_RETURN_IF_ERROR(ld.F32(p + "ffn.b2", {d}, &g.b2));
  }
  LASER_RETURN_IF_ERROR(ld.F32("head.w1", {kAny, 4 * static_cast<int64_t>(d)}, &w->head_w1, &shp));
  c->head_hidden = static_cast<int>(shp[0]);
  if (c->head_hidden < 1) return ld.Error("head.w1", "needs at least one row");
  LASER_RETURN_IF_ERROR(ld.F32("head.b1", {c->head_hidden}, &w->head_b1));
  LASER_RETURN_IF_ERROR(ld.F32("head.w2", {1, c->head_hidden}, &w->head_w2));
  LASER_RETURN_IF_ERROR(ld.F32("head.b2", {1}, &w->head_b2));
  return Status::OK();
}

// The matrices of the fast formulation (docs/model.md), products in double.
void Derive(const ModelConfig& c, ModelWeights* w) {
  const int d = c.d, F = c.ffn, H = c.H, dv = d / H;
  w->sta_wq_t = Transpose(w->sta_wq);
  w->sta_wk_t = Transpose(w->sta_wk);
  w->sta_wv_t = Transpose(w->sta_wv);
  w->sta_wo_t = Transpose(w->sta_wo);
  w->sta_w1_t = Transpose(w->sta_w1);
  w->sta_w2_t = Transpose(w->sta_w2);
  w->target_proj_t = Transpose(w->target_proj);
  w->head_w1_t = Transpose(w->head_w1);
  for (GstaLayer& g : w->gsta) {
    g.wq_t = Transpose(g.wq);
    g.wv_t = Transpose(g.wv);
    g.wo_t = Transpose(g.wo);
    g.w1_t = Transpose(g.w1);
    g.w2_t = Transpose(g.w2);
  }
  const int cw = H * (d + F);
  w->wc_t = Zeros(d, cw);
  std::vector<double> p(static_cast<size_t>(d) * d);
  for (int h = 0; h < H; ++h) {
    // P = Wo[:, head h] * Wv[head h, :]  (d x d)
    for (int r = 0; r < d; ++r) {
      for (int k = 0; k < d; ++k) {
        double s = 0;
        for (int v = 0; v < dv; ++v) {
          s += static_cast<double>(w->sta_wo.row(r)[h * dv + v]) * w->sta_wv.row(h * dv + v)[k];
        }
        p[static_cast<size_t>(r) * d + k] = s;
      }
    }
    for (int r = 0; r < d; ++r) {
      for (int k = 0; k < d; ++k) {
        w->wc_t.row(k)[h * (d + F) + r] = static_cast<float>(p[static_cast<size_t>(r) * d + k]);
      }
    }
    for (int r = 0; r < F; ++r) {
      for (int k = 0; k < d; ++k) {
        double s = 0;
        for (int q = 0; q < d; ++q) {
          s += static_cast<double>(w->sta_w1.row(r)[q]) * p[static_cast<size_t>(q) * d + k];
        }
        w->wc_t.row(k)[h * (d + F) + d + r] = static_cast<float>(s);
      }
    }
  }
  w->seg_bias = Zeros(c.segments, d + F);
  for (int j = 0; j < c.segments; ++j) {
    for (int k = 0; k < d; ++k) {
      w->seg_bias.row(j)[k] = w->sta_recency.row(j)[k] + w->sta_b2.v[static_cast<size_t>(k)];
    }
    for (int r = 0; r < F; ++r) {
      double s = w->sta_b1.v[static_cast<size_t>(r)];
      for (int k = 0; k < d; ++k) {
        s += static_cast<double>(w->sta_w1.row(r)[k]) * w->sta_recency.row(j)[k];
      }
      w->seg_bias.row(j)[d + r] = static_cast<float>(s);
    }
  }
}

size_t PrecomputeBytes(const ModelConfig& c) {
  const size_t width = static_cast<size_t>(c.H) * c.d_q + static_cast<size_t>(c.H) * (c.d + c.ffn);
  return (static_cast<size_t>(c.num_items) + c.num_actions) * width * sizeof(float);
}

// item_pre / action_pre: [Wk x | Wc x] restricted to the item / action part.
void Precompute(const ModelConfig& c, ModelWeights* w) {
  const KernelTable& kt = KernelsFor(BestSimdLevel());
  const int hq = c.H * c.d_q, cw = c.H * (c.d + c.ffn), width = hq + cw;
  w->item_pre = Zeros(c.num_items, width);
  w->action_pre = Zeros(c.num_actions, width);
  kt.gemm(c.num_items, hq, c.d_i, w->item_emb.data(), c.d_i, w->sta_wk_t.data(), hq,
          w->item_pre.v.data(), width, false);
  kt.gemm(c.num_items, cw, c.d_i, w->item_emb.data(), c.d_i, w->wc_t.data(), cw,
          w->item_pre.v.data() + hq, width, false);
  kt.gemm(c.num_actions, hq, c.d_a, w->action_emb.data(), c.d_a, w->sta_wk_t.row(c.d_i), hq,
          w->action_pre.v.data(), width, false);
  kt.gemm(c.num_actions, cw, c.d_a, w->action_emb.data(), c.d_a, w->wc_t.row(c.d_i), cw,
          w->action_pre.v.data() + hq, width, false);
}

}  // namespace

int Model::ItemRow(uint64_t item_id) const {
  const auto& ids = w_.item_ids;
  if (item_id == 0 || ids.size() < 2) return 0;
  auto it = std::lower_bound(ids.begin() + 1, ids.end(), item_id);
  if (it == ids.end() || *it != item_id) return 0;
  return static_cast<int>(it - ids.begin());
}

size_t Model::precomputed_bytes() const { return Bytes(w_.item_pre) + Bytes(w_.action_pre); }

size_t Model::memory_bytes() const {
  size_t b = w_.item_ids.size() * sizeof(uint64_t) + w_.sta_w2_bf16.size() * sizeof(uint16_t);
  for (const Mat* m :
       {&w_.item_emb,      &w_.action_emb, &w_.sta_wq,       &w_.sta_wk,      &w_.sta_wv,
        &w_.sta_gate_bias, &w_.sta_wo,     &w_.sta_recency,  &w_.sta_w1,      &w_.sta_b1,
        &w_.sta_w2,        &w_.sta_b2,     &w_.sta_ln_gamma, &w_.sta_ln_beta, &w_.target_proj,
        &w_.head_w1,       &w_.head_b1,    &w_.head_w2,      &w_.head_b2,     &w_.sta_wq_t,
        &w_.sta_wk_t,      &w_.sta_wv_t,   &w_.sta_wo_t,     &w_.sta_w1_t,    &w_.sta_w2_t,
        &w_.target_proj_t, &w_.head_w1_t,  &w_.wc_t,         &w_.seg_bias,    &w_.item_pre,
        &w_.action_pre}) {
    b += Bytes(*m);
  }
  for (const GstaLayer& g : w_.gsta) {
    for (const Mat* m :
         {&g.wq, &g.wk, &g.wv, &g.wo, &g.ln1_gamma, &g.ln1_beta, &g.ln2_gamma, &g.ln2_beta, &g.w1,
          &g.b1, &g.w2, &g.b2, &g.wq_t, &g.wv_t, &g.wo_t, &g.w1_t, &g.w2_t}) {
      b += Bytes(*m);
    }
  }
  return b;
}

Result<std::shared_ptr<const Model>> Model::Build(const SafetensorsFile& f,
                                                  const ModelOptions& options) {
  auto model = std::make_shared<Model>();
  model->options_ = options;
  LASER_RETURN_IF_ERROR(LoadConfig(f, &model->config_));
  LASER_RETURN_IF_ERROR(LoadWeights(f, &model->config_, &model->w_));
  Derive(model->config_, &model->w_);
  if (options.bf16_ffn) {
    model->w_.sta_w2_bf16 =
        PackBf16Pairs(model->w_.sta_w2_t.data(), model->config_.ffn, model->config_.d);
  }
  if (options.precompute) {
    const size_t need = PrecomputeBytes(model->config_);
    if (need > options.precompute_budget_bytes) {
      return Status::ResourceExhausted(f.source() + ": precomputed item/action projections need " +
                                       std::to_string(need) + " bytes, over the budget of " +
                                       std::to_string(options.precompute_budget_bytes));
    }
    Precompute(model->config_, &model->w_);
  }
  return std::shared_ptr<const Model>(std::move(model));
}

Result<std::shared_ptr<const Model>> Model::FromBytes(std::vector<uint8_t> bytes,
                                                      const std::string& source,
                                                      const ModelOptions& options) {
  LASER_ASSIGN_OR_RETURN(SafetensorsFile f, SafetensorsFile::Parse(std::move(bytes), source));
  return Build(f, options);
}

Result<std::shared_ptr<const Model>> Model::Load(const std::string& path,
                                                 const ModelOptions& options) {
  LASER_ASSIGN_OR_RETURN(SafetensorsFile f, SafetensorsFile::ReadFile(path));
  return Build(f, options);
}

}  // namespace laser::model
