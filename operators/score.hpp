// Score: the fused target-aware segmented attention scan. Users are taken in
// groups of kScoreUsersPerRead; each group's newest L events (only the
// model's item and action columns) come from one batched DB::ReadMany, then
// every target is scored against each user's history with the LASER model
// (operators/model/scorer.hpp, K targets together). Output rows, users in the
// order given and each user's targets in the order given:
// (user U64, target U64, score F64, logit F64 [, interest STRING]).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "operators/model/model.hpp"
#include "operators/model/scorer.hpp"
#include "operators/operator.hpp"

namespace laser::ops {

// Users whose histories are fetched with one DB::ReadMany.
inline constexpr size_t kScoreUsersPerRead = 64;

struct ScoreSpec {
  std::string model_name;
  std::shared_ptr<const model::Model> model;  // REQUIRES non-null
  std::string table;
  std::vector<uint64_t> users;
  // Fixed targets; replaced by the rows of the targets child when there is
  // one (its first column, a non-negative integer; NULLs are skipped).
  std::vector<uint64_t> targets;
  model::ScoreMethod method = model::ScoreMethod::kSta;
  // Adds the column `interest`: u_M (for method full, the attention vector
  // f) as text "[f0, f1, ...]", each float in shortest round-trip form.
  bool want_interest = false;
};

class ScoreOp : public Operator {
 public:
  // `targets_child` may be null.
  ScoreOp(ScoreSpec spec, std::unique_ptr<Operator> targets_child);
  std::string Name() const override { return "Score"; }
  std::string Details() const override;

 protected:
  // Errors: InvalidArgument naming the column iff the table lacks the
  // model's item or action column or it is not an integer/ENUM column, or
  // the targets subquery does not return integers; ResourceExhausted iff
  // there are more than model::kMaxTargetsPerCall targets.
  Status OpenImpl() override;
  Result<bool> NextImpl(Chunk* out) override;

 private:
  Status CollectTargets();
  // Reads the histories of the next group of users into histories_.
  Status ReadNextGroup();
  // Scores user `next_user_` into scored_.
  Status ScoreNextUser();
  void ReleaseHistories();

  ScoreSpec spec_;
  bool has_child_ = false;
  size_t next_user_ = 0;    // index into spec_.users of the next user to score
  size_t group_begin_ = 0;  // spec_.users index of histories_[0]
  std::vector<Batch> histories_;
  size_t histories_bytes_ = 0;  // reserved in ctx_
  model::ScoreScratch scratch_;
  model::ScoreOutput scored_;
  uint64_t scored_user_ = 0;
  size_t scored_offset_ = 0;  // rows of scored_ already returned
  size_t scored_rows_ = 0;    // rows of scored_ (the number of targets)
  std::vector<uint64_t> items_;
  std::vector<int64_t> actions_;
};

// The output schema of SCORE (with or without the interest column).
Schema ScoreSchema(bool want_interest);

}  // namespace laser::ops
