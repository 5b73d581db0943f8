#pragma once

// One model's recorded answers from an outcomes file, found by conversation: what the
// replay tier worker answers from, and what `cascadectl policy` replays in-process. A
// conversation is matched by its messages, roles and contents, exactly.

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "cascade/v1/tier.pb.h"
#include "common/outcomes/outcomes.h"

namespace cascade::outcomes {

class RecordedAnswers {
 public:
  // FAILED_PRECONDITION when `model` answered none of the records. The first record of a
  // conversation answers it (a file may hold a query twice).
  static absl::StatusOr<RecordedAnswers> FromRecords(const std::vector<OutcomeRecord>& records,
                                                     const std::string& model);

  // The model's outcome for the conversation, or null.
  const ModelOutcome* Find(
      const google::protobuf::RepeatedPtrField<v1::ChatMessage>& messages) const;

  size_t size() const { return by_messages_.size(); }
  // Whether any answer came with token logprobs.
  bool has_logprobs() const { return has_logprobs_; }

 private:
  absl::flat_hash_map<std::string, ModelOutcome> by_messages_;  // By MessagesKey.
  bool has_logprobs_ = false;
};

// The recorded answer as a tier's response: its text, finish reason STOP, its token
// logprobs when asked for, its usage and the model. Cost, latency and tier are the
// caller's to set.
v1::CompleteResponse RecordedResponse(const ModelOutcome& outcome, const std::string& model,
                                      bool with_logprobs);

// The recorded self-check as a tier reports one (source "recorded", p_yes, usage; cost
// is the caller's to set); nullopt when none was recorded.
std::optional<v1::SelfCheck> RecordedSelfCheck(const ModelOutcome& outcome);

// "2 message(s), the last user message \"...\"": what a NOT_FOUND names.
std::string DescribeConversation(
    const google::protobuf::RepeatedPtrField<v1::ChatMessage>& messages);

}  // namespace cascade::outcomes
