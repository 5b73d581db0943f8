#include "tools/loadgen/http_chat_target.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace cascade::loadgen {

HttpChatTarget::HttpChatTarget(std::string host, int port, int connections, std::string api_key)
    : host_(std::move(host)), port_(port), api_key_(std::move(api_key)) {
  for (int i = 0; i < std::max(1, connections); ++i) workers_.emplace_back([this] { Work(); });
}

HttpChatTarget::~HttpChatTarget() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

std::string HttpChatTarget::ChatBody(const v1::CascadeRequest& request) {
  nlohmann::json messages = nlohmann::json::array();
  for (const v1::ChatMessage& message : request.messages()) {
    messages.push_back({{"role", message.role()}, {"content", message.content()}});
  }
  nlohmann::json body = {{"model", request.policy()}, {"messages", std::move(messages)}};
  if (request.params().max_tokens() > 0) body["max_tokens"] = request.params().max_tokens();
  return body.dump();
}

void HttpChatTarget::Send(const v1::CascadeRequest& request, std::chrono::milliseconds timeout,
                          std::function<void(CallOutcome)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(Job{ChatBody(request), timeout, std::move(done)});
  }
  ready_.notify_one();
}

void HttpChatTarget::Work() {
  httplib::Client client(host_, port_);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);  // A request's headers and body leave without waiting for an ACK.
  httplib::Headers headers;
  if (!api_key_.empty()) headers.emplace("Authorization", absl::StrCat("Bearer ", api_key_));
  while (true) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // Stopping, and nothing left to send.
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    client.set_connection_timeout(job.timeout);
    client.set_read_timeout(job.timeout);
    client.set_write_timeout(job.timeout);
    httplib::Result result =
        client.Post("/v1/chat/completions", headers, job.body, "application/json");
    if (!result) {
      job.done(CallOutcome{false, "transport_error_" + httplib::to_string(result.error())});
      continue;
    }
    job.done(CallOutcome{result->status == 200, std::to_string(result->status)});
  }
}

std::string HttpChatTarget::Describe() const {
  return absl::StrCat("http ", host_, ":", port_, " POST /v1/chat/completions");
}

}  // namespace cascade::loadgen
