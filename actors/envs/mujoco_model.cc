#include "actors/envs/mujoco_model.h"

#include <cstring>
#include <map>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "actors/envs/embedded_models.h"
#include "common/logging.h"

namespace mbrl::envs {
namespace {

void MujocoError(const char* message) { MBRL_LOG(FATAL) << "MuJoCo error: " << message; }
void MujocoWarning(const char* message) { MBRL_LOG(WARNING) << "MuJoCo: " << message; }

absl::StatusOr<const mjModel*> Compile(const EmbeddedFile& file) {
  // mjVFS holds ~2 MB of fixed-size name arrays: keep it off the stack.
  auto vfs = std::make_unique<mjVFS>();
  mj_defaultVFS(vfs.get());
  const std::string name(file.name);
  if (mj_makeEmptyFileVFS(vfs.get(), name.c_str(), static_cast<int>(file.contents.size())) != 0) {
    return absl::InternalError(absl::StrCat("MuJoCo VFS: cannot add ", name));
  }
  const int index = mj_findFileVFS(vfs.get(), name.c_str());
  std::memcpy(vfs->filedata[index], file.contents.data(), file.contents.size());
  char error[1024] = "";
  mjModel* model = mj_loadXML(name.c_str(), vfs.get(), error, sizeof(error));
  mj_deleteVFS(vfs.get());
  if (model == nullptr) {
    return absl::InternalError(absl::StrCat("MuJoCo cannot compile ", name, ": ", error));
  }
  if (error[0] != '\0') MBRL_LOG(WARNING) << "MuJoCo compiling " << name << ": " << error;
  return model;
}

}  // namespace

absl::StatusOr<const mjModel*> SharedMujocoModel(const std::string& file_name) {
  static absl::Mutex mu(absl::kConstInit);
  // Models live until the process exits (they are shared by every env instance).
  static auto* const models ABSL_GUARDED_BY(mu) = new std::map<std::string, const mjModel*>;
  absl::MutexLock lock(&mu);
  if (models->empty()) {
    mju_user_error = MujocoError;
    mju_user_warning = MujocoWarning;
  }
  if (auto it = models->find(file_name); it != models->end()) return it->second;
  for (const EmbeddedFile& file : EmbeddedModels()) {
    if (file.name != file_name) continue;
    absl::StatusOr<const mjModel*> model = Compile(file);
    if (model.ok()) models->emplace(file_name, *model);
    return model;
  }
  return absl::NotFoundError(absl::StrCat("no embedded MuJoCo model named ", file_name));
}

}  // namespace mbrl::envs
