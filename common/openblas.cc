#include "common/openblas.h"

#include <dlfcn.h>

namespace mbrl {

std::string OpenBlasCoreName() {
  using CoreName = char* (*)();
  const auto core_name = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (core_name == nullptr) return "";
  const char* name = core_name();
  return name == nullptr ? "" : name;
}

}  // namespace mbrl
