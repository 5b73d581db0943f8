#pragma once

// One client connection of the AsyncHttpServer (internal). It reads a request, hands it to
// the handler as an HttpExchange, writes the answer, and reads the next (keep-alive). Its
// socket work runs on a strand; the exchange's methods may be called from any thread and
// post to it. While a request is being answered, a wait on the socket notices a client that
// closes its end and cancels the exchange's client_gone.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/http_server/async_http_server.h"

namespace cascade::http {

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  // `over_cap`: the connection is past max_connections; its one request is answered 429.
  // `on_close` runs once, on the strand, when the socket closes.
  HttpConnection(boost::asio::ip::tcp::socket socket, const AsyncHttpServerOptions& options,
                 HttpHandler* handler, bool over_cap, std::function<void()> on_close);
  ~HttpConnection();

  void Start();
  // The server stops accepting: close now if idle, else after the answer in progress.
  void CloseWhenIdle();
  // The server stops: close now; a request in progress sees client_gone.
  void CloseNow();

 private:
  class Exchange;
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  // The answer to request `serial` (any thread); a call about another request is ignored.
  void Respond(uint64_t serial, HttpResponse response);
  void StartStream(uint64_t serial, int status, const std::string& content_type,
                   HttpHeaders headers);
  bool Write(uint64_t serial, std::string data);
  void EndStream(uint64_t serial);
  // The exchange went away: answers 500 if it had not answered, ends an open stream.
  void ExchangeDropped(uint64_t serial);

  void WaitForRequest();
  void ReadHeader();
  void ReadBody();
  void OnRequestRead(boost::beast::error_code error);
  void Reject(HttpRejection rejection);
  void Dispatch();
  void WatchForDisconnect(uint64_t serial);
  // Writes `response` (strand); then the next request or close.
  void WriteWhole(HttpResponse response, bool close_after);
  void WriteStreamHeader(int status, const std::string& content_type, HttpHeaders headers);
  void Flush();
  void FinishAnswer(bool keep_alive);
  // After a refusal the client may still be sending: closing now would reset the
  // connection and could destroy the answer before the client reads it. Instead stop
  // writing, read and discard for a while, then close.
  void LingerThenClose();
  void Discard();
  void Close();

  boost::beast::tcp_stream stream_;
  // The deadline for a request to arrive whole. Not the stream's own expiry, which closes
  // the socket: a slow sender is owed a 408.
  boost::asio::steady_timer request_timer_;
  const AsyncHttpServerOptions& options_;
  HttpHandler* handler_;
  bool over_cap_;
  std::function<void()> on_close_;
  std::string remote_address_;

  // Strand only.
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  bool busy_ = false;        // Between a request read and its answer written.
  bool stopping_ = false;    // Close after the answer in progress.
  bool keep_alive_ = false;  // The current request's wish (and the server's).
  bool chunked_ = false;
  unsigned version_ = 11;
  uint64_t serial_ = 0;  // Which request is being answered (the disconnect watch's check).
  bool stream_started_ = false;
  bool write_in_flight_ = false;
  bool closed_on_strand_ = false;
  bool request_timed_out_ = false;
  bool linger_ = false;  // The answer is a refusal: linger before closing.
  int64_t discarded_bytes_ = 0;

  // Shared with the threads that answer.
  std::mutex mu_;
  std::condition_variable drained_;
  std::shared_ptr<CancellationToken> client_gone_;
  uint64_t answer_serial_ = 0;
  bool answered_ = false;  // Respond or StartStream called for the current request.
  bool streaming_ = false;
  bool stream_ended_ = false;
  bool flush_posted_ = false;
  std::string pending_;  // Streamed bytes not yet handed to the socket.
  bool closed_ = false;
};

}  // namespace cascade::http
