// cascade-test-upstream: an OpenAI-compatible chat completions server for the chaos tests,
// load runs and the tool-calling end-to-end test (a request with tools gets the tests'
// tool-using model, services/tier_worker/testing/tool_call_replies.h), whose faults are switched at
// run time (POST /admin) while load flows: latency, bursts of an error status (429 with
// Retry-After, 5xx), and broken answers (malformed JSON, NaN logprobs). Counts what it saw (GET
// /admin/stats: calls, failures, image parts and the last one), so a test can prove retries
// stayed bounded, or that an image arrived in OpenAI's shape.
//
//   cascade-test-upstream [--listen HOST:PORT] [--threads N]
//
// First line on stderr: {"event":"listening","http":"HOST:PORT","metrics":"HOST:PORT"} (the
// servers' shape; GET /readyz answers 200 on the same port).

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/tier_worker/testing/fake_openai_server.h"
#include "services/tier_worker/testing/tool_call_replies.h"

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// What the upstream does now; replaced whole by POST /admin.
struct Faults {
  int delay_ms = 0;
  int fail_status = 0;     // 0: never fail.
  int fail_on_ms = 0;      // Fail during the first fail_on_ms of every fail_period_ms...
  int fail_period_ms = 0;  // ...0: fail every call while fail_status is set.
  int retry_after_s = -1;  // Retry-After header on failures (-1: none).
  // A broken answer with status 200: "malformed_json" (not JSON at all) or "nan_logprobs"
  // (well-formed, but every token logprob is the literal NaN); "" answers normally.
  std::string reply;
  Clock::time_point since = Clock::now();
};

class Upstream {
 public:
  bool SetFaults(const json& body, std::string* error) {
    Faults faults;
    for (const auto& [key, value] : body.items()) {
      if (key == "reply") {
        if (!value.is_string() ||
            (value != "" && value != "malformed_json" && value != "nan_logprobs")) {
          *error = "reply must be \"\", \"malformed_json\" or \"nan_logprobs\"";
          return false;
        }
        faults.reply = value.get<std::string>();
        continue;
      }
      int* field = key == "delay_ms"         ? &faults.delay_ms
                   : key == "fail_status"    ? &faults.fail_status
                   : key == "fail_on_ms"     ? &faults.fail_on_ms
                   : key == "fail_period_ms" ? &faults.fail_period_ms
                   : key == "retry_after_s"  ? &faults.retry_after_s
                                             : nullptr;
      if (field == nullptr || !value.is_number_integer()) {
        *error = absl::StrCat("unknown or non-integer field '", key, "'");
        return false;
      }
      *field = value.get<int>();
    }
    std::lock_guard<std::mutex> lock(mu_);
    faults_ = faults;
    return true;
  }

  void Chat(const httplib::Request& request, httplib::Response& response) {
    calls_.fetch_add(1);
    Faults faults;
    {
      std::lock_guard<std::mutex> lock(mu_);
      faults = faults_;
    }
    if (faults.delay_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(faults.delay_ms));
    if (Failing(faults)) {
      failed_.fetch_add(1);
      if (faults.retry_after_s >= 0) {
        response.set_header("Retry-After", std::to_string(faults.retry_after_s));
      }
      response.status = faults.fail_status;
      response.set_content(
          json{{"error", {{"message", "injected by cascade-test-upstream"}, {"type", "fault"}}}}
              .dump(),
          "application/json");
      return;
    }
    json body = json::parse(request.body, nullptr, false);
    NoteImages(body);
    const bool stream = body.is_object() && body.value("stream", false);
    const std::vector<std::string> tokens = {"Paris", " is", " the", " capital."};
    using cascade::tier_worker::testing::ChatCompletionChunks;
    using cascade::tier_worker::testing::ChatCompletionJson;
    if (faults.reply == "malformed_json") {
      response.set_content("{\"choices\": [{\"message\": ", "application/json");
      return;
    }
    // A request with tools gets the tests' tool-using model (tool_call_replies.h).
    if (auto reply = cascade::tier_worker::testing::ToolCallingReply(body); reply && !stream) {
      response.set_content(reply->dump(), "application/json");
      return;
    }
    if (auto chunks = cascade::tier_worker::testing::ToolCallingChunks(body); !chunks.empty()) {
      std::string events;
      for (const std::string& chunk : chunks) absl::StrAppend(&events, "data: ", chunk, "\n\n");
      absl::StrAppend(&events, "data: [DONE]\n\n");
      response.set_content(events, "text/event-stream");
      return;
    }
    if (!stream) {
      std::string answer = ChatCompletionJson(tokens, 12, 4, true, "test-upstream").dump();
      if (faults.reply == "nan_logprobs") {
        answer =
            std::regex_replace(answer, std::regex(R"("logprob":-?[0-9.eE+-]+)"), "\"logprob\":NaN");
      }
      response.set_content(answer, "application/json");
      return;
    }
    std::string events;
    for (const std::string& chunk :
         ChatCompletionChunks(tokens, 12, 4, true, true, "test-upstream")) {
      absl::StrAppend(&events, "data: ", chunk, "\n\n");
    }
    absl::StrAppend(&events, "data: [DONE]\n\n");
    response.set_content(events, "text/event-stream");
  }

  json Stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return {{"calls", calls_.load()},
            {"failed", failed_.load()},
            {"image_parts", image_parts_},
            {"last_image", last_image_}};
  }

 private:
  static bool Failing(const Faults& faults) {
    if (faults.fail_status == 0) return false;
    if (faults.fail_period_ms <= 0) return true;
    auto into = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - faults.since);
    return into.count() % faults.fail_period_ms < faults.fail_on_ms;
  }

  // Counts image parts as OpenAI shapes them, so a test can see an image arrive.
  void NoteImages(const json& body) {
    if (!body.is_object() || !body.contains("messages") || !body["messages"].is_array()) return;
    for (const json& message : body["messages"]) {
      if (!message.is_object() || !message.contains("content")) continue;
      const json& content = message["content"];
      if (!content.is_array()) continue;
      for (const json& part : content) {
        if (!part.is_object() || part.value("type", "") != "image_url") continue;
        std::lock_guard<std::mutex> lock(mu_);
        ++image_parts_;
        last_image_ = part.value("image_url", json::object());
      }
    }
  }

  std::mutex mu_;
  int64_t image_parts_ = 0;
  json last_image_ = nullptr;
  Faults faults_;
  std::atomic<int64_t> calls_{0};
  std::atomic<int64_t> failed_{0};
};

int Usage(const std::string& message) {
  std::cerr << "cascade-test-upstream: " << message
            << "\nusage: cascade-test-upstream [--listen HOST:PORT] [--threads N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 64;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return Usage(absl::StrCat(arg, " needs a value"));
    const std::string value = argv[++i];
    if (arg == "--listen") {
      size_t colon = value.rfind(':');
      if (colon == std::string::npos || !absl::SimpleAtoi(value.substr(colon + 1), &port)) {
        return Usage("--listen takes HOST:PORT");
      }
      host = value.substr(0, colon);
    } else if (arg == "--threads") {
      if (!absl::SimpleAtoi(value, &threads) || threads < 1) return Usage("--threads takes N >= 1");
    } else {
      return Usage(absl::StrCat("unknown flag ", arg));
    }
  }
  Upstream upstream;
  httplib::Server server;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // httplib writes headers and body separately: without this, Nagle holds the body until
  // the client's delayed ACK (40 ms) on a kept-alive connection, as a real API would not.
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1000);  // Like a real API: no reconnect every 5 calls.
  server.Post("/v1/chat/completions",
              [&](const httplib::Request& request, httplib::Response& response) {
                upstream.Chat(request, response);
              });
  server.Post("/admin", [&](const httplib::Request& request, httplib::Response& response) {
    json body = json::parse(request.body, nullptr, false);
    std::string error = "the body must be a JSON object";
    if (!body.is_object() || !upstream.SetFaults(body, &error)) {
      response.status = 400;
      response.set_content(json{{"error", error}}.dump(), "application/json");
      return;
    }
    response.set_content("{}", "application/json");
  });
  server.Get("/admin/stats", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(upstream.Stats().dump(), "application/json");
  });
  server.Get("/readyz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok", "text/plain");
  });
  int bound =
      port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    std::cerr << "cascade-test-upstream: cannot bind " << host << ":" << port << "\n";
    return 1;
  }
  const std::string address = absl::StrCat(host, ":", bound);
  std::cerr << json{{"event", "listening"}, {"http", address}, {"metrics", address}}.dump()
            << std::endl;
  server.listen_after_bind();
  return 0;
}
