#include "common/outcomes/prices.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/config/yaml_to_json.h"

namespace cascade::outcomes {
namespace {

// USD per million tokens -> integer micro-USD per million tokens.
absl::StatusOr<int64_t> MicroUsd(const nlohmann::json& value) {
  if (!value.is_number()) return absl::InvalidArgumentError("must be a number");
  const double usd = value.get<double>();
  const double micro = std::round(usd * 1e6);
  if (!(usd >= 0 && usd <= 1e6) || std::fabs(usd * 1e6 - micro) > 1e-6 * std::max(1.0, micro)) {
    return absl::InvalidArgumentError("must be in [0, 1000000] with at most 6 decimals");
  }
  return static_cast<int64_t>(micro);
}

}  // namespace

absl::StatusOr<std::map<std::string, ModelPrice>> ReadPricesFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot be opened"));
  std::stringstream text;
  text << file.rdbuf();
  auto document = YamlToJson(text.str(), path);
  if (!document.ok()) return absl::InvalidArgumentError(document.status().message());
  if (!document->json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected MODEL: {input_usd_per_mtok: X, output_usd_per_mtok: Y}"));
  }
  std::map<std::string, ModelPrice> prices;
  for (const auto& [model, entry] : document->json.items()) {
    const std::string where = absl::StrCat(path, ":", document->LineOf("/" + model), ": ", model);
    if (!entry.is_object() || entry.size() != 2 || !entry.contains("input_usd_per_mtok") ||
        !entry.contains("output_usd_per_mtok")) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " needs {input_usd_per_mtok: X, output_usd_per_mtok: Y}"));
    }
    ModelPrice price;
    for (const auto& [field, target] :
         {std::pair{"input_usd_per_mtok", &price.input_uusd_per_mtok},
          std::pair{"output_usd_per_mtok", &price.output_uusd_per_mtok}}) {
      auto micro = MicroUsd(entry[field]);
      if (!micro.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".", field, " ", micro.status().message()));
      }
      *target = *micro;
    }
    prices[model] = price;
  }
  return prices;
}

}  // namespace cascade::outcomes
