#pragma once

// POST /v1/chat/completions on the orchestrator's OpenAI-compatible front door. HTTP/1.1
// has one request per connection at a time, so `connections` worker threads each hold a
// keep-alive connection and take requests from one queue.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tools/loadgen/load_target.h"

namespace cascade::loadgen {

class HttpChatTarget final : public LoadTarget {
 public:
  // `base` is http://HOST:PORT; `api_key` (may be empty) goes in Authorization: Bearer.
  HttpChatTarget(std::string host, int port, int connections, std::string api_key);
  ~HttpChatTarget() override;

  void Send(const v1::CascadeRequest& request, std::chrono::milliseconds timeout,
            std::function<void(CallOutcome)> done) override;
  std::string Describe() const override;

  // The OpenAI chat body for a cascade request (model = its policy).
  static std::string ChatBody(const v1::CascadeRequest& request);

 private:
  struct Job {
    std::string body;
    std::chrono::milliseconds timeout;
    std::function<void(CallOutcome)> done;
  };
  void Work();

  const std::string host_;
  const int port_;
  const std::string api_key_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace cascade::loadgen
