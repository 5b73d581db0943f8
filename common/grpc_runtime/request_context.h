#pragma once

// A request's identity and deadline as they travel from the edge to every hop: the
// request id rides in `x-request-id` metadata; a downstream call gets the caller's
// deadline minus a margin and is cancelled when the caller's call is.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

namespace cascade {

inline constexpr char kRequestIdHeader[] = "x-request-id";

// A fresh random id (32 hex digits).
std::string NewRequestId();

// The caller's x-request-id, or a new one when absent or unusable (empty, over 128 bytes,
// not printable ASCII). Also echoes it to the caller in initial metadata, so call it once
// per call, before the response is started.
std::string AcceptRequestId(grpc::CallbackServerContext* context);

struct DownstreamOptions {
  // Kept back from the caller's deadline for our own work after the downstream answers.
  std::chrono::milliseconds deadline_margin{20};
  // Used when the caller set no deadline.
  std::chrono::milliseconds default_timeout{30000};
};

// A ClientContext for a call made while serving `server`: cancelled when `server` is,
// deadline = min(caller's deadline - margin, now + default_timeout), and `request_id`
// in its metadata.
std::unique_ptr<grpc::ClientContext> MakeDownstreamContext(
    const grpc::CallbackServerContext& server, const std::string& request_id,
    const DownstreamOptions& options = {});

}  // namespace cascade
