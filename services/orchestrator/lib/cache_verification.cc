#include "services/orchestrator/lib/cache_verification.h"

#include <algorithm>

namespace cascade::orchestrator {

CacheVerification VerifyCachedAnswer(JudgeClient* judge, const CacheVerifySettings& verify,
                                     const v1::CascadeRequest& request,
                                     const v1::CascadeResponse& cached, const DownstreamCall& call,
                                     absl::Time now) {
  CacheVerification result;
  if (judge == nullptr) {
    result.error = "no judge configured";
    return result;
  }
  v1::ScoreRequest score;
  *score.mutable_messages() = request.messages();
  score.set_answer(cached.answer());
  score.set_finish_reason(cached.finish_reason());
  *score.mutable_response_format() = request.params().response_format();
  for (const std::string& method : verify.methods) score.add_methods(method);
  DownstreamCall bounded = call;
  bounded.deadline = std::min(call.deadline, now + verify.timeout);
  auto scored = judge->Score(score, bounded);
  if (!scored.ok()) {
    result.error = scored.status().ToString();
    return result;
  }
  result.score = scored->score();
  result.cost_pusd = scored->cost_pusd();
  result.serve = result.score >= verify.min;
  return result;
}

}  // namespace cascade::orchestrator
