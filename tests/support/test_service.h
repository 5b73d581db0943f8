#pragma once

// cascade.test.v1.TestService on the callback API: a slow call for drain tests and
// Echo/Relay for request-id and deadline propagation. Test-only.

#include "cascade/test/v1/test_service.grpc.pb.h"

namespace cascade::testing {

class TestServiceImpl final : public cascade::test::v1::TestService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Sleep(grpc::CallbackServerContext* context,
                                  const cascade::test::v1::SleepRequest* request,
                                  cascade::test::v1::SleepResponse* response) override;
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const cascade::test::v1::EchoRequest* request,
                                 cascade::test::v1::EchoResponse* response) override;
  grpc::ServerUnaryReactor* Relay(grpc::CallbackServerContext* context,
                                  const cascade::test::v1::RelayRequest* request,
                                  cascade::test::v1::EchoResponse* response) override;
};

}  // namespace cascade::testing
