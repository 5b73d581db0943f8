// The tool and reasoning fields of GenerationParams, checked at every service's boundary.

#include "common/validation/generation_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace cascade {
namespace {

using ::testing::HasSubstr;

v1::GenerationParams WithWeatherTool() {
  v1::GenerationParams params;
  v1::Tool* tool = params.add_tools();
  tool->set_name("get_weather");
  tool->set_description("The weather in a city");
  tool->set_parameters_json(
      R"({"type": "object", "properties": {"location": {"type": "string"}}})");
  return params;
}

TEST(GenerationParamsTools, AcceptsDeclaredToolsAndEveryToolChoice) {
  v1::GenerationParams params = WithWeatherTool();
  EXPECT_TRUE(ValidateGenerationParams(params).ok());
  for (const char* choice : {"auto", "none", "required", "get_weather"}) {
    params.set_tool_choice(choice);
    EXPECT_TRUE(ValidateGenerationParams(params).ok()) << choice;
  }
  params.add_tools()->set_name("no-parameters_2");
  EXPECT_TRUE(ValidateGenerationParams(params).ok());
  for (const char* effort : {"minimal", "low", "medium", "high"}) {
    params.set_reasoning_effort(effort);
    EXPECT_TRUE(ValidateGenerationParams(params).ok()) << effort;
  }
}

TEST(GenerationParamsTools, NamesTheFieldAndWhatToFix) {
  auto message = [](const v1::GenerationParams& params) {
    absl::Status status = ValidateGenerationParams(params);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    return std::string(status.message());
  };
  v1::GenerationParams bad_name = WithWeatherTool();
  bad_name.mutable_tools(0)->set_name("get weather");
  EXPECT_THAT(message(bad_name), HasSubstr("params.tools[0].name 'get weather' must be"));
  v1::GenerationParams twice = WithWeatherTool();
  *twice.add_tools() = twice.tools(0);
  EXPECT_THAT(message(twice), HasSubstr("params.tools[1].name 'get_weather' is declared twice"));
  v1::GenerationParams not_schema = WithWeatherTool();
  not_schema.mutable_tools(0)->set_parameters_json("[1, 2]");
  EXPECT_THAT(message(not_schema), HasSubstr("params.tools[0].parameters must be a JSON Schema"));
  v1::GenerationParams deep = WithWeatherTool();
  deep.mutable_tools(0)->set_parameters_json(std::string(300, '[') + std::string(300, ']'));
  EXPECT_THAT(message(deep), HasSubstr("nests 300 levels deep"));
  v1::GenerationParams undeclared = WithWeatherTool();
  undeclared.set_tool_choice("get_time");
  EXPECT_THAT(message(undeclared), HasSubstr("params.tool_choice 'get_time' must be"));
  v1::GenerationParams no_tools;
  no_tools.set_tool_choice("auto");
  EXPECT_THAT(message(no_tools), HasSubstr("params.tools is empty"));
  v1::GenerationParams effort;
  effort.set_reasoning_effort("max");
  EXPECT_THAT(message(effort), HasSubstr("params.reasoning_effort must be"));
  v1::GenerationParams many;
  // absl::StrCat: `"t" + std::to_string(i)` trips a false -Wrestrict in GCC 12 at -O3 (the
  // release build of `make build`).
  for (int i = 0; i < 129; ++i) many.add_tools()->set_name(absl::StrCat("t", i));
  EXPECT_THAT(message(many), HasSubstr("129 tools, over the limit of 128"));
}

}  // namespace
}  // namespace cascade
