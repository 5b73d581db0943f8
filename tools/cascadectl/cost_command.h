#pragma once

// cascadectl cost: the monthly cost planner (see cost_planner.h for the arithmetic).

#include <ostream>
#include <string>
#include <vector>

namespace cascade::cli {

inline constexpr char kCostUsage[] =
    R"(usage: cascadectl cost --requests N --input-tokens N --output-tokens N
                      --tier NAME=IN:OUT [--tier NAME=IN:OUT ...]
                      (--mix NAME=SHARE,... | --mix-from FIT.json)
                      [--routed-share X] [--judge-usd X] [--json]

Plans a month: what N requests of the given size cost on the last (biggest) tier alone,
routed perfectly (each request straight to the tier that answers it), and as the cascade,
where the requests that are not routed climb from the first tier and have paid for every
lower tier's attempt (and, with --judge-usd, for a judge call per attempt below the top).

  --tier NAME=IN:OUT   a tier in climbing order, USD per million input:output tokens
  --mix NAME=SHARE,... share of requests each tier answers in the end (adds up to 1)
  --mix-from FIT.json  the shares of a fitted policy: the JSON `cascadectl policy fit
                       --json` printed (give --tier for each model of its ladder)
  --routed-share X     share of requests the router sends straight to their tier
                       (default 0: every request climbs)
  --judge-usd X        cost of one judge call in USD (default 0)

Example: --requests 1000000 --input-tokens 500 --output-tokens 500
  --tier small=0.30:0.30 --tier large=10:10 --mix small=0.8,large=0.2
  -> monolith $10,000.00; routed $2,240.00 (77.6% saved); cascade $2,300.00 (77.0%).
)";

int RunCost(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cascade::cli
