#include "common/config.h"

#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(ConfigTest, MinimalConfigTakesThePublishedDefaults) {
  MBRL_ASSERT_OK_AND_ASSIGN(ParsedConfig parsed,
                            ParseExperimentConfig("mbmpo {}\n", "min.textproto"));
  const v1::ExperimentConfig& config = parsed.config();
  EXPECT_TRUE(config.has_mbmpo());
  EXPECT_EQ(config.env().name(), "Pendulum");
  EXPECT_EQ(config.env().horizon(), 200u);
  EXPECT_EQ(config.model().ensemble_size(), 5u);
  EXPECT_EQ(config.model().hidden_units(), 512u);
  EXPECT_TRUE(config.model().weight_norm());
  EXPECT_DOUBLE_EQ(config.model().ema_persistence(), 0.99);
  EXPECT_EQ(config.policy().hidden_units(), 32u);
  EXPECT_DOUBLE_EQ(config.policy().init_std(), 1.0);
  EXPECT_EQ(config.mbmpo().meta_batch_size(), 20u);
  EXPECT_EQ(config.mbmpo().imagined_trajectories_per_task(), 50u);
  EXPECT_EQ(config.mbmpo().meta_steps_per_iteration(), 30u);
  EXPECT_DOUBLE_EQ(config.mbmpo().inner_learning_rate(), 0.001);
  EXPECT_DOUBLE_EQ(config.mbmpo().outer().max_kl(), 0.01);
  EXPECT_EQ(config.mbmpo().initial_random_steps(), 5000u);
  EXPECT_EQ(config.schedule(), v1::ExperimentConfig::SYNC);
  EXPECT_EQ(OutputDirectory(config), "runs/experiment");
}

TEST(ConfigTest, MetrpoDefaultsAreTheOfficialOnes) {
  MBRL_ASSERT_OK_AND_ASSIGN(ParsedConfig parsed, ParseExperimentConfig("metrpo {}", "m"));
  const v1::MetrpoConfig& metrpo = parsed.config().metrpo();
  EXPECT_EQ(metrpo.real_steps_per_iteration(), 3000u);
  EXPECT_EQ(metrpo.imagined_steps_per_policy_step(), 50000u);
  EXPECT_DOUBLE_EQ(metrpo.model_vote_threshold(), 0.3);
  EXPECT_DOUBLE_EQ(metrpo.discount(), 1.0);
  EXPECT_EQ(metrpo.propagation(), v1::MetrpoConfig::RANDOM_MEMBER_PER_STEP);
}

TEST(ConfigTest, UnknownFieldIsAnErrorWithItsLocation) {
  const std::string text =
      "name: \"x\"\n"
      "env {\n"
      "  horizn: 100\n"
      "}\n"
      "mbmpo {}\n";
  EXPECT_THAT(ParseExperimentConfig(text, "bad.textproto").status(),
              StatusIs(kInvalid, HasSubstr("bad.textproto:3:")));
  EXPECT_THAT(ParseExperimentConfig(text, "bad.textproto").status(),
              StatusIs(kInvalid, HasSubstr("no field named \"horizn\"")));
}

TEST(ConfigTest, WrongTypeIsAnErrorWithItsLocation) {
  EXPECT_THAT(
      ParseExperimentConfig("mbmpo {\n  meta_batch_size: \"twenty\"\n}\n", "t.textproto").status(),
      StatusIs(kInvalid, HasSubstr("t.textproto:2:20: Expected integer")));
  EXPECT_THAT(ParseExperimentConfig("model { weight_norm: 3 }\nmbmpo {}", "t").status(),
              StatusIs(kInvalid, HasSubstr("t:1:")));
  EXPECT_THAT(ParseExperimentConfig("schedule: SOMETIMES\nmbmpo {}", "t").status(),
              StatusIs(kInvalid, HasSubstr("SOMETIMES")));
}

TEST(ConfigTest, OutOfRangeValueIsAnErrorAtThatField) {
  const std::string text =
      "mbmpo {}\n"
      "model {\n"
      "  ensemble_size: 5\n"
      "  learning_rate: 0\n"
      "}\n";
  EXPECT_THAT(
      ParseExperimentConfig(text, "r.textproto").status(),
      StatusIs(kInvalid,
               "r.textproto:4:3: model.learning_rate: 0 is out of range; must be > 0 and <= 1"));
}

TEST(ConfigTest, NaNIsOutOfEveryRange) {
  EXPECT_THAT(ParseExperimentConfig("mbmpo { discount: nan }", "n").status(),
              StatusIs(kInvalid, HasSubstr("n:1:9: mbmpo.discount: nan is out of range")));
}

TEST(ConfigTest, NegativeUnsignedIsRejectedByTheParser) {
  EXPECT_THAT(ParseExperimentConfig("mbmpo {}\nenv { horizon: -5 }", "u").status(),
              StatusIs(kInvalid, HasSubstr("u:2:")));
}

TEST(ConfigTest, AlgorithmIsRequiredAndUnique) {
  EXPECT_THAT(ParseExperimentConfig("name: \"x\"", "a").status(),
              StatusIs(kInvalid, HasSubstr("a: no algorithm")));
  EXPECT_THAT(ParseExperimentConfig("mbmpo {}\nmetrpo {}\n", "a").status(),
              StatusIs(kInvalid, HasSubstr("a:2:")));
}

TEST(ConfigTest, CrossFieldRulesPointAtTheOffendingField) {
  EXPECT_THAT(
      ParseExperimentConfig("model { ensemble_size: 3 }\nmbmpo {\n  meta_batch_size: 20\n}", "c")
          .status(),
      StatusIs(kInvalid,
               HasSubstr("c:3:3: mbmpo.meta_batch_size: 20 tasks cannot be shared equally by 3")));
  // Not written in the file: the error points at the nearest written parent.
  EXPECT_THAT(ParseExperimentConfig("model { ensemble_size: 3 }\nmbmpo {}", "c").status(),
              StatusIs(kInvalid, HasSubstr("c:2:1: mbmpo.meta_batch_size")));
  EXPECT_THAT(ParseExperimentConfig("model {\n num_elites: 6\n}\nmbmpo {}", "c").status(),
              StatusIs(kInvalid, HasSubstr("c:2:2: model.num_elites: 6 elites exceed the 5")));
}

TEST(ConfigTest, ErrorAtFallsBackToTheFileForUnwrittenFields) {
  MBRL_ASSERT_OK_AND_ASSIGN(ParsedConfig parsed, ParseExperimentConfig("mbmpo {}", "f.textproto"));
  EXPECT_THAT(parsed.ErrorAt({"env", "name"}, "unknown env"),
              StatusIs(kInvalid, "f.textproto: env.name: unknown env"));
  MBRL_ASSERT_OK_AND_ASSIGN(ParsedConfig written,
                            ParseExperimentConfig("mbmpo {}\nenv { name: \"Nope\" }", "g"));
  EXPECT_THAT(written.ErrorAt({"env", "name"}, "unknown env"),
              StatusIs(kInvalid, "g:2:7: env.name: unknown env"));
}

TEST(ConfigTest, EveryDeclaredDefaultIsWithinItsDeclaredRange) {
  for (bool metrpo : {false, true}) {
    v1::ExperimentConfig config;
    if (metrpo) {
      config.mutable_metrpo();
    } else {
      config.mutable_mbmpo();
    }
    FillDefaults(&config);
    EXPECT_EQ(config.has_metrpo(), metrpo);
    EXPECT_TRUE(config.model().has_ensemble_size());
    EXPECT_TRUE(config.has_topology() && config.topology().has_learner_threads());
    EXPECT_THAT(ValidateFieldRanges(config, nullptr, "defaults"), IsOk());
  }
}

TEST(ConfigTest, RangeErrorsWithoutLocationsNameTheSource) {
  v1::ExperimentConfig config;
  config.mutable_policy()->set_init_std(-1);
  EXPECT_THAT(ValidateFieldRanges(config, nullptr, "generated"),
              StatusIs(kInvalid, "generated: policy.init_std: -1 is out of range; must be > 0"));
}

TEST(ConfigTest, LoadReportsUnreadableFiles) {
  EXPECT_THAT(LoadExperimentConfig("/nonexistent/x.textproto").status(),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("cannot read config /nonexistent/x.textproto")));
}

}  // namespace
}  // namespace mbrl

namespace mbrl {
namespace {

TEST(ConfigTest, FillDefaultsLeavesUnchosenOneofMembersUnset) {
  v1::ExperimentConfig config;
  config.mutable_mbmpo()->set_meta_batch_size(10);
  config.mutable_env()->set_horizon(100);
  FillDefaults(&config);
  EXPECT_TRUE(config.has_mbmpo());
  EXPECT_FALSE(config.has_metrpo());
  EXPECT_EQ(config.mbmpo().meta_batch_size(), 10u);  // kept
  EXPECT_EQ(config.env().horizon(), 100u);           // kept
  EXPECT_TRUE(config.mbmpo().outer().has_max_kl());  // filled
  EXPECT_EQ(config.env().name(), "Pendulum");
  EXPECT_TRUE(config.env().has_name());
}

}  // namespace
}  // namespace mbrl
