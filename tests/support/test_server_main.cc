// cascade-test-server: cascade.test.v1.TestService on the common runtime, for the drain
// and propagation tests. Built into the test tree only.

#include "common/grpc_runtime/service_main.h"
#include "tests/support/test_service.h"

int main(int argc, char** argv) {
  return cascade::ServiceMain<cascade::test::v1::TestServerConfig>(
      argc, argv, "test-server",
      {.binary = "cascade-test-server",
       .summary = "A test-only server (cascade.test.v1.TestService).",
       .has_http_listen = false,
       .config_type = ""},
      [](const cascade::test::v1::TestServerConfig&,
         const cascade::ServiceEnvironment&) -> absl::StatusOr<cascade::ServiceParts> {
        cascade::ServiceParts parts;
        parts.services.push_back(std::make_unique<cascade::testing::TestServiceImpl>());
        return parts;
      });
}
