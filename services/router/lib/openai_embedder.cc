#include "services/router/lib/openai_embedder.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/http/upstream_errors.h"

namespace cascade::router {
namespace {

void Normalize(float* row, size_t dimension) {
  double squared = 0.0;
  for (size_t d = 0; d < dimension; ++d) squared += double{row[d]} * row[d];
  if (squared <= 0.0) return;
  const auto scale = static_cast<float>(1.0 / std::sqrt(squared));
  for (size_t d = 0; d < dimension; ++d) row[d] *= scale;
}

}  // namespace

absl::StatusOr<std::shared_ptr<OpenAIEmbedder>> OpenAIEmbedder::Create(
    OpenAIEmbedderOptions options) {
  if (options.base_url.empty()) {
    return absl::InvalidArgumentError("openai embedder: base_url is empty");
  }
  if (options.model.empty()) return absl::InvalidArgumentError("openai embedder: model is empty");
  if (options.batch_size == 0) {
    return absl::InvalidArgumentError("openai embedder: batch_size must be >= 1");
  }
  return std::shared_ptr<OpenAIEmbedder>(new OpenAIEmbedder(std::move(options)));
}

OpenAIEmbedder::OpenAIEmbedder(OpenAIEmbedderOptions options)
    : options_(std::move(options)),
      url_(absl::StrCat(absl::StripSuffix(options_.base_url, "/"), "/embeddings")),
      retry_policy_(options_.retry, options_.random),
      http_(options_.http),
      dimension_(options_.dimensions) {}

EmbedderFactory OpenAIEmbedder::Factory(std::shared_ptr<const OpenAIEmbedder> embedder) {
  return
      [embedder](absl::Span<const std::string>) -> absl::StatusOr<std::shared_ptr<const Embedder>> {
        return embedder;
      };
}

absl::StatusOr<Embeddings> OpenAIEmbedder::Embed(absl::Span<const std::string> texts) const {
  Embeddings result;
  // Rows from the cache first; the others are fetched in batches, in order.
  std::vector<size_t> missing;
  std::vector<std::vector<float>> cached(texts.size());
  const size_t known_dimension = dimension_.load();
  if (options_.cache_size > 0 && known_dimension > 0) {
    for (size_t i = 0; i < texts.size(); ++i) {
      cached[i].resize(known_dimension);
      if (!CacheLookup(texts[i], cached[i].data())) {
        cached[i].clear();
        missing.push_back(i);
      }
    }
  } else {
    for (size_t i = 0; i < texts.size(); ++i) missing.push_back(i);
  }

  std::vector<float> fetched;
  for (size_t start = 0; start < missing.size(); start += options_.batch_size) {
    const size_t end = std::min(missing.size(), start + options_.batch_size);
    std::vector<const std::string*> batch;
    for (size_t i = start; i < end; ++i) batch.push_back(&texts[missing[i]]);
    if (absl::Status status = EmbedBatch(batch, &fetched); !status.ok()) return status;
  }

  result.dimension = dimension_.load();
  result.dense.resize(texts.size() * result.dimension);
  size_t next_fetched = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    float* row = result.row(i);
    if (!cached[i].empty()) {
      std::copy(cached[i].begin(), cached[i].end(), row);
      continue;
    }
    std::copy_n(fetched.data() + next_fetched * result.dimension, result.dimension, row);
    ++next_fetched;
    // Queries (one text) are what repeats; an index build would only flush the cache.
    if (options_.cache_size > 0 && texts.size() == 1) CacheInsert(texts[i], row);
  }
  return result;
}

absl::Status OpenAIEmbedder::EmbedBatch(absl::Span<const std::string* const> texts,
                                        std::vector<float>* out) const {
  nlohmann::json body = {{"model", options_.model}, {"encoding_format", "float"}};
  nlohmann::json& input = body["input"] = nlohmann::json::array();
  for (const std::string* text : texts) input.push_back(*text);
  if (options_.dimensions > 0) body["dimensions"] = options_.dimensions;
  const std::string serialized =
      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  const absl::Time deadline = options_.clock->Now() + options_.timeout;
  for (int retries = 0;; ++retries) {
    std::optional<http::RetryableFailure> retryable;
    absl::Status status = TryOnce(serialized, texts.size(), deadline, out, &retryable);
    if (status.ok()) return status;
    if (!options_.api_key.empty()) {
      status = absl::Status(status.code(), http::RedactSecret(status.message(), options_.api_key));
    }
    if (!retryable.has_value()) return status;
    auto backoff = retry_policy_.NextBackoff(retries, *retryable, options_.clock->Now(), deadline);
    if (!backoff.has_value()) {
      if (retries == 0) return status;
      return absl::Status(status.code(),
                          absl::StrCat(status.message(), " (after ", retries, " retries)"));
    }
    if (options_.on_retry) options_.on_retry(retryable->reason);
    options_.clock->SleepFor(*backoff, nullptr);
  }
}

absl::Status OpenAIEmbedder::TryOnce(const std::string& body, size_t count, absl::Time deadline,
                                     std::vector<float>* out,
                                     std::optional<http::RetryableFailure>* retry) const {
  http::HttpClientRequest request;
  request.url = url_;
  request.headers = {"Content-Type: application/json", "Accept: application/json"};
  if (!options_.api_key.empty()) {
    request.headers.push_back(absl::StrCat("Authorization: Bearer ", options_.api_key));
  }
  request.body = body;
  request.deadline = deadline;
  request.connect_timeout = options_.connect_timeout;
  requests_.fetch_add(1);
  http::HttpResult result = http_.Post(request);
  const std::string where = absl::StrCat("embedding endpoint ", url_);
  switch (result.error) {
    case http::HttpTransportError::kNone:
      break;
    case http::HttpTransportError::kConnect:
      *retry = http::RetryableFailure{http::RetryReason::kConnectError, std::nullopt};
      return absl::UnavailableError(
          absl::StrCat("cannot connect to the ", where, ": ", result.error_message));
    case http::HttpTransportError::kBrokenResponse:
      *retry = http::RetryableFailure{http::RetryReason::kServerError, std::nullopt};
      return absl::UnavailableError(
          absl::StrCat("the ", where, " broke the connection: ", result.error_message));
    case http::HttpTransportError::kTimeout:
      return absl::DeadlineExceededError(absl::StrCat("the ", where, " did not answer within ",
                                                      absl::FormatDuration(options_.timeout)));
    default:
      return absl::UnavailableError(
          absl::StrCat("calling the ", where, " failed: ", result.error_message));
  }
  if (result.status < 200 || result.status >= 300) {
    auto reason = http::RetryReasonForHttp(result.status);
    if (reason.has_value()) {
      *retry = http::RetryableFailure{*reason,
                                      http::ParseRetryAfter(result.headers, options_.clock->Now())};
    }
    return absl::Status(http::StatusCodeForHttp(result.status),
                        absl::StrCat("the ", where, " answered HTTP ", result.status, ": ",
                                     http::UpstreamErrorMessage(result.body)));
  }
  return ParseAnswer(result.body, count, out);
}

absl::Status OpenAIEmbedder::ParseAnswer(const std::string& body, size_t count,
                                         std::vector<float>* out) const {
  const auto malformed = [&](absl::string_view what) {
    return absl::InternalError(
        absl::StrCat("the embedding endpoint ", url_, " answered malformed JSON: ", what));
  };
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return malformed("not a JSON object");
  auto data = parsed.find("data");
  if (data == parsed.end() || !data->is_array()) return malformed("no `data` array");
  if (data->size() != count) {
    return malformed(absl::StrCat(data->size(), " embeddings for ", count, " inputs"));
  }
  // Rows by `index` (the API does not promise order); absent index = position.
  std::vector<const nlohmann::json*> rows(count, nullptr);
  for (size_t i = 0; i < count; ++i) {
    const nlohmann::json& item = (*data)[i];
    if (!item.is_object()) return malformed("a `data` item is not an object");
    size_t index = i;
    if (auto it = item.find("index"); it != item.end()) {
      if (!it->is_number_unsigned() || it->get<size_t>() >= count) {
        return malformed("a `data` item has a bad `index`");
      }
      index = it->get<size_t>();
    }
    auto embedding = item.find("embedding");
    if (embedding == item.end() || !embedding->is_array() || embedding->empty()) {
      return malformed("a `data` item has no `embedding` array (is encoding_format float?)");
    }
    if (rows[index] != nullptr) return malformed("two `data` items have the same `index`");
    rows[index] = &*embedding;
  }
  for (const nlohmann::json* row : rows) {
    const size_t length = row->size();
    size_t expected = dimension_.load();
    if (expected == 0) {
      // The first answer fixes the dimension for the life of the embedder.
      size_t zero = 0;
      dimension_.compare_exchange_strong(zero, length);
      expected = dimension_.load();
    }
    if (length != expected) {
      return absl::InternalError(
          absl::StrCat("the embedding endpoint ", url_, " returned a vector of ", length,
                       " dimensions, expected ", expected, " (did the model behind it change?)"));
    }
    const size_t offset = out->size();
    out->resize(offset + length);
    for (size_t d = 0; d < length; ++d) {
      const nlohmann::json& value = (*row)[d];
      if (!value.is_number()) return malformed("an embedding holds a non-number");
      (*out)[offset + d] = value.get<float>();
    }
    Normalize(out->data() + offset, length);
  }
  return absl::OkStatus();
}

bool OpenAIEmbedder::CacheLookup(const std::string& text, float* row) const {
  std::lock_guard<std::mutex> lock(cache_mu_);
  auto it = cache_.find(text);
  if (it == cache_.end()) return false;
  cache_order_.splice(cache_order_.begin(), cache_order_, it->second);
  std::copy(it->second->vector.begin(), it->second->vector.end(), row);
  return true;
}

void OpenAIEmbedder::CacheInsert(const std::string& text, const float* row) const {
  const size_t dimension = dimension_.load();
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (cache_.contains(text)) return;
  cache_order_.push_front({text, std::vector<float>(row, row + dimension)});
  cache_.emplace(text, cache_order_.begin());
  if (cache_order_.size() > options_.cache_size) {
    cache_.erase(cache_order_.back().text);
    cache_order_.pop_back();
  }
}

}  // namespace cascade::router
