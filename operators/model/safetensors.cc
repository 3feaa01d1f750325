#include "operators/model/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "engine/util/status_macros.hpp"
#include "operators/model/json.hpp"

namespace laser::model {

namespace {

struct DTypeEntry {
  const char* name;
  DType type;
  size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {"F64", DType::kF64, 8},   {"F32", DType::kF32, 4}, {"F16", DType::kF16, 2},
    {"BF16", DType::kBF16, 2}, {"I64", DType::kI64, 8}, {"I32", DType::kI32, 4},
    {"I16", DType::kI16, 2},   {"I8", DType::kI8, 1},   {"U64", DType::kU64, 8},
    {"U32", DType::kU32, 4},   {"U16", DType::kU16, 2}, {"U8", DType::kU8, 1},
    {"BOOL", DType::kBool, 1},
};

}  // namespace

const char* DTypeName(DType t) {
  for (const auto& e : kDTypes) {
    if (e.type == t) return e.name;
  }
  return "?";
}

size_t DTypeSize(DType t) {
  for (const auto& e : kDTypes) {
    if (e.type == t) return e.size;
  }
  return 0;
}

const TensorInfo* SafetensorsFile::Find(std::string_view name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

namespace {

Status TensorError(const std::string& source, const std::string& tensor, const std::string& what) {
  return Status::Corruption(source + ": tensor '" + tensor + "': " + what);
}

Status ParseTensor(const std::string& source, const std::string& name, const JsonValue& v,
                   uint64_t data_size, TensorInfo* out) {
  out->name = name;
  if (v.kind != JsonValue::Kind::kObject)
    return TensorError(source, name, "entry is not an object");
  for (const std::string& key : v.keys) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      return TensorError(source, name, "unknown field \"" + key + "\"");
    }
  }
  const JsonValue* dtype = v.Find("dtype");
  const JsonValue* shape = v.Find("shape");
  const JsonValue* offsets = v.Find("data_offsets");
  if (dtype == nullptr || dtype->kind != JsonValue::Kind::kString) {
    return TensorError(source, name, "missing or non-string \"dtype\"");
  }
  bool known = false;
  for (const auto& e : kDTypes) {
    if (dtype->string == e.name) {
      out->dtype = e.type;
      known = true;
    }
  }
  if (!known) return TensorError(source, name, "unknown dtype \"" + dtype->string + "\"");
  if (shape == nullptr || shape->kind != JsonValue::Kind::kArray) {
    return TensorError(source, name, "missing or non-array \"shape\"");
  }
  uint64_t n = 1;
  for (const auto& dim : shape->array) {
    if (dim.kind != JsonValue::Kind::kNumber || !dim.is_uint) {
      return TensorError(source, name, "shape entries must be non-negative integers");
    }
    if (dim.uint != 0 && n > data_size / dim.uint) {
      return TensorError(source, name, "shape has more elements than the file has bytes");
    }
    n *= dim.uint;
    out->shape.push_back(dim.uint);
  }
  out->num_elements = n;
  if (offsets == nullptr || offsets->kind != JsonValue::Kind::kArray ||
      offsets->array.size() != 2) {
    return TensorError(source, name, "\"data_offsets\" must be [begin, end]");
  }
  for (const auto& o : offsets->array) {
    if (o.kind != JsonValue::Kind::kNumber || !o.is_uint) {
      return TensorError(source, name, "data_offsets must be non-negative integers");
    }
  }
  out->begin = offsets->array[0].uint;
  out->end = offsets->array[1].uint;
  if (out->begin > out->end || out->end > data_size) {
    return TensorError(source, name,
                       "data_offsets [" + std::to_string(out->begin) + ", " +
                           std::to_string(out->end) + ") outside the " + std::to_string(data_size) +
                           " data bytes");
  }
  // n <= data_size here, so n * size cannot overflow.
  if (out->end - out->begin != n * DTypeSize(out->dtype)) {
    return TensorError(source, name,
                       "data_offsets span " + std::to_string(out->end - out->begin) +
                           " bytes but the shape and dtype need " +
                           std::to_string(n * DTypeSize(out->dtype)));
  }
  return Status::OK();
}

}  // namespace

Result<SafetensorsFile> SafetensorsFile::Parse(std::vector<uint8_t> bytes, std::string source) {
  SafetensorsFile f;
  f.source_ = std::move(source);
  f.bytes_ = std::move(bytes);
  const std::string& src = f.source_;
  if (f.bytes_.size() < 8) {
    return Status::Corruption(src + ": file of " + std::to_string(f.bytes_.size()) +
                              " bytes is shorter than the 8-byte header length");
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | f.bytes_[static_cast<size_t>(i)];
  if (n > kMaxSafetensorsHeader || n > f.bytes_.size() - 8) {
    return Status::Corruption(src + ": header length " + std::to_string(n) +
                              " at offset 0 exceeds the file (" + std::to_string(f.bytes_.size()) +
                              " bytes) or the limit");
  }
  f.data_start_ = 8 + n;
  const uint64_t data_size = f.bytes_.size() - f.data_start_;
  std::string_view text(reinterpret_cast<const char*>(f.bytes_.data()) + 8, n);
  LASER_ASSIGN_OR_RETURN(JsonValue header, ParseJson(text, src + " header (offset 8)"));
  if (header.kind != JsonValue::Kind::kObject) {
    return Status::Corruption(src + ": header is not a JSON object");
  }
  for (size_t i = 0; i < header.keys.size(); ++i) {
    const std::string& name = header.keys[i];
    const JsonValue& v = header.values[i];
    if (name == "__metadata__") {
      if (v.kind != JsonValue::Kind::kObject) {
        return Status::Corruption(src + ": __metadata__ is not an object");
      }
      for (size_t k = 0; k < v.keys.size(); ++k) {
        if (v.values[k].kind != JsonValue::Kind::kString) {
          return Status::Corruption(src + ": __metadata__ value \"" + v.keys[k] +
                                    "\" is not a string");
        }
        f.metadata_[v.keys[k]] = v.values[k].string;
      }
      continue;
    }
    TensorInfo t;
    Status st = ParseTensor(src, name, v, data_size, &t);
    if (!st.ok()) return st;
    f.tensors_.push_back(std::move(t));
  }
  // The data ranges must tile [0, data_size) exactly: no overlap, no hole.
  std::vector<const TensorInfo*> order;
  for (const auto& t : f.tensors_) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t pos = 0;
  for (const TensorInfo* t : order) {
    if (t->begin < pos) {
      return TensorError(src, t->name,
                         "data range starting at " + std::to_string(t->begin) +
                             " overlaps the previous tensor (ends at " + std::to_string(pos) + ")");
    }
    if (t->begin > pos) {
      return TensorError(src, t->name,
                         "hole in the data before this tensor: bytes [" + std::to_string(pos) +
                             ", " + std::to_string(t->begin) + ") belong to no tensor");
    }
    pos = t->end;
  }
  if (pos != data_size) {
    return Status::Corruption(src + ": tensors cover " + std::to_string(pos) + " of the " +
                              std::to_string(data_size) + " data bytes");
  }
  return f;
}

Result<SafetensorsFile> SafetensorsFile::ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound("model file '" + path + "' does not exist");
    return Status::FromErrno("open model file '" + path + "'", err);
  }
  struct stat stt;
  if (::fstat(fd, &stt) != 0) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno("stat model file '" + path + "'", err);
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(stt.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t got = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int err = errno;
      ::close(fd);
      return Status::FromErrno("read model file '" + path + "' at offset " + std::to_string(done),
                               err);
    }
    if (got == 0) {
      ::close(fd);
      return Status::IOError("model file '" + path + "' shrank while being read (offset " +
                             std::to_string(done) + ")");
    }
    done += static_cast<size_t>(got);
  }
  ::close(fd);
  return Parse(std::move(bytes), path);
}

}  // namespace laser::model
