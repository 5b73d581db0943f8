#include "common/config/yaml_to_json.h"

#include <gtest/gtest.h>

namespace cascade {
namespace {

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

}  // namespace
}  // namespace cascade
