#include "tools/cascadectl/cache_fit_command.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/config/config_loader.h"
#include "services/cache/lib/near_miss_guard.h"
#include "services/cache/lib/threshold_fit.h"
#include "services/orchestrator/answer_cache_embedder.h"
#include "tools/cache_eval/pairs_file.h"
#include "tools/cascadectl/command_args.h"

namespace cascade::cli {
namespace {

using cache::CacheThresholdFit;
using cache::RouteFit;
using cache::ServedCounts;
using cache::ThresholdFit;
using cache::ThresholdFitOptions;

int UsageError(std::ostream& err, absl::string_view message) {
  err << "cascadectl cache fit: " << message << "\n\n" << kCacheFitUsage;
  return 2;
}

int Fail(std::ostream& err, absl::string_view message) {
  err << "cascadectl cache fit: " << message << "\n";
  return 1;
}

std::string Threshold(double threshold) { return absl::StrFormat("%.4f", threshold); }

std::string Rate(size_t count, double rate, int decimals) {
  return count == 0 ? "-" : absl::StrFormat("%.*f%%", decimals, 100 * rate);
}

// A YAML key: bare when plain, else double-quoted as JSON (which YAML reads).
std::string YamlKey(const std::string& key) {
  const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  return plain ? key : nlohmann::json(key).dump();
}

std::string Snippet(const CacheThresholdFit& fit, const std::string& pairs_path,
                    double max_wrong_hit_rate) {
  std::string yaml = absl::StrFormat(
      "# cascadectl cache fit --pairs %s: wrong hits <= %g%% of near-misses on the fit part;\n"
      "# held out: hits %s of true pairs, wrong hits %s of near-misses.\n"
      "# For a policy's cache block (policies[].cache, with semantic: true; docs/cache.md).\n",
      pairs_path, 100 * max_wrong_hit_rate,
      Rate(fit.held_out.positives, fit.held_out.hit_rate(), 1),
      Rate(fit.held_out.negatives, fit.held_out.wrong_hit_rate(), 2));
  absl::StrAppend(&yaml, "similarity_threshold: ", Threshold(fit.overall.threshold), "\n");
  const std::map<std::string, double> routes = fit.route_thresholds();
  if (!routes.empty()) {
    absl::StrAppend(&yaml, "route_similarity_thresholds:\n");
    for (const auto& [route, threshold] : routes) {
      absl::StrAppend(&yaml, "  ", YamlKey(route), ": ", Threshold(threshold), "\n");
    }
  }
  return yaml;
}

nlohmann::json CountsJson(const ServedCounts& counts) {
  return {{"true_pairs", counts.positives},  {"hits", counts.hits},
          {"hit_rate", counts.hit_rate()},   {"near_misses", counts.negatives},
          {"wrong_hits", counts.wrong_hits}, {"wrong_hit_rate", counts.wrong_hit_rate()}};
}

nlohmann::json FitJson(const ThresholdFit& fit) {
  return {{"threshold", fit.threshold},
          {"near_misses", fit.negatives},
          {"allowed_wrong_hits", fit.allowed_wrong_hits},
          {"wrong_hits", fit.wrong_hits},
          {"target_met", fit.target_met}};
}

std::string Row(const std::string& route, const std::string& threshold, const std::string& from,
                const ServedCounts& fitted, const ServedCounts& held_out) {
  return absl::StrFormat("%-22s %9s %-7s | %5d %5d %6s %6s | %5d %5d %6s %6s\n", route, threshold,
                         from, fitted.positives, fitted.negatives,
                         Rate(fitted.positives, fitted.hit_rate(), 1),
                         Rate(fitted.negatives, fitted.wrong_hit_rate(), 2), held_out.positives,
                         held_out.negatives, Rate(held_out.positives, held_out.hit_rate(), 1),
                         Rate(held_out.negatives, held_out.wrong_hit_rate(), 2));
}

// What the reader should know beyond the table: a target not met, a target the fit part is
// too small to tell from zero, a held-out part without one label.
std::vector<std::string> Notes(const CacheThresholdFit& fit, const ThresholdFitOptions& options) {
  std::vector<std::string> notes;
  if (!fit.overall.target_met) {
    notes.push_back(absl::StrFormat(
        "the overall target is not met even at 1.0: %d near-misses embed like their other "
        "text and pass the guard",
        fit.overall.wrong_hits));
  }
  for (const RouteFit& route : fit.routes) {
    if (route.own && !route.fit.target_met) {
      notes.push_back(absl::StrFormat("route %s: the target is not met even at 1.0", route.route));
    }
  }
  size_t strict_routes = 0;
  for (const RouteFit& route : fit.routes) {
    if (route.own && route.fit.allowed_wrong_hits == 0) ++strict_routes;
  }
  if (strict_routes > 0 && fit.overall.allowed_wrong_hits > 0) {
    notes.push_back(absl::StrFormat(
        "%d route(s) have too few near-misses in the fit part for a target of %g%% to allow "
        "one: their thresholds sit just above their most similar near-miss the guard lets "
        "through (or at --min-threshold when it lets none through)",
        strict_routes, 100 * options.max_wrong_hit_rate));
  }
  if (fit.overall.allowed_wrong_hits == 0 && options.max_wrong_hit_rate > 0) {
    notes.push_back(absl::StrFormat(
        "%d near-misses in the fit part: a target of %g%% allows none of them, so each "
        "threshold sits just above the most similar near-miss the guard lets through (or at "
        "--min-threshold)",
        fit.overall.negatives, 100 * options.max_wrong_hit_rate));
  }
  if (fit.held_out.negatives == 0 || fit.held_out.positives == 0) {
    notes.push_back(
        "the held-out part lacks true pairs or near-misses (too few pairs to hold some out): "
        "nothing measures the thresholds on pairs they were not fitted on");
  }
  return notes;
}

}  // namespace

int RunCacheFit(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  if (std::find(raw_args.begin(), raw_args.end(), "--help") != raw_args.end() ||
      std::find(raw_args.begin(), raw_args.end(), "-h") != raw_args.end()) {
    out << kCacheFitUsage;
    return 0;
  }
  absl::StatusOr<CommandArgs> args =
      CommandArgs::Parse(raw_args,
                         {"pairs", "max-wrong-hit-rate", "holdout", "seed", "guards",
                          "min-route-negatives", "min-threshold", "out", "orchestrator-config"},
                         {"json"});
  if (!args.ok()) return UsageError(err, args.status().message());
  if (!args->positionals().empty()) {
    return UsageError(err, absl::StrCat("unexpected argument '", args->positionals().front(),
                                        "' (the pairs file goes in --pairs)"));
  }
  absl::StatusOr<std::string> pairs_path = args->Required("pairs");
  if (!pairs_path.ok()) return UsageError(err, pairs_path.status().message());
  ThresholdFitOptions options;
  if (auto value = args->Value("max-wrong-hit-rate");
      value && (!absl::SimpleAtod(*value, &options.max_wrong_hit_rate) ||
                !(options.max_wrong_hit_rate >= 0 && options.max_wrong_hit_rate < 1))) {
    return UsageError(err, "--max-wrong-hit-rate must be a number in [0, 1), e.g. 0.005");
  }
  double holdout = 0.3;
  if (auto value = args->Value("holdout");
      value && (!absl::SimpleAtod(*value, &holdout) || !(holdout > 0 && holdout < 1))) {
    return UsageError(err, "--holdout must be a number between 0 and 1 (exclusive)");
  }
  uint64_t seed = 1;
  if (auto value = args->Value("seed"); value && !absl::SimpleAtoi(*value, &seed)) {
    return UsageError(err, "--seed must be a non-negative integer");
  }
  const std::string guards = args->ValueOr("guards", "on");
  if (guards != "on" && guards != "off") return UsageError(err, "--guards must be on or off");
  if (auto value = args->Value("min-route-negatives");
      value && (!absl::SimpleAtoi(*value, &options.min_route_negatives) ||
                options.min_route_negatives == 0)) {
    return UsageError(err, "--min-route-negatives must be a positive integer");
  }
  if (auto value = args->Value("min-threshold");
      value && (!absl::SimpleAtod(*value, &options.min_threshold) ||
                !(options.min_threshold > 0 && options.min_threshold <= 1))) {
    return UsageError(err, "--min-threshold must be a number in (0, 1]");
  }

  absl::StatusOr<std::vector<cache::LabelledPair>> pairs = cache_eval::ReadPairsFile(*pairs_path);
  if (!pairs.ok()) return Fail(err, pairs.status().message());
  const size_t positives = static_cast<size_t>(std::count_if(
      pairs->begin(), pairs->end(), [](const cache::LabelledPair& pair) { return pair.same; }));
  const size_t negatives = pairs->size() - positives;
  if (pairs->empty()) return Fail(err, absl::StrCat(*pairs_path, " holds no pairs"));
  if (negatives == 0) {
    return Fail(err, absl::StrCat(*pairs_path,
                                  " has no near-misses (pairs with \"same\": false): the "
                                  "thresholds are fitted on them"));
  }
  if (positives == 0) {
    return Fail(err, absl::StrCat(*pairs_path,
                                  " has no true pairs (pairs with \"same\": true): without them "
                                  "nothing measures what a threshold serves"));
  }

  // The embedder the orchestrator's config gives its cache: the hashed one unless
  // answer_cache.openai_embedder names an endpoint.
  v1::AnswerCacheConfig cache_config;
  if (std::optional<std::string> path = args->Value("orchestrator-config")) {
    v1::OrchestratorConfig config;
    if (absl::Status loaded = LoadConfigFile(*path, &config); !loaded.ok()) {
      return Fail(err, loaded.message());
    }
    cache_config = config.answer_cache();
  }
  const std::string embedder_name =
      cache_config.has_openai_embedder()
          ? absl::StrCat("openai ", cache_config.openai_embedder().model(), " at ",
                         cache_config.openai_embedder().base_url())
          : "hashed";
  absl::StatusOr<std::shared_ptr<const router::Embedder>> embedder =
      orchestrator::MakeAnswerCacheEmbedder(cache_config);
  if (!embedder.ok()) return Fail(err, embedder.status().message());
  cache::NearMissGuardOptions guard_options;
  if (guards == "off") guard_options = cache::NearMissGuardOptions::AllOff();
  std::vector<cache::TextPair> texts;
  for (const cache::LabelledPair& pair : *pairs) texts.push_back({pair.first, pair.second});
  absl::StatusOr<std::vector<cache::PairScore>> scores =
      cache::ScorePairs(texts, **embedder, cache::NearMissGuard(guard_options));
  if (!scores.ok()) return Fail(err, scores.status().message());
  const std::vector<bool> held_out = cache::HoldOut(*pairs, holdout, seed);
  absl::StatusOr<CacheThresholdFit> fit =
      cache::FitCacheThresholds(*pairs, *scores, held_out, options);
  if (!fit.ok()) return Fail(err, fit.status().message());

  const std::string yaml = Snippet(*fit, *pairs_path, options.max_wrong_hit_rate);
  if (std::optional<std::string> out_path = args->Value("out")) {
    std::ofstream file(*out_path);
    file << yaml;
    file.close();
    if (!file) return Fail(err, absl::StrCat("cannot write ", *out_path));
  }
  const std::vector<std::string> notes = Notes(*fit, options);
  const size_t held = static_cast<size_t>(std::count(held_out.begin(), held_out.end(), true));

  if (args->Has("json")) {
    nlohmann::json json;
    json["pairs"] = pairs->size();
    json["true_pairs"] = positives;
    json["near_misses"] = negatives;
    json["fit_pairs"] = pairs->size() - held;
    json["held_out_pairs"] = held;
    json["holdout"] = holdout;
    json["seed"] = seed;
    json["guards"] = guards == "on";
    json["embedder"] = embedder_name;
    json["max_wrong_hit_rate"] = options.max_wrong_hit_rate;
    json["min_route_negatives"] = options.min_route_negatives;
    json["min_threshold"] = options.min_threshold;
    json["similarity_threshold"] = fit->overall.threshold;
    json["route_similarity_thresholds"] = fit->route_thresholds();
    json["overall"] = FitJson(fit->overall);
    json["routes"] = nlohmann::json::array();
    for (const RouteFit& route : fit->routes) {
      nlohmann::json entry = {{"route", route.route},
                              {"own", route.own},
                              {"threshold", route.threshold},
                              {"fit", CountsJson(route.fitted)},
                              {"held_out", CountsJson(route.held_out)}};
      if (route.own) entry["own_fit"] = FitJson(route.fit);
      json["routes"].push_back(std::move(entry));
    }
    json["fit"] = CountsJson(fit->fitted);
    json["held_out"] = CountsJson(fit->held_out);
    json["held_out_overall_threshold_only"] = CountsJson(fit->held_out_overall_only);
    json["notes"] = notes;
    json["config_yaml"] = yaml;
    out << json.dump(2) << "\n";
    return 0;
  }

  out << absl::StrFormat(
      "%d labelled pairs in %s (%d true, %d near-misses): %d to fit, %d held out (%g of each "
      "route's true pairs and near-misses, seed %d)\n",
      pairs->size(), *pairs_path, positives, negatives, pairs->size() - held, held, holdout, seed);
  out << absl::StrFormat(
      "the cache's embedder (%s); near-miss guard %s; target: wrong hits <= %g%% of "
      "near-misses; a route needs %d near-misses in the fit part for its own threshold\n\n",
      embedder_name, guards, 100 * options.max_wrong_hit_rate, options.min_route_negatives);
  out << absl::StrFormat("%-22s %9s %-7s | %-27s | %s\n", "", "", "", "fit part", "held out");
  out << absl::StrFormat("%-22s %9s %-7s | %5s %5s %6s %6s | %5s %5s %6s %6s\n", "ROUTE",
                         "THRESHOLD", "FROM", "TRUE", "NEAR", "HIT", "WRONG", "TRUE", "NEAR", "HIT",
                         "WRONG");
  for (const RouteFit& route : fit->routes) {
    out << Row(route.route.empty() ? "(no route)" : route.route, Threshold(route.threshold),
               route.own ? "own" : "overall", route.fitted, route.held_out);
  }
  out << Row("all routes", "", "", fit->fitted, fit->held_out);
  out << absl::StrFormat(
      "\noverall threshold %s (the lowest with at most %d wrong hits among the fit part's %d "
      "near-misses; %d there)\n",
      Threshold(fit->overall.threshold), fit->overall.allowed_wrong_hits, fit->overall.negatives,
      fit->overall.wrong_hits);
  const ServedCounts& held_counts = fit->held_out;
  const ServedCounts& single = fit->held_out_overall_only;
  out << absl::StrFormat(
      "held out, each route at its threshold: hits %s of %d true pairs, wrong hits %s of %d "
      "near-misses\n",
      Rate(held_counts.positives, held_counts.hit_rate(), 1), held_counts.positives,
      Rate(held_counts.negatives, held_counts.wrong_hit_rate(), 2), held_counts.negatives);
  out << absl::StrFormat(
      "held out, the overall threshold alone:  hits %s of %d true pairs, wrong hits %s of %d "
      "near-misses\n",
      Rate(single.positives, single.hit_rate(), 1), single.positives,
      Rate(single.negatives, single.wrong_hit_rate(), 2), single.negatives);
  for (const std::string& note : notes) out << "note: " << note << "\n";
  out << "\n" << yaml;
  if (std::optional<std::string> out_path = args->Value("out")) {
    out << "\nwrote " << *out_path << "\n";
  }
  return 0;
}

}  // namespace cascade::cli
