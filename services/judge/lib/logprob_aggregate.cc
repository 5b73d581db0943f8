#include "services/judge/lib/logprob_aggregate.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cascade::judge {

std::string LogprobAggregate::Name() const {
  switch (kind) {
    case Kind::kMean:
      return "mean";
    case Kind::kMin:
      return "min";
    case Kind::kQuantile:
      return absl::StrCat("p", percentile);
    case Kind::kMeanLength:
      return "mean_len";
  }
  return "mean";
}

absl::StatusOr<LogprobAggregate> ParseLogprobAggregate(absl::string_view name) {
  LogprobAggregate aggregate;
  if (name == "mean") {
    aggregate.kind = LogprobAggregate::Kind::kMean;
    return aggregate;
  }
  if (name == "min") {
    aggregate.kind = LogprobAggregate::Kind::kMin;
    return aggregate;
  }
  if (name == "mean_len") {
    aggregate.kind = LogprobAggregate::Kind::kMeanLength;
    return aggregate;
  }
  if (name.size() >= 2 && name.size() <= 4 && name[0] == 'p') {
    const absl::string_view digits = name.substr(1);
    int percentile = 0;
    if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        absl::SimpleAtoi(digits, &percentile) && percentile >= 0 && percentile <= 100) {
      aggregate.kind = LogprobAggregate::Kind::kQuantile;
      aggregate.percentile = percentile;
      return aggregate;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown logprob aggregate '", name,
                   "': use mean, min, mean_len or pNN with NN in 0..100 (e.g. p10)"));
}

namespace {

template <typename Tokens>
absl::Status ValidateTokens(const Tokens& logprobs) {
  if (logprobs.empty()) {
    return absl::InvalidArgumentError(
        "the answer has no token logprobs: the logprob method needs answer_logprobs (ask the "
        "tier for logprobs)");
  }
  int i = -1;
  for (const v1::TokenLogprob& token : logprobs) {
    ++i;
    const double value = token.logprob();
    if (std::isnan(value)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("answer_logprobs[%d] is NaN: every logprob must be a number <= 0", i));
    }
    if (value > 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "answer_logprobs[%d] is %g: a logprob is a natural log of a probability, <= 0", i,
          value));
    }
    if (std::isinf(value)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "answer_logprobs[%d] is -infinity: a generated token cannot have probability 0", i));
    }
  }
  return absl::OkStatus();
}

template <typename Tokens>
absl::StatusOr<double> Compute(const LogprobAggregate& aggregate, const Tokens& logprobs) {
  if (absl::Status status = ValidateTokens(logprobs); !status.ok()) return status;
  const double n = static_cast<double>(std::distance(logprobs.begin(), logprobs.end()));
  switch (aggregate.kind) {
    case LogprobAggregate::Kind::kMean:
    case LogprobAggregate::Kind::kMeanLength: {
      double sum = 0;
      for (const v1::TokenLogprob& token : logprobs) sum += token.logprob();
      return aggregate.kind == LogprobAggregate::Kind::kMean ? sum / n : sum / std::sqrt(n);
    }
    case LogprobAggregate::Kind::kMin: {
      double least = 0;
      for (const v1::TokenLogprob& token : logprobs) least = std::min(least, token.logprob());
      return least;
    }
    case LogprobAggregate::Kind::kQuantile: {
      std::vector<double> sorted;
      sorted.reserve(static_cast<size_t>(n));
      for (const v1::TokenLogprob& token : logprobs) sorted.push_back(token.logprob());
      std::sort(sorted.begin(), sorted.end());
      const double position = aggregate.percentile / 100.0 * (n - 1);
      const size_t below = static_cast<size_t>(std::floor(position));
      const size_t above = std::min(below + 1, sorted.size() - 1);
      const double fraction = position - static_cast<double>(below);
      return sorted[below] + fraction * (sorted[above] - sorted[below]);
    }
  }
  return absl::InternalError("unhandled logprob aggregate");
}

}  // namespace

absl::Status ValidateLogprobs(absl::Span<const v1::TokenLogprob> logprobs) {
  return ValidateTokens(logprobs);
}

absl::Status ValidateLogprobs(
    const google::protobuf::RepeatedPtrField<v1::TokenLogprob>& logprobs) {
  return ValidateTokens(logprobs);
}

absl::StatusOr<double> ComputeLogprobAggregate(const LogprobAggregate& aggregate,
                                               absl::Span<const v1::TokenLogprob> logprobs) {
  return Compute(aggregate, logprobs);
}

absl::StatusOr<double> ComputeLogprobAggregate(
    const LogprobAggregate& aggregate,
    const google::protobuf::RepeatedPtrField<v1::TokenLogprob>& logprobs) {
  return Compute(aggregate, logprobs);
}

double LogprobScore(double aggregate) { return std::exp(std::min(aggregate, 0.0)); }

}  // namespace cascade::judge
