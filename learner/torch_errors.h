// The learner boundary for LibTorch exceptions: LibTorch reports errors by throwing
// (c10::Error); learner code returns absl::Status. CallTorch runs a function and turns any
// exception it throws into an absl::Status, so no exception crosses a learner API.
//
//   absl::StatusOr<at::Tensor> out = CallTorch("ensemble forward", [&] { return Forward(x); });
//
// The function may return void, absl::Status, absl::StatusOr<T> or a plain T; CallTorch
// returns absl::Status for the first two and absl::StatusOr<T> for the others. An exception
// becomes INTERNAL "<context>: <message>" (the message without LibTorch's C++ backtrace):
// learner code validates its inputs first, so an exception means a bug, not bad input.
#ifndef MBRL_LEARNER_TORCH_ERRORS_H_
#define MBRL_LEARNER_TORCH_ERRORS_H_

#include <c10/util/Exception.h>

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace mbrl::learner {
namespace torch_errors_internal {

template <typename T>
struct IsStatusOr : std::false_type {};
template <typename T>
struct IsStatusOr<absl::StatusOr<T>> : std::true_type {};

// The status type CallTorch returns for a function returning R.
template <typename R>
using CallResult =
    std::conditional_t<std::is_void_v<R> || std::is_same_v<R, absl::Status>, absl::Status,
                       std::conditional_t<IsStatusOr<R>::value, R, absl::StatusOr<R>>>;

inline absl::Status ExceptionStatus(absl::string_view context, absl::string_view message) {
  // LibTorch appends a multi-line backtrace; keep the first line(s) before it.
  const size_t cut = message.find("\nException raised from");
  return absl::InternalError(absl::StrCat(context, ": ", message.substr(0, cut)));
}

}  // namespace torch_errors_internal

template <typename Fn>
auto CallTorch(absl::string_view context, Fn&& fn)
    -> torch_errors_internal::CallResult<std::invoke_result_t<Fn>> {
  using R = std::invoke_result_t<Fn>;
  try {
    if constexpr (std::is_void_v<R>) {
      std::forward<Fn>(fn)();
      return absl::OkStatus();
    } else {
      return std::forward<Fn>(fn)();
    }
  } catch (const c10::Error& e) {
    return torch_errors_internal::ExceptionStatus(context, e.what_without_backtrace());
  } catch (const std::exception& e) {
    return torch_errors_internal::ExceptionStatus(context, e.what());
  }
}

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_TORCH_ERRORS_H_
