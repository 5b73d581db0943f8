#pragma once

// One HTTP request and its answer, as a handler of the AsyncHttpServer sees them. The
// handler is called on a network thread and must not block there: it answers at once
// (Respond) or hands the exchange to a thread of its own, from which every method may be
// called. An exchange dropped without an answer is answered 500.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/concurrency/cancellation.h"

namespace cascade::http {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // As sent: path and query.
  std::string path;    // The target without its query.
  HttpHeaders headers;
  std::string body;
  std::string remote_address;  // The client's IP address.

  // The first header of this name (case-insensitive); empty when absent.
  std::string Header(absl::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  HttpHeaders headers;
  std::string body;
};

class HttpExchange {
 public:
  virtual ~HttpExchange() = default;

  virtual const HttpRequest& request() const = 0;

  // Cancelled when the client goes away before the answer is written, when a write stalls
  // past the server's write timeout, or when the server stops.
  virtual CancellationToken& client_gone() = 0;

  // The whole answer. Once per exchange, and not after StartStream.
  virtual void Respond(HttpResponse response) = 0;

  // A streamed answer (chunked): the status and headers now, then Write()s, then EndStream.
  virtual void StartStream(int status, const std::string& content_type, HttpHeaders headers) = 0;
  // Queues `data` for the client. Blocks while the client lags more than the server's
  // stream buffer behind (backpressure onto the producer). False once the client is gone:
  // the rest may be dropped.
  virtual bool Write(std::string data) = 0;
  virtual void EndStream() = 0;
};

}  // namespace cascade::http
