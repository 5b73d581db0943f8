#include "services/tier_worker/request_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cascade::tier_worker {
namespace {

using cascade::v1::CompleteRequest;
using ::testing::HasSubstr;

CompleteRequest WithMessages(int count, const std::string& content = "hello") {
  CompleteRequest request;
  for (int i = 0; i < count; ++i) {
    auto* message = request.add_messages();
    message->set_role(i % 2 == 0 ? "user" : "assistant");
    message->set_content(content);
  }
  return request;
}

void ExpectInvalid(const CompleteRequest& request, const RequestLimits& limits,
                   const std::string& mention) {
  absl::Status status = ValidateCompleteRequest(request, limits);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << mention;
  EXPECT_THAT(status.message(), HasSubstr(mention));
}

TEST(RequestValidationTest, AcceptsAnOrdinaryRequest) {
  EXPECT_TRUE(ValidateCompleteRequest(WithMessages(3), {}).ok());
}

TEST(RequestValidationTest, LimitsAreNamed) {
  RequestLimits limits;
  limits.max_messages = 2;
  limits.max_content_bytes = 8;
  ExpectInvalid(WithMessages(3, "a"), limits, "limits.max_messages");
  ExpectInvalid(WithMessages(2, "hello"), limits, "limits.max_content_bytes");
  ExpectInvalid(CompleteRequest(), limits, "at least one message");
  // An image's bytes count against the content limit.
  CompleteRequest with_image = WithMessages(1, "hi");
  with_image.mutable_messages(0)->add_parts()->set_image_url("https://x.example/a.png");
  ExpectInvalid(with_image, limits, "limits.max_content_bytes");
}

TEST(RequestValidationTest, RolesUtf8AndParams) {
  CompleteRequest request = WithMessages(1);
  request.mutable_messages(0)->set_role("wizard");
  ExpectInvalid(request, {}, "messages[0].role");
  request = WithMessages(1, std::string("bad \xC3\x28 byte"));
  ExpectInvalid(request, {}, "not valid UTF-8");
  request = WithMessages(1);
  request.mutable_params()->set_top_logprobs(21);
  ExpectInvalid(request, {}, "top_logprobs");
  request = WithMessages(1);
  request.mutable_params()->set_temperature(-1);
  ExpectInvalid(request, {}, "temperature");
  request = WithMessages(1);
  request.mutable_params()->set_top_p(1.5f);
  ExpectInvalid(request, {}, "top_p");
  request = WithMessages(1);
  // Built from a std::string: GCC 12 at -O3 gives a false -Wrestrict on add_stop("x").
  const std::string stop = "x";
  for (int i = 0; i < 5; ++i) request.mutable_params()->add_stop(stop);
  ExpectInvalid(request, {}, "params.stop");
}

// Copying and dumping a parsed JSON value recurse: a schema nested thousands deep would
// overflow the stack when the worker builds the upstream body.
TEST(RequestValidationTest, ADeeplyNestedJsonSchemaIsRefusedNamingTheLimit) {
  CompleteRequest request = WithMessages(1);
  auto* format = request.mutable_params()->mutable_response_format();
  format->set_type(v1::ResponseFormat::JSON_SCHEMA);
  format->set_json_schema(std::string(100000, '[') + std::string(100000, ']'));
  ExpectInvalid(request, {}, "json_schema nests 100000 levels deep; at most 64");
  format->set_json_schema(R"({"type": "object", "properties": {"a": {"type": "array"}}})");
  EXPECT_TRUE(ValidateCompleteRequest(request, {}).ok());
}

}  // namespace
}  // namespace cascade::tier_worker
