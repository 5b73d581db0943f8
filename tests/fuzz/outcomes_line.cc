// Fuzzes the outcomes format's reader (common/outcomes): any bytes as one line must give a
// record or an error, never a crash; a record it accepts holds only what the format allows
// (known roles, UTF-8 content, counts >= 0, probabilities in [0, 1], logprobs <= 0).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/outcomes/outcomes.h"
#include "common/text/utf8.h"
#include "common/validation/chat_messages.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckUsage(const cascade::v1::Usage& usage) {
  Check(usage.prompt_tokens() >= 0 && usage.completion_tokens() >= 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  auto record = cascade::outcomes::ParseOutcomeLine(line);
  if (!record.ok()) {
    Check(!record.status().message().empty());
    return 0;
  }
  google::protobuf::RepeatedPtrField<cascade::v1::ChatMessage> messages(record->messages.begin(),
                                                                        record->messages.end());
  Check(cascade::ValidateChatMessages(messages).ok());
  Check(!record->models.empty());
  for (const auto& [name, outcome] : record->models) {
    Check(record->Find(name) != nullptr);
    Check(cascade::IsValidUtf8(outcome.answer));
    CheckUsage(outcome.usage);
    if (outcome.quality) Check(*outcome.quality >= 0 && *outcome.quality <= 1);
    for (const auto& token : outcome.logprobs) Check(token.logprob() <= 0);
    if (outcome.self_check) {
      Check(outcome.self_check->p_yes >= 0 && outcome.self_check->p_yes <= 1);
      CheckUsage(outcome.self_check->usage);
    }
    if (outcome.latency_ms) Check(*outcome.latency_ms >= 0);
  }
  Check(cascade::outcomes::MessagesKey(record->messages) ==
        cascade::outcomes::MessagesKey(record->messages));
  return 0;
}
