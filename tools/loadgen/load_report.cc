#include "tools/loadgen/load_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cascade::loadgen {

nlohmann::json ReportJson(const ReportContext& context, const OpenLoopResult& result) {
  const LatencySummary latency = Summarize(result.outcomes.ok_latencies_ms);
  const LatencySummary failed = Summarize(result.outcomes.error_latencies_ms);
  const double achieved = result.elapsed_seconds > 0
                              ? static_cast<double>(result.outcomes.done) / result.elapsed_seconds
                              : 0;
  return {{"target", context.target},
          {"offered_rate", context.offered_rate},
          {"duration_seconds", context.duration_seconds},
          {"max_in_flight", context.max_in_flight},
          {"elapsed_seconds", result.elapsed_seconds},
          {"achieved_rate", achieved},
          {"sent", result.scheduled},
          {"done", result.outcomes.done},
          {"ok", result.outcomes.done - result.outcomes.errors},
          {"errors", result.outcomes.errors},
          {"held_by_concurrency_cap", result.held_by_cap},
          {"codes", result.outcomes.codes},
          {"latency_ms",
           {{"p50", latency.p50_ms},
            {"p90", latency.p90_ms},
            {"p99", latency.p99_ms},
            {"p999", latency.p999_ms},
            {"max", latency.max_ms},
            {"mean", latency.mean_ms}}},
          {"error_latency_ms",
           {{"p50", failed.p50_ms}, {"p99", failed.p99_ms}, {"max", failed.max_ms}}}};
}

std::string ReportTable(const ReportContext& context, const OpenLoopResult& result) {
  const nlohmann::json json = ReportJson(context, result);
  const nlohmann::json& latency = json["latency_ms"];
  std::string table = absl::StrFormat(
      "target        %s\n"
      "offered       %.0f req/s for %.1f s (at most %d in flight)\n"
      "achieved      %.1f req/s over %.2f s\n"
      "requests      %d sent, %d answered OK, %d errors, %d held by the concurrency cap\n"
      "latency (OK, from the scheduled send, ms)\n"
      "  p50 %9.3f   p90 %9.3f   p99 %9.3f   p99.9 %9.3f   max %9.3f   mean %9.3f\n"
      "errors answered within (ms): p50 %.3f   p99 %.3f   max %.3f\n"
      "codes\n",
      context.target, context.offered_rate, context.duration_seconds, context.max_in_flight,
      json["achieved_rate"].get<double>(), result.elapsed_seconds, result.scheduled,
      json["ok"].get<int64_t>(), result.outcomes.errors, result.held_by_cap,
      latency["p50"].get<double>(), latency["p90"].get<double>(), latency["p99"].get<double>(),
      latency["p999"].get<double>(), latency["max"].get<double>(), latency["mean"].get<double>(),
      json["error_latency_ms"]["p50"].get<double>(), json["error_latency_ms"]["p99"].get<double>(),
      json["error_latency_ms"]["max"].get<double>());
  for (const auto& [code, count] : result.outcomes.codes) {
    absl::StrAppend(&table, absl::StrFormat("  %-20s %d\n", code, count));
  }
  return table;
}

}  // namespace cascade::loadgen
