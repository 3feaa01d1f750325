#include "engine/wal/group_commit.hpp"

#include <cassert>
#include <chrono>

#include "engine/util/status_macros.hpp"

namespace laser::wal {

struct GroupCommit::Writer {
  enum class Kind { kRecord, kSwitch, kSync };
  Kind kind = Kind::kRecord;
  RecordType type = RecordType::kAppendBatch;
  std::span<const uint8_t> payload;
  const std::function<void()>* callback = nullptr;  // apply, or while_switched
  uint64_t new_number = 0;                          // kSwitch result
  Status status;
  bool done = false;
  std::condition_variable cv;
};

GroupCommit::GroupCommit(Env* env, std::string dir, const GroupCommitOptions& options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

Result<std::unique_ptr<GroupCommit>> GroupCommit::Open(Env* env, std::string dir,
                                                       uint64_t first_number,
                                                       const GroupCommitOptions& options) {
  std::unique_ptr<GroupCommit> gc(new GroupCommit(env, std::move(dir), options));
  LASER_RETURN_IF_ERROR(gc->OpenFile(first_number));
  if (options.sync == SyncMode::kInterval) {
    gc->sync_thread_ = std::thread([g = gc.get()] { g->SyncLoop(); });
  }
  return gc;
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  bg_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  if (file_) {
    // Nothing is left to report a failure to; a sync error here only widens
    // the window the mode already allows to lose.
    if (options_.sync != SyncMode::kNone && unsynced_) (void)file_->Sync();
    (void)file_->Close();
  }
}

Status GroupCommit::Append(RecordType type, std::span<const uint8_t> payload,
                           const std::function<void()>& apply) {
  if (payload.size() > kMaxPayload) {
    return Status::ResourceExhausted("WAL record of " + std::to_string(payload.size()) +
                                     " bytes exceeds the limit of " + std::to_string(kMaxPayload) +
                                     " bytes");
  }
  Writer w;
  w.type = type;
  w.payload = payload;
  w.callback = &apply;
  return Run(&w);
}

Result<uint64_t> GroupCommit::SwitchFile(const std::function<void()>& while_switched) {
  Writer w;
  w.kind = Writer::Kind::kSwitch;
  w.callback = &while_switched;
  LASER_RETURN_IF_ERROR(Run(&w));
  return w.new_number;
}

Status GroupCommit::SyncNow() {
  Writer w;
  w.kind = Writer::Kind::kSync;
  return Run(&w);
}

uint64_t GroupCommit::current_number() const {
  return current_number_.load(std::memory_order_acquire);
}

GroupCommitStats GroupCommit::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

Status GroupCommit::background_status() const {
  std::lock_guard<std::mutex> l(mu_);
  return bg_status_;
}

size_t GroupCommit::QueueDepth() const {
  std::lock_guard<std::mutex> l(mu_);
  return queue_.size();
}

Status GroupCommit::Run(Writer* w) {
  std::unique_lock<std::mutex> l(mu_);
  queue_.push_back(w);
  while (!w->done && w != queue_.front()) w->cv.wait(l);
  if (w->done) return w->status;

  // This writer leads: it owns the file until it pops itself (and its group)
  // off the queue. Others keep enqueueing while it works unlocked.
  std::vector<Writer*> group;
  if (w->kind == Writer::Kind::kRecord) {
    size_t bytes = 0;
    for (Writer* x : queue_) {
      if (x->kind != Writer::Kind::kRecord) break;
      const size_t b = kRecordHeaderSize + x->payload.size();
      if (!group.empty() && bytes + b > options_.max_group_bytes) break;
      group.push_back(x);
      bytes += b;
    }
  } else {
    group.push_back(w);
  }
  l.unlock();

  Status s;
  switch (w->kind) {
    case Writer::Kind::kRecord:
      s = WriteGroup(group);
      break;
    case Writer::Kind::kSwitch:
      s = DoSwitch(w);
      break;
    case Writer::Kind::kSync:
      s = DoSync();
      break;
  }

  l.lock();
  if (w->kind == Writer::Kind::kRecord) {
    if (s.ok()) {
      stats_.groups++;
      stats_.records += group.size();
    } else {
      stats_.failed_groups++;
    }
  }
  for (Writer* x : group) {
    assert(queue_.front() == x);
    queue_.pop_front();
    x->status = s;
    x->done = true;
    if (x != w) x->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  return s;
}

Status GroupCommit::WriteGroup(const std::vector<Writer*>& group) {
  LASER_RETURN_IF_ERROR(EnsureWritable());
  group_buf_.clear();
  for (Writer* x : group) EncodeRecord(x->type, x->payload, &group_buf_);
  Status s = file_->AddFramed(group_buf_);
  if (s.ok()) {
    if (options_.sync == SyncMode::kAlways) {
      s = file_->Sync();
      std::lock_guard<std::mutex> l(mu_);
      stats_.syncs++;
    } else {
      s = file_->Flush();
    }
  }
  if (!s.ok()) {
    // Part of the group may be on disk. Cut it off so that no record of a
    // failed group can come back at replay, and continue in a new file: the
    // old handle's buffer and position can no longer be trusted.
    const std::string path = file_->path();
    s = s.WithContext("WAL " + path + ": writing " + std::to_string(group.size()) +
                      " record(s) at offset " + std::to_string(good_size_));
    (void)file_->Close();
    file_.reset();
    current_number_.store(next_number_, std::memory_order_release);
    broken_path_ = path;
    broken_size_ = good_size_;
    broken_status_ = s;
    if (env_->TruncateFile(broken_path_, broken_size_).ok()) broken_path_.clear();
    return s;
  }
  good_size_ = file_->size();
  unsynced_ = options_.sync != SyncMode::kAlways;
  for (Writer* x : group) {
    if (*x->callback) (*x->callback)();
  }
  return Status::OK();
}

Status GroupCommit::EnsureWritable() {
  if (file_) return Status::OK();
  if (!broken_path_.empty()) {
    Status t = env_->TruncateFile(broken_path_, broken_size_);
    if (!t.ok()) {
      return Status(broken_status_)
          .WithContext("WAL unusable until " + broken_path_ + " is truncated back to " +
                       std::to_string(broken_size_) + " bytes (" + t.ToString() + ")");
    }
    broken_path_.clear();
  }
  return OpenFile(next_number_);
}

Status GroupCommit::OpenFile(uint64_t number) {
  LASER_ASSIGN_OR_RETURN(auto file, WalWriter::Create(env_, dir_, number));
  // Under kAlways a record is acknowledged only once it would survive a power
  // loss, which needs the new file's directory entry to be durable too.
  if (options_.sync != SyncMode::kNone) {
    LASER_RETURN_IF_ERROR(env_->SyncDir(dir_).WithContext("WAL " + file->path()));
  }
  file_ = std::move(file);
  good_size_ = file_->size();
  unsynced_ = false;
  next_number_ = number + 1;
  current_number_.store(number, std::memory_order_release);
  std::lock_guard<std::mutex> l(mu_);
  stats_.files++;
  return Status::OK();
}

Status GroupCommit::DoSwitch(Writer* w) {
  if (file_) {
    if (options_.sync != SyncMode::kNone && unsynced_) {
      {
        std::lock_guard<std::mutex> l(mu_);
        stats_.syncs++;
      }
      LASER_RETURN_IF_ERROR(file_->Sync());
      unsynced_ = false;
    }
    LASER_RETURN_IF_ERROR(file_->Close());
    file_.reset();
    current_number_.store(next_number_, std::memory_order_release);
  }
  LASER_RETURN_IF_ERROR(EnsureWritable());
  w->new_number = file_->number();
  if (*w->callback) (*w->callback)();
  return Status::OK();
}

Status GroupCommit::DoSync() {
  if (!file_ || !unsynced_) return Status::OK();
  {
    std::lock_guard<std::mutex> l(mu_);
    stats_.syncs++;
  }
  Status s = file_->Sync();
  if (s.ok()) {
    unsynced_ = false;
    return s;
  }
  // The records are acknowledged already; what the kernel kept of them after
  // a failed fsync is unknown, so later records go to a fresh file.
  s = s.WithContext("WAL " + file_->path() + ": fsync");
  (void)file_->Close();
  file_.reset();
  current_number_.store(next_number_, std::memory_order_release);
  return s;
}

void GroupCommit::SyncLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    bg_cv_.wait_for(l, std::chrono::milliseconds(options_.sync_interval_ms),
                    [this] { return stop_; });
    if (stop_) break;
    l.unlock();
    Status s = SyncNow();
    l.lock();
    if (!s.ok()) bg_status_ = s;
  }
}

}  // namespace laser::wal
