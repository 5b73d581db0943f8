#include "tools/loadgen/latency_recorder.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cascade::loadgen {

double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least q of the values at or below it.
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

LatencySummary Summarize(std::vector<double> latencies_ms) {
  LatencySummary summary;
  if (latencies_ms.empty()) return summary;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  summary.count = static_cast<int64_t>(latencies_ms.size());
  summary.p50_ms = Quantile(latencies_ms, 0.50);
  summary.p90_ms = Quantile(latencies_ms, 0.90);
  summary.p99_ms = Quantile(latencies_ms, 0.99);
  summary.p999_ms = Quantile(latencies_ms, 0.999);
  summary.max_ms = latencies_ms.back();
  summary.mean_ms = std::accumulate(latencies_ms.begin(), latencies_ms.end(), 0.0) /
                    static_cast<double>(latencies_ms.size());
  return summary;
}

void LatencyRecorder::Record(const std::string& code, bool ok, double latency_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  ++done_;
  ++codes_[code];
  if (ok) {
    ok_latencies_ms_.push_back(latency_ms);
    recent_ms_.push_back(latency_ms);
  } else {
    ++errors_;
    error_latencies_ms_.push_back(latency_ms);
  }
}

LatencyRecorder::Snapshot LatencyRecorder::Take() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Snapshot{done_, errors_, codes_, ok_latencies_ms_, error_latencies_ms_};
}

std::vector<double> LatencyRecorder::DrainRecent() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<double> recent;
  recent.swap(recent_ms_);
  return recent;
}

}  // namespace cascade::loadgen
