// Loaded scoring models, shared by every query of the process: a model file
// is parsed and validated once, then reused until the file changes.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "laser/db.hpp"
#include "operators/model/model.hpp"

namespace laser::ops {

// Returns the model behind `db`'s model `name`, loading it on first use (or
// when its file's size or modification time changed). NotFound iff the
// database has no such model; the loader's error (naming the model, the file
// and the tensor) iff the file is not a valid model. Thread-safe.
Result<std::shared_ptr<const model::Model>> LoadModel(DB* db, std::string_view name);

// Returns OK iff the file at `path` loads as a LASER model (docs/model.md);
// otherwise the loader's error naming the file and the tensor or header
// field. CREATE MODEL runs it before copying the file into the database.
Status CheckModelFile(const std::string& path);

}  // namespace laser::ops
