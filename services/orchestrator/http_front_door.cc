#include "services/orchestrator/http_front_door.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cascade {
namespace {

void OpenAIError(httplib::Response& response, int status, const std::string& type,
                 const std::string& message) {
  nlohmann::json body = {{"error", {{"message", message}, {"type", type}, {"code", nullptr}}}};
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpFrontDoor>> HttpFrontDoor::Start(const ListenAddress& address) {
  if (address.is_unix) return absl::InvalidArgumentError("http_listen must be HOST:PORT");
  std::unique_ptr<HttpFrontDoor> self(new HttpFrontDoor());
  self->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *self->server_;
  auto not_built = [](const httplib::Request& request, httplib::Response& response) {
    OpenAIError(response, 501, "not_implemented",
                absl::StrCat(request.method, " ", request.path,
                             " is not implemented yet in this version of Cascade"));
  };
  server.Get("/v1/.*", not_built);
  server.Post("/v1/.*", not_built);
  server.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (response.status == 404) {
      OpenAIError(response, 404, "invalid_request_error",
                  absl::StrCat("no route ", request.method, " ", request.path));
    }
  });
  int port = address.port == 0
                 ? server.bind_to_any_port(address.host)
                 : (server.bind_to_port(address.host, address.port) ? address.port : -1);
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot bind the HTTP address ", address.ToGrpcTarget()));
  }
  self->bound_address_ = ListenAddress{false, address.host, port, ""}.ToGrpcTarget();
  self->thread_ = std::thread([&server] { server.listen_after_bind(); });
  return self;
}

void HttpFrontDoor::Shutdown(std::chrono::system_clock::time_point) {
  // httplib finishes the request each worker holds before stop() returns.
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

HttpFrontDoor::~HttpFrontDoor() { Shutdown(std::chrono::system_clock::now()); }

}  // namespace cascade
