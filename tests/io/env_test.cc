#include "engine/io/env.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/io/test_util.hpp"

namespace laser {
namespace {

using testing::Pattern;
using testing::ScratchDir;

std::vector<uint8_t> ReadAll(const std::string& path) {
  auto r = Env::Default()->ReadFile(path);
  REQUIRE(r.ok());
  return *r;
}

// Appends `data` in uneven pieces (1 byte up to several buffers) to exercise
// every buffering branch.
void AppendInPieces(WritableFile* f, const std::vector<uint8_t>& data) {
  static const size_t kPieces[] = {1, 7, 4095, 4096, 4097, 100, 20000, 3};
  const uint64_t base = f->Size();
  size_t off = 0;
  for (size_t i = 0; off < data.size(); ++i) {
    size_t n = std::min(kPieces[i % std::size(kPieces)], data.size() - off);
    REQUIRE(f->Append(std::span<const uint8_t>(data.data() + off, n)).ok());
    off += n;
    CHECK(f->Size() == base + off);
  }
}

TEST_CASE("WritableFile round-trips appends in buffered and direct mode") {
  for (bool direct : {false, true}) {
    CAPTURE(direct);
    ScratchDir dir;
    std::string path = dir.File("f");
    WritableFileOptions opts;
    opts.direct = direct;
    opts.buffer_bytes = 8192;
    std::vector<uint8_t> data = Pattern(1, 100000);
    auto f = Env::Default()->NewWritableFile(path, opts);
    REQUIRE(f.ok());
    AppendInPieces(f->get(), data);
    REQUIRE((*f)->Sync().ok());
    // After Sync the file on disk is exactly Size() bytes: no padding left.
    CHECK(*Env::Default()->FileSize(path) == data.size());
    CHECK(ReadAll(path) == data);
    // Flush pads the partial block; the next append rewrites it.
    std::vector<uint8_t> more = Pattern(2, 5000);
    REQUIRE((*f)->Append(more).ok());
    REQUIRE((*f)->Flush().ok());
    REQUIRE((*f)->Append(more).ok());
    REQUIRE((*f)->Close().ok());
    std::vector<uint8_t> want = data;
    want.insert(want.end(), more.begin(), more.end());
    want.insert(want.end(), more.begin(), more.end());
    CHECK(ReadAll(path) == want);
  }
}

TEST_CASE("WritableFile with truncate=false appends to an existing unaligned file") {
  for (bool direct : {false, true}) {
    CAPTURE(direct);
    ScratchDir dir;
    std::string path = dir.File("f");
    std::vector<uint8_t> first = Pattern(3, 6000);
    testing::WritePlainFile(path, first);
    WritableFileOptions opts;
    opts.direct = direct;
    opts.truncate = false;
    opts.buffer_bytes = 4096;
    auto f = Env::Default()->NewWritableFile(path, opts);
    REQUIRE(f.ok());
    CHECK((*f)->Size() == first.size());
    std::vector<uint8_t> second = Pattern(4, 9001);
    AppendInPieces(f->get(), second);
    REQUIRE((*f)->Close().ok());
    std::vector<uint8_t> want = first;
    want.insert(want.end(), second.begin(), second.end());
    CHECK(ReadAll(path) == want);
  }
}

TEST_CASE("WritableFile with truncate=true empties an existing file") {
  ScratchDir dir;
  std::string path = dir.File("f");
  testing::WritePlainFile(path, Pattern(5, 100));
  auto f = Env::Default()->NewWritableFile(path, WritableFileOptions{});
  REQUIRE(f.ok());
  CHECK((*f)->Size() == 0);
  REQUIRE((*f)->Close().ok());
  CHECK(*Env::Default()->FileSize(path) == 0);
}

TEST_CASE("RandomAccessFile::ReadExact reads any range and names file and offset past EOF") {
  ScratchDir dir;
  std::string path = dir.File("data");
  std::vector<uint8_t> data = Pattern(6, 50000);
  testing::WritePlainFile(path, data);
  for (bool direct : {false, true}) {
    CAPTURE(direct);
    auto f = Env::Default()->NewRandomAccessFile(path, direct);
    REQUIRE(f.ok());
    CHECK(*(*f)->Size() == data.size());
    CHECK((*f)->path() == path);
    if (direct) CHECK((*f)->direct_alignment() >= 512);
    for (const auto& [o, n] : std::vector<std::pair<uint64_t, size_t>>{
             {0, 1}, {1, 4095}, {4095, 2}, {4096, 4096}, {12345, 20000}, {49999, 1}, {0, 50000}}) {
      const uint64_t off = o;  // CAPTURE's lambda may not name a structured binding
      CAPTURE(off);
      std::vector<uint8_t> got(n);
      REQUIRE((*f)->ReadExact(off, n, got.data()).ok());
      CHECK(std::equal(got.begin(), got.end(), data.begin() + static_cast<ptrdiff_t>(off)));
    }
    CHECK((*f)->ReadExact(50000, 0, nullptr).ok());
    std::vector<uint8_t> buf(100);
    Status s = (*f)->ReadExact(49950, 100, buf.data());
    CHECK(s.IsCorruption());
    CHECK(s.message().find(path) != std::string::npos);
    CHECK(s.message().find("offset 49950") != std::string::npos);
    CHECK(s.message().find("offset 50000") != std::string::npos);  // where the file ends
    s = (*f)->ReadExact(60000, 10, buf.data());
    CHECK(s.IsCorruption());
    CHECK(s.message().find("offset 60000") != std::string::npos);
  }
}

TEST_CASE("Env file-system calls") {
  Env* env = Env::Default();
  ScratchDir dir;
  std::string nested = dir.File("a/b/c");
  REQUIRE(env->CreateDirIfMissing(nested).ok());
  REQUIRE(env->CreateDirIfMissing(nested).ok());
  testing::WritePlainFile(nested + "/x", Pattern(7, 10));
  testing::WritePlainFile(nested + "/w", Pattern(7, 20));
  auto names = env->ListDir(nested);
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"w", "x"});
  CHECK(env->FileExists(nested + "/x"));
  CHECK(*env->FileSize(nested + "/w") == 20);
  REQUIRE(env->TruncateFile(nested + "/w", 5).ok());
  CHECK(*env->FileSize(nested + "/w") == 5);
  REQUIRE(env->RenameFile(nested + "/w", nested + "/y").ok());
  CHECK(!env->FileExists(nested + "/w"));
  REQUIRE(env->RemoveFile(nested + "/y").ok());
  CHECK(env->RemoveFile(nested + "/y").IsNotFound());
  CHECK(env->FileSize(nested + "/y").status().IsNotFound());
  CHECK(env->ReadFile(nested + "/y").status().IsNotFound());
  CHECK(env->NewRandomAccessFile(nested + "/y", false).status().IsNotFound());
  CHECK(env->ListDir(dir.File("missing")).status().IsNotFound());
  REQUIRE(env->SyncDir(nested).ok());
  testing::WritePlainFile(dir.File("plain"), Pattern(7, 1));
  CHECK(env->CreateDirIfMissing(dir.File("plain")).code() == Status::Code::kAlreadyExists);
}

TEST_CASE("WriteFileAtomic replaces the file and leaves no temp file") {
  Env* env = Env::Default();
  ScratchDir dir;
  std::string path = dir.File("MANIFEST");
  std::vector<uint8_t> a = Pattern(8, 300);
  std::vector<uint8_t> b = Pattern(9, 70);
  REQUIRE(WriteFileAtomic(env, path, a).ok());
  CHECK(ReadAll(path) == a);
  REQUIRE(WriteFileAtomic(env, path, b).ok());
  CHECK(ReadAll(path) == b);
  CHECK(*env->ListDir(dir.path()) == std::vector<std::string>{"MANIFEST"});
}

TEST_CASE("LockFile: exclusive locks exclude, shared locks share") {
  Env* env = Env::Default();
  ScratchDir dir;
  std::string path = dir.File("LOCK");
  {
    auto a = env->LockFile(path, false);
    REQUIRE(a.ok());
    auto b = env->LockFile(path, false);
    CHECK(b.status().code() == Status::Code::kBusy);
    CHECK(b.status().message().find(path) != std::string::npos);
    CHECK(env->LockFile(path, true).status().code() == Status::Code::kBusy);
  }
  {
    auto a = env->LockFile(path, true);
    auto b = env->LockFile(path, true);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(env->LockFile(path, false).status().code() == Status::Code::kBusy);
  }
  CHECK(env->LockFile(path, false).ok());
}

TEST_CASE("FaultInjectionEnv: ENOSPC after the budget applies the straddling write partially") {
  ScratchDir dir;
  FaultInjectionEnv env(Env::Default());
  std::string path = dir.File("wal");
  auto f = env.NewWritableFile(path, WritableFileOptions{});
  REQUIRE(f.ok());
  env.SetWriteBudget(100);
  std::vector<uint8_t> data = Pattern(10, 60);
  REQUIRE((*f)->Append(data).ok());
  Status s = (*f)->Append(data);
  CHECK(s.IsIOError());
  CHECK(s.message().find("No space left on device") != std::string::npos);
  CHECK(s.message().find(path) != std::string::npos);
  CHECK(env.bytes_written() == 100);
  // The first 40 bytes of the straddling write reached the file already.
  CHECK(*env.FileSize(path) == 100);
  CHECK((*f)->Append(data).IsIOError());
  REQUIRE((*f)->Close().ok());
  std::vector<uint8_t> want = data;
  want.insert(want.end(), data.begin(), data.begin() + 40);
  CHECK(ReadAll(path) == want);
  env.Reset();
  auto g = env.NewWritableFile(path, WritableFileOptions{});
  REQUIRE(g.ok());
  REQUIRE((*g)->Append(data).ok());
  REQUIRE((*g)->Sync().ok());
}

TEST_CASE("FaultInjectionEnv: EIO on writes and syncs") {
  ScratchDir dir;
  FaultInjectionEnv env(Env::Default());
  std::string path = dir.File("seg");
  auto f = env.NewWritableFile(path, WritableFileOptions{});
  REQUIRE(f.ok());
  std::vector<uint8_t> data = Pattern(11, 10);
  env.SetSyncError(true);
  REQUIRE((*f)->Append(data).ok());
  Status s = (*f)->Sync();
  CHECK(s.IsIOError());
  CHECK(s.message().find("Input/output error") != std::string::npos);
  CHECK(s.message().find(path) != std::string::npos);
  CHECK(env.SyncDir(dir.path()).IsIOError());
  // A manifest write fails as a whole and leaves the old file and no temp.
  std::vector<uint8_t> old = Pattern(12, 5);
  testing::WritePlainFile(dir.File("M"), old);
  CHECK(WriteFileAtomic(&env, dir.File("M"), data).IsIOError());
  CHECK(ReadAll(dir.File("M")) == old);
  CHECK(!env.FileExists(dir.File("M.tmp")));
  env.SetSyncError(false);
  env.SetIOError(true);
  CHECK((*f)->Append(data).IsIOError());
  CHECK((*f)->Flush().IsIOError());
  CHECK((*f)->Sync().IsIOError());
  env.SetIOError(false);
  REQUIRE((*f)->Append(data).ok());
  REQUIRE((*f)->Sync().ok());
  REQUIRE(WriteFileAtomic(&env, dir.File("M"), data).ok());
  CHECK(ReadAll(dir.File("M")) == data);
}

}  // namespace
}  // namespace laser
