#include "common/http_server/async_http_server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/http_server/http_connection.h"

namespace cascade::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string HttpRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

struct AsyncHttpServer::Impl {
  AsyncHttpServerOptions options;
  HttpHandler* handler = nullptr;
  net::io_context io{};
  net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(io);
  tcp::acceptor acceptor{io};
  int port = 0;
  std::vector<std::thread> threads;

  std::mutex mu;
  std::condition_variable all_closed;
  std::map<uint64_t, std::weak_ptr<HttpConnection>> connections;  // Open ones, by id.
  uint64_t next_id = 0;
  bool accepting = true;
  bool stopped = false;

  void Accept() {
    acceptor.async_accept(net::make_strand(io),
                          [this](boost::system::error_code error, tcp::socket socket) {
                            if (error == net::error::operation_aborted) return;  // StopAccepting.
                            if (!error) Open(std::move(socket));
                            // Other errors (EMFILE, a reset before accept) lose one connection, not
                            // the server.
                            std::lock_guard<std::mutex> lock(mu);
                            if (accepting) Accept();
                          });
  }

  void Open(tcp::socket socket) {
    std::lock_guard<std::mutex> lock(mu);
    const uint64_t id = next_id++;
    const bool over_cap = static_cast<int>(connections.size()) >= options.max_connections;
    auto connection =
        std::make_shared<HttpConnection>(std::move(socket), options, handler, over_cap, [this, id] {
          std::lock_guard<std::mutex> lock(mu);
          connections.erase(id);
          if (connections.empty()) all_closed.notify_all();
        });
    // Over the cap, a connection is still tracked (it holds a socket) but briefly: it
    // answers one 429 and closes.
    connections[id] = connection;
    if (!accepting) connection->CloseWhenIdle();
    connection->Start();
  }

  std::vector<std::shared_ptr<HttpConnection>> Live() {
    std::vector<std::shared_ptr<HttpConnection>> live;
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [id, weak] : connections) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
    return live;
  }
};

AsyncHttpServer::AsyncHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<AsyncHttpServer>> AsyncHttpServer::Start(
    const AsyncHttpServerOptions& options, HttpHandler* handler) {
  if (options.io_threads <= 0 || options.max_connections <= 0 || options.max_header_bytes <= 0 ||
      options.max_body_bytes <= 0 || options.max_stream_buffer_bytes <= 0) {
    return absl::InvalidArgumentError(
        "io_threads, max_connections, max_header_bytes, max_body_bytes and "
        "max_stream_buffer_bytes must be positive");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = handler;
  boost::system::error_code error;
  const auto address = net::ip::make_address(options.host, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", options.host, "' is not an IP address: ", error.message()));
  }
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
  impl->acceptor.open(endpoint.protocol(), error);
  if (!error) impl->acceptor.set_option(net::socket_base::reuse_address(true), error);
  if (!error) impl->acceptor.bind(endpoint, error);
  if (!error) impl->acceptor.listen(net::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.host, ":", options.port, ": ", error.message()));
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->Accept();
  for (int i = 0; i < options.io_threads; ++i) {
    impl->threads.emplace_back([io = &impl->io] { io->run(); });
  }
  return std::unique_ptr<AsyncHttpServer>(new AsyncHttpServer(std::move(impl)));
}

int AsyncHttpServer::port() const { return impl_->port; }

int AsyncHttpServer::open_connections() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return static_cast<int>(impl_->connections.size());
}

void AsyncHttpServer::StopAccepting() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (!impl_->accepting) return;
    impl_->accepting = false;
  }
  net::post(impl_->io, [impl = impl_.get()] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
  });
  for (auto& connection : impl_->Live()) connection->CloseWhenIdle();
}

bool AsyncHttpServer::WaitForConnectionsUntil(std::chrono::system_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->all_closed.wait_until(lock, deadline, [&] { return impl_->connections.empty(); });
}

void AsyncHttpServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  StopAccepting();
  for (auto& connection : impl_->Live()) connection->CloseNow();
  // With every socket closed the loop runs out of work and its threads return.
  impl_->work.reset();
  for (std::thread& thread : impl_->threads) thread.join();
}

AsyncHttpServer::~AsyncHttpServer() { Stop(); }

}  // namespace cascade::http
