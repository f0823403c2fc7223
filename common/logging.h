// Minimal leveled logging to stderr, and invariant checks.
//
//   MBRL_LOG(INFO) << "recovered " << n << " chunks in " << seconds << " s";
//   MBRL_CHECK(index < size) << "index " << index;   // aborts with the message when false
//
// Each message is one line `I1122 10:11:12.345678 file.cc:42] text`, written with a single
// write(2) so lines from concurrent threads and processes never interleave. Thread-safe.
// MBRL_CHECK is for programming errors only; bad input is reported with absl::Status.
#ifndef MBRL_COMMON_LOGGING_H_
#define MBRL_COMMON_LOGGING_H_

#include <sstream>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"

namespace mbrl {

enum class LogSeverity { kInfo = 0, kWarning = 1, kError = 2, kFatal = 3 };

// Messages below `severity` are dropped (default kInfo). Thread-safe.
void SetMinLogSeverity(LogSeverity severity);
LogSeverity MinLogSeverity();

namespace logging_internal {

// Collects one message and emits it on destruction; a kFatal message then aborts.
class LogMessage {
 public:
  LogMessage(const char* file, int line, LogSeverity severity);
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogSeverity severity_;
  std::ostringstream stream_;
};

// Lets `cond ? (void)0 : Voidify() & stream` compile to a statement.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace logging_internal
}  // namespace mbrl

#define MBRL_LOG_SEVERITY_INFO ::mbrl::LogSeverity::kInfo
#define MBRL_LOG_SEVERITY_WARNING ::mbrl::LogSeverity::kWarning
#define MBRL_LOG_SEVERITY_ERROR ::mbrl::LogSeverity::kError
#define MBRL_LOG_SEVERITY_FATAL ::mbrl::LogSeverity::kFatal

#define MBRL_LOG(severity)                                                                         \
  (MBRL_LOG_SEVERITY_##severity < ::mbrl::MinLogSeverity() &&                                      \
   MBRL_LOG_SEVERITY_##severity != ::mbrl::LogSeverity::kFatal)                                    \
      ? (void)0                                                                                    \
      : ::mbrl::logging_internal::Voidify() &                                                      \
            ::mbrl::logging_internal::LogMessage(__FILE__, __LINE__, MBRL_LOG_SEVERITY_##severity) \
                .stream()

#define MBRL_CHECK(condition)                                                                   \
  ABSL_PREDICT_TRUE(condition)                                                                  \
  ? (void)0                                                                                     \
  : ::mbrl::logging_internal::Voidify() &                                                       \
          ::mbrl::logging_internal::LogMessage(__FILE__, __LINE__, ::mbrl::LogSeverity::kFatal) \
                  .stream()                                                                     \
              << "Check failed: " #condition " "

#endif  // MBRL_COMMON_LOGGING_H_
