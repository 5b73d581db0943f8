#pragma once

// The open-loop driver of cascade-loadgen: request i leaves at start + i / rate whether or
// not earlier ones were answered, so a slow server shows as latency and errors, never as a
// politely lower rate. A concurrency cap bounds what is in flight; a request held back by
// the cap still counts its latency from its scheduled time.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "cascade/v1/cascade.pb.h"
#include "tools/loadgen/latency_recorder.h"
#include "tools/loadgen/load_target.h"

namespace cascade::loadgen {

struct OpenLoopOptions {
  double rate_per_second = 100;
  std::chrono::milliseconds duration{10000};
  int max_in_flight = 256;
  std::chrono::milliseconds request_timeout{10000};
  // How long past its deadline a request may take to report before it counts as
  // unanswered (and is no longer waited for).
  std::chrono::milliseconds answer_grace{5000};
  // Every `progress_every` a progress line is handed to `on_progress` (if set).
  std::chrono::milliseconds progress_every{1000};
  std::function<void(const std::string&)> on_progress;
};

struct OpenLoopResult {
  double elapsed_seconds = 0;  // From the first scheduled send to the last answer.
  int64_t scheduled = 0;
  // Requests sent late because of the concurrency cap: they waited for a slot, or an
  // earlier one did and the schedule had not caught up.
  int64_t held_by_cap = 0;
  // Requests with no answer `answer_grace` past their deadline (a target that lost them);
  // not in `outcomes`.
  int64_t unanswered = 0;
  LatencyRecorder::Snapshot outcomes;
};

// Sends requests[i % size] on schedule until the duration ends, then waits for every
// request in flight: each is bounded by request_timeout, and what has not answered
// answer_grace after that is counted as unanswered rather than waited for.
OpenLoopResult RunOpenLoop(const OpenLoopOptions& options,
                           const std::vector<v1::CascadeRequest>& requests, LoadTarget& target);

}  // namespace cascade::loadgen
