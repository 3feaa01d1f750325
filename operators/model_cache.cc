#include "operators/model_cache.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <map>
#include <mutex>
#include <string>

#include "engine/util/status_macros.hpp"

namespace laser::ops {

namespace {

struct Entry {
  off_t size = 0;
  struct timespec mtime = {};
  std::shared_ptr<const model::Model> model;
};

std::mutex& CacheMutex() {
  static std::mutex mu;
  return mu;
}

// Keyed by the absolute path of the database's copy of the model file.
std::map<std::string, Entry>& Cache() {
  static std::map<std::string, Entry> cache;
  return cache;
}

bool SameFile(const Entry& e, const struct stat& st) {
  return e.size == st.st_size && e.mtime.tv_sec == st.st_mtim.tv_sec &&
         e.mtime.tv_nsec == st.st_mtim.tv_nsec;
}

}  // namespace

Result<std::shared_ptr<const model::Model>> LoadModel(DB* db, std::string_view name) {
  LASER_ASSIGN_OR_RETURN(ModelInfo info, db->GetModel(name));
  struct stat st;
  if (::stat(info.path.c_str(), &st) != 0) {
    return Status::FromErrno("model '" + info.name + "' file " + info.path, errno);
  }
  std::lock_guard<std::mutex> lock(CacheMutex());
  std::map<std::string, Entry>& cache = Cache();
  auto it = cache.find(info.path);
  if (it != cache.end() && SameFile(it->second, st)) return it->second.model;
  // A miss: forget models whose files are gone (dropped models, closed and
  // deleted databases) so the cache does not grow without bound.
  for (auto e = cache.begin(); e != cache.end();) {
    struct stat other;
    e = ::stat(e->first.c_str(), &other) != 0 ? cache.erase(e) : std::next(e);
  }
  auto loaded = model::Model::Load(info.path, model::ModelOptions{});
  if (!loaded.ok()) return loaded.status().WithContext("model '" + info.name + "'");
  cache[info.path] = Entry{st.st_size, st.st_mtim, loaded.value()};
  return loaded.value();
}

Status CheckModelFile(const std::string& path) {
  auto loaded = model::Model::Load(path, model::ModelOptions{});
  return loaded.ok() ? Status::OK() : loaded.status();
}

}  // namespace laser::ops
