#include "tests/support/test_service.h"

#include <chrono>
#include <thread>

#include "common/grpc_runtime/request_context.h"
#include "common/log/logger.h"

namespace cascade::testing {

using cascade::test::v1::EchoRequest;
using cascade::test::v1::EchoResponse;
using cascade::test::v1::RelayRequest;
using cascade::test::v1::SleepRequest;
using cascade::test::v1::SleepResponse;

namespace {

int64_t DeadlineLeftMs(const grpc::CallbackServerContext& context) {
  auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return -1;
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                               std::chrono::system_clock::now())
      .count();
}

}  // namespace

grpc::ServerUnaryReactor* TestServiceImpl::Sleep(grpc::CallbackServerContext* context,
                                                 const SleepRequest* request,
                                                 SleepResponse* response) {
  auto* reactor = context->DefaultReactor();
  int milliseconds = request->milliseconds();
  LogInfo("sleep_started", {{"milliseconds", milliseconds}});
  // A thread per call keeps gRPC's callback threads free; fine for a test service.
  std::thread([context, reactor, response, milliseconds] {
    auto start = std::chrono::steady_clock::now();
    auto end = start + std::chrono::milliseconds(milliseconds);
    while (std::chrono::steady_clock::now() < end) {
      if (context->IsCancelled()) {
        reactor->Finish(grpc::Status::CANCELLED);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    response->set_slept_milliseconds(milliseconds);
    reactor->Finish(grpc::Status::OK);
  }).detach();
  return reactor;
}

grpc::ServerUnaryReactor* TestServiceImpl::Echo(grpc::CallbackServerContext* context,
                                                const EchoRequest*, EchoResponse* response) {
  response->set_request_id(AcceptRequestId(context));
  response->set_deadline_left_ms(DeadlineLeftMs(*context));
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* TestServiceImpl::Relay(grpc::CallbackServerContext* context,
                                                 const RelayRequest* request,
                                                 EchoResponse* response) {
  auto* reactor = context->DefaultReactor();
  std::string request_id = AcceptRequestId(context);
  std::string target = request->target();
  int sleep_ms = request->sleep_milliseconds();
  std::thread([context, reactor, response, request_id, target, sleep_ms] {
    auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
    auto stub = cascade::test::v1::TestService::NewStub(channel);
    auto downstream = MakeDownstreamContext(*context, request_id);
    grpc::Status status;
    if (sleep_ms > 0) {
      SleepRequest sleep;
      sleep.set_milliseconds(sleep_ms);
      SleepResponse ignored;
      status = stub->Sleep(downstream.get(), sleep, &ignored);
    } else {
      status = stub->Echo(downstream.get(), EchoRequest(), response);
    }
    response->set_downstream_code(status.error_code());
    reactor->Finish(grpc::Status::OK);
  }).detach();
  return reactor;
}

}  // namespace cascade::testing
