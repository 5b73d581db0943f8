#include "services/router/outcome_proto.h"

namespace cascade::router {

OutcomeExemplar OutcomeExemplarFromProto(const cascade::v1::OutcomeExemplar& proto) {
  OutcomeExemplar exemplar;
  exemplar.query = proto.query();
  exemplar.key = proto.key();
  exemplar.tier_quality.insert(proto.tier_quality().begin(), proto.tier_quality().end());
  return exemplar;
}

cascade::v1::TierEstimate TierEstimateToProto(const TierEstimate& estimate) {
  cascade::v1::TierEstimate proto;
  proto.set_tier(estimate.tier);
  proto.set_probability(estimate.probability);
  proto.set_base_rate(estimate.base_rate);
  proto.set_neighbours(estimate.neighbours);
  proto.set_mean_similarity(estimate.mean_similarity);
  return proto;
}

cascade::v1::OutcomePolicy OutcomePolicyToProto(const OutcomePolicySummary& summary) {
  cascade::v1::OutcomePolicy proto;
  proto.set_policy(summary.policy);
  proto.set_exemplars(static_cast<int64_t>(summary.exemplars));
  for (const TierCalibration& fit : summary.calibration) {
    cascade::v1::TierCalibration* tier = proto.add_calibration();
    tier->set_tier(fit.tier);
    tier->set_labelled(static_cast<int64_t>(fit.labelled));
    tier->set_base_rate(fit.base_rate);
    tier->set_prior_strength(fit.prior_strength);
    tier->set_kernel_power(fit.kernel_power);
    tier->set_log_loss(fit.log_loss);
    tier->set_base_log_loss(fit.base_log_loss);
  }
  return proto;
}

}  // namespace cascade::router
