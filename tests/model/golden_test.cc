// The C++ scorer against the outputs of the independent reference
// (tools/laser_ref.py), stored in tests/model/golden/ by
// `tools/make_model.py goldens tests/model/golden`.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "operators/model/model.hpp"
#include "operators/model/safetensors.hpp"
#include "operators/model/scorer.hpp"

namespace laser::model {
namespace {

struct GoldenCase {
  std::string method;
  std::vector<uint64_t> items, targets;
  std::vector<int64_t> actions;
  std::vector<double> score, logit, u;
};

template <typename T>
std::vector<T> Read(const SafetensorsFile& f, const std::string& name, DType want) {
  const TensorInfo* t = f.Find(name);
  REQUIRE_MESSAGE(t != nullptr, name);
  REQUIRE(t->dtype == want);
  std::vector<T> out(t->num_elements);
  auto raw = f.Data(*t);
  if (!raw.empty()) std::memcpy(out.data(), raw.data(), raw.size());
  return out;
}

std::string GoldenDir() { return std::string(LASER_SOURCE_DIR) + "/tests/model/golden/"; }

std::vector<GoldenCase> LoadGolden(const std::string& name) {
  auto f = SafetensorsFile::ReadFile(GoldenDir() + name + ".golden.safetensors");
  REQUIRE_MESSAGE(f.ok(), f.status().ToString());
  const int n = std::stoi(f->metadata().at("cases"));
  std::vector<GoldenCase> cases;
  for (int k = 0; k < n; ++k) {
    const std::string p = "case" + std::to_string(k) + ".";
    GoldenCase c;
    c.method = f->metadata().at(p + "method");
    c.items = Read<uint64_t>(*f, p + "items", DType::kU64);
    c.actions = Read<int64_t>(*f, p + "actions", DType::kI64);
    c.targets = Read<uint64_t>(*f, p + "targets", DType::kU64);
    c.score = Read<double>(*f, p + "score", DType::kF64);
    c.logit = Read<double>(*f, p + "logit", DType::kF64);
    c.u = Read<double>(*f, p + "u", DType::kF64);
    cases.push_back(std::move(c));
  }
  return cases;
}

std::shared_ptr<const Model> LoadModel(const std::string& name, bool precompute) {
  ModelOptions opt;
  opt.precompute = precompute;
  auto m = Model::Load(GoldenDir() + name + ".safetensors", opt);
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  return *m;
}

struct MaxErr {
  double score = 0, logit = 0, u = 0;
} g_max_err;

// |score - ref| <= 1e-5, |logit - ref| <= 1e-4 (logits reach a few units),
// ||u - ref||_2 <= 1e-4 ||ref||_2 (1e-6 absolute when ref = 0).
void CheckCase(const Model& model, const GoldenCase& c, const ScoreOptions& base,
               const std::string& label) {
  ScoreOptions opt = base;
  opt.method = c.method == "full" ? ScoreMethod::kFull : ScoreMethod::kSta;
  opt.want_interest = true;
  ScoreOutput out;
  ScoreScratch scratch;
  Status st = Score(model, c.items, c.actions, c.targets, opt, &out, &scratch);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  const size_t K = c.targets.size();
  const size_t d = static_cast<size_t>(model.config().d);
  REQUIRE(out.score.size() == K);
  REQUIRE(out.interest.size() == K * d);
  for (size_t t = 0; t < K; ++t) {
    INFO(label << " method=" << c.method << " n=" << c.items.size() << " target#" << t);
    g_max_err.score = std::max(g_max_err.score, std::abs(out.score[t] - c.score[t]));
    g_max_err.logit = std::max(g_max_err.logit, std::abs(out.logit[t] - c.logit[t]));
    CHECK(std::abs(out.score[t] - c.score[t]) <= 1e-5);
    CHECK(std::abs(out.logit[t] - c.logit[t]) <= 1e-4);
    double diff = 0, norm = 0;
    for (size_t k = 0; k < d; ++k) {
      const double ref = c.u[t * d + k];
      diff += (out.interest[t * d + k] - ref) * (out.interest[t * d + k] - ref);
      norm += ref * ref;
    }
    if (norm > 0) g_max_err.u = std::max(g_max_err.u, std::sqrt(diff / norm));
    if (norm == 0) {
      CHECK(std::sqrt(diff) <= 1e-6);
    } else {
      CHECK(std::sqrt(diff / norm) <= 1e-4);
    }
  }
}

TEST_CASE("golden: every model, SIMD level, formulation and precompute matches the reference") {
  for (const std::string name : {"small", "odd", "demo"}) {
    const auto cases = LoadGolden(name);
    REQUIRE(cases.size() >= 18);
    for (bool precompute : {false, true}) {
      auto model = LoadModel(name, precompute);
      for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
        if (!CpuSupports(level)) continue;
        for (StaFormulation f :
             {StaFormulation::kDirect, StaFormulation::kDistributed, StaFormulation::kAuto}) {
          ScoreOptions opt;
          opt.simd = level;
          opt.formulation = f;
          const std::string label = name + " pre=" + std::to_string(precompute) +
                                    " simd=" + SimdLevelName(level) +
                                    " form=" + std::to_string(static_cast<int>(f));
          for (const auto& c : cases) CheckCase(*model, c, opt, label);
        }
      }
    }
  }
  MESSAGE("largest errors vs the reference: score " << g_max_err.score << ", logit "
                                                    << g_max_err.logit << ", u_M (relative) "
                                                    << g_max_err.u);
}

TEST_CASE("golden cases cover the history lengths the contract names") {
  auto model = LoadModel("small", false);
  const auto cases = LoadGolden("small");
  const size_t L = static_cast<size_t>(model->config().L);
  const size_t w = static_cast<size_t>(model->config().w);
  std::vector<size_t> lengths;
  for (const auto& c : cases) lengths.push_back(c.items.size());
  for (size_t want : {size_t{0}, size_t{1}, w - 1, w, w + 1, L, L + 1}) {
    CHECK_MESSAGE(std::find(lengths.begin(), lengths.end(), want) != lengths.end(), want);
  }
  bool out_of_range = false, unknown = false;
  for (const auto& c : cases) {
    for (int64_t a : c.actions) out_of_range |= a < 0 || a >= model->config().num_actions;
    for (uint64_t it : c.items) unknown |= model->ItemRow(it) == 0;
  }
  CHECK(out_of_range);
  CHECK(unknown);
}

}  // namespace
}  // namespace laser::model

namespace laser::model {
namespace {

// bf16 W2 (ModelOptions::bf16_ffn): the documented looser bound,
// |Δscore| <= 1e-3 and relative Δu_M <= 1e-2, against the same goldens.
TEST_CASE("golden: the bf16 W2 option stays within its documented bound") {
  if (Bf16GemmFor(SimdLevel::kAvx512) == nullptr) return;  // float32 is used instead
  double worst_score = 0, worst_u = 0;
  for (const std::string name : {"small", "odd", "demo"}) {
    ModelOptions mo;
    mo.bf16_ffn = true;
    auto m = Model::Load(GoldenDir() + name + ".safetensors", mo);
    REQUIRE(m.ok());
    const size_t d = static_cast<size_t>((*m)->config().d);
    for (const auto& c : LoadGolden(name)) {
      ScoreOptions opt;
      opt.simd = SimdLevel::kAvx512;
      opt.method = c.method == "full" ? ScoreMethod::kFull : ScoreMethod::kSta;
      opt.want_interest = true;
      ScoreOutput out;
      ScoreScratch scratch;
      REQUIRE(Score(**m, c.items, c.actions, c.targets, opt, &out, &scratch).ok());
      for (size_t t = 0; t < c.targets.size(); ++t) {
        worst_score = std::max(worst_score, std::abs(out.score[t] - c.score[t]));
        double diff = 0, norm = 0;
        for (size_t k = 0; k < d; ++k) {
          const double ref = c.u[t * d + k];
          diff += (out.interest[t * d + k] - ref) * (out.interest[t * d + k] - ref);
          norm += ref * ref;
        }
        if (norm > 0) worst_u = std::max(worst_u, std::sqrt(diff / norm));
      }
    }
  }
  MESSAGE("bf16 W2: largest |dscore| " << worst_score << ", relative du_M " << worst_u);
  CHECK(worst_score <= 1e-3);
  CHECK(worst_u <= 1e-2);
}

}  // namespace
}  // namespace laser::model
