#pragma once

// Translation between the routing library's values and the cascade.v1 router messages.

#include "cascade/v1/router.pb.h"
#include "services/router/lib/decision.h"
#include "services/router/lib/route_set.h"

namespace cascade::router {

RouteSpec RouteSpecFromProto(const cascade::v1::RouteSpec& proto);
cascade::v1::RouteSpec RouteSpecToProto(const RouteSpec& route);
cascade::v1::RouteDecision DecisionToProto(const Decision& decision);
cascade::v1::ListRoutesResponse RouteSetToProto(const RouteSet& routes);

}  // namespace cascade::router
