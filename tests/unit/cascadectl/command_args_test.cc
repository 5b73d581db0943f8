#include "tools/cascadectl/command_args.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tools/cascadectl/dial.h"

namespace cascade::cli {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;

absl::StatusOr<CommandArgs> Parse(const std::vector<std::string>& args) {
  return CommandArgs::Parse(args, {"target", "tier"}, {"json"});
}

TEST(CommandArgsTest, HasSeesSwitchesAndFlagsWithValues) {
  auto args = Parse({"--target", "a:1", "--json", "--tier=x", "--tier", "y", "word"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_TRUE(args->Has("json"));
  EXPECT_TRUE(args->Has("target"));
  EXPECT_FALSE(Parse({"--json"})->Has("target"));
  EXPECT_EQ(args->Value("target"), "a:1");
  EXPECT_EQ(args->Value("tier"), "y");  // The last one given.
  EXPECT_THAT(args->Values("tier"), ElementsAre("x", "y"));
  EXPECT_THAT(args->positionals(), ElementsAre("word"));
}

TEST(CommandArgsTest, InputValidationNamesTheFlag) {
  EXPECT_THAT(Parse({"--tagret", "a"}).status().message(), HasSubstr("unknown flag --tagret"));
  EXPECT_THAT(Parse({"--json=yes"}).status().message(), HasSubstr("--json takes no value"));
  EXPECT_THAT(Parse({"--target"}).status().message(), HasSubstr("--target needs a value"));
}

TEST(DialArgsTest, AnyCertificateFlagTurnsTlsOn) {
  for (const char* flag : {"--ca-file", "--cert-file", "--key-file", "--server-name"}) {
    auto args = CommandArgs::Parse({flag, "x"}, WithTlsValueFlags({}), WithTlsSwitches({}));
    ASSERT_TRUE(args.ok()) << args.status();
    EXPECT_TRUE(HasTlsFlags(*args)) << flag;
    EXPECT_TRUE(ClientConfigFromArgs(*args, "a:1").has_tls()) << flag;
  }
  auto plaintext =
      CommandArgs::Parse({"--api-key-env", "K"}, WithTlsValueFlags({}), WithTlsSwitches({}));
  ASSERT_TRUE(plaintext.ok());
  EXPECT_FALSE(HasTlsFlags(*plaintext));
  EXPECT_EQ(ClientConfigFromArgs(*plaintext, "a:1").api_key_env(), "K");
}

}  // namespace
}  // namespace cascade::cli
