#pragma once

// Fits a cascade policy to a quality target with a guarantee that holds on fresh queries
// (docs/policy.md). Candidates: every ladder that ends at the top model (any subset of the
// cheaper models, in order), one signal kind for all of its cheaper tiers, and a threshold
// on the calibrated probability that an answer is right, common to those tiers (the
// calibration, a logistic map per model and signal, turns it into each tier's raw
// threshold). Besides the single signals, the "combined" kind: per model, a logistic
// regression of correctness on all the signals it records (at least two), thresholded as
// it is (the policy's `calibrated` rule carries the combination). The router's estimate has
// no raw rule: its single-signal candidates are written as a `calibrated` rule too, with
// one weight on its log-odds (the model's calibration). With `cross_fit_router_estimates`
// the router's estimates are cross-fitted after the split (router_estimates.h) and replace
// any recorded ones. The training queries are split at random, once:
//
//  - selection: calibrations are fitted and every candidate is simulated; the candidates
//    on the cost/drop frontier, from the dearest to the cheapest, form one sequence;
//  - certification: along that sequence, each candidate's mean quality drop against the
//    top model alone is tested against the target (drop_bound.h) at level 1 - confidence,
//    stopping at the first that fails (fixed-sequence testing: the whole sequence is tested
//    at that level, no correction for the number of candidates is needed, because the
//    sequence was fixed before the certification queries were looked at).
//
// Every candidate that passes has a drop within the target with the stated confidence, on
// queries drawn like the training ones; the cheapest is chosen. None passes: the top model
// alone, said plainly. With Guarantee::kExpected the sequence is one ladder and signal's
// thresholds and the test is conformal risk control (expected_risk.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cascade/v1/config.pb.h"
#include "tools/policy/cost_interval.h"
#include "tools/policy/query_table.h"
#include "tools/policy/router_estimates.h"

namespace cascade::policy {

// What the fit promises about the chosen policy's mean quality drop D on fresh queries.
enum class Guarantee {
  // D <= max drop with probability >= confidence over the draw of the training queries (a
  // betting test along the selection frontier, drop_bound.h).
  kHighProbability,
  // E[D] <= max drop, the expectation over the draw of the training queries and the fresh
  // query (conformal risk control along one ladder's thresholds, expected_risk.h): weaker,
  // and cheaper with a few hundred queries. `confidence` does not apply.
  kExpected,
};

// "high-probability", "expected".
absl::string_view GuaranteeName(Guarantee guarantee);
std::optional<Guarantee> ParseGuarantee(absl::string_view name);

struct FitOptions;
// How the promise reads after "drop <= D": "with confidence 0.90" or "in expectation".
std::string PromiseText(const FitOptions& options);

struct FitOptions {
  double max_quality_drop = 0.02;  // In [0, 1).
  double confidence = 0.9;         // In (0, 1).
  Guarantee guarantee = Guarantee::kHighProbability;
  // Share of the training queries used for selection; the rest certify.
  double selection_share = 0.5;
  uint64_t seed = 1;  // The split.
  // Calibrated P(correct) thresholds tried, any order.
  std::vector<double> targets = {0.999, 0.995, 0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.93, 0.92,
                                 0.9,   0.88,  0.85, 0.82, 0.8,  0.75, 0.7,  0.65, 0.6,  0.5};
  std::string name = "fitted";
  // The router's estimate of each answer's quality, cross-fitted from the other queries'
  // outcomes (router_estimates.h) instead of the recorded one; `estimate_folds` (2 to 20)
  // folds over the selection queries.
  bool cross_fit_router_estimates = false;
  int estimate_folds = 5;
};

// Where a candidate stands on a set of queries.
struct CandidateFigures {
  double drop = 0;                  // Mean quality drop against the top model alone.
  double cost_ratio = 0;            // Cost against the top model alone.
  std::vector<double> final_share;  // Per tier of the candidate's ladder.
};

// One input of a combination: a recorded signal, as the policy's `calibrated` rule reads it
// (the logprob aggregates raw, the self-check and the router's estimate as log-odds), and
// its weight.
struct CombinationTerm {
  SignalKind signal = SignalKind::kLogprobMean;  // A recorded kind.
  double weight = 0;
};

// A model's calibrated combination of signals: P(correct) = 1 / (1 + exp(-(intercept + sum
// of weight * input))), with the numbers as the policy file writes them (6 significant
// digits), so that what is simulated is what the orchestrator computes.
struct SignalCombination {
  double intercept = 0;
  std::vector<CombinationTerm> terms;  // In the policy file's order.

  // The orchestrator's arithmetic (CalibratedConfidence::Probability); nullopt when the
  // answer lacks a signal, and the rule then does not pass.
  std::optional<double> Probability(const ModelAnswer& answer) const;
  // The tier is then asked for its self-check, which costs.
  bool UsesSelfCheck() const;
};

// The policy file's name of a combination's input: "logprob_mean", "logprob_min",
// "self_check_log_odds", "router_estimate_log_odds".
absl::string_view CombinationSignalName(SignalKind kind);

// The input a combination (or a calibration) takes from a raw signal: the logprob aggregates
// as they are, a probability (the self-check's P(yes), the router's estimate) as
// log(p / (1 - p)) with p clamped to [1e-6, 1 - 1e-6].
double SignalInput(SignalKind kind, double raw);

// The candidates' kinds written as a `calibrated` rule (a SignalCombination per cheaper
// tier): kCombined, and kRouterEstimate (one term, its log-odds).
bool WrittenAsCalibrated(SignalKind kind);

struct Candidate {
  std::vector<int> ladder;  // Model indices of the table, the top model last.
  SignalKind kind = SignalKind::kLogprobMean;
  double target = 1;  // Calibrated P(correct) an answer needs to stop a cheaper tier.
  // Per cheaper tier, on the signal's raw scale; empty for kCombined and kRouterEstimate.
  std::vector<double> raw_thresholds;
  // kCombined and kRouterEstimate (WrittenAsCalibrated): per cheaper tier, its model's
  // combination (P(correct) >= target passes); for kRouterEstimate, the model's calibration
  // of the router's estimate, one term on its log-odds.
  std::vector<SignalCombination> combinations;
  CandidateFigures selection;
  CandidateFigures certification;
  CandidateFigures training;      // Every training query.
  std::optional<double> p_value;  // Set when it was tested (kHighProbability).
  // On the certification queries: kHighProbability, the drop's upper bound at the
  // confidence; kExpected, the corrected risk that bounds the expected drop.
  double drop_upper_bound = 1;
  // The cost ratio's interval at the confidence, on the certification queries (approximate:
  // cost_interval.h).
  CostInterval cost_interval;
  bool certified = false;
};

struct FitResult {
  int selection_queries = 0;
  int certification_queries = 0;
  // Every candidate, with its selection figures (for the frontier chart).
  std::vector<Candidate> candidates;
  // The tested sequence, from the dearest to the cheapest: kHighProbability, the selection
  // frontier; kExpected, the thresholds of the one ladder and signal whose cheapest
  // controlled candidate on the selection queries is the cheapest.
  std::vector<Candidate> sequence;
  // Index in `sequence` of the chosen candidate; nullopt: the top model alone.
  std::optional<size_t> chosen;
  Candidate top_alone;
  // The chosen candidate (or the top model alone) as an orchestrator policy.
  v1::CascadePolicyConfig policy;
  // Set when the router's estimates were cross-fitted (they replaced any recorded ones).
  std::optional<RouterEstimateCrossFit> router_estimates;
};

// INVALID_ARGUMENT for options out of range or too few queries to split (at least 20); with
// cross-fitted router estimates, a table without its rows' queries.
absl::StatusOr<FitResult> FitPolicy(const QueryTable& table, const FitOptions& options);

// What `candidate` does on the queries `rows` of the table (indices); per query, its drop
// and its costs when asked for.
CandidateFigures Simulate(const QueryTable& table, const Candidate& candidate,
                          const std::vector<int>& rows, std::vector<double>* drops = nullptr,
                          std::vector<QueryCost>* costs = nullptr);

// The candidate as a policy: tiers named by the models, each cheaper tier with its rule.
v1::CascadePolicyConfig PolicyOf(const QueryTable& table, const Candidate& candidate,
                                 const std::string& name);

}  // namespace cascade::policy
