#pragma once

// The llm method's model call: Complete on a tier worker. An interface so the Judge is
// tested without gRPC; TierVerdictClient is the real one.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cascade/v1/tier.grpc.pb.h"

namespace cascade::judge {

// What a downstream call inherits from the call being served.
struct CallScope {
  // The call being served (its deadline and cancellation pass down); null in tests and
  // tools, which then get the client's default timeout.
  const grpc::CallbackServerContext* server = nullptr;
  std::string request_id;
};

class VerdictClient {
 public:
  virtual ~VerdictClient() = default;
  virtual absl::StatusOr<v1::CompleteResponse> Complete(const v1::CompleteRequest& request,
                                                        const CallScope& scope) = 0;
  // HOST:PORT, for error messages.
  virtual const std::string& address() const = 0;
};

struct TierVerdictClientOptions {
  // HOST:PORT, for error messages.
  std::string address;
  // To `address`, with its TLS and API key (see ChannelFromConfig).
  std::shared_ptr<grpc::Channel> channel;
  std::chrono::milliseconds default_timeout{30000};
};

// A TierWorker stub. UNAVAILABLE and every other failure names the tier's address.
class TierVerdictClient final : public VerdictClient {
 public:
  explicit TierVerdictClient(TierVerdictClientOptions options);

  absl::StatusOr<v1::CompleteResponse> Complete(const v1::CompleteRequest& request,
                                                const CallScope& scope) override;
  const std::string& address() const override { return options_.address; }

 private:
  TierVerdictClientOptions options_;
  std::unique_ptr<v1::TierWorker::Stub> stub_;
};

}  // namespace cascade::judge
