#pragma once

// An HTTP/1.1 server on an event loop (Boost.Asio and Boost.Beast): a few network threads
// serve every connection, so an idle kept-alive connection costs a socket and a buffer,
// never a thread. It reads each request within limits (header and body size, a deadline
// for slow senders), hands it to a handler as an HttpExchange, and writes the whole or
// streamed answer with backpressure and a deadline for slow readers. What it refuses
// before the handler sees it (too large, malformed, too slow, over the connection cap) is
// answered with the body the handler's Rejected() gives, so every error keeps one shape.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/http_server/http_exchange.h"

namespace cascade::http {

struct AsyncHttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 picks a free port (address() tells which).
  // Network threads: they parse and write, never run a handler's work.
  int io_threads = 2;
  // Connections open at once; the one past it is answered 429 and closed.
  int max_connections = 1024;
  // Request line and headers, in bytes; more is 431.
  int64_t max_header_bytes = 16 * 1024;
  // Request body, in bytes; more is 413.
  int64_t max_body_bytes = 1 << 20;
  // A request must arrive whole within this once its first byte has; else 408.
  std::chrono::milliseconds request_timeout{30'000};
  // A kept-alive connection with no request for this long is closed.
  std::chrono::milliseconds idle_timeout{60'000};
  // A write the client does not take within this ends the connection (and cancels the
  // exchange).
  std::chrono::milliseconds write_timeout{30'000};
  // Streamed bytes queued for a slow client before Write() blocks.
  int64_t max_stream_buffer_bytes = 256 * 1024;
};

// Why the server answered a request itself.
struct HttpRejection {
  std::string reason;  // body_too_large, header_too_large, malformed, read_timeout, max_connections
  int status = 400;
  std::string message;  // What the client should fix, in a sentence.
  std::string remote_address;
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // On a network thread: answer at once or move the exchange to a thread of your own.
  virtual void Handle(std::shared_ptr<HttpExchange> exchange) = 0;
  // The answer to a request refused before Handle (status and message are set). Also the
  // place to log and count it.
  virtual HttpResponse Rejected(const HttpRejection& rejection) = 0;
};

class AsyncHttpServer {
 public:
  // Binds and starts serving. `handler` must outlive the server.
  static absl::StatusOr<std::unique_ptr<AsyncHttpServer>> Start(
      const AsyncHttpServerOptions& options, HttpHandler* handler);
  ~AsyncHttpServer();
  AsyncHttpServer(const AsyncHttpServer&) = delete;
  AsyncHttpServer& operator=(const AsyncHttpServer&) = delete;

  int port() const;
  int open_connections() const;

  // Stops accepting; idle connections close, and each busy one closes after its answer.
  void StopAccepting();
  // True once every connection has closed or `deadline` passed, whichever is first.
  bool WaitForConnectionsUntil(std::chrono::system_clock::time_point deadline);
  // Closes every connection (their exchanges' client_gone fires) and joins the threads.
  void Stop();

 private:
  struct Impl;
  explicit AsyncHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cascade::http
