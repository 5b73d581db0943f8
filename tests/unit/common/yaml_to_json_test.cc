#include "common/config/yaml_to_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace cascade {
namespace {

using ::testing::HasSubstr;

TEST(YamlToJsonTest, PlainScalarsAreTypedQuotedOnesStayStrings) {
  auto doc = YamlToJson(
      "a: 1\nb: -2.5\nc: true\nd: \"1\"\ne: yes\nf: ~\ng: 'false'\nh: 1e3\ni: .inf\n", "t.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->json["a"], 1);
  EXPECT_DOUBLE_EQ(doc->json["b"].get<double>(), -2.5);
  EXPECT_EQ(doc->json["c"], true);
  EXPECT_EQ(doc->json["d"], "1");
  EXPECT_EQ(doc->json["e"], "yes");
  EXPECT_TRUE(doc->json["f"].is_null());
  EXPECT_EQ(doc->json["g"], "false");
  EXPECT_DOUBLE_EQ(doc->json["h"].get<double>(), 1000.0);
  EXPECT_EQ(doc->json["i"], ".inf");  // Not a config number.
}

TEST(YamlToJsonTest, RecordsLinesOfNestedValues) {
  auto doc = YamlToJson("top:\n  list:\n    - x\n    - name: y\n", "t.yaml");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->LineOf("/top"), 1);
  EXPECT_EQ(doc->LineOf("/top/list"), 2);
  EXPECT_EQ(doc->LineOf("/top/list/1/name"), 4);
  EXPECT_EQ(doc->LineOf("/top/list/1/absent"), 4);  // Falls back to the closest ancestor.
}

TEST(YamlToJsonTest, DuplicateAndComplexKeysAreErrors) {
  EXPECT_FALSE(YamlToJson("a: 1\na: 2\n", "t.yaml").ok());
  EXPECT_FALSE(YamlToJson("? [a, b]\n: 1\n", "t.yaml").ok());
}

// Found by the config_loader fuzzer: every alias was expanded in full, so nine lines of
// YAML stood for 10^9 values ("billion laughs") and the conversion ran out of memory.
TEST(YamlToJsonTest, AliasExplosionIsAnError) {
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    yaml += absl::StrCat("a", i, ": &a", i, " [");
    for (int j = 0; j < 10; ++j) absl::StrAppend(&yaml, j ? ", " : "", "*a", i - 1);
    yaml += "]\n";
  }
  auto doc = YamlToJson(yaml, "t.yaml");
  ASSERT_EQ(doc.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(doc.status().message()), HasSubstr("more than 100000 values"));
  // Aliases used a reasonable number of times are still expanded.
  auto small = YamlToJson("a: &a {k: 1}\nb: [*a, *a]\n", "t.yaml");
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->json["b"][1]["k"], 1);
}

// Found by the config_loader fuzzer: an alias inside its own anchor's node is a cycle, and
// the conversion recursed until the stack overflowed; very deep nesting did the same.
TEST(YamlToJsonTest, AliasCyclesAndDeepNestingAreErrors) {
  for (const std::string& yaml : {std::string("a: &a [*a]\n"), std::string("a: &a {b: *a}\n"),
                                  std::string(1000, '[') + std::string(1000, ']')}) {
    auto doc = YamlToJson(yaml, "t.yaml");
    ASSERT_EQ(doc.status().code(), absl::StatusCode::kFailedPrecondition) << yaml.substr(0, 20);
  }
  EXPECT_THAT(std::string(YamlToJson("a: &a [*a]\n", "t.yaml").status().message()),
              HasSubstr("t.yaml:1: nested more than 64 levels"));
  EXPECT_TRUE(YamlToJson(std::string(60, '[') + std::string(60, ']'), "t.yaml").ok());
}

TEST(YamlToJsonTest, NonUtf8ScalarsAndKeysAreErrors) {
  EXPECT_THAT(std::string(YamlToJson("a: ok\nb: \xff\n", "t.yaml").status().message()),
              HasSubstr("t.yaml:2: not valid UTF-8"));
  EXPECT_FALSE(YamlToJson("\xed\xa0\x80: 1\n", "t.yaml").ok());  // a surrogate
  EXPECT_FALSE(YamlToJson("a: \xc0\xaf\n", "t.yaml").ok());      // overlong
  EXPECT_TRUE(YamlToJson("a: \xf0\x9f\x98\x80\n", "t.yaml").ok());
}

}  // namespace
}  // namespace cascade
