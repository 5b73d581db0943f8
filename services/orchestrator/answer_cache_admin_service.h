#pragma once

// cascade.v1.AnswerCacheAdmin (answer_cache.proto) on gRPC's callback API: a thin adapter
// over the orchestrator's AnswerCacheAdmin (lib/answer_cache_admin.h). It lets only the
// callers `access` allows through (common/security/admin_access.h: on a port with API keys,
// those with an admin key), and translates messages; the domain answers the rest. Both
// calls are short (one pass over the store under its lock) and run on gRPC's thread.

#include <memory>

#include "cascade/v1/answer_cache.grpc.pb.h"
#include "common/security/admin_access.h"
#include "services/orchestrator/lib/answer_cache_admin.h"

namespace cascade::orchestrator {

class AnswerCacheAdminService final : public v1::AnswerCacheAdmin::CallbackService {
 public:
  AnswerCacheAdminService(std::shared_ptr<AnswerCacheAdmin> admin, AdminAccess access);

  grpc::ServerUnaryReactor* Stats(grpc::CallbackServerContext* context,
                                  const v1::AnswerCacheStatsRequest* request,
                                  v1::AnswerCacheStatsResponse* response) override;
  grpc::ServerUnaryReactor* Purge(grpc::CallbackServerContext* context,
                                  const v1::AnswerCachePurgeRequest* request,
                                  v1::AnswerCachePurgeResponse* response) override;

 private:
  std::shared_ptr<AnswerCacheAdmin> admin_;
  AdminAccess access_;
};

}  // namespace cascade::orchestrator
