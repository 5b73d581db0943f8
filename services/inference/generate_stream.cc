#include "services/inference/generate_stream.h"

#include "common/log/logger.h"
#include "common/status/status_mapping.h"
#include "services/inference/engine/utf8.h"

namespace cascade::inference {
namespace {

// A token as a string that is always valid UTF-8: its bytes when they are, else its
// vocabulary spelling (a byte-fallback token reads "<0xE2>").
std::string TokenString(const engine::Tokenizer& tokenizer, int id) {
  absl::string_view bytes = tokenizer.TokenBytes(id);
  if (engine::IsValidUtf8(bytes)) return std::string(bytes);
  return tokenizer.token_text(id);
}

std::string OutcomeOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return "ok";
    case absl::StatusCode::kCancelled:
      return "cancelled";
    case absl::StatusCode::kInvalidArgument:
      return "invalid_argument";
    case absl::StatusCode::kNotFound:
      return "not_found";
    case absl::StatusCode::kResourceExhausted:
      return "resource_exhausted";
    case absl::StatusCode::kDeadlineExceeded:
      return "deadline_exceeded";
    default:
      return "error";
  }
}

}  // namespace

GenerateStream::GenerateStream(std::shared_ptr<InferenceMetrics> metrics, std::string model,
                               PreparedRequest request)
    : metrics_(std::move(metrics)),
      model_(std::move(model)),
      request_(std::move(request)),
      tokenizer_(request_.model ? &request_.model->worker->model().tokenizer() : nullptr),
      stop_(request_.stop) {}

void GenerateStream::Reject(const absl::Status& status, const std::string& outcome) {
  metrics_->RecordRequest(model_, outcome);
  std::lock_guard<std::mutex> lock(mu_);
  FinishLocked(ToGrpcStatus(status));
}

std::unique_ptr<GenerationJob> GenerateStream::MakeJob() {
  references_.fetch_add(1);
  auto job = std::make_unique<GenerationJob>();
  job->options = request_.options;
  job->cancelled = cancelled_;
  job->on_token = [this](const engine::GeneratedToken& token) { return OnToken(token); };
  job->on_done = [this](absl::StatusOr<engine::GenerateResult> result) {
    Complete(std::move(result));
    Release();
  };
  return job;
}

bool GenerateStream::OnToken(const engine::GeneratedToken& token) {
  if (token.index == 0) first_token_ = std::chrono::steady_clock::now();
  StopSequences::Step step = stop_.Push(std::string(token.text));
  std::lock_guard<std::mutex> lock(mu_);
  if (client_gone_) return false;
  pending_.add_token_ids(token.id);
  if (token.logprob != nullptr) {
    auto* logprob = pending_.add_logprobs();
    logprob->set_token(TokenString(*tokenizer_, token.id));
    logprob->set_token_id(token.id);
    logprob->set_logprob(token.logprob->logprob);
    for (const auto& alternative : token.logprob->top) {
      auto* top = logprob->add_top();
      top->set_token(TokenString(*tokenizer_, alternative.token));
      top->set_token_id(alternative.token);
      top->set_logprob(alternative.logprob);
    }
  }
  pending_.mutable_text()->append(step.emit);
  has_pending_ = true;
  MaybeWriteLocked();
  if (step.stopped) stopped_by_string_ = true;
  return !step.stopped;
}

void GenerateStream::Complete(absl::StatusOr<engine::GenerateResult> result) {
  if (!result.ok()) {
    metrics_->RecordRequest(model_, OutcomeOf(result.status()));
    std::lock_guard<std::mutex> lock(mu_);
    FinishLocked(ToGrpcStatus(result.status()));
    return;
  }
  bool cancelled = result->finish_reason == engine::FinishReason::kCancelled && !stopped_by_string_;
  if (cancelled) {
    metrics_->RecordRequest(model_, "cancelled");
    std::lock_guard<std::mutex> lock(mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the caller cancelled"));
    return;
  }
  const int generated = static_cast<int>(result->tokens.size());
  metrics_->RecordRequest(model_, "ok");
  metrics_->RecordTokens(model_, result->prompt_tokens, generated);
  if (generated > 0) {
    double first = std::chrono::duration<double>(first_token_ - arrived_).count();
    double per_token = generated > 1 ? result->decode_seconds / (generated - 1) : -1;
    metrics_->RecordLatency(model_, first, per_token);
  }
  if (!request_.drafter.empty()) {
    metrics_->RecordSpeculation(model_, request_.drafter, result->speculation);
  }

  cascade::v1::GenerateChunk last;
  last.set_text(stop_.Flush());
  bool stopped = stopped_by_string_ || result->finish_reason == engine::FinishReason::kStop;
  last.set_finish_reason(stopped ? cascade::v1::FINISH_REASON_STOP
                                 : cascade::v1::FINISH_REASON_LENGTH);
  last.mutable_usage()->set_prompt_tokens(result->prompt_tokens);
  last.mutable_usage()->set_completion_tokens(generated);
  last.mutable_speculation()->set_rounds(result->speculation.rounds);
  last.mutable_speculation()->set_draft_tokens(result->speculation.draft_tokens);
  last.mutable_speculation()->set_accepted_tokens(result->speculation.accepted_tokens);

  std::lock_guard<std::mutex> lock(mu_);
  if (has_pending_) {
    std::string text = pending_.text() + last.text();
    pending_.MergeFrom(last);  // Repeated fields append; the text is joined by hand.
    pending_.set_text(std::move(text));
  } else {
    pending_ = std::move(last);
  }
  has_pending_ = true;
  MaybeWriteLocked();
  FinishLocked(grpc::Status::OK);
}

void GenerateStream::MaybeWriteLocked() {
  if (write_in_flight_ || !has_pending_ || client_gone_) return;
  writing_.Swap(&pending_);
  pending_.Clear();
  has_pending_ = false;
  write_in_flight_ = true;
  StartWrite(&writing_);
}

void GenerateStream::OnWriteDone(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  write_in_flight_ = false;
  if (!ok) {
    client_gone_ = true;
    cancelled_->store(true);
  }
  MaybeWriteLocked();
  if (finish_requested_ && !write_in_flight_) Finish(final_status_);
}

void GenerateStream::FinishLocked(const grpc::Status& status) {
  if (finish_requested_) return;
  finish_requested_ = true;
  final_status_ = status;
  if (!write_in_flight_) Finish(status);
}

void GenerateStream::OnCancel() { cancelled_->store(true); }

void GenerateStream::OnDone() { Release(); }

void GenerateStream::Release() {
  if (references_.fetch_sub(1) == 1) delete this;
}

}  // namespace cascade::inference
