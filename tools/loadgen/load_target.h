#pragma once

// What cascade-loadgen sends requests to: the orchestrator's gRPC API or its HTTP front
// door. Send() starts one request and returns at once; `done` runs exactly once, on any
// thread, with the outcome.

#include <chrono>
#include <functional>
#include <string>

#include "cascade/v1/cascade.pb.h"

namespace cascade::loadgen {

struct CallOutcome {
  bool ok = false;
  // The gRPC status code's name ("OK", "UNAVAILABLE", ...) or the HTTP status ("200",
  // "503", ...); "transport_error_<httplib's error>" (`transport_error_Read`) when no HTTP answer
  // came back.
  std::string code;
};

class LoadTarget {
 public:
  virtual ~LoadTarget() = default;
  virtual void Send(const v1::CascadeRequest& request, std::chrono::milliseconds timeout,
                    std::function<void(CallOutcome)> done) = 0;
  // What the report calls this target: "grpc 127.0.0.1:5000 Cascade.Complete".
  virtual std::string Describe() const = 0;
};

}  // namespace cascade::loadgen
