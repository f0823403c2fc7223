// Compiled MuJoCo models of the embedded model files, loaded once per process and shared.
#ifndef MBRL_ACTORS_ENVS_MUJOCO_MODEL_H_
#define MBRL_ACTORS_ENVS_MUJOCO_MODEL_H_

#include <mujoco/mujoco.h>

#include <string>

#include "absl/status/statusor.h"

namespace mbrl::envs {

// The model compiled from the embedded file `file_name` (e.g. "hopper.xml"), loaded through
// MuJoCo's virtual file system on first use and cached for the life of the process. The model
// is immutable once returned, so any number of threads may step their own mjData with it.
// NOT_FOUND if no such file is embedded; INTERNAL with MuJoCo's message if it fails to compile.
// Thread-safe. The first call also routes MuJoCo's error and warning callbacks to the log (a
// MuJoCo error is fatal: MuJoCo cannot continue after one).
absl::StatusOr<const mjModel*> SharedMujocoModel(const std::string& file_name);

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_MUJOCO_MODEL_H_
