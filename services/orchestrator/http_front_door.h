#pragma once

// The orchestrator's OpenAI-compatible HTTP front door. Until the cascade exists it
// answers every /v1 route with 501 and an OpenAI-shaped error, and takes part in the drain.

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/runtime/listen_address.h"
#include "common/runtime/service_main.h"

namespace httplib {
class Server;
}

namespace cascade {

class HttpFrontDoor : public DrainableListener {
 public:
  static absl::StatusOr<std::unique_ptr<HttpFrontDoor>> Start(const ListenAddress& address);
  ~HttpFrontDoor() override;

  const std::string& address() const override { return bound_address_; }
  void BeginDrain() override { draining_ = true; }
  void Shutdown(std::chrono::system_clock::time_point deadline) override;

 private:
  HttpFrontDoor() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string bound_address_;
  std::atomic<bool> draining_{false};
};

}  // namespace cascade
