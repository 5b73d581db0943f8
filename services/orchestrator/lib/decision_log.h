#pragma once

// The decision log: one JSON line per finished request (decision_record.h), appended by a
// writer thread (common/io/async_line_writer.h) so that a request never waits on the disk.
// A full queue drops the line: counted (the observer's decision-log drops,
// cascade_decision_log_dropped_total) and logged. Destroying the log, as the server does
// after its drain, writes out everything queued.

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/io/async_line_writer.h"
#include "services/orchestrator/lib/cascade_observer.h"
#include "services/orchestrator/lib/decision_record.h"
#include "services/orchestrator/lib/orchestrator_settings.h"

namespace cascade::orchestrator {

class DecisionLog {
 public:
  // FAILED_PRECONDITION naming decision_log.path when the file cannot be opened.
  // `observer` counts drops and must outlive the log.
  static absl::StatusOr<std::unique_ptr<DecisionLog>> Open(const DecisionLogSettings& settings,
                                                           CascadeObserver* observer);

  // Formats the request's line and queues it. Never blocks on the disk.
  void Record(const FinishedRequest& finished);

  // Queues a line of another kind (a shadow evaluation's, shadow_evaluator.h).
  void RecordLine(const nlohmann::json& line);

  // Whether lines carry the messages and answers (the run must then keep its answers).
  bool include_prompt() const { return include_prompt_; }

  // Returns once every line recorded so far is written.
  void Flush() { writer_->Flush(); }
  int64_t dropped() const { return writer_->dropped(); }

 private:
  DecisionLog(bool include_prompt, CascadeObserver* observer)
      : include_prompt_(include_prompt), observer_(observer) {}

  void Dropped(const std::string& reason);

  const bool include_prompt_;
  CascadeObserver* observer_;
  std::atomic<int64_t> drops_{0};
  std::unique_ptr<AsyncLineWriter> writer_;
};

}  // namespace cascade::orchestrator
