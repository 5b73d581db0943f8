#pragma once

// Structured logs: one JSON object per line on stderr, e.g.
// {"ts":"2026-11-27T23:31:36.123Z","level":"info","service":"router","event":"listening",...}
// Writes are serialised so lines never interleave.

#include <nlohmann/json.hpp>
#include <string_view>

namespace cascade {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug", "info", "warn" or "error"; false on anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);

class Logger {
 public:
  // Process-wide settings: the service name stamped on every line and the minimum level.
  static void Configure(std::string_view service, LogLevel min_level);

  // Servers promise that their first line is {"event":"listening",...}. While held, lines
  // are kept back; the "listening" line is written at once and releases them after it.
  static void HoldUntilListening();
  // Writes held lines now (a server that fails before it listens).
  static void ReleaseHeldLines();

  // Writes {"ts", "level", "service", "event", ...fields}. `fields` must be an object
  // (or null).
  static void Log(LogLevel level, std::string_view event,
                  const nlohmann::json& fields = nlohmann::json::object());
};

inline void LogInfo(std::string_view event, const nlohmann::json& fields = {}) {
  Logger::Log(LogLevel::kInfo, event, fields);
}
inline void LogWarn(std::string_view event, const nlohmann::json& fields = {}) {
  Logger::Log(LogLevel::kWarn, event, fields);
}
inline void LogError(std::string_view event, const nlohmann::json& fields = {}) {
  Logger::Log(LogLevel::kError, event, fields);
}
inline void LogDebug(std::string_view event, const nlohmann::json& fields = {}) {
  Logger::Log(LogLevel::kDebug, event, fields);
}

}  // namespace cascade
