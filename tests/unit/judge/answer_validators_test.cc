#include "services/judge/lib/answer_validators.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cascade::judge {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

v1::ResponseFormat Format(v1::ResponseFormat::Type type, std::string schema = "") {
  v1::ResponseFormat format;
  format.set_type(type);
  format.set_json_schema(schema);
  return format;
}

ValidationResult Validate(absl::string_view answer,
                          v1::FinishReason finish = v1::FINISH_REASON_STOP,
                          const v1::ResponseFormat& format = {}) {
  return ValidateAnswer(answer, finish, format);
}

TEST(AnswerValidatorsTest, AGoodAnswerPassesEveryCheck) {
  const ValidationResult result = Validate("Paris is the capital of France.");
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.score, 1.0);
  EXPECT_THAT(result.failed_checks, IsEmpty());
  EXPECT_EQ(result.rationale, "");
}

TEST(AnswerValidatorsTest, EmptyAndWhitespaceAnswersFail) {
  for (const char* answer : {"", "   ", "\n\t "}) {
    const ValidationResult result = Validate(answer);
    EXPECT_EQ(result.score, 0.0);
    EXPECT_THAT(result.failed_checks, ElementsAre("empty"));
  }
}

TEST(AnswerValidatorsTest, RefusalsFailWhateverTheCaseOrApostrophe) {
  for (const char* answer :
       {"I'm sorry, but I can't help with that.", "i’m sorry, but i can’t do that",
        "As an AI language model, I have no opinions.", "  I cannot assist with this request."}) {
    const ValidationResult result = Validate(answer);
    EXPECT_EQ(result.score, 0.0) << answer;
    EXPECT_THAT(result.failed_checks, ElementsAre("refusal")) << answer;
    EXPECT_THAT(result.rationale, HasSubstr("refusal: the answer opens with"));
  }
}

TEST(AnswerValidatorsTest, ARefusalPhraseLateInALongAnswerIsNotARefusal) {
  const std::string answer = std::string(200, 'x') + " I can't help with that part.";
  EXPECT_TRUE(Validate(answer).ok());
}

TEST(AnswerValidatorsTest, ConfiguredRefusalPatternsReplaceTheDefaults) {
  ValidatorOptions options;
  options.refusal_patterns = {"nay, i will not"};
  EXPECT_THAT(
      ValidateAnswer("Nay, I will not speak.", v1::FINISH_REASON_STOP, {}, options).failed_checks,
      ElementsAre("refusal"));
  EXPECT_TRUE(ValidateAnswer("I'm sorry, but I can't.", v1::FINISH_REASON_STOP, {}, options).ok());
}

TEST(AnswerValidatorsTest, FinishReasonLengthIsTruncated) {
  const ValidationResult result = Validate("The answer is", v1::FINISH_REASON_LENGTH);
  EXPECT_EQ(result.score, 0.0);
  EXPECT_THAT(result.failed_checks, ElementsAre("truncated"));
  EXPECT_THAT(result.rationale, HasSubstr("max_tokens"));
  EXPECT_TRUE(Validate("The answer is 4.", v1::FINISH_REASON_UNSPECIFIED).ok());
}

TEST(AnswerValidatorsTest, ATrailingLoopIsRepetition) {
  std::string answer = "Let me think.";
  for (int i = 0; i < 10; ++i) answer += " and then the king said";
  const ValidationResult result = Validate(answer, v1::FINISH_REASON_LENGTH);
  EXPECT_THAT(result.failed_checks, ElementsAre("truncated", "repetition"));
  EXPECT_GE(TrailingLoopBytes(answer, {}), 9u * 23u);
  EXPECT_EQ(TrailingLoopBytes(std::string(100, 'a'), {}), 100u);
}

TEST(AnswerValidatorsTest, ShortOrFewRepeatsAreNotALoop) {
  // A markdown rule, a closing brace run and three repeats of a phrase are ordinary text.
  EXPECT_TRUE(Validate("Results:\n" + std::string(40, '-')).ok());
  EXPECT_TRUE(Validate("code { { { } } } }}}}").ok());
  EXPECT_TRUE(Validate("Yes. It is very, very, very good, the best of them all, truly.").ok());
  EXPECT_EQ(TrailingLoopBytes("ab ab ab", {}), 0u);
  EXPECT_EQ(TrailingLoopBytes("", {}), 0u);
}

TEST(AnswerValidatorsTest, JsonIsCheckedOnlyWhenAsked) {
  EXPECT_TRUE(Validate("not json").ok());
  EXPECT_TRUE(
      Validate("{\"a\": 1}", v1::FINISH_REASON_STOP, Format(v1::ResponseFormat::JSON_OBJECT)).ok());
  const ValidationResult bad =
      Validate("{\"a\": 1", v1::FINISH_REASON_STOP, Format(v1::ResponseFormat::JSON_OBJECT));
  EXPECT_THAT(bad.failed_checks, ElementsAre("invalid_json"));
  EXPECT_THAT(bad.rationale, HasSubstr("not valid JSON"));
  EXPECT_THAT(
      Validate("[1, 2]", v1::FINISH_REASON_STOP, Format(v1::ResponseFormat::JSON_OBJECT)).rationale,
      HasSubstr("not an object"));
}

TEST(AnswerValidatorsTest, JsonSchemaChecksTypeAndRequiredKeys) {
  const v1::ResponseFormat schema =
      Format(v1::ResponseFormat::JSON_SCHEMA, R"({"type": "object", "required": ["name", "age"]})");
  EXPECT_TRUE(Validate(R"({"name": "Ann", "age": 3})", v1::FINISH_REASON_STOP, schema).ok());
  const ValidationResult missing = Validate(R"({"name": "Ann"})", v1::FINISH_REASON_STOP, schema);
  EXPECT_THAT(missing.failed_checks, ElementsAre("invalid_json"));
  EXPECT_THAT(missing.rationale, HasSubstr("lacks required keys: age"));
  EXPECT_THAT(Validate("[1]", v1::FINISH_REASON_STOP, schema).rationale,
              HasSubstr("schema's type 'object'"));
  // A schema we cannot read checks only that the answer is a JSON document.
  EXPECT_TRUE(Validate("{}", v1::FINISH_REASON_STOP,
                       Format(v1::ResponseFormat::JSON_SCHEMA, "not a schema"))
                  .ok());
}

TEST(AnswerValidatorsTest, EveryFailureIsListedInOrder) {
  const ValidationResult result =
      Validate("", v1::FINISH_REASON_LENGTH, Format(v1::ResponseFormat::JSON_OBJECT));
  EXPECT_THAT(result.failed_checks, ElementsAre("empty", "truncated", "invalid_json"));
  EXPECT_EQ(result.score, 0.0);
}

}  // namespace
}  // namespace cascade::judge
