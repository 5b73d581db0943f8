#include "services/tier_worker/upstream_errors.h"

#include <gtest/gtest.h>

namespace cascade::tier_worker {
namespace {

TEST(UpstreamErrorsTest, HttpStatusToGrpcCode) {
  EXPECT_EQ(StatusCodeForHttp(400), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForHttp(401), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(StatusCodeForHttp(403), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusCodeForHttp(404), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusCodeForHttp(429), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(StatusCodeForHttp(500), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForHttp(503), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForHttp(418), absl::StatusCode::kFailedPrecondition);
}

TEST(UpstreamErrorsTest, OnlyRateLimitsAndServerErrorsAreRetried) {
  EXPECT_EQ(RetryReasonForHttp(429), RetryReason::kRateLimited);
  EXPECT_EQ(RetryReasonForHttp(500), RetryReason::kServerError);
  EXPECT_EQ(RetryReasonForHttp(503), RetryReason::kServerError);
  for (int status : {400, 401, 403, 404, 422, 501}) {
    EXPECT_FALSE(RetryReasonForHttp(status).has_value()) << status;
  }
}

TEST(UpstreamErrorsTest, RetryAfterSecondsMillisAndDate) {
  absl::Time now = absl::FromUnixSeconds(1700000000);  // Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(*ParseRetryAfter({{"retry-after", "3"}}, now), absl::Seconds(3));
  EXPECT_EQ(*ParseRetryAfter({{"retry-after", "3"}, {"retry-after-ms", "250"}}, now),
            absl::Milliseconds(250));
  EXPECT_EQ(*ParseRetryAfter({{"retry-after", "Tue, 14 Nov 2023 22:13:25 GMT"}}, now),
            absl::Seconds(5));
  EXPECT_FALSE(ParseRetryAfter({}, now).has_value());
  EXPECT_FALSE(ParseRetryAfter({{"retry-after", "soon"}}, now).has_value());
}

TEST(UpstreamErrorsTest, MessageIsTakenFromTheUsualShapes) {
  EXPECT_EQ(UpstreamErrorMessage(R"({"error":{"message":"bad key","type":"x"}})"), "bad key");
  EXPECT_EQ(UpstreamErrorMessage(R"({"error":"overloaded"})"), "overloaded");
  EXPECT_EQ(UpstreamErrorMessage(R"({"detail":"not found"})"), "not found");
  EXPECT_EQ(UpstreamErrorMessage("  Bad Gateway \n"), "Bad Gateway");
  EXPECT_EQ(UpstreamErrorMessage(""), "(empty body)");
  EXPECT_EQ(UpstreamErrorMessage(std::string(5000, 'x'), 10), std::string(10, 'x') + "...");
}

TEST(UpstreamErrorsTest, SecretIsRedacted) {
  EXPECT_EQ(RedactSecret("Incorrect API key provided: sk-123 (sk-123)", "sk-123"),
            "Incorrect API key provided: [redacted] ([redacted])");
  EXPECT_EQ(RedactSecret("nothing", ""), "nothing");
}

}  // namespace
}  // namespace cascade::tier_worker
