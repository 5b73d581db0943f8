#pragma once

// Model prices. Configured as USD per million tokens (a double in YAML); held as integer
// micro-USD per million tokens, which is pico-USD per token, so cost is an exact integer
// product (docs/architecture.md, "Names and definitions").

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cascade::tier_worker {

struct ModelPrice {
  int64_t input_uusd_per_mtok = 0;
  int64_t output_uusd_per_mtok = 0;
  friend bool operator==(const ModelPrice&, const ModelPrice&) = default;
};

// USD per million tokens -> integer micro-USD per million tokens. INVALID_ARGUMENT naming
// `field` for NaN, infinity, a negative value, an absurd one (over 1,000,000 USD) or one
// with precision finer than a micro-USD (it would be silently rounded).
absl::StatusOr<int64_t> UsdPerMtokToMicroUsd(double usd_per_mtok, absl::string_view field);

// A table of model id -> price, read from JSON:
//   {"as_of": "YYYY-MM-DD", "models": {"<model id>": {"input_usd_per_mtok": 0.15,
//                                                     "output_usd_per_mtok": 0.6}}}
class PriceTable {
 public:
  // `source` names the table in error messages.
  static absl::StatusOr<PriceTable> FromJson(absl::string_view json, absl::string_view source);
  // The table compiled in from builtin_prices.json.
  static const PriceTable& Builtin();

  // NOT_FOUND naming the model and the table's date when the model has no entry.
  absl::StatusOr<ModelPrice> Lookup(absl::string_view model) const;
  const std::string& as_of() const { return as_of_; }
  const std::string& source() const { return source_; }
  size_t size() const { return prices_.size(); }

 private:
  std::string source_;
  std::string as_of_;
  std::map<std::string, ModelPrice, std::less<>> prices_;
};

// The JSON text of builtin_prices.json (generated file).
const char* BuiltinPriceTableJson();

}  // namespace cascade::tier_worker
