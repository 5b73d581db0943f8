#include "common/log/logger.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace cascade {
namespace {

struct LoggerState {
  std::mutex mu;
  std::string service = "cascade";
  std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};
  bool holding = false;
  std::string held;  // Lines kept back until the listening line.
};

void WriteLocked(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

LoggerState& State() {
  static auto* state = new LoggerState();  // Never destroyed: logging works during exit.
  return *state;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string UtcTimestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  for (LogLevel candidate :
       {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == LevelName(candidate)) {
      *level = candidate;
      return true;
    }
  }
  return false;
}

void Logger::Configure(std::string_view service, LogLevel min_level) {
  LoggerState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  state.service = std::string(service);
  state.min_level = static_cast<int>(min_level);
}

void Logger::Log(LogLevel level, std::string_view event, const nlohmann::json& fields) {
  LoggerState& state = State();
  if (static_cast<int>(level) < state.min_level.load()) return;
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = UtcTimestamp();
  line["level"] = LevelName(level);
  {
    std::lock_guard<std::mutex> lock(state.mu);
    line["service"] = state.service;
  }
  line["event"] = std::string(event);
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) line[key] = value;
  }
  // Invalid UTF-8 in a field must never throw out of a log call.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  std::lock_guard<std::mutex> lock(state.mu);
  if (!state.holding) {
    WriteLocked(text);
  } else if (event == "listening") {
    state.holding = false;
    WriteLocked(text + state.held);
    state.held.clear();
  } else {
    state.held += text;
  }
}

void Logger::HoldUntilListening() {
  LoggerState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  state.holding = true;
}

void Logger::ReleaseHeldLines() {
  LoggerState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  state.holding = false;
  WriteLocked(state.held);
  state.held.clear();
}

}  // namespace cascade
