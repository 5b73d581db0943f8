#include "tools/cascadectl/cost_planner.h"

#include <cstdlib>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cascade::cli {
namespace {

constexpr int64_t kMillion = 1'000'000;

// count * share_ppm / 10^6 requests each costing `per_request`, rounded to the pico-USD.
absl::int128 Spend(int64_t requests, int64_t share_ppm, int64_t per_request) {
  absl::int128 total = absl::int128(requests) * share_ppm * per_request;
  return (total + kMillion / 2) / kMillion;
}

}  // namespace

absl::StatusOr<CostPlan> PlanCost(const CostPlanInput& input) {
  if (input.tiers.empty()) return absl::InvalidArgumentError("give at least one --tier");
  if (input.requests < 0 || input.input_tokens < 0 || input.output_tokens < 0) {
    return absl::InvalidArgumentError("requests and token counts must not be negative");
  }
  if (input.routed_ppm < 0 || input.routed_ppm > kMillion) {
    return absl::InvalidArgumentError("--routed-share must be between 0 and 1");
  }
  int64_t share_sum = 0;
  for (const PlannedTier& tier : input.tiers) {
    if (tier.final_share_ppm < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("the mix share of ", tier.name, " is negative"));
    }
    share_sum += tier.final_share_ppm;
  }
  if (share_sum != kMillion) {
    return absl::InvalidArgumentError(
        absl::StrFormat("the --mix shares add up to %.6f; they must add up to 1", share_sum / 1e6));
  }
  std::vector<int64_t> per_request;
  for (const PlannedTier& tier : input.tiers) {
    per_request.push_back(input.input_tokens * tier.input_uusd_per_mtok +
                          input.output_tokens * tier.output_uusd_per_mtok);
  }
  const size_t top = input.tiers.size() - 1;
  absl::int128 monolith = absl::int128(input.requests) * per_request[top];
  absl::int128 routed = 0, finals = 0, rejected = 0, judges = 0;
  CostPlan plan;
  const int64_t climbing_ppm = kMillion - input.routed_ppm;
  for (size_t k = 0; k < input.tiers.size(); ++k) {
    const int64_t share = input.tiers[k].final_share_ppm;
    plan.answered_per_tier.push_back(
        static_cast<int64_t>((absl::int128(input.requests) * share + kMillion / 2) / kMillion));
    routed += Spend(input.requests, share, per_request[k]);
    finals += Spend(input.requests, share, per_request[k]);
    // Of the requests tier k answers, those that climbed paid for tiers 0..k-1 too.
    int64_t lower = 0;
    for (size_t j = 0; j < k; ++j) lower += per_request[j];
    // Share of all requests: share * climbing / 10^6, kept exact by scaling once more.
    absl::int128 climbed = absl::int128(input.requests) * share * climbing_ppm;
    rejected += (climbed * lower + absl::int128(kMillion) * kMillion / 2) /
                (absl::int128(kMillion) * kMillion);
    // Every attempt below the top tier is judged: k rejected ones, plus the accepted one
    // when it is not the top tier.
    const int64_t judge_calls = static_cast<int64_t>(k) + (k == top ? 0 : 1);
    judges += (climbed * judge_calls * input.judge_pusd_per_call +
               absl::int128(kMillion) * kMillion / 2) /
              (absl::int128(kMillion) * kMillion);
  }
  plan.monolith_pusd = static_cast<int64_t>(monolith);
  plan.routed_pusd = static_cast<int64_t>(routed);
  plan.cascade_final_answers_pusd = static_cast<int64_t>(finals);
  plan.cascade_rejected_attempts_pusd = static_cast<int64_t>(rejected);
  plan.cascade_judge_pusd = static_cast<int64_t>(judges);
  plan.cascade_pusd = static_cast<int64_t>(finals + rejected + judges);
  return plan;
}

double SavedPercent(int64_t monolith_pusd, int64_t pusd) {
  if (monolith_pusd == 0) return 0;
  return 100.0 * static_cast<double>(monolith_pusd - pusd) / static_cast<double>(monolith_pusd);
}

absl::StatusOr<int64_t> ParseMillionths(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  const std::string what = absl::StrCat("'", text, "' is not a non-negative decimal number");
  if (text.empty()) return absl::InvalidArgumentError(what);
  absl::string_view whole = text, fraction;
  if (size_t dot = text.find('.'); dot != absl::string_view::npos) {
    whole = text.substr(0, dot);
    fraction = text.substr(dot + 1);
  }
  if (fraction.size() > 6) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' has more than 6 decimals"));
  }
  int64_t units = 0, millionths = 0;
  if (!whole.empty() &&
      (!absl::SimpleAtoi(whole, &units) || units < 0 || whole[0] == '-' || whole[0] == '+')) {
    return absl::InvalidArgumentError(what);
  }
  if (!fraction.empty()) {
    for (char c : fraction) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(what);
      }
    }
    std::string padded(fraction);
    padded.resize(6, '0');
    (void)absl::SimpleAtoi(padded, &millionths);
  }
  if (whole.empty() && fraction.empty()) return absl::InvalidArgumentError(what);
  if (units > 9'000'000'000'000LL) return absl::InvalidArgumentError(what);
  return units * kMillion + millionths;
}

std::string FormatUsd(int64_t pusd) {
  const bool negative = pusd < 0;
  const int64_t cents = (std::llabs(pusd) + 5'000'000'000LL) / 10'000'000'000LL;
  const std::string digits = absl::StrCat(cents / 100);
  // Appended digit by digit: GCC 12 at -O3 misreads string::insert here (-Wrestrict).
  std::string dollars;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) dollars.push_back(',');
    dollars.push_back(digits[i]);
  }
  return absl::StrFormat("%s$%s.%02d", negative ? "-" : "", dollars, cents % 100);
}

}  // namespace cascade::cli
