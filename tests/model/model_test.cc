// Model validation (every tensor, shape, dtype, value and config key) and the
// Score API's contract (limits, empty history, truncation to L, tiling).
#include "operators/model/model.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "operators/model/safetensors.hpp"
#include "operators/model/scorer.hpp"

namespace laser::model {
namespace {

const std::string kGolden = std::string(LASER_SOURCE_DIR) + "/tests/model/golden/";

// An editable copy of a safetensors file: tensors by name plus metadata.
struct Tensors {
  struct T {
    std::string dtype;
    std::vector<uint64_t> shape;
    std::vector<uint8_t> data;
  };
  std::map<std::string, T> t;
  std::map<std::string, std::string> meta;

  static Tensors FromFile(const std::string& path) {
    auto f = SafetensorsFile::ReadFile(path);
    REQUIRE_MESSAGE(f.ok(), f.status().ToString());
    Tensors out;
    out.meta = f->metadata();
    for (const auto& info : f->tensors()) {
      auto raw = f->Data(info);
      out.t[info.name] = T{DTypeName(info.dtype), info.shape, {raw.begin(), raw.end()}};
    }
    return out;
  }

  std::vector<uint8_t> Serialize() const {
    std::string h = "{";
    uint64_t off = 0;
    for (const auto& [name, x] : t) {
      if (h.size() > 1) h += ",";
      h += "\"" + name + "\":{\"dtype\":\"" + x.dtype + "\",\"shape\":[";
      for (size_t i = 0; i < x.shape.size(); ++i) h += (i ? "," : "") + std::to_string(x.shape[i]);
      h += "],\"data_offsets\":[" + std::to_string(off) + "," +
           std::to_string(off + x.data.size()) + "]}";
      off += x.data.size();
    }
    if (!meta.empty()) {
      h += ",\"__metadata__\":{";
      bool first = true;
      for (const auto& [k, v] : meta) {
        h += (first ? "\"" : ",\"") + k + "\":\"" + v + "\"";
        first = false;
      }
      h += "}";
    }
    h += "}";
    std::vector<uint8_t> f(8);
    for (int i = 0; i < 8; ++i)
      f[static_cast<size_t>(i)] = static_cast<uint8_t>(h.size() >> (8 * i));
    f.insert(f.end(), h.begin(), h.end());
    for (const auto& [name, x] : t) f.insert(f.end(), x.data.begin(), x.data.end());
    return f;
  }

  Result<std::shared_ptr<const Model>> Load(ModelOptions opt = {}) const {
    return Model::FromBytes(Serialize(), "edited.safetensors", opt);
  }
};

std::string LoadError(const Tensors& t) {
  auto m = t.Load();
  REQUIRE_FALSE(m.ok());
  return m.status().message();
}

TEST_CASE("model: the golden files load with the config and sizes they declare") {
  auto m = Model::Load(kGolden + "small.safetensors", ModelOptions{});
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  const ModelConfig& c = (*m)->config();
  CHECK(c.L == 50);
  CHECK(c.w == 10);
  CHECK(c.H == 2);
  CHECK(c.d_q == 8);
  CHECK(c.M == 2);
  CHECK(c.H_g == 2);
  CHECK(c.r == 3);
  CHECK(c.d_i == 24);
  CHECK(c.d_a == 8);
  CHECK(c.d == 32);
  CHECK(c.ffn == 64);
  CHECK(c.segments == 5);
  CHECK(c.item_column == "item_id");
  CHECK(c.action_column == "action");
  CHECK((*m)->precomputed_bytes() == 0);
  CHECK((*m)->ItemRow(0) == 0);
  const auto& ids = (*m)->weights().item_ids;
  CHECK((*m)->ItemRow(ids[5]) == 5);
  CHECK((*m)->ItemRow(ids.back() + 1) == 0);
  CHECK((*m)->ActionRow(-1) == 0);
  CHECK((*m)->ActionRow(3) == 3);
  CHECK((*m)->ActionRow(4) == 0);
  ModelOptions pre;
  pre.precompute = true;
  auto mp = Model::Load(kGolden + "small.safetensors", pre);
  REQUIRE(mp.ok());
  // (40 items + 4 actions) x (H*d_q + H*(d+F)) floats.
  CHECK((*mp)->precomputed_bytes() == (40 + 4) * (16 + 2 * (32 + 64)) * sizeof(float));
  pre.precompute_budget_bytes = 1000;
  auto over = Model::Load(kGolden + "small.safetensors", pre);
  CHECK(over.status().code() == Status::Code::kResourceExhausted);
  CHECK(Model::Load(kGolden + "absent.safetensors", {}).status().IsNotFound());
}

TEST_CASE("model: a missing tensor is named") {
  const Tensors base = Tensors::FromFile(kGolden + "small.safetensors");
  REQUIRE(base.Load().ok());
  for (const auto& [name, unused] : base.t) {
    Tensors t = base;
    t.t.erase(name);
    const std::string err = LoadError(t);
    CHECK_MESSAGE(err.find("'" + name + "'") != std::string::npos, err);
  }
}

TEST_CASE("model: wrong shape, dtype, NaN and Inf name the tensor") {
  const Tensors base = Tensors::FromFile(kGolden + "small.safetensors");
  {
    Tensors t = base;
    t.t["gsta.2.wk"].shape = {16, 64};  // same bytes, wrong shape
    const std::string err = LoadError(t);
    CHECK(err.find("tensor 'gsta.2.wk': shape is (16, 64), expected (32, 32)") !=
          std::string::npos);
  }
  {
    Tensors t = base;
    auto& x = t.t["sta.wq"];
    x.dtype = "I32";
    const std::string err = LoadError(t);
    CHECK(err.find("tensor 'sta.wq': dtype is I32, expected F32") != std::string::npos);
  }
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    Tensors t = base;
    std::memcpy(t.t["head.w1"].data.data() + 4 * 7, &bad, 4);
    const std::string err = LoadError(t);
    CHECK(err.find("tensor 'head.w1': ") != std::string::npos);
    CHECK(err.find(std::isnan(bad) ? "NaN at element 7" : "Inf at element 7") != std::string::npos);
  }
  {
    Tensors t = base;
    uint64_t two = 2;
    std::memcpy(t.t["item_ids"].data.data() + 8 * 3, &two, 8);
    CHECK(LoadError(t).find("tensor 'item_ids': not strictly ascending") != std::string::npos);
  }
  {
    Tensors t = base;
    t.t["sta.recency"].shape = {4, 32};
    t.t["sta.recency"].data.resize(4 * 32 * 4);
    CHECK(LoadError(t).find("tensor 'sta.recency': shape is (4, 32), expected (5, 32)") !=
          std::string::npos);
  }
}

TEST_CASE("model: config values are checked") {
  const Tensors base = Tensors::FromFile(kGolden + "small.safetensors");
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"L", "abc"}, {"L", "0"}, {"w", "-3"}, {"H", ""}, {"r", "99999999999"}}) {
    Tensors t = base;
    t.meta[key] = value;
    const std::string err = LoadError(t);
    CHECK_MESSAGE(err.find("__metadata__ \"" + key + "\"") != std::string::npos, err);
  }
  Tensors t = base;
  t.meta["H"] = "3";  // d = 32 is not a multiple of 3
  CHECK(LoadError(t).find("not a multiple of H = 3") != std::string::npos);
  t = base;
  t.meta["item_column"] = "sku";
  t.meta["action_column"] = "kind";
  auto m = t.Load();
  REQUIRE(m.ok());
  CHECK((*m)->config().item_column == "sku");
  CHECK((*m)->config().action_column == "kind");
}

std::shared_ptr<const Model> Small(bool precompute = false) {
  ModelOptions o;
  o.precompute = precompute;
  auto m = Model::Load(kGolden + "small.safetensors", o);
  REQUIRE(m.ok());
  return *m;
}

TEST_CASE("score: argument errors and limits") {
  auto m = Small();
  ScoreOutput out;
  ScoreScratch scratch;
  std::vector<uint64_t> items = {1, 2};
  std::vector<int64_t> actions = {0};
  std::vector<uint64_t> targets = {1};
  Status st = Score(*m, items, actions, targets, {}, &out, &scratch);
  CHECK(st.IsInvalidArgument());
  CHECK(st.message().find("2 items but 1 actions") != std::string::npos);
  actions = {0, 1};
  std::vector<uint64_t> many(kMaxTargetsPerCall + 1, 7);
  st = Score(*m, items, actions, many, {}, &out, &scratch);
  CHECK(st.code() == Status::Code::kResourceExhausted);
  many.resize(kMaxTargetsPerCall);
  CHECK(Score(*m, items, actions, many, {}, &out, &scratch).ok());
  CHECK(out.score.size() == kMaxTargetsPerCall);
  CHECK(Score(*m, items, actions, {}, {}, &out, &scratch).ok());
  CHECK(out.score.empty());
}

TEST_CASE("score: empty history gives u_M = u_0 and zero pools; only the newest L count") {
  auto m = Small();
  const auto& ids = m->weights().item_ids;
  ScoreScratch scratch;
  ScoreOptions opt;
  opt.want_interest = true;
  std::vector<uint64_t> targets = {ids[1], ids[2], 0};
  ScoreOutput out;
  REQUIRE(Score(*m, {}, {}, targets, opt, &out, &scratch).ok());
  // u_M = u_0 = Wt e_t.
  const int d = m->config().d, di = m->config().d_i;
  for (size_t t = 0; t < targets.size(); ++t) {
    const float* e = m->weights().item_emb.row(m->ItemRow(targets[t]));
    for (int k = 0; k < d; ++k) {
      double u0 = 0;
      for (int q = 0; q < di; ++q) u0 += double{m->weights().target_proj.row(k)[q]} * e[q];
      CHECK(std::abs(out.interest[t * d + static_cast<size_t>(k)] - u0) < 1e-5);
    }
  }
  // A history longer than L scores exactly as its newest L events.
  std::vector<uint64_t> items;
  std::vector<int64_t> actions;
  for (int i = 0; i < 137; ++i) {
    items.push_back(ids[1 + static_cast<size_t>(i) % (ids.size() - 1)]);
    actions.push_back(i % 5);
  }
  const size_t L = static_cast<size_t>(m->config().L);
  ScoreOutput full, tail;
  REQUIRE(Score(*m, items, actions, targets, opt, &full, &scratch).ok());
  REQUIRE(
      Score(*m, std::span(items).last(L), std::span(actions).last(L), targets, opt, &tail, &scratch)
          .ok());
  CHECK(full.score == tail.score);
  CHECK(full.interest == tail.interest);
  // ... and differs from a history cut shorter than L.
  ScoreOutput shorter;
  REQUIRE(Score(*m, std::span(items).last(L - 1), std::span(actions).last(L - 1), targets, opt,
                &shorter, &scratch)
              .ok());
  CHECK(shorter.score != full.score);
}

TEST_CASE("score: a target's score does not depend on the other targets of the call") {
  for (bool precompute : {false, true}) {
    auto m = Small(precompute);
    const auto& ids = m->weights().item_ids;
    std::vector<uint64_t> items;
    std::vector<int64_t> actions;
    for (int i = 0; i < 43; ++i) {
      items.push_back(ids[(static_cast<size_t>(i) * 7) % ids.size()]);
      actions.push_back(i % 4);
    }
    std::vector<uint64_t> targets;
    for (int t = 0; t < 29; ++t) targets.push_back(ids[(static_cast<size_t>(t) * 3) % ids.size()]);
    ScoreScratch scratch;
    ScoreOutput all;
    REQUIRE(Score(*m, items, actions, targets, {}, &all, &scratch).ok());
    for (size_t t = 0; t < targets.size(); ++t) {
      ScoreOutput one;
      REQUIRE(Score(*m, items, actions, std::span(targets).subspan(t, 1), {}, &one, &scratch).ok());
      CHECK(std::abs(one.score[0] - all.score[t]) < 1e-6);
    }
  }
}

TEST_CASE("score: FLOP counts shrink with the distributed formulation at the defaults") {
  auto m = Small();
  ScoreOptions opt;
  FlopCount f = CountFlops(*m, 50, 512, opt);
  CHECK(f.scorer_per_target < f.naive_per_target);
  opt.method = ScoreMethod::kFull;
  FlopCount full = CountFlops(*m, 50, 512, opt);
  CHECK(full.scorer_per_target < f.scorer_per_target);
}

}  // namespace
}  // namespace laser::model
