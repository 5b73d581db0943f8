// The JSON Schema subset the tool call check enforces: each keyword accepts what it should
// and names where and why it refuses.

#include "common/json/json_schema_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cascade {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Optional;

const json kWeather = json::parse(R"({
  "type": "object",
  "properties": {
    "location": {"type": "string", "minLength": 1, "maxLength": 8},
    "unit": {"enum": ["celsius", "fahrenheit"]},
    "days": {"type": "integer", "minimum": 1, "maximum": 7},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2}
  },
  "required": ["location"],
  "additionalProperties": false
})");

TEST(JsonSchemaCheck, AcceptsWhatTheSchemaAllows) {
  EXPECT_EQ(JsonSchemaViolation(json{{"location", "Paris"}}, kWeather), std::nullopt);
  EXPECT_EQ(JsonSchemaViolation(
                json{{"location", "Zürich"}, {"unit", "celsius"}, {"days", 3.0}, {"tags", {"a"}}},
                kWeather),
            std::nullopt);
  // An empty schema and `true` allow anything.
  EXPECT_EQ(JsonSchemaViolation(json{{"x", 1}}, json::object()), std::nullopt);
  EXPECT_EQ(JsonSchemaViolation(json{{"x", 1}}, json(true)), std::nullopt);
}

TEST(JsonSchemaCheck, NamesWhereAndWhy) {
  EXPECT_THAT(JsonSchemaViolation(json::object(), kWeather),
              Optional(HasSubstr("$.location: is missing (required)")));
  EXPECT_THAT(JsonSchemaViolation(json{{"location", 42}}, kWeather),
              Optional(HasSubstr("$.location: 42 is not of type string")));
  EXPECT_THAT(JsonSchemaViolation(json{{"location", ""}}, kWeather),
              Optional(HasSubstr("shorter than minLength")));
  EXPECT_THAT(JsonSchemaViolation(json{{"location", "Llanfairpwll"}}, kWeather),
              Optional(HasSubstr("longer than maxLength")));
  EXPECT_THAT(JsonSchemaViolation(json{{"location", "Oslo"}, {"unit", "kelvin"}}, kWeather),
              Optional(HasSubstr("$.unit: \"kelvin\" is not one of the enum")));
  EXPECT_THAT(JsonSchemaViolation(json{{"location", "Oslo"}, {"days", 9}}, kWeather),
              Optional(HasSubstr("$.days: 9 is outside maximum 7")));
  EXPECT_THAT(JsonSchemaViolation(json{{"location", "Oslo"}, {"days", 1.5}}, kWeather),
              Optional(HasSubstr("is not of type integer")));
  EXPECT_THAT(JsonSchemaViolation(json{{"location", "Oslo"}, {"tags", {"a", 2}}}, kWeather),
              Optional(HasSubstr("$.tags[1]: 2 is not of type string")));
  EXPECT_THAT(JsonSchemaViolation(json{{"location", "Oslo"}, {"tags", {"a", "b", "c"}}}, kWeather),
              Optional(HasSubstr("more than maxItems 2")));
  EXPECT_THAT(JsonSchemaViolation(json{{"location", "Oslo"}, {"when", "now"}}, kWeather),
              Optional(HasSubstr("$.when: is not a property the schema allows")));
  EXPECT_THAT(JsonSchemaViolation(json("x"), json(false)), Optional(HasSubstr("no value")));
}

TEST(JsonSchemaCheck, CombinationsAndReferences) {
  const json schema = json::parse(R"({
    "$defs": {"point": {"type": "object", "required": ["x", "y"]}},
    "type": "object",
    "properties": {
      "at": {"$ref": "#/$defs/point"},
      "id": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
      "one": {"oneOf": [{"type": "number"}, {"type": "integer"}]},
      "both": {"allOf": [{"type": "number"}, {"minimum": 0}]},
      "mode": {"const": "fast"},
      "maybe": {"type": ["string", "null"]}
    }
  })");
  EXPECT_EQ(JsonSchemaViolation(json::parse(R"({"at": {"x": 1, "y": 2}, "id": "a", "one": 1.5,
                                                "both": 2, "mode": "fast", "maybe": null})"),
                                schema),
            std::nullopt);
  EXPECT_THAT(JsonSchemaViolation(json::parse(R"({"at": {"x": 1}})"), schema),
              Optional(HasSubstr("$.at.y: is missing")));
  EXPECT_THAT(JsonSchemaViolation(json::parse(R"({"id": true})"), schema),
              Optional(HasSubstr("$.id: matches none of anyOf")));
  // 2 is both a number and an integer: oneOf wants exactly one.
  EXPECT_THAT(JsonSchemaViolation(json::parse(R"({"one": 2})"), schema),
              Optional(HasSubstr("matches 2 of oneOf's schemas")));
  EXPECT_THAT(JsonSchemaViolation(json::parse(R"({"both": -1})"), schema),
              Optional(HasSubstr("outside minimum 0")));
  EXPECT_THAT(JsonSchemaViolation(json::parse(R"({"mode": "slow"})"), schema),
              Optional(HasSubstr("is not the constant \"fast\"")));
  EXPECT_THAT(JsonSchemaViolation(json::parse(R"({"maybe": 3})"), schema),
              Optional(HasSubstr("is not of type string or null")));
  EXPECT_THAT(JsonSchemaViolation(json{{"at", 1}}, json::parse(R"({"properties":
                                                        {"at": {"$ref": "http://x/y"}}})")),
              Optional(HasSubstr("is not a local definition")));
}

TEST(JsonSchemaCheck, ASchemaThatRefersToItselfForeverIsNotFollowedForever) {
  const json loop = json::parse(R"({"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"})");
  EXPECT_THAT(JsonSchemaViolation(json(1), loop), Optional(HasSubstr("too deeply")));
}

}  // namespace
}  // namespace cascade
