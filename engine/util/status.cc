#include "laser/status.hpp"

#include <cstring>

namespace laser {

const char* Status::CodeName(Code c) {
  switch (c) {
    case Code::kOk:
      return "OK";
    case Code::kInvalidArgument:
      return "Invalid argument";
    case Code::kNotFound:
      return "Not found";
    case Code::kAlreadyExists:
      return "Already exists";
    case Code::kCorruption:
      return "Corruption";
    case Code::kIOError:
      return "IO error";
    case Code::kNotSupported:
      return "Not supported";
    case Code::kBusy:
      return "Busy";
    case Code::kResourceExhausted:
      return "Resource exhausted";
    case Code::kAborted:
      return "Aborted";
    case Code::kInternal:
      return "Internal error";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = CodeName(code_);
  if (!message_.empty()) {
    s += ": ";
    s += message_;
  }
  return s;
}

Status Status::FromErrno(std::string_view context, int err) {
  std::string m(context);
  m += ": ";
  m += std::strerror(err);
  return Status(Code::kIOError, std::move(m));
}

Status Status::WithContext(std::string_view prefix) const {
  if (ok()) return *this;
  std::string m(prefix);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

}  // namespace laser
