#include "services/inference/generate_stream.h"

#include "common/log/logger.h"
#include "common/status/status_mapping.h"
#include "common/text/utf8.h"

namespace cascade::inference {
namespace {

// A token as a string that is always valid UTF-8: its bytes when they are, else its
// vocabulary spelling (a byte-fallback token reads "<0xE2>").
std::string TokenString(const engine::Tokenizer& tokenizer, int id) {
  absl::string_view bytes = tokenizer.TokenBytes(id);
  if (IsValidUtf8(bytes)) return std::string(bytes);
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
      stop_(request_.stop) {
  cancellation().AddCallback([flag = cancelled_] { flag->store(true); });
}

void GenerateStream::Reject(const absl::Status& status, const std::string& outcome) {
  metrics_->RecordRequest(model_, outcome);
  Close(std::nullopt, ToGrpcStatus(status));
}

std::unique_ptr<GenerationJob> GenerateStream::MakeJob() {
  auto job = std::make_unique<GenerationJob>();
  job->options = request_.options;
  job->cancelled = cancelled_;
  job->on_token = [this](const engine::GeneratedToken& token) { return OnToken(token); };
  job->on_done = [this](absl::StatusOr<engine::GenerateResult> result) {
    Complete(std::move(result));
  };
  return job;
}

bool GenerateStream::OnToken(const engine::GeneratedToken& token) {
  if (token.index == 0) first_token_ = std::chrono::steady_clock::now();
  StopSequences::Step step = stop_.Push(std::string(token.text));
  cascade::v1::GenerateChunk chunk;
  chunk.add_token_ids(token.id);
  if (token.logprob != nullptr) {
    auto* logprob = chunk.add_logprobs();
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
  chunk.set_text(std::move(step.emit));
  if (!Send(std::move(chunk))) return false;
  if (step.stopped) stopped_by_string_ = true;
  return !step.stopped;
}

void GenerateStream::Complete(absl::StatusOr<engine::GenerateResult> result) {
  if (!result.ok()) {
    metrics_->RecordRequest(model_, OutcomeOf(result.status()));
    Close(std::nullopt, ToGrpcStatus(result.status()));
    return;
  }
  bool cancelled = result->finish_reason == engine::FinishReason::kCancelled && !stopped_by_string_;
  if (cancelled) {
    metrics_->RecordRequest(model_, "cancelled");
    Close(std::nullopt, grpc::Status(grpc::StatusCode::CANCELLED, "the caller cancelled"));
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
  // Last: the stream may be gone when Close returns.
  Close(std::move(last), grpc::Status::OK);
}

}  // namespace cascade::inference
