// Status propagation macros (Abseil 20220623 has none). The one place they are defined.
//
//   MBRL_RETURN_IF_ERROR(DoThing());             // returns the status if it is not OK
//   MBRL_ASSIGN_OR_RETURN(auto value, MakeIt()); // unwraps a StatusOr or returns its status
//
// Both work in functions returning absl::Status or absl::StatusOr<T>.
#ifndef MBRL_COMMON_STATUS_MACROS_H_
#define MBRL_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MBRL_RETURN_IF_ERROR(expr)                                   \
  do {                                                               \
    ::absl::Status mbrl_status_ = (expr);                            \
    if (ABSL_PREDICT_FALSE(!mbrl_status_.ok())) return mbrl_status_; \
  } while (false)

#define MBRL_STATUS_CONCAT_INNER_(x, y) x##y
#define MBRL_STATUS_CONCAT_(x, y) MBRL_STATUS_CONCAT_INNER_(x, y)

#define MBRL_ASSIGN_OR_RETURN(lhs, rexpr) \
  MBRL_ASSIGN_OR_RETURN_IMPL_(MBRL_STATUS_CONCAT_(mbrl_statusor_, __LINE__), lhs, rexpr)

#define MBRL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)           \
  auto statusor = (rexpr);                                          \
  if (ABSL_PREDICT_FALSE(!statusor.ok())) return statusor.status(); \
  lhs = std::move(statusor).value()

#endif  // MBRL_COMMON_STATUS_MACROS_H_
