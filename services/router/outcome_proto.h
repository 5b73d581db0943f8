#pragma once

// Outcome exemplars and tier estimates between the router library and cascade.v1.

#include <vector>

#include "cascade/v1/router.pb.h"
#include "services/router/lib/outcome_store.h"

namespace cascade::router {

OutcomeExemplar OutcomeExemplarFromProto(const cascade::v1::OutcomeExemplar& proto);
cascade::v1::TierEstimate TierEstimateToProto(const TierEstimate& estimate);
cascade::v1::OutcomePolicy OutcomePolicyToProto(const OutcomePolicySummary& summary);

}  // namespace cascade::router
