#pragma once

// A CascadeObserver double: every call as one readable line, in order, so a test asserts
// on what the cascade reported ("escalation from=small to=large reason=judge").

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/orchestrator/lib/cascade_observer.h"

namespace cascade::orchestrator::testing {

class RecordingObserver final : public CascadeObserver {
 public:
  void RecordRequest(const std::string& policy, const std::string& route,
                     const std::string& final_tier, const std::string& outcome, double) override {
    Add(absl::StrCat("request route=", route, " final_tier=", final_tier, " outcome=", outcome,
                     " policy=", policy));
  }
  void RecordCost(const std::string& policy, const std::string& route, int64_t cost_pusd,
                  int64_t baseline_pusd) override {
    Add(absl::StrCat("cost route=", route, " cost_pusd=", cost_pusd,
                     " baseline_pusd=", baseline_pusd, " policy=", policy));
  }
  void RecordEscalation(const std::string& policy, const std::string& from_tier,
                        const std::string& to_tier, const std::string& reason) override {
    Add(absl::StrCat("escalation from=", from_tier, " to=", to_tier, " reason=", reason,
                     " policy=", policy));
  }
  void RecordTierAttempt(const std::string& policy, const std::string& tier,
                         bool accepted) override {
    Add(absl::StrCat("attempt tier=", tier, accepted ? " accepted" : " escalated",
                     " policy=", policy));
  }
  void RecordStep(const std::string& tier, double) override {
    Add(absl::StrCat("step tier=", tier));
  }
  void RecordConfidence(const std::string& tier, const std::string& method, double score) override {
    Add(absl::StrCat("confidence tier=", tier, " method=", method, " score=", score));
  }
  void RecordDecisionLogDropped() override { Add("decision_log_dropped"); }
  void RecordLearnedSkip(const std::string& policy, const std::string& tier) override {
    Add(absl::StrCat("learned_skip tier=", tier, " policy=", policy));
  }
  void RecordRouterEstimateMissing(const std::string& policy, const std::string& reason) override {
    Add(absl::StrCat("router_estimate_missing reason=", reason, " policy=", policy));
  }
  void RecordCacheLookup(const std::string& policy, const std::string& outcome,
                         const std::string& refused_by) override {
    Add(absl::StrCat("cache_lookup outcome=", outcome,
                     refused_by.empty() ? "" : absl::StrCat(" refused_by=", refused_by),
                     " policy=", policy));
  }
  void RecordCacheEmbeddingError(const std::string& policy) override {
    Add(absl::StrCat("cache_embedding_error policy=", policy));
  }
  void RecordCacheStore(int64_t entries, int64_t bytes, int64_t removed) override {
    Add(absl::StrCat("cache_store entries=", entries, " bytes=", bytes, " removed=", removed));
  }
  void RecordCachePurge(const std::string& policy, int64_t removed) override {
    Add(absl::StrCat("cache_purge removed=", removed, " policy=", policy));
  }
  void RecordShadow(const std::string& policy, const std::string& tier,
                    const std::string& outcome) override {
    Add(absl::StrCat("shadow tier=", tier, " outcome=", outcome, " policy=", policy));
  }
  void RecordShadowCost(const std::string& policy, int64_t cost_pusd) override {
    Add(absl::StrCat("shadow_cost cost_pusd=", cost_pusd, " policy=", policy));
  }
  void RecordShadowExemplar(const std::string& policy, bool ok) override {
    Add(absl::StrCat("shadow_exemplar outcome=", ok ? "ok" : "error", " policy=", policy));
  }
  void RecordPoliciesReload(bool ok) override {
    Add(absl::StrCat("policies_reload outcome=", ok ? "ok" : "error"));
  }
  void SetCircuitOpen(const std::string& tier, bool open) override {
    Add(absl::StrCat("circuit tier=", tier, open ? " open" : " closed"));
  }

  std::vector<std::string> Events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  // The last event that starts with `prefix`, or "" (a gauge's current value, say).
  std::string Last(absl::string_view prefix) const {
    absl::MutexLock lock(&mu_);
    for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
      if (absl::StartsWith(*it, prefix)) return *it;
    }
    return "";
  }
  // The events joined by newlines, for substring checks.
  std::string Text() const {
    absl::MutexLock lock(&mu_);
    std::string text;
    for (const auto& event : events_) absl::StrAppend(&text, event, "\n");
    return text;
  }

 private:
  void Add(std::string event) {
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(event));
  }

  mutable absl::Mutex mu_;
  std::vector<std::string> events_;
};

}  // namespace cascade::orchestrator::testing
