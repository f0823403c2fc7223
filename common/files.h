// Whole-file reads and crash-safe whole-file writes (checkpoints, effective configs).
#ifndef MBRL_COMMON_FILES_H_
#define MBRL_COMMON_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mbrl {

// Replaces `path` with `bytes` atomically: writes `path`.tmp, flushes it to disk (fdatasync),
// renames it over `path` and syncs the directory, so after a crash at any moment `path` holds
// either the old or the new content, never a mix. The directory must exist. Errors: the
// errno-derived status naming the file (the old content is then still in place).
absl::Status WriteFileAtomically(const std::string& path, const std::string& bytes);

// The content of `path`. NOT_FOUND if it does not exist; other errno-derived errors.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace mbrl

#endif  // MBRL_COMMON_FILES_H_
