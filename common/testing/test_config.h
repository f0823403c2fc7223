// ExperimentConfigs written inline in tests.
#ifndef MBRL_COMMON_TESTING_TEST_CONFIG_H_
#define MBRL_COMMON_TESTING_TEST_CONFIG_H_

#include "absl/strings/string_view.h"
#include "common/config.h"
#include "gtest/gtest.h"
#include "mbrl/v1/config.pb.h"

namespace mbrl::testing {

// The effective config (ParseExperimentConfig, then FillDefaults) of the textproto `text`.
// A parse error fails the current test and yields the defaults of an empty config.
inline v1::ExperimentConfig EffectiveTestConfig(absl::string_view text) {
  absl::StatusOr<ParsedConfig> parsed = ParseExperimentConfig(text, "test");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  v1::ExperimentConfig config = parsed.ok() ? parsed->config() : v1::ExperimentConfig();
  FillDefaults(&config);
  return config;
}

}  // namespace mbrl::testing

#endif  // MBRL_COMMON_TESTING_TEST_CONFIG_H_
