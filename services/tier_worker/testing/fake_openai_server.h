#pragma once

// An OpenAI-compatible chat completions server on loopback (port 0) that answers from a
// script: the edge cases no real upstream produces on demand (429 with Retry-After, 5xx,
// malformed JSON, a stream cut off mid-way, a slow answer, a client that goes away).

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace httplib {
class Server;
}

namespace cascade::tier_worker::testing {

struct FakeReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is an event stream: each entry is sent as "data: <entry>\n\n" in
  // its own chunk, then "data: [DONE]\n\n" unless cut_off or hang.
  bool stream = false;
  std::vector<std::string> events;
  // Close the connection after the events, mid-stream.
  bool cut_off = false;
  // After the events, keep the response open (keep-alive comments) until the client
  // leaves or the server stops.
  bool hang = false;
  // Wait this long before answering (the server's stop cuts it short).
  absl::Duration delay = absl::ZeroDuration();

  static FakeReply Json(const nlohmann::json& body);
  static FakeReply Error(int status, const std::string& message);
  static FakeReply Stream(std::vector<std::string> events);
};

struct SeenRequest {
  nlohmann::json body;
  std::map<std::string, std::string> headers;
  int remote_port = -1;
};

class FakeOpenAIServer {
 public:
  // Binds 127.0.0.1:0 and serves POST /v1/chat/completions on a thread.
  static std::unique_ptr<FakeOpenAIServer> Start();
  ~FakeOpenAIServer();

  // http://127.0.0.1:PORT/v1
  std::string base_url() const;
  // Replies are used in order; the last one repeats once the script runs out.
  void Enqueue(FakeReply reply);

  int calls();
  std::vector<SeenRequest> requests();
  // Clients that went away while a `hang` reply was still being written.
  int disconnects();
  bool WaitForDisconnects(int count, absl::Duration timeout);

 private:
  FakeOpenAIServer();
  FakeReply NextReply();

  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<FakeReply> script_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<SeenRequest> requests_ ABSL_GUARDED_BY(mu_);
  int disconnects_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

// A chat completion body: `tokens` joined are the text; each token gets a logprob of
// -0.5 * (i + 1) and two alternatives when `with_logprobs`.
nlohmann::json ChatCompletionJson(const std::vector<std::string>& tokens, int prompt_tokens,
                                  int completion_tokens, bool with_logprobs,
                                  const std::string& model = "fake-model-2025");

// The chunks of the same answer streamed: one per token, a finish chunk, and the usage
// chunk when `with_usage`.
std::vector<std::string> ChatCompletionChunks(const std::vector<std::string>& tokens,
                                              int prompt_tokens, int completion_tokens,
                                              bool with_logprobs, bool with_usage,
                                              const std::string& model = "fake-model-2025");

}  // namespace cascade::tier_worker::testing
