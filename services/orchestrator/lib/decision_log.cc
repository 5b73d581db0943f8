#include "services/orchestrator/lib/decision_log.h"

#include "absl/strings/str_cat.h"
#include "common/log/logger.h"

namespace cascade::orchestrator {

absl::StatusOr<std::unique_ptr<DecisionLog>> DecisionLog::Open(const DecisionLogSettings& settings,
                                                               CascadeObserver* observer) {
  std::unique_ptr<DecisionLog> log(new DecisionLog(settings.include_prompt, observer));
  AsyncLineWriterOptions options;
  options.path = settings.path;
  options.max_bytes = settings.max_bytes;
  options.max_files = settings.max_files;
  options.queue_size = settings.queue_size;
  options.on_drop = [raw = log.get()](const std::string& reason) { raw->Dropped(reason); };
  auto writer = AsyncLineWriter::Open(std::move(options));
  if (!writer.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("decision_log.path: ", writer.status().message()));
  }
  log->writer_ = *std::move(writer);
  return log;
}

void DecisionLog::Record(const FinishedRequest& finished) {
  writer_->Append(DecisionJson(finished, include_prompt_)
                      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void DecisionLog::RecordLine(const nlohmann::json& line) {
  writer_->Append(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void DecisionLog::Dropped(const std::string& reason) {
  observer_->RecordDecisionLogDropped();
  // The first drop and every thousandth after it: a full queue must not flood the log too.
  const int64_t drops = drops_.fetch_add(1) + 1;
  if (drops == 1 || drops % 1000 == 0) {
    LogWarn("decision_log_dropped", {{"reason", reason}, {"dropped_total", drops}});
  }
}

}  // namespace cascade::orchestrator
