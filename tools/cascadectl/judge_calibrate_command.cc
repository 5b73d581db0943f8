#include "tools/cascadectl/judge_calibrate_command.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json/json_lines.h"
#include "services/judge/lib/answer_validators.h"
#include "services/judge/lib/calibration.h"
#include "services/judge/lib/logprob_aggregate.h"
#include "tools/cascadectl/command_args.h"

namespace cascade::cli {
namespace {

using judge::LogisticMap;

constexpr const char* kAggregates[] = {"mean", "min", "p10", "p25", "p50", "mean_len"};

struct Record {
  std::vector<v1::TokenLogprob> logprobs;
  std::string answer;
  v1::FinishReason finish_reason = v1::FINISH_REASON_STOP;
  std::optional<double> llm_score;
  int label = 0;
};

absl::StatusOr<std::vector<Record>> ReadRecords(const std::string& path) {
  std::vector<Record> records;
  absl::Status status =
      ForEachJsonLine(path, [&](const nlohmann::json& json, JsonLineError where) -> absl::Status {
        Record record;
        auto label = json.find("label");
        if (label == json.end() || !label->is_number_integer() ||
            (label->get<int>() != 0 && label->get<int>() != 1)) {
          return where("\"label\" must be 0 or 1");
        }
        record.label = label->get<int>();
        if (auto answer = json.find("answer"); answer != json.end()) {
          if (!answer->is_string()) return where("\"answer\" must be a string");
          record.answer = answer->get<std::string>();
        }
        if (auto logprobs = json.find("logprobs"); logprobs != json.end()) {
          if (!logprobs->is_array()) return where("\"logprobs\" must be an array of numbers");
          for (const nlohmann::json& value : *logprobs) {
            if (!value.is_number()) return where("\"logprobs\" must be an array of numbers");
            record.logprobs.emplace_back().set_logprob(value.get<double>());
          }
          if (!record.logprobs.empty()) {
            if (absl::Status ok = judge::ValidateLogprobs(record.logprobs); !ok.ok()) {
              return where(ok.message());
            }
          }
        }
        if (auto finish = json.find("finish_reason"); finish != json.end()) {
          if (*finish == "length") {
            record.finish_reason = v1::FINISH_REASON_LENGTH;
          } else if (*finish != "stop") {
            return where("\"finish_reason\" must be \"stop\" or \"length\"");
          }
        }
        if (auto llm = json.find("llm_score"); llm != json.end()) {
          if (!llm->is_number() || llm->get<double>() < 0 || llm->get<double>() > 1) {
            return where("\"llm_score\" must be a number in [0, 1]");
          }
          record.llm_score = llm->get<double>();
        }
        records.push_back(std::move(record));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return records;
}

// One method's values on the records it applies to.
struct Series {
  std::vector<double> raw;    // What the map takes.
  std::vector<double> score;  // The uncalibrated [0, 1] score.
  std::vector<int> label;
};

struct MethodReport {
  std::string name;       // "logprob:p10", "validators", "llm".
  std::string config;     // "logprob", "validators", "llm".
  std::string aggregate;  // For logprob only.
  size_t train = 0, test = 0;
  LogisticMap map;
  double auc = 0, brier_before = 0, brier_after = 0, ece_before = 0, ece_after = 0;
};

absl::StatusOr<MethodReport> Evaluate(const std::string& name, const Series& train,
                                      const Series& test) {
  MethodReport report;
  report.name = name;
  report.train = train.raw.size();
  report.test = test.raw.size();
  absl::StatusOr<LogisticMap> map = judge::FitLogisticMap(train.raw, train.label);
  if (!map.ok())
    return absl::Status(map.status().code(), absl::StrCat(name, ": ", map.status().message()));
  report.map = *map;
  std::vector<double> after;
  for (double raw : test.raw) after.push_back(map->Apply(raw));
  report.auc = judge::RocAuc(test.raw, test.label);
  report.brier_before = judge::BrierScore(test.score, test.label);
  report.brier_after = judge::BrierScore(after, test.label);
  report.ece_before = judge::ExpectedCalibrationError(test.score, test.label);
  report.ece_after = judge::ExpectedCalibrationError(after, test.label);
  return report;
}

int UsageError(std::ostream& err, absl::string_view message) {
  err << "cascadectl judge calibrate: " << message << "\n\n" << kJudgeCalibrateUsage;
  return 2;
}

int Fail(std::ostream& err, const absl::Status& status) {
  err << "cascadectl judge calibrate: " << status.message() << "\n";
  return 1;
}

}  // namespace

int RunJudgeCalibrate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (std::find(args.begin(), args.end(), "--help") != args.end()) {
    out << kJudgeCalibrateUsage;
    return 0;
  }
  auto parsed = CommandArgs::Parse(args, {"train-fraction", "seed"}, {"json"});
  if (!parsed.ok()) return UsageError(err, parsed.status().message());
  if (parsed->positionals().size() != 1) return UsageError(err, "give one FILE.jsonl");
  double train_fraction = 0.7;
  if (auto value = parsed->Value("train-fraction");
      value && (!absl::SimpleAtod(*value, &train_fraction) || !(train_fraction > 0) ||
                !(train_fraction < 1))) {
    return UsageError(err, "--train-fraction must be a number between 0 and 1 (exclusive)");
  }
  uint64_t seed = 1;
  if (auto value = parsed->Value("seed"); value && !absl::SimpleAtoi(*value, &seed)) {
    return UsageError(err, "--seed must be a non-negative integer");
  }

  absl::StatusOr<std::vector<Record>> records = ReadRecords(parsed->positionals()[0]);
  if (!records.ok()) return Fail(err, records.status());
  if (records->size() < 4) {
    return Fail(err, absl::InvalidArgumentError(absl::StrCat("only ", records->size(),
                                                             " records: calibration needs "
                                                             "labeled records on both splits")));
  }
  std::mt19937_64 rng(seed);
  std::shuffle(records->begin(), records->end(), rng);
  const size_t train_size = std::clamp<size_t>(
      static_cast<size_t>(std::llround(train_fraction * static_cast<double>(records->size()))), 1,
      records->size() - 1);

  // method name -> (train, test)
  std::map<std::string, std::pair<Series, Series>> series;
  for (size_t i = 0; i < records->size(); ++i) {
    const Record& record = (*records)[i];
    auto add = [&](const std::string& name, double raw, double score) {
      Series& s = i < train_size ? series[name].first : series[name].second;
      s.raw.push_back(raw);
      s.score.push_back(score);
      s.label.push_back(record.label);
    };
    if (!record.logprobs.empty()) {
      for (const char* name : kAggregates) {
        const double aggregate =
            *judge::ComputeLogprobAggregate(*judge::ParseLogprobAggregate(name), record.logprobs);
        add(absl::StrCat("logprob:", name), aggregate, judge::LogprobScore(aggregate));
      }
    }
    const double valid =
        judge::ValidateAnswer(record.answer, record.finish_reason, v1::ResponseFormat()).score;
    add("validators", valid, valid);
    if (record.llm_score) add("llm", *record.llm_score, *record.llm_score);
  }

  std::vector<MethodReport> reports;
  std::vector<std::string> skipped;
  for (const auto& [name, split] : series) {
    absl::StatusOr<MethodReport> report = Evaluate(name, split.first, split.second);
    if (!report.ok()) {
      skipped.push_back(std::string(report.status().message()));
      continue;
    }
    if (absl::StartsWith(name, "logprob:")) {
      report->config = "logprob";
      report->aggregate = name.substr(8);
    } else {
      report->config = name;
    }
    reports.push_back(*report);
  }
  if (reports.empty()) {
    return Fail(err, absl::InvalidArgumentError(absl::StrCat(
                         "no method could be fitted: ", skipped.empty() ? "" : skipped.front())));
  }
  // The logprob aggregate to configure: the best held-out AUC.
  const MethodReport* best_logprob = nullptr;
  for (const MethodReport& r : reports) {
    if (r.config == "logprob" && (best_logprob == nullptr || r.auc > best_logprob->auc)) {
      best_logprob = &r;
    }
  }
  std::string yaml;
  if (best_logprob != nullptr) {
    absl::StrAppend(&yaml, "logprob_aggregate: ", best_logprob->aggregate,
                    "   # best held-out AUC of the logprob aggregates\n");
  }
  absl::StrAppend(&yaml, "calibration:\n");
  for (const MethodReport& r : reports) {
    if (r.config == "logprob" && &r != best_logprob) continue;
    absl::StrAppend(&yaml, absl::StrFormat("  - method: %s\n    slope: %.6g\n    intercept: %.6g\n",
                                           r.config, r.map.slope, r.map.intercept));
  }

  if (parsed->Has("json")) {
    nlohmann::json json;
    json["records"] = records->size();
    json["train"] = train_size;
    json["test"] = records->size() - train_size;
    for (const MethodReport& r : reports) {
      json["methods"].push_back({{"method", r.name},
                                 {"train", r.train},
                                 {"test", r.test},
                                 {"slope", r.map.slope},
                                 {"intercept", r.map.intercept},
                                 {"auc", r.auc},
                                 {"brier_before", r.brier_before},
                                 {"brier_after", r.brier_after},
                                 {"ece_before", r.ece_before},
                                 {"ece_after", r.ece_after}});
    }
    json["skipped"] = skipped;
    json["config_yaml"] = yaml;
    out << json.dump(2) << "\n";
    return 0;
  }
  out << absl::StrFormat("%d records: %d to fit, %d held out (seed %d)\n\n", records->size(),
                         train_size, records->size() - train_size, seed);
  out << absl::StrFormat("  %-18s %6s %6s %7s %14s %14s\n", "method", "train", "test", "AUC",
                         "Brier bef/aft", "ECE bef/aft");
  for (const MethodReport& r : reports) {
    out << absl::StrFormat("  %-18s %6d %6d %7.3f %6.3f/%-7.3f %6.3f/%-7.3f\n", r.name, r.train,
                           r.test, r.auc, r.brier_before, r.brier_after, r.ece_before, r.ece_after);
  }
  for (const std::string& why : skipped) out << "  skipped: " << why << "\n";
  out << "\n# for the judge's config (cascade.v1.JudgeConfig):\n" << yaml;
  return 0;
}

}  // namespace cascade::cli
