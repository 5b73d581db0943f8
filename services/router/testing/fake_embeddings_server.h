#pragma once

// An OpenAI-compatible /v1/embeddings server on loopback (port 0) for tests. Vectors are a
// deterministic bag of words (each lower-cased word hashed into `dimension` buckets), so
// texts that share words are similar and routing on them behaves like routing on a real
// model, without one. Failures are scripted: answer HTTP errors, or vectors of another
// length.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace httplib {
class Server;
}

namespace cascade::router::testing {

class FakeEmbeddingsServer {
 public:
  // Binds 127.0.0.1:0 and serves POST /v1/embeddings on a thread.
  static std::unique_ptr<FakeEmbeddingsServer> Start(size_t dimension = 64);
  ~FakeEmbeddingsServer();

  // http://127.0.0.1:PORT/v1
  std::string base_url() const;

  // The next `count` requests are answered with HTTP `status` (and an OpenAI error body);
  // count < 0: every request from now on, until FailNext(0, ...).
  void FailNext(int count, int status);
  // Vectors of this length from now on.
  void SetDimension(size_t dimension);

  // Requests received (failed ones included) and their bodies.
  int calls();
  std::vector<nlohmann::json> requests();

  // The vector the server answers for `text` (before the client normalises it).
  static std::vector<float> VectorOf(const std::string& text, size_t dimension);

 private:
  FakeEmbeddingsServer() = default;

  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  size_t dimension_ ABSL_GUARDED_BY(mu_) = 64;
  int fail_remaining_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_status_ ABSL_GUARDED_BY(mu_) = 503;
  std::vector<nlohmann::json> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cascade::router::testing
