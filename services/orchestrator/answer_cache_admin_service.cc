#include "services/orchestrator/answer_cache_admin_service.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/config/proto_duration.h"
#include "common/grpc_runtime/request_context.h"
#include "common/status/status_mapping.h"

namespace cascade::orchestrator {
namespace {

constexpr char kWhat[] = "the answer cache's admin RPCs";
// google.protobuf.Duration's own range: about 10,000 years.
constexpr int64_t kMaxDurationSeconds = 315'576'000'000;

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

void ToProto(const cache::AnswerCacheStats& stats, v1::AnswerCacheCounters& out) {
  out.set_entries(stats.entries);
  out.set_bytes(stats.bytes);
  out.set_exact_hits(stats.hits_exact);
  out.set_semantic_hits(stats.hits_semantic);
  out.set_misses(stats.misses);
  out.set_inserts(stats.inserts);
  out.set_evictions(stats.evictions);
  out.set_expirations(stats.expirations);
  out.set_purged(stats.purged);
  for (const auto& [guard, count] : stats.rejections) (*out.mutable_rejections())[guard] = count;
}

// The request's older_than, checked as google.protobuf.Duration defines it (the sign and
// size checks are the store's).
absl::StatusOr<absl::Duration> OlderThan(const google::protobuf::Duration& duration) {
  const int64_t seconds = duration.seconds();
  const int32_t nanos = duration.nanos();
  if (std::llabs(seconds) > kMaxDurationSeconds || nanos <= -1'000'000'000 ||
      nanos >= 1'000'000'000 || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("older_than is not a valid duration (seconds ", seconds, ", nanos ", nanos,
                     "): nanos must be within +-999,999,999 and of the sign of seconds"));
  }
  return DurationFromProto(duration);
}

}  // namespace

AnswerCacheAdminService::AnswerCacheAdminService(std::shared_ptr<AnswerCacheAdmin> admin,
                                                 AdminAccess access)
    : admin_(std::move(admin)), access_(access) {}

grpc::ServerUnaryReactor* AnswerCacheAdminService::Stats(grpc::CallbackServerContext* context,
                                                         const v1::AnswerCacheStatsRequest* request,
                                                         v1::AnswerCacheStatsResponse* response) {
  AcceptRequestId(context);
  if (absl::Status allowed = CheckAdminCall(access_, *context, kWhat); !allowed.ok()) {
    return FinishNow(context, allowed);
  }
  CacheStatsQuery query;
  if (request->has_policy()) query.policy = request->policy();
  if (request->has_tenant()) query.tenant = request->tenant();
  absl::StatusOr<CacheStatsReport> report = admin_->Stats(query);
  if (!report.ok()) return FinishNow(context, report.status());
  ToProto(report->total, *response->mutable_total());
  for (const PolicyCacheStats& policy : report->policies) {
    v1::PolicyAnswerCacheStats* out = response->add_policies();
    out->set_policy(policy.policy);
    out->set_enabled(policy.enabled);
    ToProto(policy.stats, *out->mutable_counters());
  }
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* AnswerCacheAdminService::Purge(grpc::CallbackServerContext* context,
                                                         const v1::AnswerCachePurgeRequest* request,
                                                         v1::AnswerCachePurgeResponse* response) {
  AcceptRequestId(context);
  if (absl::Status allowed = CheckAdminCall(access_, *context, kWhat); !allowed.ok()) {
    return FinishNow(context, allowed);
  }
  cache::AnswerCachePurge purge;
  if (request->has_policy()) purge.policy = request->policy();
  if (request->has_tenant()) purge.tenant = request->tenant();
  if (request->has_older_than()) {
    absl::StatusOr<absl::Duration> older_than = OlderThan(request->older_than());
    if (!older_than.ok()) return FinishNow(context, older_than.status());
    purge.older_than = *older_than;
  }
  purge.all = request->all();
  absl::StatusOr<cache::AnswerCachePurgeResult> purged = admin_->Purge(purge);
  if (!purged.ok()) return FinishNow(context, purged.status());
  response->set_removed(purged->removed);
  for (const auto& [policy, removed] : purged->removed_by_policy) {
    (*response->mutable_removed_by_policy())[policy] = removed;
  }
  return FinishNow(context, absl::OkStatus());
}

}  // namespace cascade::orchestrator
