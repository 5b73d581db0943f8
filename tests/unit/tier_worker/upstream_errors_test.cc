#include "common/http/upstream_errors.h"

#include <gtest/gtest.h>

namespace cascade::tier_worker {
namespace {

TEST(UpstreamErrorsTest, HttpStatusToGrpcCode) {
  EXPECT_EQ(http::StatusCodeForHttp(400), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(http::StatusCodeForHttp(401), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(http::StatusCodeForHttp(403), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(http::StatusCodeForHttp(404), absl::StatusCode::kNotFound);
  EXPECT_EQ(http::StatusCodeForHttp(429), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(http::StatusCodeForHttp(500), absl::StatusCode::kUnavailable);
  EXPECT_EQ(http::StatusCodeForHttp(503), absl::StatusCode::kUnavailable);
  EXPECT_EQ(http::StatusCodeForHttp(418), absl::StatusCode::kFailedPrecondition);
}

TEST(UpstreamErrorsTest, OnlyRateLimitsAndServerErrorsAreRetried) {
  EXPECT_EQ(http::RetryReasonForHttp(429), http::RetryReason::kRateLimited);
  EXPECT_EQ(http::RetryReasonForHttp(500), http::RetryReason::kServerError);
  EXPECT_EQ(http::RetryReasonForHttp(503), http::RetryReason::kServerError);
  for (int status : {400, 401, 403, 404, 422, 501}) {
    EXPECT_FALSE(http::RetryReasonForHttp(status).has_value()) << status;
  }
}

TEST(UpstreamErrorsTest, RetryAfterSecondsMillisAndDate) {
  absl::Time now = absl::FromUnixSeconds(1700000000);  // Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(*http::ParseRetryAfter({{"retry-after", "3"}}, now), absl::Seconds(3));
  EXPECT_EQ(*http::ParseRetryAfter({{"retry-after", "3"}, {"retry-after-ms", "250"}}, now),
            absl::Milliseconds(250));
  EXPECT_EQ(*http::ParseRetryAfter({{"retry-after", "Tue, 14 Nov 2023 22:13:25 GMT"}}, now),
            absl::Seconds(5));
  EXPECT_FALSE(http::ParseRetryAfter({}, now).has_value());
  EXPECT_FALSE(http::ParseRetryAfter({{"retry-after", "soon"}}, now).has_value());
}

TEST(UpstreamErrorsTest, MessageIsTakenFromTheUsualShapes) {
  EXPECT_EQ(http::UpstreamErrorMessage(R"({"error":{"message":"bad key","type":"x"}})"), "bad key");
  EXPECT_EQ(http::UpstreamErrorMessage(R"({"error":"overloaded"})"), "overloaded");
  EXPECT_EQ(http::UpstreamErrorMessage(R"({"detail":"not found"})"), "not found");
  EXPECT_EQ(http::UpstreamErrorMessage("  Bad Gateway \n"), "Bad Gateway");
  EXPECT_EQ(http::UpstreamErrorMessage(""), "(empty body)");
  EXPECT_EQ(http::UpstreamErrorMessage(std::string(5000, 'x'), 10), std::string(10, 'x') + "...");
}

TEST(UpstreamErrorsTest, SecretIsRedacted) {
  EXPECT_EQ(http::RedactSecret("Incorrect API key provided: sk-123 (sk-123)", "sk-123"),
            "Incorrect API key provided: [redacted] ([redacted])");
  EXPECT_EQ(http::RedactSecret("nothing", ""), "nothing");
}

}  // namespace
}  // namespace cascade::tier_worker
