#include "operators/model/scorer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace laser::model {

namespace {

float* Ensure(std::vector<float>* v, size_t n) {
  if (v->size() < n) v->resize(n);
  return v->data();
}

}  // namespace

size_t ScoreScratch::bytes() const {
  size_t b = 0;
  for (const auto* v :
       {&x_,    &kt_, &kb_, &c_,   &v_, &g_,   &q_,  &e_,     &a_,      &cbuf_, &tok_,
        &pool_, &u_,  &u0_, &tmp_, &z_, &hid_, &qp_, &alpha_, &pooled_, &vcat_, &ffn_}) {
    b += v->capacity() * sizeof(float);
  }
  for (const auto* v : {&item_rows_, &action_rows_, &target_rows_}) {
    b += v->capacity() * sizeof(int);
  }
  return b;
}

// One Score call: the history's target-independent projections, then the
// targets tile by tile (docs/model.md, "Fast formulation").
class ScorerImpl {
 public:
  ScorerImpl(const Model& m, const ScoreOptions& o, ScoreScratch* s)
      : m_(m),
        c_(m.config()),
        w_(m.weights()),
        o_(o),
        s_(s),
        k_(KernelsFor(o.simd.value_or(BestSimdLevel()))),
        w2_bf16_(!w_.sta_w2_bf16.empty() && c_.d % 16 == 0 ? Bf16GemmFor(k_.level) : nullptr) {}

  void Run(std::span<const uint64_t> items, std::span<const int64_t> actions,
           std::span<const uint64_t> targets, ScoreOutput* out) {
    const size_t K = targets.size();
    const bool pre = !w_.item_pre.v.empty();
    dist_ = o_.method == ScoreMethod::kSta && (o_.formulation == StaFormulation::kDistributed ||
                                               (o_.formulation == StaFormulation::kAuto && K >= 8));
    PrepareHistory(items, actions, pre);
    out->score.assign(K, 0.0f);
    out->logit.assign(K, 0.0f);
    if (o_.want_interest) {
      out->interest.assign(K * static_cast<size_t>(c_.d), 0.0f);
    } else {
      out->interest.clear();
    }
    for (size_t t0 = 0; t0 < K; t0 += kScoreTile) {
      const int kt = static_cast<int>(std::min<size_t>(kScoreTile, K - t0));
      ScoreTile(targets.data() + t0, kt, out->score.data() + t0, out->logit.data() + t0,
                o_.want_interest ? out->interest.data() + t0 * c_.d : nullptr);
    }
  }

 private:
  // Segment j (1-based, newest first) covers events [begin, end) of the n
  // kept ones (oldest first).
  void SegmentRange(int j, int* begin, int* end) const {
    *end = n_ - (j - 1) * c_.w;
    *begin = std::max(0, *end - c_.w);
  }

  void PrepareHistory(std::span<const uint64_t> items, std::span<const int64_t> actions, bool pre) {
    const size_t len = items.size();
    n_ = static_cast<int>(std::min<size_t>(len, static_cast<size_t>(c_.L)));
    S_ = (n_ + c_.w - 1) / c_.w;
    const size_t off = len - static_cast<size_t>(n_);
    const int d = c_.d, hq = c_.H * c_.d_q, cw = d + c_.ffn;
    auto& ir = s_->item_rows_;
    auto& ar = s_->action_rows_;
    ir.resize(static_cast<size_t>(n_));
    ar.resize(static_cast<size_t>(n_));
    for (int i = 0; i < n_; ++i) {
      ir[static_cast<size_t>(i)] = m_.ItemRow(items[off + static_cast<size_t>(i)]);
      ar[static_cast<size_t>(i)] = m_.ActionRow(actions[off + static_cast<size_t>(i)]);
    }
    if (n_ == 0) return;
    const bool need_x = !pre || !dist_;
    float* x = nullptr;
    if (need_x) {
      x = Ensure(&s_->x_, static_cast<size_t>(n_) * d);
      for (int i = 0; i < n_; ++i) {
        std::memcpy(x + static_cast<size_t>(i) * d, w_.item_emb.row(ir[static_cast<size_t>(i)]),
                    sizeof(float) * c_.d_i);
        std::memcpy(x + static_cast<size_t>(i) * d + c_.d_i,
                    w_.action_emb.row(ar[static_cast<size_t>(i)]), sizeof(float) * c_.d_a);
      }
    }
    // Gate keys k_i (n x hq).
    float* kmat = Ensure(&s_->tmp_, static_cast<size_t>(n_) * hq);
    if (pre) {
      for (int i = 0; i < n_; ++i) {
        const float* a = w_.item_pre.row(ir[static_cast<size_t>(i)]);
        const float* b = w_.action_pre.row(ar[static_cast<size_t>(i)]);
        float* dst = kmat + static_cast<size_t>(i) * hq;
        for (int q = 0; q < hq; ++q) dst[q] = a[q] + b[q];
      }
    } else {
      k_.gemm(n_, hq, d, x, d, w_.sta_wk_t.data(), hq, kmat, hq, false);
    }
    if (o_.method == ScoreMethod::kFull) {
      // Keys transposed (hq x n) for the logit GEMM; values v_i = Wv x_i.
      float* kt = Ensure(&s_->kt_, static_cast<size_t>(n_) * hq);
      for (int i = 0; i < n_; ++i) {
        for (int q = 0; q < hq; ++q) {
          kt[static_cast<size_t>(q) * n_ + i] = kmat[static_cast<size_t>(i) * hq + q];
        }
      }
      float* v = Ensure(&s_->v_, static_cast<size_t>(n_) * d);
      k_.gemm(n_, d, d, x, d, w_.sta_wv_t.data(), d, v, d, false);
      return;
    }
    // Gate keys for one GEMM over all heads: column i*H + h holds head h's
    // key of event i in rows [h*d_q, (h+1)*d_q) (zeros elsewhere) and the
    // gate bias b_h in row hq, which meets a constant 1 in the query.
    const int nh = n_ * c_.H;
    float* kb = Ensure(&s_->kb_, static_cast<size_t>(hq + 1) * nh);
    std::fill(kb, kb + static_cast<size_t>(hq + 1) * nh, 0.0f);
    for (int i = 0; i < n_; ++i) {
      for (int h = 0; h < c_.H; ++h) {
        const int col = i * c_.H + h;
        for (int q = h * c_.d_q; q < (h + 1) * c_.d_q; ++q) {
          kb[static_cast<size_t>(q) * nh + col] = kmat[static_cast<size_t>(i) * hq + q];
        }
        kb[static_cast<size_t>(hq) * nh + col] = w_.sta_gate_bias.v[static_cast<size_t>(h)];
      }
    }
    if (dist_) {
      // Per event and head (row i*H + h): [Wo_h Wv_h x_i | W1 Wo_h Wv_h x_i].
      const int width = c_.H * cw;
      float* cm = Ensure(&s_->c_, static_cast<size_t>(n_) * width);
      if (pre) {
        for (int i = 0; i < n_; ++i) {
          const float* a = w_.item_pre.row(ir[static_cast<size_t>(i)]) + hq;
          const float* b = w_.action_pre.row(ar[static_cast<size_t>(i)]) + hq;
          float* dst = cm + static_cast<size_t>(i) * width;
          for (int q = 0; q < width; ++q) dst[q] = a[q] + b[q];
        }
      } else {
        k_.gemm(n_, width, d, x, d, w_.wc_t.data(), width, cm, width, false);
      }
    } else {
      // Row i*H + h: v_i restricted to head h's columns (zeros elsewhere), so
      // one GEMM over a segment's (event, head) rows fills every head.
      float* v = Ensure(&s_->v_, static_cast<size_t>(n_) * d);
      k_.gemm(n_, d, d, x, d, w_.sta_wv_t.data(), d, v, d, false);
      float* vb = Ensure(&s_->c_, static_cast<size_t>(nh) * d);
      std::fill(vb, vb + static_cast<size_t>(nh) * d, 0.0f);
      const int dv = d / c_.H;
      for (int i = 0; i < n_; ++i) {
        for (int h = 0; h < c_.H; ++h) {
          std::memcpy(vb + (static_cast<size_t>(i) * c_.H + h) * d + h * dv,
                      v + static_cast<size_t>(i) * d + h * dv, sizeof(float) * dv);
        }
      }
    }
  }

  void ScoreTile(const uint64_t* targets, int kt, float* score, float* logit, float* interest) {
    const int d = c_.d, di = c_.d_i, hq = c_.H * c_.d_q;
    float* e = Ensure(&s_->e_, static_cast<size_t>(kt) * di);
    for (int t = 0; t < kt; ++t) {
      std::memcpy(e + static_cast<size_t>(t) * di, w_.item_emb.row(m_.ItemRow(targets[t])),
                  sizeof(float) * di);
    }
    float* u0 = Ensure(&s_->u0_, static_cast<size_t>(kt) * d);
    k_.gemm(kt, d, di, e, di, w_.target_proj_t.data(), d, u0, d, false);
    float* q = Ensure(&s_->q_, static_cast<size_t>(kt) * hq);
    k_.gemm(kt, hq, di, e, di, w_.sta_wq_t.data(), hq, q, hq, false);
    // pool: rows [max | mean] per target, zero when there is no segment.
    float* pool = Ensure(&s_->pool_, static_cast<size_t>(kt) * 2 * d);
    std::fill(pool, pool + static_cast<size_t>(kt) * 2 * d, 0.0f);
    float* u = Ensure(&s_->u_, static_cast<size_t>(kt) * d);
    if (o_.method == ScoreMethod::kFull) {
      FullAttention(kt, q, u);
    } else {
      std::memcpy(u, u0, sizeof(float) * kt * d);
      if (S_ > 0) {
        StaTokens(kt, q, pool);
        Gsta(kt, u);
      }
    }
    Head(kt, u, pool, u0, score, logit);
    if (interest != nullptr) std::memcpy(interest, u, sizeof(float) * kt * d);
  }

  // Attention logits of the full method, g (H x kt x n): q_h . k_{i,h} of
  // event i for target t and head h, unscaled.
  float* FullLogits(int kt, const float* q) {
    const int hq = c_.H * c_.d_q;
    float* g = Ensure(&s_->g_, static_cast<size_t>(c_.H) * kt * n_);
    for (int h = 0; h < c_.H; ++h) {
      k_.gemm(kt, n_, c_.d_q, q + h * c_.d_q, hq,
              s_->kt_.data() + static_cast<size_t>(h) * c_.d_q * n_, n_,
              g + static_cast<size_t>(h) * kt * n_, n_, false);
    }
    return g;
  }

  // Segment tokens s_j of every target of the tile into tok (kt x S x d),
  // with their element-wise max and the mean of the r newest into pool.
  void StaTokens(int kt, const float* q, float* pool) {
    const int d = c_.d, F = c_.ffn, cw = d + F, hq = c_.H * c_.d_q, nh = n_ * c_.H;
    // Gates g (kt x n*H), column i*H + h: one GEMM against kb (PrepareHistory).
    float* qs = Ensure(&s_->cbuf_, static_cast<size_t>(kt) * (hq + 1));
    const float scale = 1.0f / std::sqrt(static_cast<float>(c_.d_q));
    for (int t = 0; t < kt; ++t) {
      for (int k = 0; k < hq; ++k) qs[t * (hq + 1) + k] = q[t * hq + k] * scale;
      qs[t * (hq + 1) + hq] = 1.0f;
    }
    float* g = Ensure(&s_->g_, static_cast<size_t>(kt) * nh);
    k_.gemm(kt, nh, hq + 1, qs, hq + 1, s_->kb_.data(), nh, g, nh, false);
    k_.sigmoid(g, kt * nh, 1.0f, 0.0f);
    float* tok = Ensure(&s_->tok_, static_cast<size_t>(kt) * S_ * d);
    float* a = Ensure(&s_->a_, static_cast<size_t>(kt) * cw);
    float* cbuf = dist_ ? nullptr : Ensure(&s_->cbuf_, static_cast<size_t>(kt) * d);
    const int recent = std::min(c_.r, S_);
    for (int t = 0; t < kt; ++t) {
      std::fill(pool + static_cast<size_t>(t) * 2 * d, pool + static_cast<size_t>(t) * 2 * d + d,
                -std::numeric_limits<float>::infinity());
    }
    for (int j = 1; j <= S_; ++j) {
      int begin = 0, end = 0;
      SegmentRange(j, &begin, &end);
      const int rows = (end - begin) * c_.H;  // (event, head) pairs of the segment
      const float inv = 1.0f / static_cast<float>(end - begin);
      const float* gs = g + static_cast<size_t>(begin) * c_.H;
      if (dist_) {
        k_.gemm(kt, cw, rows, gs, nh, s_->c_.data() + static_cast<size_t>(begin) * c_.H * cw, cw, a,
                cw, false);
        k_.scale_bias(a, kt, cw, cw, inv, w_.seg_bias.row(j - 1));
      } else {
        k_.gemm(kt, d, rows, gs, nh, s_->c_.data() + static_cast<size_t>(begin) * c_.H * d, d, cbuf,
                d, false);
        k_.gemm(kt, d, d, cbuf, d, w_.sta_wo_t.data(), d, a, cw, false);
        k_.scale_bias(a, kt, d, cw, inv, w_.sta_recency.row(j - 1));
        k_.gemm(kt, F, d, a, cw, w_.sta_w1_t.data(), F, a + d, cw, false);
        k_.scale_bias(a + d, kt, F, cw, 1.0f, w_.sta_b1.data());
        k_.scale_bias(a, kt, d, cw, 1.0f, w_.sta_b2.data());
      }
      k_.relu(a + d, kt, F, cw);
      if (w2_bf16_ != nullptr) {
        w2_bf16_(kt, d, F, a + d, cw, w_.sta_w2_bf16.data(), a, cw, true);
      } else {
        k_.gemm(kt, d, F, a + d, cw, w_.sta_w2_t.data(), d, a, cw, true);
      }
      k_.layer_norm(a, kt, d, cw, w_.sta_ln_gamma.data(), w_.sta_ln_beta.data());
      for (int t = 0; t < kt; ++t) {
        const float* s = a + static_cast<size_t>(t) * cw;
        std::memcpy(tok + (static_cast<size_t>(t) * S_ + (j - 1)) * d, s, sizeof(float) * d);
        float* p = pool + static_cast<size_t>(t) * 2 * d;
        k_.vmax(p, s, d);
        if (j <= recent) k_.axpy(p + d, s, d, 1.0f / static_cast<float>(recent));
      }
    }
  }

  // GSTA over the tile's tokens; u (kt x d) holds u_0 on entry, u_M on exit.
  void Gsta(int kt, float* u) {
    const int d = c_.d, hg = c_.H_g, dh = d / hg;
    const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
    float* qg = Ensure(&s_->z_, static_cast<size_t>(kt) * d);
    float* qp = Ensure(&s_->qp_, static_cast<size_t>(kt) * hg * d);
    float* alpha = Ensure(&s_->alpha_, static_cast<size_t>(hg) * S_);
    float* pooled = Ensure(&s_->pooled_, static_cast<size_t>(hg) * d);
    float* vcat = Ensure(&s_->vcat_, static_cast<size_t>(kt) * d);
    float* u1 = Ensure(&s_->tmp_, static_cast<size_t>(kt) * d);
    for (int layer = 0; layer < c_.M; ++layer) {
      const GstaLayer& gl = w_.gsta[static_cast<size_t>(layer)];
      const int fg = c_.gsta_ffn[static_cast<size_t>(layer)];
      k_.gemm(kt, d, d, u, d, gl.wq_t.data(), d, qg, d, false);
      // (Wq u)_h . (Wk s_j)_h = (Wk_h^T (Wq u)_h) . s_j
      for (int h = 0; h < hg; ++h) {
        k_.gemm(kt, d, dh, qg + h * dh, d, gl.wk.row(h * dh), d, qp + h * d, hg * d, false);
      }
      for (int t = 0; t < kt; ++t) {
        const float* tok = s_->tok_.data() + static_cast<size_t>(t) * S_ * d;
        for (int h = 0; h < hg; ++h) {
          float* al = alpha + static_cast<size_t>(h) * S_;
          const float* qv = qp + (static_cast<size_t>(t) * hg + h) * d;
          float mx = -std::numeric_limits<float>::infinity();
          for (int j = 0; j < S_; ++j) {
            al[j] = k_.dot(qv, tok + static_cast<size_t>(j) * d, d) * scale;
            mx = std::max(mx, al[j]);
          }
          k_.exp_sub(al, S_, mx);
          float sum = 0;
          for (int j = 0; j < S_; ++j) sum += al[j];
          const float inv = 1.0f / sum;
          for (int j = 0; j < S_; ++j) al[j] *= inv;
        }
        // sum_j alpha_j (Wv s_j)_h = Wv_h (sum_j alpha_j s_j)
        k_.gemm(hg, d, S_, alpha, S_, tok, d, pooled, d, false);
        for (int h = 0; h < hg; ++h) {
          k_.gemm(1, dh, d, pooled + h * d, d, gl.wv_t.data() + h * dh, d,
                  vcat + static_cast<size_t>(t) * d + h * dh, d, false);
        }
      }
      std::memcpy(u1, u, sizeof(float) * kt * d);
      k_.gemm(kt, d, d, vcat, d, gl.wo_t.data(), d, u1, d, true);
      k_.layer_norm(u1, kt, d, d, gl.ln1_gamma.data(), gl.ln1_beta.data());
      float* hid = Ensure(&s_->ffn_, static_cast<size_t>(kt) * fg);
      k_.gemm(kt, fg, d, u1, d, gl.w1_t.data(), fg, hid, fg, false);
      k_.scale_bias(hid, kt, fg, fg, 1.0f, gl.b1.data());
      k_.relu(hid, kt, fg, fg);
      std::memcpy(u, u1, sizeof(float) * kt * d);
      k_.scale_bias(u, kt, d, d, 1.0f, gl.b2.data());
      k_.gemm(kt, d, fg, hid, fg, gl.w2_t.data(), d, u, d, true);
      k_.layer_norm(u, kt, d, d, gl.ln2_gamma.data(), gl.ln2_beta.data());
    }
  }

  // f = Wo [sum_i alpha_{i,h} v_{i,h}]_h with alpha a softmax over all n
  // events per head, into u (kt x d); zero for an empty history.
  void FullAttention(int kt, const float* q, float* u) {
    const int d = c_.d, dv = d / c_.H;
    if (n_ == 0) {
      std::fill(u, u + static_cast<size_t>(kt) * d, 0.0f);
      return;
    }
    float* g = FullLogits(kt, q);
    const float scale = 1.0f / std::sqrt(static_cast<float>(c_.d_q));
    float* cat = Ensure(&s_->cbuf_, static_cast<size_t>(kt) * d);
    float* sums = Ensure(&s_->hid_, static_cast<size_t>(kt) * c_.H);
    for (int h = 0; h < c_.H; ++h) {
      float* gh = g + static_cast<size_t>(h) * kt * n_;
      for (int t = 0; t < kt; ++t) {
        float* row = gh + static_cast<size_t>(t) * n_;
        float mx = -std::numeric_limits<float>::infinity();
        for (int i = 0; i < n_; ++i) {
          row[i] *= scale;
          mx = std::max(mx, row[i]);
        }
        k_.exp_sub(row, n_, mx);
        float sum = 0;
        for (int i = 0; i < n_; ++i) sum += row[i];
        sums[t * c_.H + h] = sum;
      }
      k_.gemm(kt, dv, n_, gh, n_, s_->v_.data() + h * dv, d, cat + h * dv, d, false);
      for (int t = 0; t < kt; ++t) {
        float* c = cat + static_cast<size_t>(t) * d + h * dv;
        const float inv = 1.0f / sums[t * c_.H + h];
        for (int i = 0; i < dv; ++i) c[i] *= inv;
      }
    }
    k_.gemm(kt, d, d, cat, d, w_.sta_wo_t.data(), d, u, d, false);
  }

  void Head(int kt, const float* u, const float* pool, const float* u0, float* score,
            float* logit) {
    const int d = c_.d, hh = c_.head_hidden;
    float* z = Ensure(&s_->z_, static_cast<size_t>(kt) * 4 * d);
    for (int t = 0; t < kt; ++t) {
      float* zt = z + static_cast<size_t>(t) * 4 * d;
      std::memcpy(zt, u + static_cast<size_t>(t) * d, sizeof(float) * d);
      std::memcpy(zt + d, pool + static_cast<size_t>(t) * 2 * d, sizeof(float) * 2 * d);
      std::memcpy(zt + 3 * d, u0 + static_cast<size_t>(t) * d, sizeof(float) * d);
    }
    float* hid = Ensure(&s_->hid_, static_cast<size_t>(kt) * hh);
    k_.gemm(kt, hh, 4 * d, z, 4 * d, w_.head_w1_t.data(), hh, hid, hh, false);
    k_.scale_bias(hid, kt, hh, hh, 1.0f, w_.head_b1.data());
    k_.relu(hid, kt, hh, hh);
    for (int t = 0; t < kt; ++t) {
      const float l =
          k_.dot(hid + static_cast<size_t>(t) * hh, w_.head_w2.data(), hh) + w_.head_b2.v[0];
      logit[t] = l;
      score[t] = 1.0f / (1.0f + std::exp(-l));
    }
  }

  const Model& m_;
  const ModelConfig& c_;
  const ModelWeights& w_;
  const ScoreOptions& o_;
  ScoreScratch* s_;
  const KernelTable& k_;
  const GemmBf16Fn w2_bf16_;  // null: W2 in float32
  bool dist_ = false;
  int n_ = 0;
  int S_ = 0;
};

Status Score(const Model& model, std::span<const uint64_t> items, std::span<const int64_t> actions,
             std::span<const uint64_t> targets, const ScoreOptions& options, ScoreOutput* out,
             ScoreScratch* scratch) {
  if (items.size() != actions.size()) {
    return Status::InvalidArgument("score: history has " + std::to_string(items.size()) +
                                   " items but " + std::to_string(actions.size()) + " actions");
  }
  if (targets.size() > kMaxTargetsPerCall) {
    return Status::ResourceExhausted("score: " + std::to_string(targets.size()) +
                                     " targets exceed the limit of " +
                                     std::to_string(kMaxTargetsPerCall) + " per call");
  }
  if (options.simd.has_value() && !CpuSupports(*options.simd)) {
    return Status::NotSupported(std::string("score: this CPU lacks SIMD level ") +
                                SimdLevelName(*options.simd));
  }
  ScorerImpl(model, options, scratch).Run(items, actions, targets, out);
  return Status::OK();
}

FlopCount CountFlops(const Model& model, size_t n_events, size_t K, const ScoreOptions& options) {
  const ModelConfig& c = model.config();
  const double n = static_cast<double>(std::min<size_t>(n_events, static_cast<size_t>(c.L)));
  const double S = std::ceil(n / c.w), d = c.d, F = c.ffn, hq = c.H * c.d_q, di = c.d_i,
               hh = c.head_hidden;
  double gsta_fast = 0, gsta_naive = 0;
  for (int fg_i : c.gsta_ffn) {
    const double fg = fg_i;
    const double tail = 2 * d * d /*Wq u*/ + 2 * d * d /*Wo*/ + 4 * d * fg /*FFN*/;
    gsta_naive += 4 * S * d * d /*Wk s_j, Wv s_j*/ + 4 * S * d /*logits, sum*/ + tail;
    gsta_fast += 2 * d * d /*Wk^T q*/ + 4 * S * d /*logits, pooled*/ + 2 * d * d /*Wv*/ + tail;
  }
  if (S == 0) gsta_naive = gsta_fast = 0;
  const double common = 2 * di * d /*u0*/ + 2 * di * hq /*q*/ + 2 * 4 * d * hh + 2 * hh /*head*/;
  FlopCount f;
  if (options.method == ScoreMethod::kFull) {
    f.naive_per_target = f.scorer_per_target =
        common + 2 * n * hq + 2 * n * d + (n > 0 ? 2 * d * d : 0);
    f.per_history = 2 * n * d * (hq + d);
    return f;
  }
  // The gate GEMM runs over all heads at once against block-diagonal keys
  // plus a bias row, so it spends 2 n H (hq + 1) where the naive form needs 2 n hq.
  const double gates_naive = 2 * n * hq, gates = 2 * n * c.H * (hq + 1);
  const double per_segment_tail = 2 * F * d /*W2*/;
  f.naive_per_target = common + gates_naive + 2 * n * d /*gated v*/ +
                       S * (2 * d * d + 2 * d * F + per_segment_tail) + gsta_naive;
  const bool pre = !model.weights().item_pre.v.empty();
  const bool dist = options.formulation == StaFormulation::kDistributed ||
                    (options.formulation == StaFormulation::kAuto && K >= 8);
  if (dist) {
    f.scorer_per_target = common + gates + 2 * n * c.H * (d + F) + S * per_segment_tail + gsta_fast;
    f.per_history = pre ? n * (hq + c.H * (d + F)) : 2 * n * d * (hq + c.H * (d + F));
  } else {
    // Head-expanded values: 2 n H d for the gated sums.
    f.scorer_per_target = common + gates + 2 * n * c.H * d +
                          S * (2 * d * d + 2 * d * F + per_segment_tail) + gsta_fast;
    f.per_history = 2 * n * d * (hq + d);
  }
  return f;
}

}  // namespace laser::model
