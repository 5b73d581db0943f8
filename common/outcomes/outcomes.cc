#include "common/outcomes/outcomes.h"

#include <cmath>
#include <fstream>
#include <initializer_list>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/validation/chat_messages.h"
#include "nlohmann/json.hpp"

namespace cascade::outcomes {
namespace {

// Ordered: a record keeps its models in the file's order (the ladder's).
using json = nlohmann::ordered_json;

absl::Status Bad(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", what));
}

absl::Status OnlyKeys(const json& object, absl::string_view field,
                      std::initializer_list<absl::string_view> allowed) {
  if (!object.is_object()) return Bad(field, "must be an object");
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (absl::string_view name : allowed) known |= key == name;
    if (!known) {
      return Bad(field.empty() ? key : absl::StrCat(field, ".", key),
                 "is not a field of the outcomes format");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Count(const json& object, absl::string_view name, absl::string_view field) {
  auto it = object.find(std::string(name));
  const std::string path = absl::StrCat(field, ".", name);
  if (it == object.end()) return Bad(path, "is missing");
  if (!it->is_number_integer() || it->get<int64_t>() < 0)
    return Bad(path, "must be an integer >= 0");
  return it->get<int64_t>();
}

absl::StatusOr<v1::Usage> UsageFrom(const json& usage, const std::string& field) {
  if (absl::Status keys = OnlyKeys(usage, field, {"prompt_tokens", "completion_tokens"});
      !keys.ok()) {
    return keys;
  }
  auto prompt = Count(usage, "prompt_tokens", field);
  if (!prompt.ok()) return prompt.status();
  auto completion = Count(usage, "completion_tokens", field);
  if (!completion.ok()) return completion.status();
  v1::Usage out;
  out.set_prompt_tokens(*prompt);
  out.set_completion_tokens(*completion);
  return out;
}

absl::StatusOr<double> Probability(const json& value, const std::string& field) {
  if (!value.is_number() || !(value.get<double>() >= 0 && value.get<double>() <= 1)) {
    return Bad(field, "must be a number in [0, 1]");
  }
  return value.get<double>();
}

absl::StatusOr<std::vector<v1::TokenLogprob>> LogprobsFrom(const json& tokens,
                                                           const std::string& field) {
  if (!tokens.is_array()) return Bad(field, "must be an array");
  std::vector<v1::TokenLogprob> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string item = absl::StrCat(field, "[", i, "]");
    if (absl::Status keys = OnlyKeys(tokens[i], item, {"token", "logprob"}); !keys.ok()) {
      return keys;
    }
    auto token = tokens[i].find("token");
    auto logprob = tokens[i].find("logprob");
    if (token == tokens[i].end() || !token->is_string()) return Bad(item, "needs a string token");
    if (logprob == tokens[i].end() || !logprob->is_number() || !(logprob->get<double>() <= 0)) {
      return Bad(absl::StrCat(item, ".logprob"), "must be a number <= 0");
    }
    v1::TokenLogprob& out_token = out.emplace_back();
    out_token.set_token(token->get<std::string>());
    out_token.set_logprob(logprob->get<double>());
  }
  return out;
}

absl::StatusOr<SelfCheck> SelfCheckFrom(const json& check, const std::string& field) {
  if (absl::Status keys = OnlyKeys(check, field, {"p_yes", "usage"}); !keys.ok()) return keys;
  if (!check.contains("p_yes")) return Bad(absl::StrCat(field, ".p_yes"), "is missing");
  auto p_yes = Probability(check["p_yes"], absl::StrCat(field, ".p_yes"));
  if (!p_yes.ok()) return p_yes.status();
  SelfCheck out{*p_yes, {}};
  if (check.contains("usage")) {
    auto usage = UsageFrom(check["usage"], absl::StrCat(field, ".usage"));
    if (!usage.ok()) return usage.status();
    out.usage = *usage;
  }
  return out;
}

// The optional signals of a model's outcome.
absl::Status SignalsFrom(const json& model, const std::string& field, ModelOutcome& out) {
  if (auto it = model.find("correct"); it != model.end()) {
    if (!it->is_boolean()) return Bad(absl::StrCat(field, ".correct"), "must be true or false");
    out.correct = it->get<bool>();
  }
  if (auto it = model.find("quality"); it != model.end()) {
    auto quality = Probability(*it, absl::StrCat(field, ".quality"));
    if (!quality.ok()) return quality.status();
    out.quality = *quality;
  }
  if (auto it = model.find("usage_estimated"); it != model.end()) {
    if (!it->is_boolean()) return Bad(absl::StrCat(field, ".usage_estimated"), "must be a bool");
    out.usage_estimated = it->get<bool>();
  }
  if (auto it = model.find("logprobs"); it != model.end()) {
    auto logprobs = LogprobsFrom(*it, absl::StrCat(field, ".logprobs"));
    if (!logprobs.ok()) return logprobs.status();
    out.logprobs = *std::move(logprobs);
  }
  if (auto it = model.find("self_check"); it != model.end()) {
    auto check = SelfCheckFrom(*it, absl::StrCat(field, ".self_check"));
    if (!check.ok()) return check.status();
    out.self_check = *check;
  }
  if (auto it = model.find("latency_ms"); it != model.end()) {
    if (!it->is_number() || !(it->get<double>() >= 0)) {
      return Bad(absl::StrCat(field, ".latency_ms"), "must be a number >= 0");
    }
    out.latency_ms = it->get<double>();
  }
  if (auto it = model.find("router_estimate"); it != model.end()) {
    auto estimate = Probability(*it, absl::StrCat(field, ".router_estimate"));
    if (!estimate.ok()) return estimate.status();
    out.router_estimate = *estimate;
  }
  return absl::OkStatus();
}

absl::StatusOr<ModelOutcome> ModelFrom(const json& model, const std::string& field) {
  if (absl::Status keys = OnlyKeys(model, field,
                                   {"answer", "correct", "quality", "usage", "usage_estimated",
                                    "logprobs", "self_check", "latency_ms", "router_estimate"});
      !keys.ok()) {
    return keys;
  }
  ModelOutcome out;
  auto answer = model.find("answer");
  if (answer == model.end() || !answer->is_string()) {
    return Bad(absl::StrCat(field, ".answer"), "must be a string");
  }
  out.answer = answer->get<std::string>();
  if (!model.contains("usage")) return Bad(absl::StrCat(field, ".usage"), "is missing");
  auto usage = UsageFrom(model["usage"], absl::StrCat(field, ".usage"));
  if (!usage.ok()) return usage.status();
  out.usage = *usage;
  if (absl::Status signals = SignalsFrom(model, field, out); !signals.ok()) return signals;
  return out;
}

absl::StatusOr<std::vector<v1::ChatMessage>> MessagesFrom(const json& messages) {
  if (!messages.is_array()) return Bad("messages", "must be an array");
  google::protobuf::RepeatedPtrField<v1::ChatMessage> out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string field = absl::StrCat("messages[", i, "]");
    if (absl::Status keys = OnlyKeys(messages[i], field, {"role", "content"}); !keys.ok()) {
      return keys;
    }
    auto role = messages[i].find("role");
    auto content = messages[i].find("content");
    if (role == messages[i].end() || !role->is_string()) return Bad(field, "needs a string role");
    if (content == messages[i].end() || !content->is_string()) {
      return Bad(field, "needs a string content");
    }
    v1::ChatMessage* message = out.Add();
    message->set_role(role->get<std::string>());
    message->set_content(content->get<std::string>());
  }
  if (absl::Status valid = ValidateChatMessages(out); !valid.ok()) return valid;
  return std::vector<v1::ChatMessage>(out.begin(), out.end());
}

}  // namespace

const ModelOutcome* OutcomeRecord::Find(absl::string_view model) const {
  for (const auto& [name, outcome] : models) {
    if (name == model) return &outcome;
  }
  return nullptr;
}

absl::StatusOr<OutcomeRecord> ParseOutcomeLine(absl::string_view line) {
  json record = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded() || !record.is_object()) {
    return absl::InvalidArgumentError("the line is not a JSON object");
  }
  if (absl::Status keys = OnlyKeys(record, "", {"id", "messages", "models"}); !keys.ok()) {
    return keys;
  }
  OutcomeRecord out;
  if (auto id = record.find("id"); id != record.end()) {
    if (!id->is_string()) return Bad("id", "must be a string");
    out.id = id->get<std::string>();
  }
  if (!record.contains("messages")) return Bad("messages", "is missing");
  auto messages = MessagesFrom(record["messages"]);
  if (!messages.ok()) return messages.status();
  out.messages = *std::move(messages);
  auto models = record.find("models");
  if (models == record.end() || !models->is_object() || models->empty()) {
    return Bad("models", "must be an object with at least one model");
  }
  for (const auto& [name, model] : models->items()) {
    auto outcome = ModelFrom(model, absl::StrCat("models.", name));
    if (!outcome.ok()) return outcome.status();
    out.models.emplace_back(name, *std::move(outcome));
  }
  return out;
}

absl::StatusOr<std::vector<OutcomeRecord>> ReadOutcomesFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot be opened"));
  std::vector<OutcomeRecord> records;
  std::set<std::string> ids;
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto record = ParseOutcomeLine(line);
    if (!record.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": ", record.status().message()));
    }
    if (!record->id.empty() && !ids.insert(record->id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": id '", record->id, "' is used twice"));
    }
    records.push_back(*std::move(record));
  }
  return records;
}

std::string MessagesKey(const std::vector<v1::ChatMessage>& messages) {
  // Length-prefixed, so no content can forge a boundary.
  std::string key;
  for (const auto& message : messages) {
    absl::StrAppend(&key, message.role().size(), ":", message.role(), message.content().size(), ":",
                    message.content(), ";");
  }
  return key;
}

}  // namespace cascade::outcomes
