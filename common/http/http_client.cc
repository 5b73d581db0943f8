#include "common/http/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace cascade::http {

struct HttpClient::HandlePair {
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
  ~HandlePair() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (multi != nullptr) curl_multi_cleanup(multi);
  }
};

namespace {

// What the curl callbacks of one transfer write into.
struct Transfer {
  CURL* easy = nullptr;
  const HttpClientRequest* request = nullptr;
  HttpResult* result = nullptr;
  size_t max_body = 0;
  bool aborted_by_reader = false;
};

long ResponseCode(CURL* easy) {
  long code = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
  return code;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  long code = ResponseCode(transfer->easy);
  if (transfer->request->on_body && code >= 200 && code < 300) {
    transfer->result->body_delivered = true;
    if (!transfer->request->on_body(absl::string_view(data, bytes))) {
      transfer->aborted_by_reader = true;
      return 0;  // Makes curl fail the transfer with CURLE_WRITE_ERROR.
    }
    return bytes;
  }
  std::string& body = transfer->result->body;
  body.append(data,
              std::min(bytes, transfer->max_body - std::min(transfer->max_body, body.size())));
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  absl::string_view line(data, bytes);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new response (after 100 Continue or a redirect): forget the previous headers.
    transfer->result->headers.clear();
    return bytes;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return bytes;
  std::string name = absl::AsciiStrToLower(line.substr(0, colon));
  transfer->result->headers[name] = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  return bytes;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* transfer = static_cast<Transfer*>(user);
  const CancellationToken* cancel = transfer->request->cancel;
  return cancel != nullptr && cancel->IsCancelled() ? 1 : 0;
}

// `connected`: curl had a connection for this transfer (reused or new), so a timeout was the
// call's, never the connect timeout's.
HttpTransportError Classify(CURLcode code, const Transfer& transfer, absl::Time deadline,
                            bool connected) {
  switch (code) {
    case CURLE_OK:
      return HttpTransportError::kNone;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
      return HttpTransportError::kConnect;
    case CURLE_OPERATION_TIMEDOUT: {
      // curl's timer may fire a moment before `deadline` by our clock: ask whether it
      // was connected rather than compare times.
      if (connected || absl::Now() >= deadline) return HttpTransportError::kTimeout;
      // The connect timeout fired, not the call's deadline.
      return HttpTransportError::kConnect;
    }
    case CURLE_ABORTED_BY_CALLBACK:
      return HttpTransportError::kCancelled;
    case CURLE_WRITE_ERROR:
      return transfer.aborted_by_reader ? HttpTransportError::kAbortedByReader
                                        : HttpTransportError::kOther;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return HttpTransportError::kBrokenResponse;
    default:
      return HttpTransportError::kOther;
  }
}

long ClampMillis(absl::Duration duration) {
  // curl reads 0 as "no timeout"; a spent budget must still time out.
  return std::max<long>(1, static_cast<long>(absl::ToInt64Milliseconds(duration)));
}

}  // namespace

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {
  // Thread-safe since curl 7.84; the first client of the process initialises curl.
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)init;
}

HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient::HandlePair> HttpClient::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto pair = std::move(idle_.back());
      idle_.pop_back();
      return pair;
    }
  }
  auto pair = std::make_unique<HandlePair>();
  pair->multi = curl_multi_init();
  pair->easy = curl_easy_init();
  return pair;
}

void HttpClient::Release(std::unique_ptr<HandlePair> pair) {
  std::lock_guard<std::mutex> lock(mu_);
  if (static_cast<int>(idle_.size()) < options_.max_idle_handles) idle_.push_back(std::move(pair));
}

HttpResult HttpClient::Post(const HttpClientRequest& request) {
  HttpResult result;
  absl::Duration budget = request.deadline - absl::Now();
  if (budget <= absl::ZeroDuration()) {
    result.error = HttpTransportError::kTimeout;
    result.error_message = "the deadline passed before the request was sent";
    return result;
  }
  std::unique_ptr<HandlePair> pair = Acquire();
  if (pair->multi == nullptr || pair->easy == nullptr) {
    result.error = HttpTransportError::kOther;
    result.error_message = "curl could not allocate a handle";
    return result;
  }
  CURL* easy = pair->easy;
  // Resets options only: the pair's connection cache (in the multi handle) is kept.
  curl_easy_reset(easy);

  Transfer transfer{easy, &request, &result, options_.max_collected_body_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  for (const std::string& header : request.headers)
    headers = curl_slist_append(headers, header.c_str());
  // No "Expect: 100-continue" round trip before large bodies.
  headers = curl_slist_append(headers, "Expect:");

  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, ClampMillis(budget));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   ClampMillis(std::min(budget, request.connect_timeout)));
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &transfer);

  CURLM* multi = pair->multi;
  curl_multi_add_handle(multi, easy);
  CURLcode code = CURLE_OK;
  {
    // Wakes the poll below the moment the caller goes away.
    ScopedCancellationCallback wake(request.cancel, [multi] { curl_multi_wakeup(multi); });
    int running = 1;
    bool cancelled = false;
    while (true) {
      CURLMcode multi_code = curl_multi_perform(multi, &running);
      if (multi_code != CURLM_OK) {
        code = CURLE_FAILED_INIT;
        break;
      }
      if (running == 0) {
        int queued = 0;
        CURLMsg* message = curl_multi_info_read(multi, &queued);
        code = message != nullptr && message->msg == CURLMSG_DONE ? message->data.result
                                                                  : CURLE_FAILED_INIT;
        break;
      }
      if (request.cancel != nullptr && request.cancel->IsCancelled()) {
        cancelled = true;
        break;
      }
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    if (cancelled) {
      code = CURLE_ABORTED_BY_CALLBACK;
      // Removing a handle mid-transfer closes its connection: the upstream sees the
      // client go away and stops generating.
      snprintf(error_buffer, sizeof(error_buffer), "cancelled by the caller");
    }
  }
  curl_multi_remove_handle(multi, easy);
  curl_slist_free_all(headers);

  result.status = static_cast<int>(ResponseCode(easy));
  curl_off_t connect_time_us = 0;
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_time_us);
  const bool connected = connect_time_us > 0 || ResponseCode(easy) != 0;
  result.error = Classify(code, transfer, request.deadline, connected);
  if (result.error != HttpTransportError::kNone) {
    result.error_message =
        error_buffer[0] != '\0' ? std::string(error_buffer) : std::string(curl_easy_strerror(code));
    if (result.error == HttpTransportError::kCancelled)
      result.error_message = "cancelled by the caller";
  }
  // Options point at this call's memory; clear them before the handle is pooled.
  curl_easy_reset(easy);
  Release(std::move(pair));
  return result;
}

}  // namespace cascade::http
