#include "services/tier_worker/inference_backend.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_runtime/request_context.h"
#include "common/status/status_mapping.h"

namespace cascade::tier_worker {

using cascade::v1::CompleteChunk;
using cascade::v1::CompleteRequest;
using cascade::v1::CompleteResponse;
using cascade::v1::GenerateChunk;
using cascade::v1::GenerateRequest;

namespace {

std::optional<http::RetryReason> RetryReasonFor(const absl::Status& status) {
  if (absl::IsUnavailable(status)) return http::RetryReason::kConnectError;
  if (absl::IsResourceExhausted(status)) return http::RetryReason::kRateLimited;
  return std::nullopt;
}

}  // namespace

InferenceBackend::InferenceBackend(InferenceBackendOptions options)
    : options_(std::move(options)),
      info_{"inference", options_.model, true},
      retry_policy_(options_.retry, options_.random),
      stub_(cascade::v1::InferenceService::NewStub(options_.channel)) {}

absl::StatusOr<CompleteResponse> InferenceBackend::Complete(const CompleteRequest& request,
                                                            const CallContext& context,
                                                            DeltaSink* sink) {
  GenerateRequest generate;
  generate.set_model(options_.model);
  *generate.mutable_messages()->mutable_messages() = request.messages();
  *generate.mutable_params() = request.params();
  *generate.mutable_speculation() =
      request.speculation().mode() != cascade::v1::Speculation::MODE_UNSPECIFIED
          ? request.speculation()
          : options_.default_speculation;
  for (int retries = 0;; ++retries) {
    Attempt attempt = TryOnce(generate, context, sink);
    if (attempt.status.ok()) return std::move(attempt.response);
    auto reason = RetryReasonFor(attempt.status);
    if (!reason.has_value() || attempt.delivered) return attempt.status;
    auto backoff = retry_policy_.NextBackoff(retries, http::RetryableFailure{*reason, std::nullopt},
                                             options_.clock->Now(), context.deadline);
    if (!backoff.has_value()) {
      if (retries == 0) return attempt.status;
      return absl::Status(attempt.status.code(),
                          absl::StrCat(attempt.status.message(), " (after ", retries, " retries)"));
    }
    if (context.on_retry) context.on_retry(*reason, *backoff, attempt.status);
    if (!options_.clock->SleepFor(*backoff, context.cancel)) {
      return absl::CancelledError("the caller cancelled while waiting to retry the upstream");
    }
  }
}

InferenceBackend::Attempt InferenceBackend::TryOnce(const GenerateRequest& request,
                                                    const CallContext& context, DeltaSink* sink) {
  Attempt attempt;
  grpc::ClientContext call;
  if (context.deadline != absl::InfiniteFuture()) {
    call.set_deadline(absl::ToChronoTime(context.deadline));
  }
  call.AddMetadata(kRequestIdHeader, context.request_id);
  ScopedCancellationCallback cancel_call(context.cancel, [&call] { call.TryCancel(); });

  CompleteResponse& response = attempt.response;
  response.set_upstream_model(options_.model);
  auto reader = stub_->Generate(&call, request);
  GenerateChunk chunk;
  bool sink_refused = false;
  while (reader->Read(&chunk)) {
    if (!chunk.text().empty() || chunk.logprobs_size() > 0) {
      response.mutable_text()->append(chunk.text());
      for (const auto& token : chunk.logprobs()) *response.add_logprobs() = token;
      if (sink != nullptr) {
        CompleteChunk delta;
        delta.set_text(chunk.text());
        *delta.mutable_logprobs() = chunk.logprobs();
        attempt.delivered = true;
        if (!sink->OnDelta(delta)) {
          sink_refused = true;
          call.TryCancel();
          break;
        }
      }
    }
    if (chunk.finish_reason() != cascade::v1::FINISH_REASON_UNSPECIFIED) {
      response.set_finish_reason(chunk.finish_reason());
    }
    if (chunk.has_usage()) *response.mutable_usage() = chunk.usage();
    if (chunk.has_speculation()) *response.mutable_speculation() = chunk.speculation();
  }
  if (sink_refused) {
    while (reader->Read(&chunk)) {
    }
  }
  absl::Status status = FromGrpcStatus(reader->Finish());
  if (sink_refused) {
    attempt.status = absl::CancelledError("the caller went away mid-stream");
  } else if (!status.ok()) {
    attempt.status =
        absl::Status(status.code(), absl::StrCat("inference service: ", status.message()));
  } else if (response.finish_reason() == cascade::v1::FINISH_REASON_UNSPECIFIED &&
             !response.has_usage()) {
    attempt.status = absl::UnavailableError(
        "inference service: the stream ended without its final chunk (no usage)");
  }
  return attempt;
}

}  // namespace cascade::tier_worker
