#pragma once

// The answer cache's verification call (cache.verify; docs/cache.md). Before a semantic hit
// is served, the judge is asked whether the kept answer answers *this* request. Two similar
// questions are not always the same question, and no threshold or word list catches every
// difference that changes the answer ("is Costco open today" vs "is the bank open today");
// a model that reads both can. The call costs one judge answer, far less than a tier's.

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "cascade/v1/cascade.pb.h"
#include "services/orchestrator/lib/answer_cache_settings.h"
#include "services/orchestrator/lib/clients.h"

namespace cascade::orchestrator {

struct CacheVerification {
  bool serve = false;  // The judge's score reached verify.min.
  double score = 0;
  int64_t cost_pusd = 0;
  // Why the judge gave no score (down, too slow, refused the request); the hit is then
  // refused: an answer nobody verified is not served for another question.
  std::string error;
};

// Scores `cached.answer()` as the answer to `request`'s conversation. The judge gets at
// most `verify.timeout` of `call`'s deadline.
CacheVerification VerifyCachedAnswer(JudgeClient* judge, const CacheVerifySettings& verify,
                                     const v1::CascadeRequest& request,
                                     const v1::CascadeResponse& cached, const DownstreamCall& call,
                                     absl::Time now);

}  // namespace cascade::orchestrator
