#pragma once

// Collects every request's outcome: latency from its scheduled send time (so a stalled
// server shows as latency, not as fewer requests: no coordinated omission) and its code.
// Thread-safe; cheap enough for tens of thousands of requests a second.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace cascade::loadgen {

struct LatencySummary {
  int64_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0, mean_ms = 0;
};

// The q-quantile (0..1) of sorted values, nearest rank; 0 for none.
double Quantile(const std::vector<double>& sorted, double q);
LatencySummary Summarize(std::vector<double> latencies_ms);

class LatencyRecorder {
 public:
  void Record(const std::string& code, bool ok, double latency_ms);

  struct Snapshot {
    int64_t done = 0;
    int64_t errors = 0;
    std::map<std::string, int64_t> codes;
    std::vector<double> ok_latencies_ms;     // Unsorted; successful requests.
    std::vector<double> error_latencies_ms;  // Unsorted; failed requests (how fast they failed).
  };
  Snapshot Take() const;
  // Latencies recorded since the previous call (for the live progress line).
  std::vector<double> DrainRecent();

 private:
  mutable std::mutex mu_;
  int64_t done_ = 0;
  int64_t errors_ = 0;
  std::map<std::string, int64_t> codes_;
  std::vector<double> ok_latencies_ms_;
  std::vector<double> error_latencies_ms_;
  std::vector<double> recent_ms_;
};

}  // namespace cascade::loadgen
