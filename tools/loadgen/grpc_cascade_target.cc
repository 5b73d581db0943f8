#include "tools/loadgen/grpc_cascade_target.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/cascadectl/dial.h"

namespace cascade::loadgen {

std::string GrpcCodeName(grpc::StatusCode code) {
  // absl's codes and gRPC's share numbers and names.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

namespace {

grpc::ChannelArguments ChannelNumber(int i) {
  grpc::ChannelArguments args;
  // Distinct channels get distinct connections instead of sharing one subchannel.
  args.SetInt("cascade.loadgen.channel", i);
  return args;
}

}  // namespace

GrpcCascadeTarget::GrpcCascadeTarget(const std::string& address, int channels) : address_(address) {
  for (int i = 0; i < std::max(1, channels); ++i) {
    stubs_.push_back(v1::Cascade::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), ChannelNumber(i))));
  }
}

absl::StatusOr<std::unique_ptr<GrpcCascadeTarget>> GrpcCascadeTarget::Create(
    const v1::ClientConfig& client, int channels) {
  std::unique_ptr<GrpcCascadeTarget> target(new GrpcCascadeTarget(client.address()));
  for (int i = 0; i < std::max(1, channels); ++i) {
    auto channel = cli::Dial(client, ChannelNumber(i));
    if (!channel.ok()) return channel.status();
    target->stubs_.push_back(v1::Cascade::NewStub(*std::move(channel)));
  }
  return target;
}

void GrpcCascadeTarget::Send(const v1::CascadeRequest& request, std::chrono::milliseconds timeout,
                             std::function<void(CallOutcome)> done) {
  struct Call {
    grpc::ClientContext context;
    v1::CascadeRequest request;
    v1::CascadeResponse response;
    std::function<void(CallOutcome)> done;
  };
  auto* call = new Call;
  call->request = request;
  call->done = std::move(done);
  call->context.set_deadline(std::chrono::system_clock::now() + timeout);
  v1::Cascade::Stub& stub = *stubs_[next_.fetch_add(1) % stubs_.size()];
  stub.async()->Complete(&call->context, &call->request, &call->response,
                         [call](grpc::Status status) {
                           call->done(CallOutcome{status.ok(), GrpcCodeName(status.error_code())});
                           delete call;
                         });
}

std::string GrpcCascadeTarget::Describe() const {
  return absl::StrCat("grpc ", address_, " cascade.v1.Cascade/Complete");
}

}  // namespace cascade::loadgen
