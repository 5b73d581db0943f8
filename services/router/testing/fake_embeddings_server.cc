#include "services/router/testing/fake_embeddings_server.h"

#include <httplib.h>

#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cascade::router::testing {

std::vector<float> FakeEmbeddingsServer::VectorOf(const std::string& text, size_t dimension) {
  std::vector<float> vector(dimension, 0.0f);
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    const std::string lower = absl::AsciiStrToLower(word);
    vector[std::hash<std::string>{}(lower) % dimension] += 1.0f;
  }
  return vector;
}

std::unique_ptr<FakeEmbeddingsServer> FakeEmbeddingsServer::Start(size_t dimension) {
  std::unique_ptr<FakeEmbeddingsServer> fake(new FakeEmbeddingsServer());
  fake->dimension_ = dimension;
  fake->server_ = std::make_unique<httplib::Server>();
  FakeEmbeddingsServer* self = fake.get();
  fake->server_->Post(
      "/v1/embeddings", [self](const httplib::Request& request, httplib::Response& response) {
        nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
        size_t dimension = 0;
        int fail_status = 0;
        {
          absl::MutexLock lock(&self->mu_);
          self->requests_.push_back(body);
          dimension = self->dimension_;
          if (self->fail_remaining_ != 0) {
            fail_status = self->fail_status_;
            if (self->fail_remaining_ > 0) --self->fail_remaining_;
          }
        }
        if (fail_status != 0) {
          response.status = fail_status;
          response.set_content(
              nlohmann::json{{"error", {{"message", "scripted failure"}, {"type", "server_error"}}}}
                  .dump(),
              "application/json");
          return;
        }
        if (body.is_discarded() || !body.contains("input") || !body["input"].is_array()) {
          response.status = 400;
          response.set_content(R"({"error":{"message":"input must be an array of strings"}})",
                               "application/json");
          return;
        }
        nlohmann::json data = nlohmann::json::array();
        // Answered in reverse order with explicit indexes: clients must not rely on order.
        for (size_t i = body["input"].size(); i-- > 0;) {
          data.push_back({{"object", "embedding"},
                          {"index", i},
                          {"embedding", VectorOf(body["input"][i].get<std::string>(), dimension)}});
        }
        response.set_content(nlohmann::json{{"object", "list"},
                                            {"data", data},
                                            {"model", body.value("model", "")},
                                            {"usage", {{"prompt_tokens", 1}, {"total_tokens", 1}}}}
                                 .dump(),
                             "application/json");
      });
  fake->port_ = fake->server_->bind_to_any_port("127.0.0.1");
  // The socket already listens: clients connecting before this thread runs just queue.
  fake->thread_ = std::thread([self] { self->server_->listen_after_bind(); });
  return fake;
}

FakeEmbeddingsServer::~FakeEmbeddingsServer() {
  // httplib's stop() only stops a server already in its accept loop.
  while (thread_.joinable() && !server_->is_running()) std::this_thread::yield();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeEmbeddingsServer::base_url() const {
  return absl::StrCat("http://127.0.0.1:", port_, "/v1");
}

void FakeEmbeddingsServer::FailNext(int count, int status) {
  absl::MutexLock lock(&mu_);
  fail_remaining_ = count;
  fail_status_ = status;
}

void FakeEmbeddingsServer::SetDimension(size_t dimension) {
  absl::MutexLock lock(&mu_);
  dimension_ = dimension;
}

int FakeEmbeddingsServer::calls() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(requests_.size());
}

std::vector<nlohmann::json> FakeEmbeddingsServer::requests() {
  absl::MutexLock lock(&mu_);
  return requests_;
}

}  // namespace cascade::router::testing
