// The pread backend: the calling thread and a small shared pool of workers
// claim the requests of a batch one at a time and read each with pread(2).

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "engine/io/block_reader_internal.hpp"

namespace laser {
namespace {

// The state of one ReadBatch call, shared with the workers that help with it.
// A worker that starts after the batch finished claims no request, so it only
// touches this object (kept alive by its shared_ptr), never the caller's
// stack.
struct Batch {
  std::span<const ReadRequest> reqs;
  ReadPlan* plans = nullptr;
  Status* results = nullptr;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::condition_variable cv;
  size_t finished = 0;  // guarded by mu

  // Claims and reads requests until none is left.
  void Work() {
    size_t n = reqs.size();
    size_t mine = 0;
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n; ++mine) {
      if (failed.load(std::memory_order_relaxed) || plans[i].done()) continue;
      const ReadRequest& r = reqs[i];
      results[i] = PreadPlan(r.file->fd(), r.file->path(), &plans[i], r.offset, r.length);
      if (!results[i].ok()) failed.store(true, std::memory_order_relaxed);
    }
    if (mine == 0) return;
    std::lock_guard<std::mutex> l(mu);
    finished += mine;
    if (finished == n) cv.notify_all();
  }
};

class PreadBlockReader final : public BlockReader {
 public:
  explicit PreadBlockReader(const BlockReaderOptions& options) : options_(options) {
    for (unsigned i = 0; i < options.pread_threads; ++i) workers_.emplace_back([this] { Run(); });
  }

  ~PreadBlockReader() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  Status ReadBatch(std::span<const ReadRequest> reqs, std::vector<ReadBuffer>* out) override {
    std::vector<ReadPlan> plans;
    Status s = ReadBufferAccess::Prepare(reqs, options_, out, &plans);
    if (!s.ok()) return s;
    std::vector<Status> results(reqs.size());
    auto batch = std::make_shared<Batch>();
    batch->reqs = reqs;
    batch->plans = plans.data();
    batch->results = results.data();
    size_t helpers = std::min<size_t>(workers_.size(), reqs.size() > 0 ? reqs.size() - 1 : 0);
    if (helpers > 0) {
      {
        std::lock_guard<std::mutex> l(mu_);
        for (size_t i = 0; i < helpers; ++i) tasks_.push_back(batch);
      }
      if (helpers == 1) {
        cv_.notify_one();
      } else {
        cv_.notify_all();
      }
    }
    batch->Work();
    {
      std::unique_lock<std::mutex> l(batch->mu);
      batch->cv.wait(l, [&] { return batch->finished == reqs.size(); });
    }
    for (Status& r : results) {
      if (!r.ok()) {
        out->clear();
        return r;
      }
    }
    return Status::OK();
  }

  const char* name() const override { return "pread"; }

 private:
  void Run() {
    for (;;) {
      std::shared_ptr<Batch> b;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return stop_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        b = std::move(tasks_.front());
        tasks_.pop_front();
      }
      b->Work();
    }
  }

  const BlockReaderOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Batch>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace

std::unique_ptr<BlockReader> NewPreadBlockReader(const BlockReaderOptions& options) {
  return std::make_unique<PreadBlockReader>(options);
}

}  // namespace laser
