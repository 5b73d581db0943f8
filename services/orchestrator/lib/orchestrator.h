#pragma once

// The cascade as a CascadeHandler: plans each request against the settings, picks where it
// starts (start_selector.h), climbs the policy's ladder (cascade_run.h), and records the
// outcome (a log line and the observer's series). Plain C++ over the client interfaces of
// clients.h; the gRPC and HTTP front doors translate into Complete().

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/orchestrator/lib/acceptance_check.h"
#include "services/orchestrator/lib/answer_cache_admin.h"
#include "services/orchestrator/lib/cached_answers.h"
#include "services/orchestrator/lib/cascade_handler.h"
#include "services/orchestrator/lib/cascade_observer.h"
#include "services/orchestrator/lib/cascade_run.h"
#include "services/orchestrator/lib/clients.h"
#include "services/orchestrator/lib/decision_log.h"
#include "services/orchestrator/lib/orchestrator_settings.h"
#include "services/orchestrator/lib/request_plan.h"
#include "services/orchestrator/lib/shadow_evaluator.h"
#include "services/orchestrator/lib/start_selector.h"
#include "services/orchestrator/lib/tier_prices.h"
#include "services/router/lib/embedder.h"

namespace cascade::orchestrator {

struct OrchestratorClients {
  std::map<std::string, std::shared_ptr<TierClient>> tiers;  // By tier name.
  std::shared_ptr<RouterClient> router;                      // May be null.
  std::shared_ptr<JudgeClient> judge;                        // May be null.
  // The answer cache's embedder; null: the hashed one (cache_embedder.h).
  std::shared_ptr<const router::Embedder> cache_embedder;
};

class Orchestrator final : public CascadeHandler {
 public:
  // `observer` receives the cascade's metrics.
  Orchestrator(
      OrchestratorSettings settings, OrchestratorClients clients,
      std::shared_ptr<CascadeObserver> observer,
      std::function<absl::Time()> clock = [] { return absl::Now(); },
      ShadowEvaluatorOptions shadow_options = {});

  absl::StatusOr<v1::CascadeResponse> Complete(const v1::CascadeRequest& request,
                                               const CascadeCall& call) override;
  std::vector<std::string> PolicyNames() const override;

  // Every finished request (and shadow evaluation) is then written to `log`. Call before
  // the first request.
  void SetDecisionLog(std::shared_ptr<DecisionLog> log);

  // Requests that start from now on use `policies` (the default first; checked against the
  // orchestrator's tiers by SettingsFromConfig). Requests running keep theirs.
  void ReplacePolicies(std::vector<PolicySettings> policies);

  // The answer cache's stats and purges (the AnswerCacheAdmin service's domain); lives as
  // long as this orchestrator.
  AnswerCacheAdmin& cache_admin() { return *cache_admin_; }

 private:
  // Logs the request's outcome, records it in the observer and the decision log; returns
  // `result`. `finished` says how far the request got.
  absl::StatusOr<v1::CascadeResponse> Record(absl::StatusOr<v1::CascadeResponse> result,
                                             FinishedRequest finished);

  // The policy's cached answer to `request`, recorded like any answer; nullopt on a miss.
  // `verification_cost_pusd`: what a verification call that refused the hit cost (the
  // request that then climbs pays it).
  std::optional<absl::StatusOr<v1::CascadeResponse>> FromCache(const RequestPlan& plan,
                                                               const v1::CascadeRequest& request,
                                                               const CascadeCall& call,
                                                               FinishedRequest& finished,
                                                               int64_t& verification_cost_pusd);
  // With the policy's cache.verify, asks the judge about a semantic hit: serves it at the
  // judge's cost, or turns it into a miss refused by "verification" (a low score) or
  // "verification_error" (no score).
  void VerifyHit(const RequestPlan& plan, const v1::CascadeRequest& request,
                 const CascadeCall& call, CacheLookup& cached, int64_t& verification_cost_pusd);
  // Keeps an accepted answer in the policy's cache and reports the store's size.
  void KeepInCache(const PolicySettings& policy, const v1::CascadeRequest& request,
                   const CascadeCall& call, const v1::CascadeResponse& response);
  // Reports the store's entries and bytes now, and its evictions and expirations since the
  // last report.
  void ReportCacheStore();

  using Policies = std::shared_ptr<const std::vector<PolicySettings>>;
  Policies policies() const;

  OrchestratorSettings settings_;
  mutable absl::Mutex policies_mu_;
  Policies policies_ ABSL_GUARDED_BY(policies_mu_);
  OrchestratorClients clients_;
  std::shared_ptr<CascadeObserver> observer_;
  std::function<absl::Time()> clock_;
  AcceptanceCheck acceptance_;
  TierPrices prices_;
  StartSelector start_selector_;
  CascadeShared shared_;
  std::shared_ptr<DecisionLog> decision_log_;      // May be null.
  std::unique_ptr<CachedAnswers> cached_answers_;  // Null when it could not be made.
  std::atomic<int64_t> cache_removed_reported_{0};
  std::unique_ptr<AnswerCacheAdmin> cache_admin_;
  // Last: its workers use the members above until it is destroyed.
  std::unique_ptr<ShadowEvaluator> shadow_;
};

}  // namespace cascade::orchestrator
