#include "tools/policy/fit_report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cascade::policy {
namespace {

// Each cheaper model's combination of signals, as the candidates of `kind` (kCombined, or
// kRouterEstimate: its calibration) use it (one per model, fitted on the selection queries,
// whatever the ladder).
std::map<int, SignalCombination> Combinations(const FitResult& fit,
                                              SignalKind kind = SignalKind::kCombined) {
  std::map<int, SignalCombination> combinations;
  for (const Candidate& c : fit.candidates) {
    if (c.kind != kind) continue;
    for (size_t t = 0; t < c.combinations.size(); ++t) {
      combinations.emplace(c.ladder[t], c.combinations[t]);
    }
  }
  return combinations;
}

// "2.5 + 1.2 x logprob_mean + 0.8 x self_check_log_odds": the logit, as the policy file has it.
std::string Logit(const SignalCombination& combination) {
  std::string logit = absl::StrFormat("%g", combination.intercept);
  for (const CombinationTerm& term : combination.terms) {
    absl::StrAppend(&logit, term.weight < 0 ? " - " : " + ",
                    absl::StrFormat("%g", std::abs(term.weight)), " x ",
                    CombinationSignalName(term.signal));
  }
  return logit;
}

absl::string_view SignalLabel(const Candidate& c) {
  return c.kind == SignalKind::kCombined ? "combined signals" : SignalName(c.kind);
}

std::string ChoiceLine(const QueryTable& table, const FitResult& fit, const FitOptions& options) {
  if (!fit.chosen) {
    return absl::StrFormat(
        "chosen: the top model (%s) alone. No cheaper policy could be shown to stay within a "
        "drop of %.4f %s on these %d queries",
        table.models.back(), options.max_quality_drop, PromiseText(options), table.rows.size());
  }
  const Candidate& c = fit.sequence[*fit.chosen];
  return absl::StrFormat(
      "chosen: %s on %s, P(correct) >= %.3f: training drop %+.4f at %.3f of the top model's "
      "cost; drop <= %.4f %s",
      LadderName(table, c), SignalLabel(c), c.target, c.training.drop, c.training.cost_ratio,
      options.max_quality_drop, PromiseText(options));
}

std::string SplitLine(const QueryTable& table, const FitResult& fit, const FitOptions& options) {
  return absl::StrFormat("%d queries (%d skipped): %d select, %d certify; target: drop <= %.4f %s",
                         table.rows.size(), table.skipped, fit.selection_queries,
                         fit.certification_queries, options.max_quality_drop, PromiseText(options));
}

// Where the router's estimates came from, when they were cross-fitted; empty otherwise.
std::string RouterEstimatesLine(const FitResult& fit) {
  if (!fit.router_estimates) return "";
  return absl::StrFormat(
      "router_estimate: cross-fitted, replacing any recorded (%d folds over the selection "
      "queries; the certification queries' from the selection queries' outcomes alone); %d "
      "answers estimated, %d without an estimate",
      fit.router_estimates->folds, fit.router_estimates->estimated, fit.router_estimates->missing);
}

std::string MethodParagraph(const FitOptions& options) {
  if (options.guarantee == Guarantee::kExpected) {
    return "The promise holds for queries drawn like these, in expectation over the draw of "
           "the training queries (not with a stated confidence: one unlucky draw can do "
           "worse). One ladder and signal was selected on one half of the queries; its "
           "thresholds, from the dearest, were tested on the other half by conformal risk "
           "control of the one-sided drop, the bound column being its corrected risk "
           "(docs/policy.md).";
  }
  return "The promise holds for queries drawn like these. Candidates were selected on one half "
         "of the queries and certified on the other, from the dearest to the cheapest, by a "
         "betting test of the mean drop at level 1 - confidence, stopping at the first that "
         "failed (docs/policy.md).";
}

std::string PValue(const Candidate& c) {
  return c.p_value ? absl::StrFormat("%.4f", *c.p_value) : "-";
}

}  // namespace

std::string LadderName(const QueryTable& table, const Candidate& candidate) {
  std::string ladder;
  for (int model : candidate.ladder) {
    absl::StrAppend(&ladder, ladder.empty() ? "" : " > ", table.models[model]);
  }
  return ladder;
}

std::string FitSummary(const QueryTable& table, const FitResult& fit, const FitOptions& options) {
  std::string out = absl::StrCat(SplitLine(table, fit, options), "\n");
  if (fit.router_estimates) absl::StrAppend(&out, RouterEstimatesLine(fit), "\n");
  absl::StrAppend(&out,
                  absl::StrFormat("%-44s %-15s %6s %10s %10s %10s %9s %8s %10s %10s\n", "LADDER",
                                  "SIGNAL", "P>=", "SEL DROP", "SEL COST", "CERT DROP", "BOUND",
                                  "P-VALUE", "TRAIN DROP", "TRAIN COST"));
  for (const Candidate& c : fit.sequence) {
    absl::StrAppend(
        &out,
        absl::StrFormat("%-44s %-15s %6.3f %+10.4f %10.3f %+10.4f %+9.4f %8s %+10.4f %10.3f%s\n",
                        LadderName(table, c), SignalName(c.kind), c.target, c.selection.drop,
                        c.selection.cost_ratio, c.certification.drop, c.drop_upper_bound, PValue(c),
                        c.training.drop, c.training.cost_ratio, c.certified ? "  certified" : ""));
  }
  for (const auto& [model, combination] : Combinations(fit)) {
    absl::StrAppend(&out, "combined signals of ", table.models[model],
                    ": P(correct) = 1 / (1 + exp(-(", Logit(combination), ")))\n");
  }
  for (const auto& [model, rule] : Combinations(fit, SignalKind::kRouterEstimate)) {
    absl::StrAppend(&out, "router_estimate of ", table.models[model],
                    ": P(correct) = 1 / (1 + exp(-(", Logit(rule), ")))\n");
  }
  absl::StrAppend(&out, ChoiceLine(table, fit, options), "\n");
  return out;
}

std::string FitReportMarkdown(const QueryTable& table, const FitResult& fit,
                              const FitOptions& options, const std::string& outcomes_path,
                              const std::string& policy_yaml, const std::string& chart) {
  std::string md =
      absl::StrCat("# Policy fit: ", outcomes_path, "\n\n", SplitLine(table, fit, options),
                   ".\n\n**", ChoiceLine(table, fit, options), ".**\n\n");
  if (fit.router_estimates) absl::StrAppend(&md, RouterEstimatesLine(fit), ".\n\n");
  absl::StrAppend(&md, MethodParagraph(options), "\n\n");
  double top_quality = 0;
  for (const auto& row : table.rows) top_quality += row.back().quality;
  top_quality /= static_cast<double>(table.rows.size());
  const Candidate& predicted = fit.chosen ? fit.sequence[*fit.chosen] : fit.top_alone;
  absl::StrAppend(
      &md, absl::StrFormat(
               "Predicted on queries like these: quality %.4f (the top model alone: %.4f on the "
               "training queries), and at least the top model's quality - %.4f %s; cost %.3f of "
               "the top model's on the training queries, %.3f to %.3f on the "
               "certification queries (a %.0f%% percentile-bootstrap interval: approximate, "
               "unlike the bound on the drop).\n\n",
               top_quality - predicted.training.drop, top_quality,
               fit.chosen ? options.max_quality_drop : 0.0, PromiseText(options),
               predicted.training.cost_ratio, predicted.cost_interval.low,
               predicted.cost_interval.high, 100 * options.confidence));
  if (!chart.empty()) {
    absl::StrAppend(&md, "![cost and quality drop of every candidate](", chart, ")\n\n");
  }
  absl::StrAppend(&md, "## The policy\n\n```yaml\n", policy_yaml, "```\n\n");
  const Candidate& chosen = fit.chosen ? fit.sequence[*fit.chosen] : fit.top_alone;
  absl::StrAppend(
      &md,
      "Share of the training queries answered at each tier:\n\n| tier | share |\n| --- | --- |\n");
  for (size_t t = 0; t < chosen.ladder.size(); ++t) {
    absl::StrAppend(&md, absl::StrFormat("| %s | %.1f%% |\n", table.models[chosen.ladder[t]],
                                         100 * chosen.training.final_share[t]));
  }
  absl::StrAppend(&md,
                  "\n## The tested sequence\n\nDrops are against the top model alone (positive: "
                  "worse); costs are shares of its cost. The drop's upper bound is what could be "
                  "promised for the candidate, as the promise above is made.\n\n"
                  "| ladder | signal | P(correct) >= | selection drop | selection cost | "
                  "certification drop | drop upper bound | certification cost interval | p-value "
                  "| training drop | training cost | certified |\n| --- | --- | --- | --- | --- | "
                  "--- | --- | --- | --- | --- | --- | --- |\n");
  for (const Candidate& c : fit.sequence) {
    absl::StrAppend(
        &md,
        absl::StrFormat("| %s | %s | %.3f | %+.4f | %.3f | %+.4f | %+.4f | %.3f to %.3f | %s | "
                        "%+.4f | %.3f | %s |\n",
                        LadderName(table, c), SignalName(c.kind), c.target, c.selection.drop,
                        c.selection.cost_ratio, c.certification.drop, c.drop_upper_bound,
                        c.cost_interval.low, c.cost_interval.high, PValue(c), c.training.drop,
                        c.training.cost_ratio, c.certified ? "yes" : "no"));
  }
  if (fit.sequence.empty()) {
    absl::StrAppend(&md, "\nNo candidate was within the target on the selection queries.\n");
  }
  const std::map<int, SignalCombination> combinations = Combinations(fit);
  if (!combinations.empty()) {
    absl::StrAppend(
        &md,
        "\n## Combined signals\n\nThe `combined` candidates stop a tier when P(correct) = 1 / "
        "(1 + exp(-(intercept + sum of weight x signal))) reaches the threshold; per model, a "
        "logistic regression on the selection queries of every signal its answers carry "
        "(the logprob aggregates in natural log, the self-check's P(yes) as log-odds), as the "
        "policy file's `calibrated` rule holds it:\n\n| model | P(correct) = 1 / (1 + exp(-(...))) "
        "|\n| --- | --- |\n");
    for (const auto& [model, combination] : combinations) {
      absl::StrAppend(&md, "| ", table.models[model], " | ", Logit(combination), " |\n");
    }
  }
  const std::map<int, SignalCombination> router_rules =
      Combinations(fit, SignalKind::kRouterEstimate);
  if (!router_rules.empty()) {
    absl::StrAppend(
        &md,
        "\n## The router's estimate\n\nThe `router_estimate` candidates stop a tier when the "
        "router's estimate, calibrated per model on the selection queries, reaches the "
        "threshold: a `calibrated` rule with one weight, on the estimate's log-odds:\n\n"
        "| model | P(correct) = 1 / (1 + exp(-(...))) |\n| --- | --- |\n");
    for (const auto& [model, rule] : router_rules) {
      absl::StrAppend(&md, "| ", table.models[model], " | ", Logit(rule), " |\n");
    }
  }
  return md;
}

std::string FrontierSvg(const QueryTable& table, const FitResult& fit, const FitOptions& options) {
  constexpr double kWidth = 640, kHeight = 420, kLeft = 70, kRight = 20, kTop = 30, kBottom = 50;
  double max_drop = std::max(options.max_quality_drop * 2, 0.02);
  double min_drop = 0;
  for (const Candidate& c : fit.candidates) {
    max_drop = std::max(max_drop, std::min(c.selection.drop, 0.5));
    min_drop = std::min(min_drop, c.selection.drop);
  }
  const double max_cost = 1.2;
  auto x = [&](double cost) {
    return kLeft + std::min(cost, max_cost) / max_cost * (kWidth - kLeft - kRight);
  };
  auto y = [&](double drop) {
    return kTop + (max_drop - std::min(drop, max_drop)) / (max_drop - min_drop) *
                      (kHeight - kTop - kBottom);
  };
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
      "fill=\"white\"/>\n<text x=\"%.0f\" y=\"18\" font-size=\"14\">Candidates on the selection "
      "queries: cost against quality drop (top model: %s)</text>\n",
      kWidth, kHeight, kLeft, table.models.back());
  // Axes, ticks and the target.
  absl::StrAppend(&svg, absl::StrFormat("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                                        "stroke=\"black\"/>\n<line x1=\"%.1f\" y1=\"%.1f\" "
                                        "x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n",
                                        kLeft, kHeight - kBottom, kWidth - kRight,
                                        kHeight - kBottom, kLeft, kTop, kLeft, kHeight - kBottom));
  for (double cost = 0; cost <= max_cost + 1e-9; cost += 0.2) {
    absl::StrAppend(&svg, absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.1f"
                                          "</text>\n",
                                          x(cost), kHeight - kBottom + 16, cost));
  }
  for (int i = 0; i <= 4; ++i) {
    const double drop = min_drop + (max_drop - min_drop) * i / 4;
    absl::StrAppend(&svg, absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%+.3f"
                                          "</text>\n",
                                          kLeft - 6, y(drop) + 4, drop));
  }
  absl::StrAppend(
      &svg,
      absl::StrFormat(
          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">cost, share of the top model "
          "alone</text>\n<text transform=\"translate(16,%.1f) rotate(-90)\" "
          "text-anchor=\"middle\">quality drop</text>\n<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
          "y2=\"%.1f\" stroke=\"#c00\" stroke-dasharray=\"6,4\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
          "fill=\"#c00\" text-anchor=\"end\">target %.3f</text>\n",
          (kLeft + kWidth - kRight) / 2, kHeight - 12, (kTop + kHeight - kBottom) / 2, kLeft,
          y(options.max_quality_drop), kWidth - kRight, y(options.max_quality_drop),
          kWidth - kRight, y(options.max_quality_drop) - 4, options.max_quality_drop));
  for (const Candidate& c : fit.candidates) {
    absl::StrAppend(&svg,
                    absl::StrFormat("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"#bbb\"/>\n",
                                    x(c.selection.cost_ratio), y(c.selection.drop)));
  }
  std::string path;
  for (const Candidate& c : fit.sequence) {
    absl::StrAppend(&path, path.empty() ? "M" : " L",
                    absl::StrFormat("%.1f,%.1f", x(c.selection.cost_ratio), y(c.selection.drop)));
  }
  if (!path.empty()) {
    absl::StrAppend(&svg, "<path d=\"", path, "\" fill=\"none\" stroke=\"#36c\"/>\n");
  }
  for (size_t i = 0; i < fit.sequence.size(); ++i) {
    const Candidate& c = fit.sequence[i];
    absl::StrAppend(&svg,
                    absl::StrFormat("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" stroke=\"#36c\" "
                                    "fill=\"%s\"><title>%s, %s, P(correct) &gt;= %.3f"
                                    "</title></circle>\n",
                                    x(c.selection.cost_ratio), y(c.selection.drop),
                                    fit.chosen == i ? 7 : 4, c.certified ? "#36c" : "white",
                                    LadderName(table, c), SignalName(c.kind), c.target));
  }
  absl::StrAppend(&svg, absl::StrFormat("<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" "
                                        "fill=\"black\"/>\n<text x=\"%.1f\" y=\"%.1f\">top model "
                                        "alone</text>\n",
                                        x(1) - 4, y(0) - 4, x(1) + 8, y(0) - 8));
  absl::StrAppend(&svg,
                  absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\" fill=\"#36c\">blue: tested from the "
                                  "dearest; filled: certified; large: chosen</text>\n</svg>\n",
                                  kLeft + 8, kTop + 14));
  return svg;
}

}  // namespace cascade::policy
