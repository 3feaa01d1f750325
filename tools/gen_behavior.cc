// gen_behavior: deterministic synthetic behaviour data in the layout of the
// public Taobao UserBehavior.csv (no header):
//   user_id,item_id,category_id,behavior_type,timestamp
// with behavior_type one of pv, buy, cart, fav and the timestamp in seconds.
//
// Shape: history lengths are lognormal (heavy-tailed) up to --max-len, and
// user 1 always has exactly --max-len events, so every run holds one
// ultra-long history. Items follow the demo model's mapping (docs/model.md,
// tools/make_model.py demo): item k in 1..--items belongs to category
// k % --categories. Each user has a few interest categories, drawn with
// Zipf-like popularity, and picks items inside a category Zipf-like too, so
// a user's recent categories predict what the demo model scores high.
//
// The same arguments give the same bytes on every platform: the generator
// uses its own PRNG (xoshiro256**) and its own distributions.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& x : s_) x = SplitMix(seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>(Uniform() * static_cast<double>(n)); }
  // Standard normal (Box-Muller; one of the pair is dropped for simplicity).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]: log stays finite
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t s_[4];
};

// Ranks 0..n-1 with P(rank) proportional to 1 / (rank + 1)^s.
class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) cdf_[i] = (sum += 1.0 / std::pow(static_cast<double>(i + 1), s));
    for (double& c : cdf_) c /= sum;
  }
  size_t Sample(Rng& rng) const {
    const double u = rng.Uniform();
    const size_t i =
        static_cast<size_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
    return std::min(i, cdf_.size() - 1);
  }

 private:
  std::vector<double> cdf_;
};

struct Config {
  uint64_t users = 20000;
  uint64_t items = 10000;
  uint64_t categories = 16;
  double median_len = 50;
  double sigma = 1.4;
  uint64_t max_len = 100000;
  uint64_t seed = 1;
  int64_t start = 1511539200;  // 2017-11-25 00:00:00 +08:00, the dataset's first day
  int64_t days = 9;            // the dataset spans 2017-11-25 .. 2017-12-03
  std::string out;
};

class Writer {
 public:
  explicit Writer(FILE* f) : f_(f) { buf_.reserve(kFlushAt + 256); }
  ~Writer() { Flush(); }
  bool ok() const { return ok_; }
  void Row(uint64_t user, uint64_t item, uint64_t category, const char* action, int64_t ts) {
    Num(user);
    buf_ += ',';
    Num(item);
    buf_ += ',';
    Num(category);
    buf_ += ',';
    buf_ += action;
    buf_ += ',';
    Num(ts);
    buf_ += '\n';
    if (buf_.size() >= kFlushAt) Flush();
  }
  void Flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) ok_ = false;
    buf_.clear();
  }

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  template <typename T>
  void Num(T v) {
    char tmp[24];
    auto r = std::to_chars(tmp, tmp + sizeof(tmp), v);
    buf_.append(tmp, r.ptr);
  }
  FILE* f_;
  std::string buf_;
  bool ok_ = true;
};

// Taobao's mix of behaviours: mostly page views, few purchases.
const char* Action(Rng& rng, bool revisit) {
  const double u = rng.Uniform();
  // Coming back to an item makes cart, fav and buy several times likelier.
  const double pv = revisit ? 0.60 : 0.90;
  if (u < pv) return "pv";
  const double rest = (u - pv) / (1.0 - pv);
  if (rest < 0.50) return "cart";
  if (rest < 0.78) return "fav";
  return "buy";
}

uint64_t HistoryLength(Rng& rng, const Config& c, uint64_t user) {
  if (user == 1) return c.max_len;
  const double len = c.median_len * std::exp(c.sigma * rng.Normal());
  return std::clamp<uint64_t>(static_cast<uint64_t>(len + 0.5), 1, c.max_len);
}

uint64_t Generate(const Config& c, Writer& w) {
  Rng rng(c.seed);
  const Zipf category_popularity(c.categories, 1.0);
  // Category k holds items k, k + C, k + 2C, ... (category 0 starts at C):
  // per_category of them, all within 1..items, when items >= C.
  const uint64_t per_category = c.items / c.categories;
  const Zipf item_popularity(per_category, 1.1);
  const int64_t span = c.days * 86400;
  uint64_t rows = 0;
  std::vector<int64_t> times;
  for (uint64_t user = 1; user <= c.users; ++user) {
    const uint64_t n = HistoryLength(rng, c, user);
    uint64_t interests[4];
    const uint64_t n_interests = 1 + rng.Below(4);
    for (uint64_t i = 0; i < n_interests; ++i) interests[i] = category_popularity.Sample(rng);
    // Interests drift: each user's favourite changes at a random point, so the
    // newest events are not a sample of the whole history.
    const uint64_t drift_at = rng.Below(n);
    times.resize(n);
    for (int64_t& t : times)
      t = c.start + static_cast<int64_t>(rng.Below(static_cast<uint64_t>(span)));
    std::sort(times.begin(), times.end());
    uint64_t prev_item = 0;
    for (uint64_t e = 0; e < n; ++e) {
      const bool revisit = prev_item != 0 && rng.Uniform() < 0.25;
      uint64_t item = prev_item;
      if (!revisit) {
        uint64_t category;
        if (rng.Uniform() < 0.8) {
          const uint64_t pick = rng.Below(n_interests);
          category = e >= drift_at ? interests[(pick + 1) % n_interests] : interests[pick];
        } else {
          category = rng.Below(c.categories);
        }
        const uint64_t rank = item_popularity.Sample(rng);
        item = (category == 0 ? c.categories : category) + rank * c.categories;
      }
      w.Row(user, item, item % c.categories, Action(rng, revisit), times[e]);
      prev_item = item;
      ++rows;
    }
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app(
      "Writes deterministic behaviour data in the Taobao UserBehavior.csv layout\n"
      "(user_id,item_id,category_id,behavior_type,timestamp; no header). Item k\n"
      "belongs to category k % CATEGORIES, the demo model's mapping.",
      "gen_behavior");
  app.add_option("-o,--out", c.out, "Output file (default: stdout)")->type_name("FILE");
  app.add_option("--users", c.users, "Number of users, ids 1..N")->capture_default_str();
  app.add_option("--items", c.items, "Number of items, ids 1..N (the demo model's --items)")
      ->capture_default_str();
  app.add_option("--categories", c.categories, "Number of categories (the demo model's)")
      ->capture_default_str();
  app.add_option("--median-len", c.median_len, "Median history length")->capture_default_str();
  app.add_option("--sigma", c.sigma, "Lognormal sigma of history lengths")->capture_default_str();
  app.add_option("--max-len", c.max_len, "Longest history (user 1 has exactly this many)")
      ->capture_default_str();
  app.add_option("--seed", c.seed, "PRNG seed")->capture_default_str();
  app.add_option("--start", c.start, "First timestamp, seconds since the epoch")
      ->capture_default_str();
  app.add_option("--days", c.days, "Days spanned")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (c.users == 0 || c.max_len == 0 || c.categories == 0 || c.items < c.categories ||
      c.days <= 0 || c.median_len <= 0 || c.sigma < 0) {
    std::fprintf(stderr,
                 "gen_behavior: need users, max-len, categories, days, median-len > 0, "
                 "sigma >= 0 and items >= categories\n");
    return 2;
  }
  FILE* f = c.out.empty() ? stdout : std::fopen(c.out.c_str(), "wb");
  if (f == nullptr) {
    std::fprintf(stderr, "gen_behavior: cannot open '%s': %s\n", c.out.c_str(),
                 std::strerror(errno));
    return 1;
  }
  uint64_t rows;
  bool ok;
  {
    Writer w(f);
    rows = Generate(c, w);
    w.Flush();
    ok = w.ok();
  }
  if (f != stdout && std::fclose(f) != 0) ok = false;
  if (!ok) {
    std::fprintf(stderr, "gen_behavior: write to '%s' failed: %s\n",
                 c.out.empty() ? "stdout" : c.out.c_str(), std::strerror(errno));
    return 1;
  }
  std::fprintf(stderr, "gen_behavior: %llu rows for %llu users\n",
               static_cast<unsigned long long>(rows), static_cast<unsigned long long>(c.users));
  return 0;
}
