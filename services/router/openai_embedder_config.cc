#include "services/router/openai_embedder_config.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/config/config_loader.h"
#include "common/config/proto_duration.h"

namespace cascade::router {

absl::Status ApplyOpenAIEmbedderConfig(const cascade::v1::OpenAIEmbedderConfig& config,
                                       absl::string_view field, OpenAIEmbedderOptions& options) {
  const auto error = [field](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".", what));
  };
  options.base_url = config.base_url();
  options.model = config.model();
  if (!config.api_key_env().empty()) {
    absl::StatusOr<std::string> key = ReadSecretFromEnv(config.api_key_env());
    if (!key.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(field, ".api_key_env: ", key.status().message()));
    }
    options.api_key = *std::move(key);
  }
  if (config.dimensions() < 0 || config.dimensions() > 65536) {
    return error(absl::StrCat("dimensions ", config.dimensions(), " is outside [0, 65536]"));
  }
  options.dimensions = static_cast<size_t>(config.dimensions());
  if (config.batch_size() < 0 || config.batch_size() > 2048) {
    return error(absl::StrCat("batch_size ", config.batch_size(), " is outside [1, 2048]"));
  }
  if (config.batch_size() > 0) options.batch_size = static_cast<size_t>(config.batch_size());
  if (config.cache_size() < 0) return error("cache_size must be >= 0");
  if (config.has_cache_size()) options.cache_size = static_cast<size_t>(config.cache_size());
  if (config.has_timeout()) options.timeout = DurationFromProto(config.timeout());
  if (options.timeout <= absl::ZeroDuration()) return error("timeout must be > 0");
  if (config.has_connect_timeout())
    options.connect_timeout = DurationFromProto(config.connect_timeout());
  if (options.connect_timeout <= absl::ZeroDuration()) return error("connect_timeout must be > 0");
  const cascade::v1::RetryConfig& retry = config.retry();
  if (retry.max_retries() < 0 || retry.max_retries() > 10) {
    return error("retry.max_retries must be in [0, 10]");
  }
  if (retry.has_max_retries()) options.retry.max_retries = retry.max_retries();
  if (retry.has_initial_backoff())
    options.retry.initial_backoff = DurationFromProto(retry.initial_backoff());
  if (retry.has_max_backoff()) options.retry.max_backoff = DurationFromProto(retry.max_backoff());
  if (options.retry.initial_backoff <= absl::ZeroDuration()) {
    return error("retry.initial_backoff must be > 0");
  }
  if (options.retry.max_backoff < options.retry.initial_backoff) {
    return error("retry.max_backoff must be >= retry.initial_backoff");
  }
  return absl::OkStatus();
}

}  // namespace cascade::router
