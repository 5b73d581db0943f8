#include "tools/cascadectl/log_command.h"

#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "tools/cascadectl/command_args.h"

namespace cascade::cli {
namespace {

using nlohmann::json;

int UsageError(std::ostream& err, absl::string_view message) {
  err << "cascadectl log: " << message << "\n\n" << kLogUsage;
  return 2;
}

absl::Status Missing(absl::string_view field, absl::string_view why = "") {
  return absl::InvalidArgumentError(
      absl::StrCat("'", field, "' is missing or has the wrong type", why.empty() ? "" : ": ", why));
}

// The outcomes record of one attempt that answered; `estimates` is the line's
// start.estimates (the router's estimate per tier), or null.
json ModelOutcome(const json& attempt, const json& estimates) {
  json outcome = {{"answer", attempt["answer"]}, {"usage", attempt["usage"]}};
  if (attempt.contains("logprobs") && !attempt["logprobs"].empty()) {
    outcome["logprobs"] = attempt["logprobs"];
  }
  const json& signals = attempt.value("signals", json::object());
  if (signals.contains("self_check") && attempt.contains("self_check_usage")) {
    outcome["self_check"] = {{"p_yes", signals["self_check"]["p_yes"]},
                             {"usage", attempt["self_check_usage"]}};
  }
  if (attempt.contains("latency_ms")) outcome["latency_ms"] = attempt["latency_ms"];
  if (estimates.is_object() && attempt.contains("tier") && attempt["tier"].is_string()) {
    auto estimate = estimates.find(attempt["tier"].get<std::string>());
    if (estimate != estimates.end() && estimate->is_object() && estimate->contains("probability") &&
        (*estimate)["probability"].is_number()) {
      outcome["router_estimate"] = (*estimate)["probability"];
    }
  }
  return outcome;
}

}  // namespace

bool ApplyShadowLabel(const json& shadow, std::vector<json>& records,
                      const std::map<std::string, size_t>& record_of) {
  if (!shadow.contains("agrees") || !shadow["agrees"].is_boolean()) return false;
  if (!shadow.contains("model") || !shadow["model"].is_string()) return false;
  auto found = record_of.find(shadow.value("request_id", ""));
  if (found == record_of.end()) return false;
  json& models = records[found->second]["models"];
  const std::string model = shadow["model"];
  if (!models.contains(model)) return false;
  models[model]["correct"] = shadow["agrees"].get<bool>();
  return true;
}

absl::StatusOr<std::optional<json>> DecisionToOutcome(const json& line) {
  if (!line.is_object()) return absl::InvalidArgumentError("not a JSON object");
  if (!line.contains("request_id") || !line["request_id"].is_string()) {
    return Missing("request_id", "not a decision log line");
  }
  if (!line.contains("outcome") || !line["outcome"].is_string()) return Missing("outcome");
  if (line["outcome"] != "ok") return std::nullopt;
  if (!line.contains("messages") || !line["messages"].is_array()) {
    return Missing("messages",
                   "the orchestrator wrote this log without decision_log.include_prompt");
  }
  if (!line.contains("attempts") || !line["attempts"].is_array()) return Missing("attempts");
  json models = json::object();
  json estimates;
  if (line.contains("start") && line["start"].is_object()) {
    estimates = line["start"].value("estimates", json());
  }
  for (size_t i = 0; i < line["attempts"].size(); ++i) {
    const json& attempt = line["attempts"][i];
    const std::string at = absl::StrCat("attempts[", i, "]");
    if (!attempt.is_object() || !attempt.contains("model") || !attempt["model"].is_string()) {
      return Missing(absl::StrCat(at, ".model"));
    }
    if (!attempt.contains("answer")) continue;  // The tier failed: nothing to record.
    if (!attempt["answer"].is_string()) return Missing(absl::StrCat(at, ".answer"));
    if (!attempt.contains("usage") || !attempt["usage"].is_object()) {
      return Missing(absl::StrCat(at, ".usage"));
    }
    const std::string model = attempt["model"];
    if (!models.contains(model)) models[model] = ModelOutcome(attempt, estimates);
  }
  if (models.empty()) return std::nullopt;
  json messages = json::array();
  for (const json& message : line["messages"]) {
    messages.push_back(
        {{"role", message.value("role", "")}, {"content", message.value("content", "")}});
  }
  return json{{"id", line["request_id"]}, {"messages", std::move(messages)}, {"models", models}};
}

int RunLog(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<CommandArgs> args = CommandArgs::Parse(raw_args, {}, {"help"});
  if (!args.ok()) return UsageError(err, args.status().message());
  if (args->Has("help")) {
    out << kLogUsage;
    return 0;
  }
  const std::vector<std::string>& positionals = args->positionals();
  if (positionals.size() < 2 || positionals[0] != "to-outcomes") {
    return UsageError(err, "give `to-outcomes LOG.jsonl [...]`");
  }
  // Records are held until the end: a shadow evaluation's line, written after its
  // request's, labels the record of the model it compared.
  std::vector<json> records;
  std::map<std::string, size_t> record_of;  // request_id -> index in records.
  std::vector<json> shadows;
  int skipped = 0;
  for (size_t f = 1; f < positionals.size(); ++f) {
    const std::string& path = positionals[f];
    std::ifstream in(path);
    if (!in) {
      err << "cascadectl log: cannot open " << path << "\n";
      return 1;
    }
    int number = 0;
    for (std::string text; std::getline(in, text);) {
      ++number;
      if (text.empty()) continue;
      json line = json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (line.is_discarded()) {
        err << "cascadectl log: " << path << ":" << number << ": not valid JSON\n";
        return 1;
      }
      if (line.is_object() && line.value("kind", "") == "shadow") {
        shadows.push_back(std::move(line));
        continue;
      }
      auto outcome = DecisionToOutcome(line);
      if (!outcome.ok()) {
        err << "cascadectl log: " << path << ":" << number << ": " << outcome.status().message()
            << "\n";
        return 1;
      }
      if (!outcome->has_value()) {
        ++skipped;
        continue;
      }
      record_of[(**outcome)["id"]] = records.size();
      records.push_back(**std::move(outcome));
    }
  }
  int labelled = 0;
  for (const json& shadow : shadows) {
    if (ApplyShadowLabel(shadow, records, record_of)) ++labelled;
  }
  for (const json& record : records) {
    out << record.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  }
  err << "cascadectl log: " << records.size() << " requests converted, " << skipped
      << " skipped (failed, nothing answered), " << labelled << " of " << shadows.size()
      << " shadow evaluations applied as labels\n";
  return 0;
}

}  // namespace cascade::cli
