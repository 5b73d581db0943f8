#include "services/tier_worker/tier_worker_config.h"

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config/config_loader.h"
#include "common/config/proto_duration.h"
#include "common/security/grpc_security.h"
#include "services/tier_worker/inference_backend.h"
#include "services/tier_worker/openai_backend.h"
#include "services/tier_worker/replay_backend.h"

namespace cascade::tier_worker {
namespace {

using cascade::v1::TierWorkerConfig;

absl::Status ConfigError(absl::string_view message) {
  return absl::FailedPreconditionError(message);
}

absl::StatusOr<PriceTable> LoadPriceTable(const TierWorkerConfig& config) {
  if (config.price_table_file().empty()) return PriceTable::Builtin();
  std::ifstream file(config.price_table_file());
  if (!file) {
    return ConfigError(
        absl::StrCat("price_table_file: cannot read '", config.price_table_file(), "'"));
  }
  std::stringstream text;
  text << file.rdbuf();
  auto table = PriceTable::FromJson(text.str(), config.price_table_file());
  if (!table.ok()) return ConfigError(table.status().message());
  return table;
}

absl::StatusOr<std::unique_ptr<Backend>> BuildOpenAIBackend(
    const cascade::v1::OpenAIBackendConfig& config, const http::RetryOptions& retry) {
  if (!absl::StartsWith(config.base_url(), "http://") &&
      !absl::StartsWith(config.base_url(), "https://")) {
    return ConfigError(absl::StrCat("openai.base_url '", config.base_url(),
                                    "' must start with http:// or https://"));
  }
  if (config.model().empty()) return ConfigError("openai.model must not be empty");
  OpenAIBackendOptions options;
  options.base_url = config.base_url();
  options.model = config.model();
  if (!config.api_key_env().empty()) {
    auto key = ReadSecretFromEnv(config.api_key_env());
    if (!key.ok()) return ConfigError(absl::StrCat("openai.api_key_env: ", key.status().message()));
    options.api_key = *std::move(key);
  }
  options.supports_logprobs = !config.has_supports_logprobs() || config.supports_logprobs();
  options.supports_tools = !config.has_supports_tools() || config.supports_tools();
  options.supports_images = config.supports_images();
  if (config.api_style() != "" && config.api_style() != "chat" &&
      config.api_style() != "reasoning") {
    return ConfigError(absl::StrCat("openai.api_style '", config.api_style(),
                                    "' must be \"chat\" or \"reasoning\""));
  }
  options.reasoning = config.api_style() == "reasoning";
  if (config.has_connect_timeout()) {
    options.connect_timeout = DurationFromProto(config.connect_timeout());
    if (options.connect_timeout <= absl::ZeroDuration()) {
      return ConfigError("openai.connect_timeout must be > 0");
    }
  }
  options.retry = retry;
  return std::make_unique<OpenAIBackend>(std::move(options));
}

absl::StatusOr<std::unique_ptr<Backend>> BuildInferenceBackend(
    const cascade::v1::InferenceBackendConfig& config, const http::RetryOptions& retry) {
  if (config.endpoint().address().empty()) {
    return ConfigError("inference.endpoint.address must not be empty");
  }
  if (config.model().empty()) return ConfigError("inference.model must not be empty");
  InferenceBackendOptions options;
  auto channel = ChannelFromConfig(config.endpoint(), "inference.endpoint");
  if (!channel.ok()) return channel.status();
  options.channel = *std::move(channel);
  options.model = config.model();
  options.default_speculation = config.speculation();
  options.retry = retry;
  return std::make_unique<InferenceBackend>(std::move(options));
}

}  // namespace

absl::StatusOr<http::RetryOptions> RetryOptionsFromConfig(const cascade::v1::RetryConfig& config) {
  http::RetryOptions options;
  if (config.max_retries() < 0 || config.max_retries() > 10) {
    return ConfigError("retry.max_retries must be in [0, 10]");
  }
  if (config.has_max_retries()) options.max_retries = config.max_retries();
  if (config.has_initial_backoff())
    options.initial_backoff = DurationFromProto(config.initial_backoff());
  if (config.has_max_backoff()) options.max_backoff = DurationFromProto(config.max_backoff());
  if (options.initial_backoff <= absl::ZeroDuration()) {
    return ConfigError("retry.initial_backoff must be > 0");
  }
  if (options.max_backoff < options.initial_backoff) {
    return ConfigError("retry.max_backoff must be >= retry.initial_backoff");
  }
  return options;
}

absl::StatusOr<RequestLimits> RequestLimitsFromConfig(
    const cascade::v1::RequestLimitsConfig& config) {
  RequestLimits limits;
  if (config.max_messages() < 0) return ConfigError("limits.max_messages must be >= 0");
  if (config.max_content_bytes() < 0) return ConfigError("limits.max_content_bytes must be >= 0");
  if (config.max_messages() > 0) limits.max_messages = config.max_messages();
  if (config.max_content_bytes() > 0) limits.max_content_bytes = config.max_content_bytes();
  return limits;
}

std::string ConfiguredModel(const TierWorkerConfig& config) {
  switch (config.backend_case()) {
    case TierWorkerConfig::kOpenai:
      return config.openai().model();
    case TierWorkerConfig::kInference:
      return config.inference().model();
    case TierWorkerConfig::kReplay:
      return config.replay().model();
    default:
      return "";
  }
}

absl::StatusOr<ModelPrice> ResolvePrice(const TierWorkerConfig& config, const PriceTable& table) {
  if (config.has_price()) {
    const auto& price = config.price();
    if (!price.has_input_usd_per_mtok() || !price.has_output_usd_per_mtok()) {
      return ConfigError(
          "price: set both input_usd_per_mtok and output_usd_per_mtok (0 is a price; a "
          "missing one is not)");
    }
    auto input = UsdPerMtokToMicroUsd(price.input_usd_per_mtok(), "price.input_usd_per_mtok");
    if (!input.ok()) return ConfigError(input.status().message());
    auto output = UsdPerMtokToMicroUsd(price.output_usd_per_mtok(), "price.output_usd_per_mtok");
    if (!output.ok()) return ConfigError(output.status().message());
    return ModelPrice{*input, *output};
  }
  auto price = table.Lookup(ConfiguredModel(config));
  if (!price.ok()) return ConfigError(price.status().message());
  return price;
}

absl::Duration DefaultTimeout(const TierWorkerConfig& config) {
  if (config.has_default_timeout()) return DurationFromProto(config.default_timeout());
  if (config.has_inference() && config.inference().endpoint().has_timeout()) {
    return DurationFromProto(config.inference().endpoint().timeout());
  }
  return absl::Seconds(60);
}

namespace {

absl::StatusOr<std::unique_ptr<Backend>> BuildBackend(const TierWorkerConfig& config,
                                                      const http::RetryOptions& retry) {
  switch (config.backend_case()) {
    case TierWorkerConfig::kOpenai:
      return BuildOpenAIBackend(config.openai(), retry);
    case TierWorkerConfig::kInference:
      return BuildInferenceBackend(config.inference(), retry);
    case TierWorkerConfig::kReplay: {
      auto replay = ReplayBackend::Load({config.replay().outcomes(), config.replay().model()});
      if (!replay.ok()) return replay.status();
      return std::unique_ptr<Backend>(*std::move(replay));
    }
    default:
      return ConfigError("no backend: set 'openai', 'inference' or 'replay'");
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<TierWorker>> BuildTierWorker(const TierWorkerConfig& config,
                                                            prometheus::Registry* registry) {
  if (config.backend_case() == TierWorkerConfig::BACKEND_NOT_SET) {
    return ConfigError("no backend: set 'openai', 'inference' or 'replay'");
  }
  if (config.max_concurrency() < 0) return ConfigError("max_concurrency must be >= 0");
  if (DefaultTimeout(config) <= absl::ZeroDuration()) {
    return ConfigError("default_timeout must be > 0");
  }
  auto retry = RetryOptionsFromConfig(config.retry());
  if (!retry.ok()) return retry.status();
  auto limits = RequestLimitsFromConfig(config.limits());
  if (!limits.ok()) return limits.status();
  auto table = LoadPriceTable(config);
  if (!table.ok()) return table.status();
  auto price = ResolvePrice(config, *table);
  if (!price.ok()) return price.status();

  absl::StatusOr<std::unique_ptr<Backend>> backend = BuildBackend(config, *retry);
  if (!backend.ok()) return backend.status();

  TierWorkerOptions options;
  options.tier = config.tier().empty() ? "default" : config.tier();
  options.price = *price;
  options.limits = *limits;
  if (config.max_concurrency() > 0) options.max_concurrency = config.max_concurrency();
  options.self_check.prompt = config.self_check().prompt();
  if (auto valid = ValidateSelfCheckOptions(options.self_check); !valid.ok()) {
    return ConfigError(valid.message());
  }
  return std::make_unique<TierWorker>(std::move(options), *std::move(backend), registry);
}

}  // namespace cascade::tier_worker
