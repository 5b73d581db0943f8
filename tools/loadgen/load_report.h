#pragma once

// cascade-loadgen's final report: a table for people, JSON (--json) for scripts.

#include <nlohmann/json.hpp>
#include <string>

#include "tools/loadgen/open_loop.h"

namespace cascade::loadgen {

struct ReportContext {
  std::string target;  // LoadTarget::Describe().
  double offered_rate = 0;
  double duration_seconds = 0;
  int max_in_flight = 0;
};

nlohmann::json ReportJson(const ReportContext& context, const OpenLoopResult& result);
std::string ReportTable(const ReportContext& context, const OpenLoopResult& result);

}  // namespace cascade::loadgen
