// Fuzzes the tier worker's OpenAI wire format (services/tier_worker/openai_protocol): a
// whole chat completion, a streamed one (one SSE data payload per line), and the request
// body built from a fuzzed CompleteRequest. The first byte picks which.
#include "services/tier_worker/openai_protocol.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

namespace tw = cascade::tier_worker;

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

// What every parsed answer must satisfy, whatever the upstream sent.
void CheckResponse(const cascade::v1::CompleteResponse& response) {
  Check(response.usage().prompt_tokens() >= 0);
  Check(response.usage().completion_tokens() >= 0);
  for (const auto& token : response.logprobs()) {
    Check(token.token_id() >= -1);
    for (const auto& top : token.top()) Check(top.token_id() >= -1);
  }
  std::string wire;
  Check(response.SerializeToString(&wire));
}

void Whole(const std::string& body) {
  auto response = tw::ParseChatCompletion(body);
  if (response.ok()) CheckResponse(*response);
}

void Stream(const std::string& payloads) {
  tw::ChatStreamAssembler assembler;
  size_t start = 0;
  while (start <= payloads.size()) {
    size_t end = payloads.find('\n', start);
    if (end == std::string::npos) end = payloads.size();
    auto chunk = assembler.AddEvent(absl::string_view(payloads).substr(start, end - start));
    if (!chunk.ok()) break;
    start = end + 1;
  }
  CheckResponse(assembler.response());
}

void Build(FuzzedDataProvider& provider) {
  cascade::v1::CompleteRequest request;
  const int messages = provider.ConsumeIntegralInRange(0, 3);
  for (int i = 0; i < messages; ++i) {
    auto* message = request.add_messages();
    message->set_role(provider.ConsumeRandomLengthString(16));
    message->set_content(provider.ConsumeRandomLengthString(64));
  }
  auto* params = request.mutable_params();
  params->set_max_tokens(provider.ConsumeIntegral<int32_t>());
  params->set_temperature(provider.ConsumeFloatingPoint<float>());
  params->set_top_p(provider.ConsumeFloatingPoint<float>());
  params->set_top_k(provider.ConsumeIntegral<int32_t>());
  if (provider.ConsumeBool()) params->set_seed(provider.ConsumeIntegral<uint64_t>());
  const int stops = provider.ConsumeIntegralInRange(0, 4);
  for (int i = 0; i < stops; ++i) params->add_stop(provider.ConsumeRandomLengthString(8));
  params->set_logprobs(provider.ConsumeBool());
  params->set_top_logprobs(provider.ConsumeIntegral<int32_t>());
  params->mutable_response_format()->set_type(
      static_cast<cascade::v1::ResponseFormat::Type>(provider.ConsumeIntegralInRange(0, 3)));
  tw::ChatRequestOptions options;
  options.model = provider.ConsumeRandomLengthString(16);
  options.stream = provider.ConsumeBool();
  options.upstream_supports_logprobs = provider.ConsumeBool();
  params->mutable_response_format()->set_json_schema(provider.ConsumeRemainingBytesAsString());

  auto body = tw::BuildChatCompletionBody(request, options);
  if (!body.ok()) return;
  // Always JSON, whatever bytes the strings held.
  auto parsed = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  Check(parsed.is_object() && parsed.contains("model") && parsed.contains("messages"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      Whole(rest);
      break;
    case 1:
      Stream(rest);
      break;
    default: {
      FuzzedDataProvider provider(data + 1, size - 1);
      Build(provider);
    }
  }
  return 0;
}
