#pragma once

// HTTP POST over libcurl for upstream model APIs. Connections are reused: every transfer
// borrows a pooled (multi, easy) handle pair whose connection cache survives between
// calls. The call's deadline is the transfer's timeout, and cancellation wakes the
// transfer at once (curl_multi_wakeup) and closes the connection.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/concurrency/cancellation.h"

namespace cascade::http {

// Named apart from the HTTP server's HttpRequest (common/http_server/http_exchange.h): one
// binary (the orchestrator, whose answer cache may call an embeddings endpoint) links both,
// and two types of one name in one namespace break the one-definition rule.
struct HttpClientRequest {
  std::string url;
  // "Name: value" lines.
  std::vector<std::string> headers;
  std::string body;
  absl::Time deadline = absl::InfiniteFuture();
  absl::Duration connect_timeout = absl::Seconds(10);
  CancellationToken* cancel = nullptr;
  // When set, the body of a 2xx response is handed over as it arrives instead of being
  // collected; returning false aborts the transfer. Other responses are always collected.
  std::function<bool(absl::string_view piece)> on_body;
};

enum class HttpTransportError {
  kNone,
  kConnect,          // No connection (refused, unresolvable, connect timeout, TLS).
  kBrokenResponse,   // The connection failed after the request was sent.
  kTimeout,          // The deadline passed.
  kCancelled,        // The cancellation token fired.
  kAbortedByReader,  // on_body returned false.
  kOther,
};

struct HttpResult {
  HttpTransportError error = HttpTransportError::kNone;
  // curl's description of `error`; never contains request headers.
  std::string error_message;
  int status = 0;
  // Lower-case header names of the final response.
  std::map<std::string, std::string> headers;
  // The body when it was collected (at most max_collected_body_bytes).
  std::string body;
  // Whether on_body received anything.
  bool body_delivered = false;
};

struct HttpClientOptions {
  // Idle handle pairs (and so keep-alive connection caches) kept for reuse.
  int max_idle_handles = 16;
  size_t max_collected_body_bytes = 16 << 20;
  std::string user_agent = "cascade";
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Thread-safe; blocks until the transfer ends.
  HttpResult Post(const HttpClientRequest& request);

 private:
  struct HandlePair;
  std::unique_ptr<HandlePair> Acquire();
  void Release(std::unique_ptr<HandlePair> pair);

  HttpClientOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<HandlePair>> idle_;
};

}  // namespace cascade::http
