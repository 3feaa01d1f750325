// Early-return helpers for Status and Result<T>. Internal to Laser.
#pragma once

#include "laser/status.hpp"

#define LASER_CONCAT_INNER(a, b) a##b
#define LASER_CONCAT(a, b) LASER_CONCAT_INNER(a, b)

// Evaluates expr (a Status); returns it from the enclosing function unless OK.
#define LASER_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::laser::Status _laser_st = (expr);    \
    if (!_laser_st.ok()) return _laser_st; \
  } while (0)

// Evaluates rexpr (a Result<T>); on error returns its Status, else moves the
// value into lhs (which may be a declaration: `auto x`).
#define LASER_ASSIGN_OR_RETURN(lhs, rexpr) \
  LASER_ASSIGN_OR_RETURN_IMPL(LASER_CONCAT(_laser_r_, __LINE__), lhs, rexpr)
#define LASER_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
