// The cascade's observer in Prometheus: the catalogue's series, names and labels.

#include "services/orchestrator/cascade_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

namespace cascade::orchestrator {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CascadeMetrics, ExportsTheCatalogueSeries) {
  prometheus::Registry registry;
  CascadeMetrics metrics(&registry);
  metrics.RecordRequest("gold", "code", "small", "ok", 0.2);
  metrics.RecordCost("gold", "code", 2'000'000, 8'000'000);  // pico-USD
  metrics.RecordEscalation("gold", "small", "large", "low_confidence");
  metrics.RecordTierAttempt("gold", "small", false);
  metrics.RecordTierAttempt("gold", "large", true);
  metrics.RecordStep("small", 0.1);
  metrics.RecordConfidence("small", "logprob", 0.7);
  metrics.SetCircuitOpen("small", true);
  metrics.RecordLearnedSkip("gold", "small");
  metrics.RecordRouterEstimateMissing("gold", "router_error");
  metrics.RecordShadow("gold", "small", "agree");
  metrics.RecordShadowCost("gold", 3'000'000);
  metrics.RecordShadowExemplar("gold", false);
  metrics.RecordCachePurge("gold", 3);
  metrics.RecordCachePurge("gold", 2);
  metrics.RecordCachePurge("silver", 0);
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_THAT(text, HasSubstr("cascade_requests_total{final_tier=\"small\",outcome=\"ok\","
                              "policy=\"gold\",route=\"code\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("cascade_request_cost_usd_total{policy=\"gold\",route=\"code\"} 2e-06"));
  EXPECT_THAT(text, HasSubstr("cascade_request_baseline_cost_usd_total{policy=\"gold\","
                              "route=\"code\"} 8e-06"));
  EXPECT_THAT(text, HasSubstr("cascade_escalations_total{from_tier=\"small\",policy=\"gold\","
                              "reason=\"low_confidence\",to_tier=\"large\"} 1"));
  EXPECT_THAT(text, HasSubstr("cascade_tier_attempts_total{outcome=\"escalated\","
                              "policy=\"gold\",tier=\"small\"} 1"));
  EXPECT_THAT(text, HasSubstr("cascade_tier_attempts_total{outcome=\"accepted\","
                              "policy=\"gold\",tier=\"large\"} 1"));
  EXPECT_THAT(text, HasSubstr("cascade_request_duration_seconds_count{route=\"code\"} 1"));
  EXPECT_THAT(text, HasSubstr("cascade_step_duration_seconds_count{tier=\"small\"} 1"));
  EXPECT_THAT(text, HasSubstr("cascade_confidence_count{method=\"logprob\",tier=\"small\"} 1"));
  EXPECT_THAT(text, HasSubstr("cascade_tier_circuit_open{tier=\"small\"} 1"));
  EXPECT_THAT(text, HasSubstr("cascade_learned_skips_total{policy=\"gold\",tier=\"small\"} 1"));
  EXPECT_THAT(text, HasSubstr("cascade_router_estimates_missing_total{policy=\"gold\","
                              "reason=\"router_error\"} 1"));
  EXPECT_THAT(text, HasSubstr("cascade_shadow_evaluations_total{outcome=\"agree\",policy=\"gold\","
                              "tier=\"small\"} 1"));
  EXPECT_THAT(text, HasSubstr("cascade_shadow_cost_usd_total{policy=\"gold\"} 3e-06"));
  EXPECT_THAT(text,
              HasSubstr("cascade_shadow_exemplars_total{outcome=\"error\",policy=\"gold\"} 1"));
  EXPECT_THAT(text, HasSubstr("cascade_cache_purged_total{policy=\"gold\"} 5"));
  EXPECT_THAT(text, Not(HasSubstr("cascade_cache_purged_total{policy=\"silver\"}")));
  metrics.SetCircuitOpen("small", false);
  EXPECT_THAT(prometheus::TextSerializer().Serialize(registry.Collect()),
              HasSubstr("cascade_tier_circuit_open{tier=\"small\"} 0"));
}

}  // namespace
}  // namespace cascade::orchestrator
