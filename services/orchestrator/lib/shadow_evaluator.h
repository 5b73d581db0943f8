#pragma once

// Shadow evaluation (docs/learned-start.md, "Shadow evaluation"): production traffic labels
// itself. After a request was answered below its policy's shadow tier, a sampled share of
// them is sent again to that tier, off the request path, within the policy's hourly budget;
// the two answers are compared by the judge's cheap agreement methods
// (services/judge/lib/answer_agreement.h), taking the shadow tier's answer as the reference;
// with `shadow.judge`, what those cannot tell (word overlap only) goes to the Judge service's
// `equivalence` method, its cost counted in the hourly budget.
// The result is counted, written to the decision log, and given to the router as an
// outcome exemplar labelling the tier that answered (1 agreed, 0 did not), so that
// `start: learned` learns from the cascade's own traffic.
//
// Offer() only samples and queues: it never waits on a model, the budget or the disk. A
// fixed pool of workers makes the calls; a full queue drops the sample (counted).

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cascade/v1/cascade.pb.h"
#include "common/concurrency/cancellation.h"
#include "services/orchestrator/lib/cascade_handler.h"
#include "services/orchestrator/lib/cascade_observer.h"
#include "services/orchestrator/lib/clients.h"
#include "services/orchestrator/lib/decision_log.h"
#include "services/orchestrator/lib/orchestrator_settings.h"
#include "services/orchestrator/lib/shadow_budget.h"
#include "services/orchestrator/lib/tier_prices.h"

namespace cascade::orchestrator {

struct ShadowEvaluatorOptions {
  // Shadow calls made at once.
  int workers = 2;
  // Samples waiting for a worker; more are dropped (outcome "queue_full").
  size_t max_pending = 64;
  // Deadline of a shadow call, and of the outcome exemplar sent to the router.
  absl::Duration call_timeout = absl::Seconds(60);
  absl::Duration router_timeout = absl::Seconds(5);
  // Seeds the sampling (0: from the clock), so that tests can count on it.
  uint64_t seed = 0;
};

struct ShadowClients {
  std::map<std::string, std::shared_ptr<TierClient>> tiers;  // By tier name.
  std::shared_ptr<RouterClient> router;                      // May be null: no exemplars.
  std::shared_ptr<JudgeClient> judge;  // May be null unless a policy's shadow.judge is set.
};

class ShadowEvaluator {
 public:
  // `observer` and `prices` must outlive the evaluator.
  ShadowEvaluator(ShadowEvaluatorOptions options, ShadowClients clients, CascadeObserver* observer,
                  TierPrices* prices, std::function<absl::Time()> clock);
  // Cancels the calls in flight and drops what is queued (logged).
  ~ShadowEvaluator();
  ShadowEvaluator(const ShadowEvaluator&) = delete;
  ShadowEvaluator& operator=(const ShadowEvaluator&) = delete;

  // Results are also written to `log`. Call before the first Offer.
  void SetDecisionLog(std::shared_ptr<DecisionLog> log) { decision_log_ = std::move(log); }

  // `response` answered `request` under `policy`: when the policy shadows, the answer came
  // from a tier below the shadow tier and the sample and the budget allow, queues an
  // evaluation. Returns at once.
  void Offer(const PolicySettings& policy, const v1::CascadeRequest& request,
             const CascadeCall& call, const v1::CascadeResponse& response);

  // Returns once nothing is queued or running (tests; the server's drain).
  void WaitIdle();

 private:
  struct Job {
    std::string policy;
    std::string tier;         // The tier that answered.
    std::string model;        // Its upstream model.
    std::string shadow_tier;  // The reference.
    std::string request_id;
    v1::CompleteRequest shadow_request;
    std::string answer;
    v1::Usage usage;  // The answer's, to estimate the shadow call's cost.
    std::shared_ptr<ShadowBudget> budget;
    bool judge = false;  // shadow.judge
  };

  struct Comparison {
    bool agrees = false;
    double score = 0;
    std::string method;  // The cheap method's name, or "judge".
    int64_t judge_cost_pusd = 0;
  };

  std::shared_ptr<ShadowBudget> BudgetFor(const PolicySettings& policy)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Work();
  void Evaluate(const Job& job);
  // The cheap methods first; the judge for what they cannot tell, when the job allows it
  // and the budget has room (else the cheap verdict stands, logged).
  Comparison Compare(const Job& job, const std::string& reference);
  void AddExemplar(const Job& job, bool agrees);

  const ShadowEvaluatorOptions options_;
  const ShadowClients clients_;
  CascadeObserver* const observer_;
  TierPrices* const prices_;
  const std::function<absl::Time()> clock_;
  std::shared_ptr<DecisionLog> decision_log_;
  CancellationToken shutdown_;

  absl::Mutex mu_;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t random_state_ ABSL_GUARDED_BY(mu_);
  // Per policy name; replaced when a reload changes the policy's limit.
  std::map<std::string, std::pair<int64_t, std::shared_ptr<ShadowBudget>>> budgets_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_;
};

}  // namespace cascade::orchestrator
