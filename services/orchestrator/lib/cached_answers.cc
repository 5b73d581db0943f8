#include "services/orchestrator/lib/cached_answers.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"
#include "common/log/logger.h"
#include "common/validation/chat_messages.h"

namespace cascade::orchestrator {
namespace {

std::string Serialized(const google::protobuf::MessageLite& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

// The request as the cache keys it: tenant and policy are the store's scope; the
// temperature is the one that applies.
v1::CascadeRequest Canonical(const PolicySettings& policy, const v1::CascadeRequest& request,
                             bool temperature_unset) {
  v1::CascadeRequest canonical = request;
  canonical.clear_tenant();
  canonical.clear_policy();
  if (temperature_unset) {
    canonical.mutable_params()->set_temperature(static_cast<float>(policy.default_temperature));
  }
  return canonical;
}

// The last user message, when it is plain text (a message with parts is looked up exactly).
int SemanticMessage(const v1::CascadeRequest& request) {
  for (int i = request.messages_size() - 1; i >= 0; --i) {
    const v1::ChatMessage& message = request.messages(i);
    if (message.role() != "user") continue;
    return message.parts().empty() && !message.content().empty() ? i : -1;
  }
  return -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CachedAnswers>> CachedAnswers::Create(
    const AnswerCacheStoreSettings& settings, std::shared_ptr<const router::Embedder> embedder,
    std::function<absl::Time()> clock) {
  if (embedder == nullptr) {
    auto hashed = cache::MakeCacheEmbedder();
    if (!hashed.ok()) return hashed.status();
    embedder = *std::move(hashed);
  }
  if (embedder->dimension() == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the answer cache's embedder (", embedder->name(),
                     ") has no dimension yet: set answer_cache.openai_embedder.dimensions"));
  }
  cache::AnswerCacheOptions options;
  options.embedding_dimension = embedder->dimension();
  options.max_entries = static_cast<size_t>(settings.max_entries);
  options.max_bytes = static_cast<size_t>(settings.max_bytes);
  options.clock = clock;
  auto store = cache::AnswerCache::Create(std::move(options));
  if (!store.ok()) return store.status();
  return std::unique_ptr<CachedAnswers>(
      new CachedAnswers(*std::move(store), std::move(embedder), std::move(clock)));
}

CachedAnswers::CachedAnswers(std::unique_ptr<cache::AnswerCache> store,
                             std::shared_ptr<const router::Embedder> embedder,
                             std::function<absl::Time()> clock)
    : store_(std::move(store)), embedder_(std::move(embedder)), clock_(std::move(clock)) {}

std::string CachedAnswers::Ineligible(const PolicySettings& policy,
                                      const v1::CascadeRequest& request, bool temperature_unset) {
  const double temperature =
      temperature_unset ? policy.default_temperature : request.params().temperature();
  if (temperature > 0 && !policy.cache->allow_sampled) return "sampled";
  if (request.params().logprobs()) return "logprobs";
  return "";
}

template <typename Target>
bool CachedAnswers::SetKeys(const PolicySettings& policy, const v1::CascadeRequest& request,
                            bool temperature_unset, std::vector<float>& embedding,
                            Target& target) const {
  target.scope = {policy.name, request.tenant()};
  v1::CascadeRequest canonical = Canonical(policy, request, temperature_unset);
  target.exact_key = Serialized(canonical);
  const int semantic = policy.cache->semantic ? SemanticMessage(request) : -1;
  if (semantic < 0) return true;
  target.query_text = request.messages(semantic).content();
  absl::StatusOr<std::vector<float>> embedded = cache::EmbedQuery(*embedder_, target.query_text);
  if (!embedded.ok()) {
    LogWarn("answer_cache_embedding_failed",
            {{"policy", policy.name}, {"error", embedded.status().ToString()}});
    return false;
  }
  embedding = *std::move(embedded);
  target.embedding = embedding;
  canonical.mutable_messages(semantic)->clear_content();
  target.context_key = Serialized(canonical);
  return true;
}

CacheLookup CachedAnswers::Find(const PolicySettings& policy, const v1::CascadeRequest& request,
                                bool temperature_unset) {
  CacheLookup result;
  result.outcome = Ineligible(policy, request, temperature_unset);
  if (!result.outcome.empty()) return result;
  result.outcome = "miss";
  cache::AnswerCacheQuery query;
  std::vector<float> embedding;
  result.embedding_failed = !SetKeys(policy, request, temperature_unset, embedding, query);
  query.similarity_threshold = static_cast<float>(policy.cache->similarity_threshold);
  if (!policy.cache->route_similarity_thresholds.empty()) {
    query.route_similarity_thresholds = &policy.cache->route_similarity_thresholds;
  }
  query.guard = policy.cache->guard;
  auto lookup = store_->Lookup(query);
  if (!lookup.ok()) {
    LogWarn("answer_cache_lookup_failed",
            {{"policy", policy.name}, {"error", lookup.status().ToString()}});
    return result;
  }
  if (!lookup->hit()) {
    result.refused_by = lookup->refused_by;
    return result;
  }
  v1::CascadeResponse response;
  if (!response.ParseFromString(lookup->stored->answer.payload)) {
    LogWarn("answer_cache_lookup_failed",
            {{"policy", policy.name}, {"error", "a stored answer does not parse"}});
    return result;
  }
  const bool exact = lookup->outcome == cache::AnswerCacheOutcome::kExactHit;
  result.outcome = exact ? "exact_hit" : "semantic_hit";
  response.set_answer(lookup->stored->answer.text);
  v1::CacheHit* hit = response.mutable_cache();
  hit->set_kind(exact ? "exact" : "semantic");
  if (!exact && lookup->best_similarity) hit->set_similarity(*lookup->best_similarity);
  hit->set_original_cost_pusd(response.cost_pusd());
  hit->set_age_seconds(absl::ToDoubleSeconds(clock_() - lookup->stored->created));
  // Nothing was asked: no steps, no cost; the top tier would still have cost the baseline.
  response.clear_steps();
  response.clear_tier_estimates();
  response.clear_skipped_tiers();
  response.set_cost_pusd(0);
  response.set_savings_pusd(response.baseline_cost_pusd());
  result.response = std::move(response);
  return result;
}

bool CachedAnswers::Keep(const PolicySettings& policy, const v1::CascadeRequest& request,
                         bool temperature_unset, const v1::CascadeResponse& response) {
  if (!policy.cache || !Ineligible(policy, request, temperature_unset).empty()) return false;
  const bool accepted = response.steps_size() > 0 && response.steps().rbegin()->accepted() &&
                        response.stopped_reason().empty();
  if (!accepted || response.tool_calls_size() > 0 || response.has_cache()) return false;
  cache::AnswerCacheInsert insert;
  std::vector<float> embedding;
  SetKeys(policy, request, temperature_unset, embedding, insert);
  insert.answer.text = response.answer();
  insert.answer.model = response.model();
  insert.answer.final_tier = response.final_tier();
  insert.answer.route = response.route();  // Picks the entry's threshold on later lookups.
  insert.answer.cost_pico_usd = response.cost_pusd();
  v1::CascadeResponse payload = response;
  payload.clear_answer();  // Kept once, in `text`.
  payload.clear_logprobs();
  insert.answer.payload = payload.SerializeAsString();
  insert.ttl = policy.cache->ttl;
  if (absl::Status kept = store_->Insert(insert); !kept.ok()) {
    LogWarn("answer_cache_insert_failed", {{"policy", policy.name}, {"error", kept.ToString()}});
    return false;
  }
  return true;
}

}  // namespace cascade::orchestrator
