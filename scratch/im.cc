#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <cstdio>
#include <cstdlib>
#include "absl/time/clock.h"
#include "actors/envs/registry.h"
#include "learner/dynamics/mlp_ensemble.h"
#include "learner/imagination.h"
#include "learner/policy/gaussian_mlp.h"
using namespace mbrl;
int main(int argc, char** argv) {
  int64_t batch = atoi(argv[1]); int reps = atoi(argv[2]);
  at::set_num_threads(2);
  auto functions = envs::MakeBatchedEnvFunctions("HalfCheetah").value();
  v1::EnvConfig ec; ec.set_name("HalfCheetah"); auto env = envs::MakeEnv(ec).value();
  learner::MlpEnsembleOptions mo; mo.ensemble_size = 5; mo.observation_dim = 17; mo.action_dim = 6; mo.hidden = {512,512,512};
  auto model = learner::MlpEnsemble::Create(mo, 1).value();
  learner::GaussianMlpOptions po; po.observation_dim = 17; po.action_dim = 6; po.hidden = {32,32};
  auto policy = learner::GaussianMlpPolicy::Create(po, 2).value();
  learner::ImaginationOptions io; io.horizon = 200;
  std::vector<int64_t> members = {0,1,2,3,4};
  at::Generator gen = at::detail::createCPUGenerator(3);
  at::Tensor starts = at::randn({1, batch, 17}, gen, at::kFloat) * 0.1;
  double best = 0;
  for (int i = 0; i < reps; ++i) {
    absl::Time t0 = absl::Now();
    auto r = learner::Imagine(*model, members, *policy, policy->parameters(), *functions, env->spec().action, starts, io, gen).value();
    best = std::max(best, batch * 200 / absl::ToDoubleSeconds(absl::Now() - t0));
  }
  printf("%.0f\n", best);
}
