#pragma once

// What the cascade reports as it runs: the orchestrator's series of the metrics catalogue
// (docs/architecture.md). An interface, so the cascade links no metrics library: the
// service records into Prometheus (cascade_metrics.h), tests into a recorder
// (testing/recording_observer.h).

#include <cstdint>
#include <string>

namespace cascade::orchestrator {

class CascadeObserver {
 public:
  virtual ~CascadeObserver() = default;
  // Every series that counts requests, cost or climbs carries the policy the request ran
  // under ("none" when it named no configured policy), so dashboards compare policies.
  // outcome: "ok", or the status code in lower case.
  virtual void RecordRequest(const std::string& policy, const std::string& route,
                             const std::string& final_tier, const std::string& outcome,
                             double seconds) = 0;
  // What the request paid and what the top tier alone would have cost.
  virtual void RecordCost(const std::string& policy, const std::string& route, int64_t cost_pusd,
                          int64_t baseline_pusd) = 0;
  // reason: low_confidence, self_check, judge, error, timeout, circuit_open.
  virtual void RecordEscalation(const std::string& policy, const std::string& from_tier,
                                const std::string& to_tier, const std::string& reason) = 0;
  // A tier that answered: its answer was returned (accepted) or the cascade climbed past it
  // (escalated). The acceptance rate at a tier is accepted / (accepted + escalated).
  virtual void RecordTierAttempt(const std::string& policy, const std::string& tier,
                                 bool accepted) = 0;
  virtual void RecordStep(const std::string& tier, double seconds) = 0;
  // method: "logprob", "self_check" or "judge"; score in [0, 1].
  virtual void RecordConfidence(const std::string& tier, const std::string& method,
                                double score) = 0;
  virtual void SetCircuitOpen(const std::string& tier, bool open) = 0;
  // A decision log line dropped (its queue was full or the write failed).
  virtual void RecordDecisionLogDropped() = 0;
  // A new version of the policies file applied (ok) or refused (the old policies stay).
  virtual void RecordPoliciesReload(bool ok) = 0;
  // `start: learned` skipped `tier` (not tried: the estimate said it would not pay).
  virtual void RecordLearnedSkip(const std::string& policy, const std::string& tier) = 0;
  // A policy whose rules weigh the router's estimate got none for a request (those rules
  // then do not pass); reason as CascadeStart::estimates_missing.
  virtual void RecordRouterEstimateMissing(const std::string& policy,
                                           const std::string& reason) = 0;
  // A policy's answer cache was asked (cached_answers.h: outcome exact_hit, semantic_hit,
  // miss, sampled, logprobs); `refused_by` names who refused a semantic candidate.
  virtual void RecordCacheLookup(const std::string& policy, const std::string& outcome,
                                 const std::string& refused_by) = 0;
  // The answer cache's embedder failed on a request's last user message (the endpoint of
  // answer_cache.openai_embedder down, slow or refusing): its lookup was exact only.
  virtual void RecordCacheEmbeddingError(const std::string& policy) = 0;
  // The answer cache's store after an insert or a purge: its entries and bytes now, and how
  // many entries were evicted or expired since the last call.
  virtual void RecordCacheStore(int64_t entries, int64_t bytes, int64_t removed) = 0;
  // An operator's purge (AnswerCacheAdmin.Purge) removed `removed` (> 0) of the policy's
  // entries.
  virtual void RecordCachePurge(const std::string& policy, int64_t removed) = 0;
  // A shadow evaluation of an answer from `tier` (shadow_evaluator.h). outcome: agree,
  // disagree, error (the shadow call failed), over_budget, queue_full, no_price.
  virtual void RecordShadow(const std::string& policy, const std::string& tier,
                            const std::string& outcome) = 0;
  // What a shadow call cost (not in the request's cost).
  virtual void RecordShadowCost(const std::string& policy, int64_t cost_pusd) = 0;
  // A shadow result sent to the router as an outcome exemplar (ok) or refused.
  virtual void RecordShadowExemplar(const std::string& policy, bool ok) = 0;
};

}  // namespace cascade::orchestrator
