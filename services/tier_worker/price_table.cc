#include "services/tier_worker/price_table.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cascade::tier_worker {
namespace {

constexpr double kMaxUsdPerMtok = 1e6;
// How far from a whole micro-USD a configured price may be and still count as whole:
// decimal prices such as 0.15 are not exact in binary.
constexpr double kMicroUsdTolerance = 1e-3;

absl::StatusOr<int64_t> PriceField(const nlohmann::json& entry, const char* name,
                                   const std::string& where) {
  auto it = entry.find(name);
  if (it == entry.end() || !it->is_number()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": '", name, "' must be a number"));
  }
  return UsdPerMtokToMicroUsd(it->get<double>(), absl::StrCat(where, ".", name));
}

}  // namespace

absl::StatusOr<int64_t> UsdPerMtokToMicroUsd(double usd_per_mtok, absl::string_view field) {
  if (!std::isfinite(usd_per_mtok) || usd_per_mtok < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a finite price >= 0 USD per million tokens"));
  }
  if (usd_per_mtok > kMaxUsdPerMtok) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " is ", usd_per_mtok, " USD per million tokens: over the limit of 1000000"));
  }
  double micro = usd_per_mtok * 1e6;
  double whole = std::round(micro);
  if (std::fabs(micro - whole) > kMicroUsdTolerance) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is ", usd_per_mtok,
                     " USD per million tokens: prices are held in whole micro-USD per "
                     "million tokens (at most 6 decimals)"));
  }
  return static_cast<int64_t>(whole);
}

absl::StatusOr<PriceTable> PriceTable::FromJson(absl::string_view json, absl::string_view source) {
  nlohmann::json root = nlohmann::json::parse(json.begin(), json.end(), nullptr,
                                              /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not a JSON object"));
  }
  PriceTable table;
  table.source_ = std::string(source);
  auto as_of = root.find("as_of");
  if (as_of == root.end() || !as_of->is_string() || as_of->get<std::string>().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": 'as_of' (the date the prices were taken) is required"));
  }
  table.as_of_ = as_of->get<std::string>();
  auto models = root.find("models");
  if (models == root.end() || !models->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": 'models' must be an object"));
  }
  for (const auto& [model, entry] : models->items()) {
    std::string where = absl::StrCat(source, ": models.", model);
    if (!entry.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(where, " must be an object"));
    }
    auto input = PriceField(entry, "input_usd_per_mtok", where);
    if (!input.ok()) return input.status();
    auto output = PriceField(entry, "output_usd_per_mtok", where);
    if (!output.ok()) return output.status();
    table.prices_[model] = ModelPrice{*input, *output};
  }
  return table;
}

const PriceTable& PriceTable::Builtin() {
  static const PriceTable* table = [] {
    auto parsed = FromJson(BuiltinPriceTableJson(), "builtin_prices.json");
    // The file is part of the source tree and a unit test parses it; a broken one must
    // not start a server with no prices.
    if (!parsed.ok()) std::abort();
    return new PriceTable(*std::move(parsed));
  }();
  return *table;
}

absl::StatusOr<ModelPrice> PriceTable::Lookup(absl::string_view model) const {
  auto it = prices_.find(model);
  if (it == prices_.end()) {
    return absl::NotFoundError(absl::StrCat("no price for model '", model, "' in ", source_,
                                            " (prices as of ", as_of_,
                                            "): set 'price' (input_usd_per_mtok and "
                                            "output_usd_per_mtok) in the tier's config"));
  }
  return it->second;
}

}  // namespace cascade::tier_worker
