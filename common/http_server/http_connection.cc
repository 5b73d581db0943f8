#include "common/http_server/http_connection.h"

#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cascade::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// Read size while waiting for a request's first bytes; the parser asks for more.
constexpr size_t kFirstReadBytes = 4096;
// A connection keeps at most this much read buffer between requests.
constexpr size_t kIdleBufferBytes = 64 * 1024;
// After a refusal: how long, and how much of the rest of the request, to read and discard
// before closing.
constexpr std::chrono::seconds kLingerTime{2};
constexpr int64_t kLingerBytes = 16 << 20;

// What the handler holds: the connection, and which request of it this is, so a late call
// about an answered request never touches the next one.
class HttpConnection::Exchange : public HttpExchange {
 public:
  Exchange(std::shared_ptr<HttpConnection> connection, uint64_t serial, HttpRequest request,
           std::shared_ptr<CancellationToken> client_gone)
      : connection_(std::move(connection)),
        serial_(serial),
        request_(std::move(request)),
        client_gone_(std::move(client_gone)) {}
  ~Exchange() override { connection_->ExchangeDropped(serial_); }

  const HttpRequest& request() const override { return request_; }
  CancellationToken& client_gone() override { return *client_gone_; }
  void Respond(HttpResponse response) override {
    connection_->Respond(serial_, std::move(response));
  }
  void StartStream(int status, const std::string& content_type, HttpHeaders headers) override {
    connection_->StartStream(serial_, status, content_type, std::move(headers));
  }
  bool Write(std::string data) override { return connection_->Write(serial_, std::move(data)); }
  void EndStream() override { connection_->EndStream(serial_); }

 private:
  std::shared_ptr<HttpConnection> connection_;
  const uint64_t serial_;
  const HttpRequest request_;
  std::shared_ptr<CancellationToken> client_gone_;
};

HttpConnection::HttpConnection(net::ip::tcp::socket socket, const AsyncHttpServerOptions& options,
                               HttpHandler* handler, bool over_cap, std::function<void()> on_close)
    : stream_(std::move(socket)),
      request_timer_(stream_.get_executor()),
      options_(options),
      handler_(handler),
      over_cap_(over_cap),
      on_close_(std::move(on_close)) {
  beast::error_code error;
  const auto endpoint = stream_.socket().remote_endpoint(error);
  if (!error) remote_address_ = endpoint.address().to_string();
  // Headers and body go out in separate writes; Nagle would hold the second for the
  // client's delayed ACK.
  stream_.socket().set_option(net::ip::tcp::no_delay(true), error);
}

HttpConnection::~HttpConnection() = default;

void HttpConnection::Start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->WaitForRequest(); });
}

void HttpConnection::CloseWhenIdle() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    if (!self->busy_) self->Close();
  });
}

void HttpConnection::CloseNow() {
  net::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
}

void HttpConnection::WaitForRequest() {
  if (closed_on_strand_) return;
  if (stopping_) {
    Close();
    return;
  }
  if (buffer_.size() > 0) {  // A pipelined request is already here.
    ReadHeader();
    return;
  }
  if (buffer_.capacity() > kIdleBufferBytes) buffer_.shrink_to_fit();
  // Idle: nothing is answered if the client says nothing (timeout or close).
  stream_.expires_after(options_.idle_timeout);
  stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                          [self = shared_from_this()](beast::error_code error, size_t bytes) {
                            if (error) {
                              self->Close();
                              return;
                            }
                            self->buffer_.commit(bytes);
                            self->ReadHeader();
                          });
}

void HttpConnection::ReadHeader() {
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(options_.max_header_bytes));
  parser_->body_limit(static_cast<uint64_t>(options_.max_body_bytes));
  stream_.expires_never();
  request_timed_out_ = false;
  request_timer_.expires_after(options_.request_timeout);
  request_timer_.async_wait([self = shared_from_this()](beast::error_code error) {
    if (error || self->closed_on_strand_ || !self->parser_ || self->parser_->is_done()) return;
    self->request_timed_out_ = true;
    beast::error_code ignored;
    self->stream_.socket().cancel(ignored);  // The read ends with operation_aborted.
  });
  bhttp::async_read_header(
      stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code error, size_t) {
        if (error) {
          self->OnRequestRead(error);
          return;
        }
        const auto& header = self->parser_->get();
        if (!self->over_cap_ && !self->parser_->is_done() &&
            absl::EqualsIgnoreCase(std::string(header[bhttp::field::expect]), "100-continue")) {
          // curl waits a second for this before sending a large body.
          auto go_on = std::make_shared<bhttp::response<bhttp::empty_body>>(
              bhttp::status::continue_, header.version());
          bhttp::async_write(self->stream_, *go_on,
                             [self, go_on](beast::error_code write_error, size_t) {
                               if (write_error) {
                                 self->Close();
                                 return;
                               }
                               self->ReadBody();
                             });
          return;
        }
        self->ReadBody();
      });
}

void HttpConnection::ReadBody() {
  bhttp::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code error, size_t) { self->OnRequestRead(error); });
}

void HttpConnection::OnRequestRead(beast::error_code error) {
  if (closed_on_strand_) return;
  request_timer_.cancel();
  if (request_timed_out_) {
    Reject({"read_timeout", 408,
            absl::StrCat("the request did not arrive within ", options_.request_timeout.count(),
                         " ms; send it whole, or check the connection"),
            remote_address_});
    return;
  }
  if (error == bhttp::error::end_of_stream || error == net::error::connection_reset ||
      error == net::error::operation_aborted) {
    Close();  // The client left mid-request: no one to answer.
    return;
  }
  if (error == bhttp::error::header_limit) {
    Reject({"header_too_large", 431,
            absl::StrCat("the request line and headers are larger than the front door's limit (",
                         options_.max_header_bytes, " bytes)"),
            remote_address_});
    return;
  }
  if (error == bhttp::error::body_limit) {
    Reject({"body_too_large", 413,
            absl::StrCat("the request body is larger than the front door's limit (",
                         options_.max_body_bytes, " bytes, http.max_body_bytes)"),
            remote_address_});
    return;
  }
  if (error) {
    Reject({"malformed", 400, absl::StrCat("malformed HTTP request: ", error.message()),
            remote_address_});
    return;
  }
  if (over_cap_) {
    Reject({"max_connections", 429,
            absl::StrCat("the front door serves ", options_.max_connections,
                         " connections at once and all are open; retry shortly"),
            remote_address_});
    return;
  }
  Dispatch();
}

void HttpConnection::Reject(HttpRejection rejection) {
  if (parser_ && parser_->is_header_done()) version_ = parser_->get().version();
  HttpResponse response = handler_->Rejected(rejection);
  response.status = rejection.status;
  if (rejection.status == 429) response.headers.emplace_back("Retry-After", "1");
  busy_ = true;
  linger_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    answered_ = true;
  }
  // What is left of the request is unread: the connection cannot go on.
  WriteWhole(std::move(response), /*close_after=*/true);
}

void HttpConnection::Dispatch() {
  auto message = parser_->release();
  parser_.reset();
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.path = request.target.substr(0, request.target.find('?'));
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_address = remote_address_;
  version_ = message.version();
  keep_alive_ = message.keep_alive();
  chunked_ = version_ >= 11;
  busy_ = true;
  stream_started_ = false;
  const uint64_t serial = ++serial_;
  auto client_gone = std::make_shared<CancellationToken>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    answer_serial_ = serial;
    answered_ = false;
    streaming_ = false;
    stream_ended_ = false;
    pending_.clear();
    client_gone_ = client_gone;
  }
  stream_.expires_never();  // The handler takes its time; the disconnect watch covers it.
  WatchForDisconnect(serial);
  handler_->Handle(
      std::make_shared<Exchange>(shared_from_this(), serial, std::move(request), client_gone));
}

void HttpConnection::WatchForDisconnect(uint64_t serial) {
  stream_.socket().async_wait(net::socket_base::wait_read, [self = shared_from_this(),
                                                            serial](beast::error_code error) {
    if (error == net::error::operation_aborted || serial != self->serial_ || !self->busy_ ||
        self->closed_on_strand_) {
      return;
    }
    if (error) {
      self->Close();
      return;
    }
    // Peek without blocking: 0 is the client's close; bytes are a pipelined request,
    // read after this answer; nothing yet means the wake-up was stale (a readiness
    // event for bytes a speculative read already took), so wait again.
    char byte;
    const ssize_t peeked =
        ::recv(self->stream_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      self->Close();
    } else if (peeked < 0) {
      self->WatchForDisconnect(serial);
    }
  });
}

void HttpConnection::Respond(uint64_t serial, HttpResponse response) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (serial != answer_serial_ || answered_ || closed_) return;
    answered_ = true;
  }
  net::post(stream_.get_executor(),
            [self = shared_from_this(), response = std::move(response)]() mutable {
              self->WriteWhole(std::move(response), /*close_after=*/false);
            });
}

void HttpConnection::ExchangeDropped(uint64_t serial) {
  bool unfinished_stream = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (serial != answer_serial_) return;
    unfinished_stream = streaming_ && !stream_ended_;
  }
  if (unfinished_stream) {
    EndStream(serial);
    return;
  }
  HttpResponse response;
  response.status = 500;
  response.body = R"({"error":{"message":"the server dropped the request unanswered",)"
                  R"("type":"server_error","code":"internal"}})";
  Respond(serial, std::move(response));
}

void HttpConnection::WriteWhole(HttpResponse response, bool close_after) {
  if (closed_on_strand_) return;
  auto message = std::make_shared<bhttp::response<bhttp::string_body>>(
      static_cast<bhttp::status>(response.status), version_);
  message->set(bhttp::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) message->insert(name, value);
  message->body() = std::move(response.body);
  message->keep_alive(keep_alive_ && !stopping_ && !close_after);
  message->prepare_payload();
  stream_.expires_after(options_.write_timeout);
  bhttp::async_write(stream_, *message,
                     [self = shared_from_this(), message](beast::error_code error, size_t) {
                       if (error) {
                         self->Close();
                         return;
                       }
                       self->FinishAnswer(message->keep_alive());
                     });
}

void HttpConnection::StartStream(uint64_t serial, int status, const std::string& content_type,
                                 HttpHeaders headers) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (serial != answer_serial_ || answered_ || closed_) return;
    answered_ = true;
    streaming_ = true;
  }
  net::post(stream_.get_executor(), [self = shared_from_this(), status, content_type,
                                     headers = std::move(headers)]() mutable {
    self->WriteStreamHeader(status, content_type, std::move(headers));
  });
}

void HttpConnection::WriteStreamHeader(int status, const std::string& content_type,
                                       HttpHeaders headers) {
  if (closed_on_strand_) return;
  auto message = std::make_shared<bhttp::response<bhttp::empty_body>>(
      static_cast<bhttp::status>(status), version_);
  message->set(bhttp::field::content_type, content_type);
  for (auto& [name, value] : headers) message->insert(name, value);
  // HTTP/1.0 has no chunks: the body runs until the connection closes.
  if (chunked_) {
    message->chunked(true);
  } else {
    keep_alive_ = false;
  }
  message->keep_alive(keep_alive_ && !stopping_);
  auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*message);
  write_in_flight_ = true;
  stream_.expires_after(options_.write_timeout);
  bhttp::async_write_header(
      stream_, *serializer,
      [self = shared_from_this(), message, serializer](beast::error_code error, size_t) {
        self->write_in_flight_ = false;
        if (error) {
          self->Close();
          return;
        }
        self->keep_alive_ = message->keep_alive();
        self->stream_started_ = true;
        self->Flush();
      });
}

bool HttpConnection::Write(uint64_t serial, std::string data) {
  std::unique_lock<std::mutex> lock(mu_);
  if (serial != answer_serial_ || stream_ended_) return !closed_;
  const size_t limit = static_cast<size_t>(options_.max_stream_buffer_bytes);
  // Backpressure: the producer waits for the socket. A client that reads nothing for
  // write_timeout is closed by the pending write's deadline, which wakes this.
  drained_.wait(lock, [&] { return closed_ || pending_.size() < limit; });
  if (closed_) return false;
  if (data.empty()) return true;
  pending_.append(data);
  if (!flush_posted_) {
    flush_posted_ = true;
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Flush(); });
  }
  return true;
}

void HttpConnection::EndStream(uint64_t serial) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (serial != answer_serial_ || stream_ended_ || closed_) return;
    stream_ended_ = true;
    if (flush_posted_) return;
    flush_posted_ = true;
  }
  net::post(stream_.get_executor(), [self = shared_from_this()] { self->Flush(); });
}

void HttpConnection::Flush() {
  if (closed_on_strand_ || !stream_started_ || write_in_flight_) return;
  auto data = std::make_shared<std::string>();
  bool ended = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    flush_posted_ = false;
    data->swap(pending_);
    ended = stream_ended_;
  }
  drained_.notify_all();
  if (data->empty() && !ended) return;
  auto on_written = [self = shared_from_this(), data, ended](beast::error_code error, size_t) {
    self->write_in_flight_ = false;
    if (error) {
      self->Close();
      return;
    }
    bool more = false;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      more = !self->pending_.empty() || (self->stream_ended_ && !ended);
    }
    if (more) {
      self->Flush();
    } else if (ended) {
      self->FinishAnswer(self->keep_alive_);
    }
  };
  write_in_flight_ = true;
  stream_.expires_after(options_.write_timeout);
  if (!chunked_) {
    net::async_write(stream_, net::buffer(*data), std::move(on_written));
  } else if (ended && data->empty()) {
    net::async_write(stream_, bhttp::make_chunk_last(), std::move(on_written));
  } else if (ended) {
    // The last bytes and the end of the stream in one write.
    *data = absl::StrCat(absl::Hex(data->size()), "\r\n", *data, "\r\n0\r\n\r\n");
    net::async_write(stream_, net::buffer(*data), std::move(on_written));
  } else {
    net::async_write(stream_, bhttp::make_chunk(net::buffer(*data)), std::move(on_written));
  }
}

void HttpConnection::FinishAnswer(bool keep_alive) {
  busy_ = false;
  stream_started_ = false;
  if (linger_) {
    LingerThenClose();
    return;
  }
  if (!keep_alive || stopping_) {
    Close();
    return;
  }
  // Ends the disconnect watch; nothing else is pending on the socket now.
  beast::error_code ignored;
  stream_.socket().cancel(ignored);
  WaitForRequest();
}

void HttpConnection::LingerThenClose() {
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(kLingerTime);
  buffer_.clear();
  Discard();
}

void HttpConnection::Discard() {
  stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                          [self = shared_from_this()](beast::error_code error, size_t bytes) {
                            self->discarded_bytes_ += static_cast<int64_t>(bytes);
                            // The client's close (EOF), the deadline, or enough.
                            if (error || self->discarded_bytes_ > kLingerBytes) {
                              self->Close();
                              return;
                            }
                            self->Discard();
                          });
}

void HttpConnection::Close() {
  if (closed_on_strand_) return;
  closed_on_strand_ = true;
  std::shared_ptr<CancellationToken> client_gone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (busy_) client_gone = client_gone_;
  }
  // Cancelled before Write can see closed_ and fail: a handler whose Write failed always
  // finds client_gone cancelled (under load the writer used to win that race).
  if (client_gone) client_gone->Cancel();
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  drained_.notify_all();
  beast::error_code ignored;
  request_timer_.cancel();
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
  if (on_close_) std::exchange(on_close_, nullptr)();
}

}  // namespace cascade::http
