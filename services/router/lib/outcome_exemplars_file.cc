#include "services/router/lib/outcome_exemplars_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace cascade::router {
namespace {

absl::StatusOr<std::pair<std::string, OutcomeExemplar>> ParseLine(const std::string& line) {
  const nlohmann::json value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return absl::InvalidArgumentError("not a JSON object");
  std::string policy;
  OutcomeExemplar exemplar;
  for (const auto& [field, item] : value.items()) {
    if (field == "policy" || field == "key" || field == "query") {
      if (!item.is_string()) return absl::InvalidArgumentError(field + " must be a string");
      (field == "policy" ? policy
       : field == "key"  ? exemplar.key
                         : exemplar.query) = item.get<std::string>();
    } else if (field == "tiers") {
      if (!item.is_object()) {
        return absl::InvalidArgumentError("tiers must be an object of tier: quality");
      }
      for (const auto& [tier, quality] : item.items()) {
        if (!quality.is_number()) {
          return absl::InvalidArgumentError(absl::StrCat("tiers.", tier, " must be a number"));
        }
        exemplar.tier_quality[tier] = quality.get<double>();
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field '", field, "' (expected policy, key, query, tiers)"));
    }
  }
  if (policy.empty()) return absl::InvalidArgumentError("policy must not be empty");
  if (absl::Status status = ValidateOutcomeExemplar(exemplar); !status.ok()) return status;
  return std::make_pair(std::move(policy), std::move(exemplar));
}

}  // namespace

absl::StatusOr<std::string> ReadOutcomeExemplarsText(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

absl::StatusOr<OutcomeExemplarsByPolicy> ParseOutcomeExemplars(const std::string& text,
                                                               const std::string& path) {
  OutcomeExemplarsByPolicy exemplars;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    absl::StatusOr<std::pair<std::string, OutcomeExemplar>> parsed = ParseLine(line);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": ", parsed.status().message()));
    }
    exemplars[parsed->first].push_back(std::move(parsed->second));
  }
  return exemplars;
}

absl::StatusOr<OutcomeExemplarsByPolicy> ReadOutcomeExemplarsFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadOutcomeExemplarsText(path);
  if (!text.ok()) return text.status();
  return ParseOutcomeExemplars(*text, path);
}

std::string OutcomeExemplarsToJsonLines(const OutcomeExemplarsByPolicy& exemplars) {
  std::string text;
  for (const auto& [policy, rows] : exemplars) {
    for (const OutcomeExemplar& exemplar : rows) {
      nlohmann::json line = {{"policy", policy},
                             {"key", exemplar.key},
                             {"query", exemplar.query},
                             {"tiers", exemplar.tier_quality}};
      absl::StrAppend(&text, line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      "\n");
    }
  }
  return text;
}

}  // namespace cascade::router
