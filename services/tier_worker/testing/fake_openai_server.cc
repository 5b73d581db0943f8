#include "services/tier_worker/testing/fake_openai_server.h"

#include <httplib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace cascade::tier_worker::testing {

using nlohmann::json;

FakeReply FakeReply::Json(const json& body) {
  FakeReply reply;
  reply.body = body.dump();
  return reply;
}

FakeReply FakeReply::Error(int status, const std::string& message) {
  FakeReply reply;
  reply.status = status;
  reply.body = json{{"error", {{"message", message}, {"type", "fake_error"}}}}.dump();
  return reply;
}

FakeReply FakeReply::Stream(std::vector<std::string> events) {
  FakeReply reply;
  reply.stream = true;
  reply.content_type = "text/event-stream";
  reply.events = std::move(events);
  return reply;
}

FakeOpenAIServer::FakeOpenAIServer() : server_(std::make_unique<httplib::Server>()) {}

std::unique_ptr<FakeOpenAIServer> FakeOpenAIServer::Start() {
  std::unique_ptr<FakeOpenAIServer> fake(new FakeOpenAIServer());
  FakeOpenAIServer* self = fake.get();
  self->server_->Post(
      "/v1/chat/completions", [self](const httplib::Request& request, httplib::Response& response) {
        SeenRequest seen;
        seen.body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
        for (const auto& [name, value] : request.headers) {
          seen.headers[absl::AsciiStrToLower(name)] = value;
        }
        seen.remote_port = request.remote_port;
        FakeReply reply;
        {
          absl::MutexLock lock(&self->mu_);
          self->requests_.push_back(std::move(seen));
        }
        reply = self->NextReply();
        if (reply.delay > absl::ZeroDuration()) {
          absl::MutexLock lock(&self->mu_);
          self->mu_.AwaitWithDeadline(absl::Condition(&self->stopping_), absl::Now() + reply.delay);
        }
        response.status = reply.status;
        for (const auto& [name, value] : reply.headers) response.set_header(name, value);
        if (!reply.stream && !reply.hang) {
          response.set_content(reply.body, reply.content_type.c_str());
          return;
        }
        auto sent = std::make_shared<size_t>(0);
        response.set_chunked_content_provider(
            reply.content_type.c_str(), [self, reply, sent](size_t, httplib::DataSink& sink) {
              if (*sent < reply.events.size()) {
                std::string event = absl::StrCat("data: ", reply.events[(*sent)++], "\n\n");
                if (sink.write(event.data(), event.size())) return true;
                // The client went away before the last event (a reader that stops early
                // can close before the server is done writing): that is a disconnect too.
                absl::MutexLock lock(&self->mu_);
                ++self->disconnects_;
                return false;
              }
              if (reply.cut_off) return false;  // Drops the connection mid-stream.
              if (reply.hang) {
                absl::MutexLock lock(&self->mu_);
                self->mu_.AwaitWithDeadline(absl::Condition(&self->stopping_),
                                            absl::Now() + absl::Milliseconds(20));
                if (self->stopping_) return false;
                static constexpr char kKeepAlive[] = ": keep-alive\n\n";
                if (!sink.is_writable() || !sink.write(kKeepAlive, sizeof(kKeepAlive) - 1)) {
                  ++self->disconnects_;
                  return false;
                }
                return true;
              }
              if (reply.stream) {
                static constexpr char kDone[] = "data: [DONE]\n\n";
                sink.write(kDone, sizeof(kDone) - 1);
              }
              sink.done();
              return true;
            });
      });
  fake->port_ = fake->server_->bind_to_any_port("127.0.0.1");
  if (fake->port_ <= 0) return nullptr;
  // The socket already listens: clients connecting before this thread runs just queue.
  fake->thread_ = std::thread([self] { self->server_->listen_after_bind(); });
  return fake;
}

FakeOpenAIServer::~FakeOpenAIServer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // httplib's stop() only stops a server already in its accept loop; one stopped before
  // would then listen forever. The thread gets there at once, so this loop is short.
  while (thread_.joinable() && !server_->is_running()) std::this_thread::yield();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeOpenAIServer::base_url() const {
  return absl::StrCat("http://127.0.0.1:", port_, "/v1");
}

void FakeOpenAIServer::Enqueue(FakeReply reply) {
  absl::MutexLock lock(&mu_);
  script_.push_back(std::move(reply));
}

FakeReply FakeOpenAIServer::NextReply() {
  absl::MutexLock lock(&mu_);
  if (script_.empty()) return FakeReply::Error(500, "the fake server has no script");
  size_t index = std::min(next_, script_.size() - 1);
  ++next_;
  return script_[index];
}

int FakeOpenAIServer::calls() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(requests_.size());
}

std::vector<SeenRequest> FakeOpenAIServer::requests() {
  absl::MutexLock lock(&mu_);
  return requests_;
}

int FakeOpenAIServer::disconnects() {
  absl::MutexLock lock(&mu_);
  return disconnects_;
}

bool FakeOpenAIServer::WaitForDisconnects(int count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, count]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return disconnects_ >= count; };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

json ChatCompletionJson(const std::vector<std::string>& tokens, int prompt_tokens,
                        int completion_tokens, bool with_logprobs, const std::string& model) {
  std::string text;
  json content = json::array();
  for (size_t i = 0; i < tokens.size(); ++i) {
    text += tokens[i];
    double logprob = -0.5 * static_cast<double>(i + 1);
    content.push_back({{"token", tokens[i]},
                       {"logprob", logprob},
                       {"bytes", json::array()},
                       {"top_logprobs",
                        {{{"token", tokens[i]}, {"logprob", logprob}},
                         {{"token", "alt"}, {"logprob", logprob - 1}}}}});
  }
  json choice = {{"index", 0},
                 {"message", {{"role", "assistant"}, {"content", text}}},
                 {"finish_reason", "stop"}};
  choice["logprobs"] = with_logprobs ? json{{"content", content}} : json();
  return {{"id", "chatcmpl-fake"},
          {"object", "chat.completion"},
          {"model", model},
          {"choices", json::array({choice})},
          {"usage",
           {{"prompt_tokens", prompt_tokens},
            {"completion_tokens", completion_tokens},
            {"total_tokens", prompt_tokens + completion_tokens}}}};
}

std::vector<std::string> ChatCompletionChunks(const std::vector<std::string>& tokens,
                                              int prompt_tokens, int completion_tokens,
                                              bool with_logprobs, bool with_usage,
                                              const std::string& model) {
  std::vector<std::string> chunks;
  auto chunk = [&model](json choice) {
    return json{{"id", "chatcmpl-fake"},
                {"object", "chat.completion.chunk"},
                {"model", model},
                {"choices", json::array({std::move(choice)})}}
        .dump();
  };
  chunks.push_back(chunk({{"index", 0},
                          {"delta", {{"role", "assistant"}, {"content", ""}}},
                          {"finish_reason", nullptr}}));
  for (size_t i = 0; i < tokens.size(); ++i) {
    double logprob = -0.5 * static_cast<double>(i + 1);
    json choice = {{"index", 0}, {"delta", {{"content", tokens[i]}}}, {"finish_reason", nullptr}};
    if (with_logprobs) {
      choice["logprobs"] = {{"content",
                             {{{"token", tokens[i]},
                               {"logprob", logprob},
                               {"top_logprobs", {{{"token", tokens[i]}, {"logprob", logprob}}}}}}}};
    }
    chunks.push_back(chunk(choice));
  }
  chunks.push_back(chunk({{"index", 0}, {"delta", json::object()}, {"finish_reason", "stop"}}));
  if (with_usage) {
    chunks.push_back(json{{"id", "chatcmpl-fake"},
                          {"object", "chat.completion.chunk"},
                          {"model", model},
                          {"choices", json::array()},
                          {"usage",
                           {{"prompt_tokens", prompt_tokens},
                            {"completion_tokens", completion_tokens},
                            {"total_tokens", prompt_tokens + completion_tokens}}}}
                         .dump());
  }
  return chunks;
}

}  // namespace cascade::tier_worker::testing
