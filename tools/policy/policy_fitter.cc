#include "tools/policy/policy_fitter.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/judge/lib/calibration.h"
#include "tools/policy/drop_bound.h"
#include "tools/policy/expected_risk.h"
#include "tools/policy/logistic_combination.h"

namespace cascade::policy {
namespace {

constexpr int kMinQueries = 20;

double RawFromInput(SignalKind kind, double input) {
  if (!IsProbabilitySignal(kind)) return input;
  return 1 / (1 + std::exp(-input));
}

// A logistic map per model of P(correct) from one signal, fitted on `rows`; nullopt when
// the model's answers lack the signal or it does not rank them (no slope up, one class).
std::optional<judge::LogisticMap> Calibrate(const QueryTable& table, int model, SignalKind kind,
                                            const std::vector<int>& rows) {
  std::vector<double> inputs;
  std::vector<int> labels;
  for (int row : rows) {
    const ModelAnswer& answer = table.rows[row][model];
    if (!answer.signal(kind)) continue;
    inputs.push_back(SignalInput(kind, *answer.signal(kind)));
    labels.push_back(answer.quality >= 0.5 ? 1 : 0);
  }
  auto map = judge::FitLogisticMap(inputs, labels);
  if (!map.ok() || !(map->slope > 1e-9)) return std::nullopt;
  return *map;
}

// The raw threshold at which the calibrated probability reaches `target`; nullopt when no
// raw value reaches it (a logprob aggregate above 0).
std::optional<double> RawThreshold(const judge::LogisticMap& map, SignalKind kind, double target) {
  const double input = (std::log(target / (1 - target)) - map.intercept) / map.slope;
  const double raw = RawFromInput(kind, input);
  if (!IsProbabilitySignal(kind) && raw > 0) return std::nullopt;
  return raw;
}

// `value` to 6 significant digits: the double the policy file's decimal reads back as.
double Rounded(double value) {
  double rounded = value;
  if (!absl::SimpleAtod(absl::StrFormat("%.5e", value), &rounded)) return value;
  return rounded;
}

// The router estimate's rule for a model: its calibration as a one-term combination on the
// estimate's log-odds, rounded as the policy file writes it.
SignalCombination RouterEstimateRule(const judge::LogisticMap& map) {
  SignalCombination rule;
  rule.intercept = Rounded(map.intercept);
  rule.terms.push_back({SignalKind::kRouterEstimate, Rounded(map.slope)});
  return rule;
}

// A model's combination of every recorded signal its answers carry on all of `rows` (the
// self-check and the router's estimate as log-odds), fitted by logistic regression; nullopt with
// fewer than two such signals or when the fit fails (one class). A signal equal to one already
// taken on every row (a one-token answer's mean and min) adds nothing and is left out.
std::optional<SignalCombination> Combine(const QueryTable& table, int model,
                                         const std::vector<int>& rows) {
  std::vector<SignalKind> kinds;
  for (int k = 0; k < kSignalKinds; ++k) {
    const auto kind = static_cast<SignalKind>(k);
    bool recorded = true, varies = false;
    std::vector<bool> duplicates(kinds.size(), true);
    for (int row : rows) {
      const ModelAnswer& answer = table.rows[row][model];
      if (!answer.signal(kind)) {
        recorded = false;
        break;
      }
      varies = varies || *answer.signal(kind) != *table.rows[rows[0]][model].signal(kind);
      for (size_t i = 0; i < kinds.size(); ++i) {
        duplicates[i] = duplicates[i] && *answer.signal(kind) == *answer.signal(kinds[i]);
      }
    }
    const bool duplicate =
        std::find(duplicates.begin(), duplicates.end(), true) != duplicates.end();
    if (recorded && varies && !duplicate) kinds.push_back(kind);
  }
  if (kinds.size() < 2 || rows.empty()) return std::nullopt;
  std::vector<std::vector<double>> features;
  std::vector<int> labels;
  for (int row : rows) {
    const ModelAnswer& answer = table.rows[row][model];
    std::vector<double>& x = features.emplace_back();
    for (SignalKind kind : kinds) x.push_back(SignalInput(kind, *answer.signal(kind)));
    labels.push_back(answer.quality >= 0.5 ? 1 : 0);
  }
  auto fit = FitLogisticCombination(features, labels);
  if (!fit.ok()) return std::nullopt;
  SignalCombination combination;
  combination.intercept = Rounded(fit->intercept);
  for (size_t i = 0; i < kinds.size(); ++i) {
    combination.terms.push_back({kinds[i], Rounded(fit->weights[i])});
  }
  return combination;
}

// Every subset of the cheaper models, in ladder order, each followed by the top model.
std::vector<std::vector<int>> Ladders(int models) {
  std::vector<std::vector<int>> ladders;
  const int cheaper = models - 1;
  for (uint32_t mask = 0; mask < (1u << cheaper); ++mask) {
    std::vector<int> ladder;
    for (int m = 0; m < cheaper; ++m) {
      if (mask & (1u << m)) ladder.push_back(m);
    }
    ladder.push_back(cheaper);
    ladders.push_back(std::move(ladder));
  }
  return ladders;
}

// The candidates the selection queries give: per ladder, signal kind and target.
std::vector<Candidate> Candidates(const QueryTable& table, const FitOptions& options,
                                  const std::vector<int>& selection) {
  // One calibration per cheaper model and signal, whichever ladders it serves in.
  const int cheaper = static_cast<int>(table.models.size()) - 1;
  std::vector<std::array<std::optional<judge::LogisticMap>, kSignalKinds>> calibrations(cheaper);
  std::vector<std::optional<SignalCombination>> combinations(cheaper);
  for (int model = 0; model < cheaper; ++model) {
    for (int k = 0; k < kSignalKinds; ++k) {
      calibrations[model][k] = Calibrate(table, model, static_cast<SignalKind>(k), selection);
    }
    combinations[model] = Combine(table, model, selection);
  }
  std::vector<Candidate> candidates;
  for (const std::vector<int>& ladder : Ladders(cheaper + 1)) {
    // The top model alone needs no test: its drop is 0 by definition. It is the fallback.
    if (ladder.size() == 1) continue;
    for (int k = 0; k < kSignalKinds; ++k) {
      const auto kind = static_cast<SignalKind>(k);
      // Every cheaper tier needs the signal, ranking its answers.
      std::vector<judge::LogisticMap> maps;
      for (size_t t = 0; t + 1 < ladder.size() && calibrations[ladder[t]][k]; ++t) {
        maps.push_back(*calibrations[ladder[t]][k]);
      }
      if (maps.size() + 1 != ladder.size()) continue;
      for (double target : options.targets) {
        Candidate candidate;
        candidate.ladder = ladder;
        candidate.kind = kind;
        candidate.target = target;
        bool reachable = true;
        for (const judge::LogisticMap& map : maps) {
          if (kind == SignalKind::kRouterEstimate) {
            // No raw rule: a `calibrated` one, as the orchestrator computes it.
            candidate.combinations.push_back(RouterEstimateRule(map));
            continue;
          }
          auto raw = RawThreshold(map, kind, target);
          reachable = reachable && raw.has_value();
          if (raw) candidate.raw_thresholds.push_back(*raw);
        }
        if (!reachable) continue;
        candidate.selection = Simulate(table, candidate, selection);
        candidates.push_back(std::move(candidate));
      }
    }
    // The combination, thresholded on its own probability: every cheaper tier needs one.
    std::vector<SignalCombination> tiers;
    for (size_t t = 0; t + 1 < ladder.size() && combinations[ladder[t]]; ++t) {
      tiers.push_back(*combinations[ladder[t]]);
    }
    if (tiers.size() + 1 != ladder.size()) continue;
    for (double target : options.targets) {
      Candidate candidate;
      candidate.ladder = ladder;
      candidate.kind = SignalKind::kCombined;
      candidate.target = target;
      candidate.combinations = tiers;
      candidate.selection = Simulate(table, candidate, selection);
      candidates.push_back(std::move(candidate));
    }
  }
  return candidates;
}

// The selection frontier: no other candidate is both cheaper and lower in drop, and each
// is cheaper than the top model alone. Dearest first.
std::vector<Candidate> Frontier(std::vector<Candidate> candidates, double max_drop) {
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.selection.cost_ratio != b.selection.cost_ratio) {
      return a.selection.cost_ratio < b.selection.cost_ratio;
    }
    return a.selection.drop < b.selection.drop;
  });
  std::vector<Candidate> frontier;
  double lowest_drop = 2;
  for (Candidate& candidate : candidates) {
    if (candidate.selection.cost_ratio >= 1) break;
    if (candidate.selection.drop < lowest_drop - 1e-12) {
      lowest_drop = candidate.selection.drop;
      // Past the target on the selection queries, a candidate is not worth a test.
      if (candidate.selection.drop <= max_drop) frontier.push_back(std::move(candidate));
    }
  }
  std::reverse(frontier.begin(), frontier.end());
  return frontier;
}

// kHighProbability's test: along the sequence, the betting test of each candidate's mean
// drop on the certification queries at level 1 - confidence, stopping at the first that
// fails; the last that passed is chosen.
void CertifyFrontier(const QueryTable& table, const FitOptions& options,
                     const std::vector<int>& training, const std::vector<int>& certification,
                     FitResult& result) {
  const double delta = 1 - options.confidence;
  bool testing = true;
  for (size_t i = 0; i < result.sequence.size(); ++i) {
    Candidate& candidate = result.sequence[i];
    candidate.training = Simulate(table, candidate, training);
    std::vector<double> drops;
    std::vector<QueryCost> costs;
    candidate.certification = Simulate(table, candidate, certification, &drops, &costs);
    candidate.drop_upper_bound = DropUpperBound(drops, delta);
    candidate.cost_interval = BootstrapCostInterval(costs, options.confidence, options.seed);
    if (!testing) continue;
    candidate.p_value = DropPValue(drops, options.max_quality_drop, delta);
    candidate.certified = *candidate.p_value <= delta;
    testing = candidate.certified;
    if (candidate.certified) result.chosen = i;
  }
}

// kExpected's sequence: of the (ladder, signal) paths, ordered by target from the dearest,
// the one whose cheapest controlled candidate on the selection queries is the cheapest (and
// cheaper than the top model alone); empty when none is.
std::vector<Candidate> CheapestControlledPath(const QueryTable& table,
                                              const std::vector<Candidate>& candidates,
                                              const std::vector<int>& selection, double max_drop) {
  std::map<std::pair<std::vector<int>, SignalKind>, std::vector<Candidate>> paths;
  for (const Candidate& candidate : candidates) {
    paths[{candidate.ladder, candidate.kind}].push_back(candidate);
  }
  std::vector<Candidate> best;
  double best_cost = 1;
  for (auto& [key, path] : paths) {
    std::stable_sort(path.begin(), path.end(),
                     [](const Candidate& a, const Candidate& b) { return a.target > b.target; });
    std::vector<std::vector<double>> drops(path.size());
    for (size_t k = 0; k < path.size(); ++k) Simulate(table, path[k], selection, &drops[k]);
    const size_t controlled = ControlledPrefix(CorrectedRisks(drops), max_drop);
    for (size_t k = 0; k < controlled; ++k) {
      if (path[k].selection.cost_ratio < best_cost - 1e-12) {
        best_cost = path[k].selection.cost_ratio;
        best = path;
      }
    }
  }
  return best;
}

// kExpected's test: the sequence's corrected risks on the certification queries; every
// candidate of the controlled prefix keeps the promise, and the cheapest on the training
// queries is chosen (a later one in the prefix has a loss no larger, query by query, so the
// choice among them does not void it).
void ControlExpectedRisk(const QueryTable& table, const FitOptions& options,
                         const std::vector<int>& training, const std::vector<int>& certification,
                         FitResult& result) {
  std::vector<std::vector<double>> drops(result.sequence.size());
  for (size_t k = 0; k < result.sequence.size(); ++k) {
    Candidate& candidate = result.sequence[k];
    std::vector<QueryCost> costs;
    candidate.training = Simulate(table, candidate, training);
    candidate.certification = Simulate(table, candidate, certification, &drops[k], &costs);
    candidate.cost_interval = BootstrapCostInterval(costs, options.confidence, options.seed);
  }
  const std::vector<double> risks = CorrectedRisks(drops);
  const size_t controlled = ControlledPrefix(risks, options.max_quality_drop);
  double chosen_cost = 1;
  for (size_t k = 0; k < result.sequence.size(); ++k) {
    Candidate& candidate = result.sequence[k];
    candidate.drop_upper_bound = risks[k];
    candidate.certified = k < controlled;
    if (candidate.certified && candidate.training.cost_ratio < chosen_cost) {
      chosen_cost = candidate.training.cost_ratio;
      result.chosen = k;
    }
  }
}

}  // namespace

absl::string_view GuaranteeName(Guarantee guarantee) {
  return guarantee == Guarantee::kExpected ? "expected" : "high-probability";
}

std::optional<Guarantee> ParseGuarantee(absl::string_view name) {
  if (name == "high-probability") return Guarantee::kHighProbability;
  if (name == "expected") return Guarantee::kExpected;
  return std::nullopt;
}

std::string PromiseText(const FitOptions& options) {
  if (options.guarantee == Guarantee::kExpected) return "in expectation";
  return absl::StrFormat("with confidence %.2f", options.confidence);
}

double SignalInput(SignalKind kind, double raw) {
  if (!IsProbabilitySignal(kind)) return raw;
  const double p = std::clamp(raw, 1e-6, 1 - 1e-6);
  return std::log(p / (1 - p));
}

absl::string_view CombinationSignalName(SignalKind kind) {
  switch (kind) {
    case SignalKind::kLogprobMean:
      return "logprob_mean";
    case SignalKind::kLogprobMin:
      return "logprob_min";
    case SignalKind::kSelfCheck:
      return "self_check_log_odds";
    case SignalKind::kRouterEstimate:
      return "router_estimate_log_odds";
    case SignalKind::kCombined:
      break;
  }
  return "";
}

bool WrittenAsCalibrated(SignalKind kind) {
  return kind == SignalKind::kCombined || kind == SignalKind::kRouterEstimate;
}

std::optional<double> SignalCombination::Probability(const ModelAnswer& answer) const {
  // Term by term in the file's order, as the orchestrator sums them: the same doubles.
  double logit = intercept;
  for (const CombinationTerm& term : terms) {
    const std::optional<double>& raw = answer.signal(term.signal);
    if (!raw) return std::nullopt;
    logit += term.weight * SignalInput(term.signal, *raw);
  }
  return 1 / (1 + std::exp(-logit));
}

bool SignalCombination::UsesSelfCheck() const {
  return std::any_of(terms.begin(), terms.end(), [](const CombinationTerm& term) {
    return term.signal == SignalKind::kSelfCheck;
  });
}

CandidateFigures Simulate(const QueryTable& table, const Candidate& candidate,
                          const std::vector<int>& rows, std::vector<double>* drops,
                          std::vector<QueryCost>* costs) {
  CandidateFigures figures;
  figures.final_share.assign(candidate.ladder.size(), 0);
  const int top = static_cast<int>(table.models.size()) - 1;
  int64_t cost = 0;
  int64_t top_cost = 0;
  double drop_sum = 0;
  for (int row : rows) {
    const std::vector<ModelAnswer>& answers = table.rows[row];
    size_t tier = 0;
    int64_t query_cost = 0;
    for (; tier < candidate.ladder.size(); ++tier) {
      const ModelAnswer& answer = answers[candidate.ladder[tier]];
      query_cost += answer.cost_pusd;
      if (tier + 1 == candidate.ladder.size()) break;  // The top tier always accepts.
      // As the orchestrator: the rule passes at or above its minimum; no signal, no pass.
      if (WrittenAsCalibrated(candidate.kind)) {
        const SignalCombination& combination = candidate.combinations[tier];
        if (combination.UsesSelfCheck()) query_cost += answer.self_check_cost_pusd;
        const std::optional<double> probability = combination.Probability(answer);
        if (probability && *probability >= candidate.target) break;
        continue;
      }
      if (candidate.kind == SignalKind::kSelfCheck) query_cost += answer.self_check_cost_pusd;
      const std::optional<double>& signal = answer.signal(candidate.kind);
      if (signal && *signal >= candidate.raw_thresholds[tier]) break;
    }
    figures.final_share[tier] += 1;
    cost += query_cost;
    top_cost += answers[top].cost_pusd;
    if (costs != nullptr) costs->push_back({query_cost, answers[top].cost_pusd});
    const double drop = answers[top].quality - answers[candidate.ladder[tier]].quality;
    drop_sum += drop;
    if (drops != nullptr) drops->push_back(drop);
  }
  if (!rows.empty()) {
    figures.drop = drop_sum / static_cast<double>(rows.size());
    for (double& share : figures.final_share) share /= static_cast<double>(rows.size());
  }
  figures.cost_ratio = top_cost > 0 ? static_cast<double>(cost) / static_cast<double>(top_cost) : 0;
  return figures;
}

v1::CascadePolicyConfig PolicyOf(const QueryTable& table, const Candidate& candidate,
                                 const std::string& name) {
  v1::CascadePolicyConfig policy;
  policy.set_name(name);
  for (size_t tier = 0; tier < candidate.ladder.size(); ++tier) {
    v1::PolicyTierConfig* config = policy.add_tiers();
    config->set_tier(table.models[candidate.ladder[tier]]);
    if (tier + 1 == candidate.ladder.size()) break;
    if (WrittenAsCalibrated(candidate.kind)) {
      const SignalCombination& combination = candidate.combinations[tier];
      auto* calibrated = config->mutable_accept()->mutable_calibrated();
      calibrated->set_min_probability(candidate.target);
      calibrated->set_intercept(combination.intercept);
      for (const CombinationTerm& term : combination.terms) {
        v1::SignalWeight* weight = calibrated->add_weights();
        weight->set_signal(std::string(CombinationSignalName(term.signal)));
        weight->set_weight(term.weight);
      }
      continue;
    }
    const double threshold = candidate.raw_thresholds[tier];
    if (candidate.kind == SignalKind::kSelfCheck) {
      config->mutable_accept()->mutable_self_check()->set_min(threshold);
    } else {
      auto* logprob = config->mutable_accept()->mutable_logprob();
      logprob->set_aggregate(candidate.kind == SignalKind::kLogprobMean ? "mean" : "min");
      logprob->set_min(threshold);
    }
  }
  return policy;
}

absl::StatusOr<FitResult> FitPolicy(const QueryTable& table, const FitOptions& options) {
  if (!(options.max_quality_drop >= 0 && options.max_quality_drop < 1)) {
    return absl::InvalidArgumentError("the maximum quality drop must be in [0, 1)");
  }
  if (!(options.confidence > 0 && options.confidence < 1)) {
    return absl::InvalidArgumentError("the confidence must be in (0, 1)");
  }
  if (!(options.selection_share > 0 && options.selection_share < 1)) {
    return absl::InvalidArgumentError("the selection share must be in (0, 1)");
  }
  if (options.cross_fit_router_estimates &&
      !(options.estimate_folds >= 2 && options.estimate_folds <= 20)) {
    return absl::InvalidArgumentError("the router estimates' folds must be from 2 to 20");
  }
  if (static_cast<int>(table.rows.size()) < kMinQueries) {
    return absl::InvalidArgumentError(absl::StrCat(
        "only ", table.rows.size(), " usable queries: a fit needs at least ", kMinQueries));
  }
  std::vector<int> order(table.rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(options.seed));
  const size_t selected = static_cast<size_t>(options.selection_share * order.size());
  const std::vector<int> selection(order.begin(), order.begin() + selected);
  const std::vector<int> certification(order.begin() + selected, order.end());

  FitResult result;
  // Cross-fitted after the split: the certification queries' estimates come from the
  // selection queries' outcomes alone.
  QueryTable cross_fitted;
  if (options.cross_fit_router_estimates) {
    cross_fitted = table;
    auto done = CrossFitRouterEstimates(cross_fitted, selection, certification,
                                        options.estimate_folds, options.seed);
    if (!done.ok()) return done.status();
    result.router_estimates = *done;
  }
  const QueryTable& fitted = options.cross_fit_router_estimates ? cross_fitted : table;
  result.selection_queries = static_cast<int>(selection.size());
  result.certification_queries = static_cast<int>(certification.size());
  result.top_alone.ladder = {static_cast<int>(table.models.size()) - 1};
  result.top_alone.training = Simulate(fitted, result.top_alone, order);
  result.top_alone.certified = true;
  result.top_alone.drop_upper_bound = 0;
  result.top_alone.cost_interval = {1, 1};

  result.candidates = Candidates(fitted, options, selection);
  if (options.guarantee == Guarantee::kExpected) {
    result.sequence =
        CheapestControlledPath(fitted, result.candidates, selection, options.max_quality_drop);
    ControlExpectedRisk(fitted, options, order, certification, result);
  } else {
    result.sequence = Frontier(result.candidates, options.max_quality_drop);
    CertifyFrontier(fitted, options, order, certification, result);
  }
  result.policy = PolicyOf(
      fitted, result.chosen ? result.sequence[*result.chosen] : result.top_alone, options.name);
  return result;
}

}  // namespace cascade::policy
