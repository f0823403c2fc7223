// Every subcommand of `mbrl`, one function per cli/<name>.cc file. To add one, see README
// "Adding a subcommand".
#ifndef MBRL_CLI_SUBCOMMANDS_H_
#define MBRL_CLI_SUBCOMMANDS_H_

#include "cli/subcommand.h"

namespace mbrl::cli {

Subcommand VersionSubcommand();        // cli/version.cc
Subcommand ConfigCheckSubcommand();    // cli/config_check.cc
Subcommand EnvListSubcommand();        // cli/env_list.cc
Subcommand BenchEnvSubcommand();       // cli/bench_env.cc
Subcommand EnvServerSubcommand();      // cli/env_server.cc
Subcommand PlotSubcommand();           // cli/plot.cc
Subcommand ReplaySubcommand();         // cli/replay.cc
Subcommand BenchReplaySubcommand();    // cli/bench_replay.cc
Subcommand TrainSubcommand();          // cli/train.cc
Subcommand BenchImagineSubcommand();   // cli/bench_imagine.cc
Subcommand ModelLearnerSubcommand();   // cli/model_learner.cc
Subcommand PolicyLearnerSubcommand();  // cli/policy_learner.cc
Subcommand EnvActorSubcommand();       // cli/env_actor.cc
Subcommand ImagineSubcommand();        // cli/imagine.cc
Subcommand LocalSubcommand();          // cli/local.cc

}  // namespace mbrl::cli

#endif  // MBRL_CLI_SUBCOMMANDS_H_
