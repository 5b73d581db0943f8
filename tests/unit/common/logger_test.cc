#include "common/log/logger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace cascade {
namespace {

std::vector<nlohmann::json> Lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    lines.push_back(nlohmann::json::parse(text.substr(start, end - start)));
    start = end + 1;
  }
  return lines;
}

TEST(LoggerTest, OneJsonObjectPerLineWithServiceAndFields) {
  Logger::Configure("router", LogLevel::kInfo);
  ::testing::internal::CaptureStderr();
  LogInfo("route_decided", {{"route", "greeting"}, {"request_id", "r1"}});
  LogDebug("hidden", {});
  auto lines = Lines(::testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["event"], "route_decided");
  EXPECT_EQ(lines[0]["service"], "router");
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["request_id"], "r1");
  EXPECT_TRUE(lines[0].contains("ts"));
}

TEST(LoggerTest, InvalidUtf8InAFieldIsReplacedNotThrown) {
  Logger::Configure("t", LogLevel::kInfo);
  ::testing::internal::CaptureStderr();
  LogWarn("bad_bytes", {{"text", std::string("\xff\xfe ok")}});
  auto lines = Lines(::testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0]["text"].get<std::string>(), ::testing::HasSubstr(" ok"));
}

TEST(LoggerTest, HeldLinesComeAfterTheListeningLine) {
  Logger::Configure("inference", LogLevel::kInfo);
  ::testing::internal::CaptureStderr();
  Logger::HoldUntilListening();
  LogInfo("model_loaded", {{"model", "a"}});
  LogInfo("listening", {{"grpc", "127.0.0.1:1"}});
  LogInfo("after", {});
  auto lines = Lines(::testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["event"], "listening");
  EXPECT_EQ(lines[1]["event"], "model_loaded");
  EXPECT_EQ(lines[2]["event"], "after");
}

TEST(LoggerTest, ReleaseWritesHeldLinesWhenAServerNeverListens) {
  Logger::Configure("inference", LogLevel::kInfo);
  ::testing::internal::CaptureStderr();
  Logger::HoldUntilListening();
  LogInfo("model_loaded", {});
  Logger::ReleaseHeldLines();
  LogError("startup_failed", {});
  auto lines = Lines(::testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["event"], "model_loaded");
  EXPECT_EQ(lines[1]["event"], "startup_failed");
}

}  // namespace
}  // namespace cascade
