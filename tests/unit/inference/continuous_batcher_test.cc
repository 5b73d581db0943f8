// Continuous batching: each sequence of a batch gets exactly the tokens (and logprobs) the
// engine gives its request alone, whatever joins or leaves the batch around it; cancelling one
// leaves the others alone; a full batch, a bad request and a draft model are refused with the
// reason; a prompt that begins like an earlier one reuses that slot's cache; n-gram speculation
// inside the batch changes no token, and drafts only join a step that has room for them.
#include "services/inference/engine/continuous_batcher.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/inference/test_models.h"

namespace cascade::engine {
namespace {

using ::testing::HasSubstr;
using testing::Target;

GenerateOptions Request(const std::string& text, int max_tokens) {
  GenerateOptions request;
  request.prompt = *Target()->tokenizer().Encode(text);
  request.max_tokens = max_tokens;
  request.logprobs = true;
  request.top_logprobs = 2;
  return request;
}

std::unique_ptr<ContinuousBatcher> NewBatcher(std::shared_ptr<const Model> model,
                                              BatcherOptions options) {
  auto batcher = ContinuousBatcher::Create(std::move(model), options);
  EXPECT_TRUE(batcher.ok()) << batcher.status();
  return std::move(*batcher);
}

GenerateResult Alone(const std::shared_ptr<const Model>& model, const GenerateOptions& request) {
  Engine engine(model, {});
  auto result = engine.Generate(request);
  EXPECT_TRUE(result.ok()) << result.status();
  return *result;
}

void ExpectSameOutput(const GenerateResult& batched, const GenerateResult& alone,
                      const std::string& what) {
  EXPECT_EQ(batched.tokens, alone.tokens) << what;
  EXPECT_EQ(batched.text, alone.text) << what;
  EXPECT_EQ(batched.finish_reason, alone.finish_reason) << what;
  ASSERT_EQ(batched.logprobs.size(), alone.logprobs.size()) << what;
  for (size_t i = 0; i < alone.logprobs.size(); ++i) {
    // Bit for bit: the batch changes nothing a token's row computes.
    EXPECT_EQ(batched.logprobs[i].logprob, alone.logprobs[i].logprob) << what << " token " << i;
    ASSERT_EQ(batched.logprobs[i].top.size(), alone.logprobs[i].top.size());
    for (size_t j = 0; j < alone.logprobs[i].top.size(); ++j) {
      EXPECT_EQ(batched.logprobs[i].top[j].token, alone.logprobs[i].top[j].token);
    }
  }
}

// Runs `requests` through a batcher with `options`: each is added as soon as a slot is free,
// in order, so that sequences join a batch that is already decoding. Returns each result.
std::vector<GenerateResult> RunAll(ContinuousBatcher& batcher,
                                   const std::vector<GenerateOptions>& requests) {
  std::vector<std::optional<absl::StatusOr<GenerateResult>>> results(requests.size());
  size_t next = 0;
  int steps = 0;
  while (true) {
    while (next < requests.size() && batcher.has_free_slot()) {
      const size_t i = next++;
      EXPECT_TRUE(batcher
                      .Add(
                          requests[i], [](const GeneratedToken&) { return true; },
                          [&results, i](absl::StatusOr<GenerateResult> result) {
                            EXPECT_FALSE(results[i].has_value()) << "on_done called twice";
                            results[i] = std::move(result);
                          })
                      .ok());
    }
    if (batcher.active() == 0) break;
    EXPECT_GT(batcher.Step().tokens, 0);
    EXPECT_LT(++steps, 10000) << "the batch never finished";
  }
  std::vector<GenerateResult> out;
  for (auto& result : results) {
    EXPECT_TRUE(result.has_value() && result->ok());
    out.push_back(result.has_value() && result->ok() ? **result : GenerateResult{});
  }
  return out;
}

std::vector<GenerateOptions> MixedRequests() {
  std::vector<GenerateOptions> requests = {
      Request("ROMEO:", 12), Request("JULIET:\nO Romeo, Romeo", 7), Request("First Citizen:", 20),
      Request("KING HENRY", 5), Request("To be, or not to be", 9)};
  // A long prompt, prefilled over several steps of a small chunk while others decode.
  GenerateOptions long_prompt = Request("", 6);
  for (int i = 0; i < 90; ++i) long_prompt.prompt.push_back(10 + (i * 37) % 900);
  requests.insert(requests.begin() + 2, long_prompt);
  return requests;
}

TEST(ContinuousBatcher, GreedySequencesMatchTheEngineAlone) {
  const auto requests = MixedRequests();
  auto batcher = NewBatcher(Target(), {.max_sequences = 3, .prefill_chunk = 16});
  const auto results = RunAll(*batcher, requests);
  for (size_t i = 0; i < requests.size(); ++i) {
    ExpectSameOutput(results[i], Alone(Target(), requests[i]), "request " + std::to_string(i));
  }
  EXPECT_EQ(batcher->active(), 0);
  // Fewer passes than tokens: the batch shared them.
  int64_t generated = 0;
  for (const auto& result : results) generated += static_cast<int64_t>(result.tokens.size());
  EXPECT_LT(batcher->stats().steps, generated);
}

TEST(ContinuousBatcher, QuantizedAndMultithreadedBatchesMatchTheEngineAlone) {
  testing::TempFile file("batcher_q8_0.gguf");
  const auto model =
      testing::QuantizedCopy(testing::ModelPath("bard-target-3m.gguf"), TensorType::kQ8_0, file);
  const auto requests = MixedRequests();
  auto batcher = NewBatcher(model, {.threads = 2, .max_sequences = 4, .prefill_chunk = 24});
  const auto results = RunAll(*batcher, requests);
  for (size_t i = 0; i < requests.size(); ++i) {
    ExpectSameOutput(results[i], Alone(model, requests[i]), "request " + std::to_string(i));
  }
}

TEST(ContinuousBatcher, SampledSequencesMatchTheEngineWithTheSameSeed) {
  auto requests = MixedRequests();
  for (size_t i = 0; i < requests.size(); ++i) {
    requests[i].sampling = {.temperature = 0.9f, .top_k = 40, .top_p = 0.95f, .seed = 100 + i};
  }
  auto batcher = NewBatcher(Target(), {.max_sequences = 4, .prefill_chunk = 8});
  const auto results = RunAll(*batcher, requests);
  for (size_t i = 0; i < requests.size(); ++i) {
    ExpectSameOutput(results[i], Alone(Target(), requests[i]), "request " + std::to_string(i));
  }
}

TEST(ContinuousBatcher, CancellingOneSequenceLeavesTheOthersUnchanged) {
  auto batcher = NewBatcher(Target(), {.max_sequences = 3});
  const std::vector<GenerateOptions> requests = {Request("ROMEO:", 15), Request("JULIET:", 15),
                                                 Request("MERCUTIO:", 15)};
  std::map<int, GenerateResult> results;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(batcher
                    ->Add(
                        requests[i],
                        // The middle one stops itself after its third token.
                        [i](const GeneratedToken& token) { return i != 1 || token.index < 2; },
                        [&results, i](absl::StatusOr<GenerateResult> result) {
                          ASSERT_TRUE(result.ok());
                          results[i] = *result;
                        })
                    .ok());
  }
  while (batcher->active() > 0) batcher->Step();
  EXPECT_EQ(results[1].finish_reason, FinishReason::kCancelled);
  EXPECT_EQ(results[1].tokens.size(), 3u);
  const auto alone = Alone(Target(), requests[1]);
  EXPECT_EQ(results[1].tokens, std::vector<int>(alone.tokens.begin(), alone.tokens.begin() + 3));
  ExpectSameOutput(results[0], Alone(Target(), requests[0]), "first");
  ExpectSameOutput(results[2], Alone(Target(), requests[2]), "third");
}

TEST(ContinuousBatcher, RefusesWhenFullAndNamesBadRequests) {
  auto batcher = NewBatcher(Target(), {.max_sequences = 1});
  int done = 0;
  auto count = [&done](absl::StatusOr<GenerateResult>) { ++done; };
  auto any = [](const GeneratedToken&) { return true; };
  ASSERT_TRUE(batcher->Add(Request("ROMEO:", 3), any, count).ok());
  auto full = batcher->Add(Request("JULIET:", 3), any, count);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(full.message()), HasSubstr("all 1 sequences of the batch are in use"));

  auto too_long = batcher->Add(Request("ROMEO:", 1000), any, count);
  EXPECT_EQ(too_long.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(too_long.message()), HasSubstr("context length of 256"));
  GenerateOptions drafted = Request("ROMEO:", 3);
  drafted.speculation = {.mode = SpeculationOptions::Mode::kDraftModel, .draft_model = Target()};
  auto refused = batcher->Add(drafted, any, count);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr("speculation by draft model is not available"));

  while (batcher->active() > 0) batcher->Step();
  EXPECT_EQ(done, 1);  // only the request that was accepted
}

TEST(ContinuousBatcher, RejectsBadOptions) {
  for (const BatcherOptions& options :
       {BatcherOptions{.max_sequences = 0}, BatcherOptions{.max_sequences = kMaxSequences + 1},
        BatcherOptions{.threads = 0}, BatcherOptions{.prefill_chunk = 0},
        BatcherOptions{.context_length = -1}, BatcherOptions{.draft_step_tokens = -1}}) {
    auto batcher = ContinuousBatcher::Create(Target(), options);
    EXPECT_EQ(batcher.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(ContinuousBatcher, PromptsThatShareAPrefixReuseTheCache) {
  auto batcher = NewBatcher(Target(), {.max_sequences = 2});
  const GenerateOptions first = Request("ROMEO:\nBut soft, what light", 4);
  GenerateOptions follow_up = first;
  // The first answer's tokens and a question: most of it is in the cache already.
  const auto first_result = RunAll(*batcher, {first})[0];
  follow_up.prompt.insert(follow_up.prompt.end(), first_result.tokens.begin(),
                          first_result.tokens.end() - 1);
  const auto question = *Target()->tokenizer().Encode("\nIs it right?");
  follow_up.prompt.insert(follow_up.prompt.end(), question.begin(), question.end());
  const int64_t reused_before = batcher->stats().prefix_reused_tokens;
  const auto result = RunAll(*batcher, {follow_up})[0];
  // Everything the first request put in its cache, i.e. its prompt and all but its last token.
  EXPECT_EQ(batcher->stats().prefix_reused_tokens - reused_before,
            static_cast<int64_t>(first.prompt.size() + first_result.tokens.size() - 1));
  ExpectSameOutput(result, Alone(Target(), follow_up), "follow-up");

  // A prompt unlike any cached one takes the least recently used slot, keeping the other.
  const auto other = RunAll(*batcher, {Request("KING HENRY:", 3)})[0];
  ExpectSameOutput(other, Alone(Target(), Request("KING HENRY:", 3)), "other");
  const int64_t reused = batcher->stats().prefix_reused_tokens;
  RunAll(*batcher, {follow_up});
  EXPECT_EQ(batcher->stats().prefix_reused_tokens - reused,
            static_cast<int64_t>(follow_up.prompt.size() - 1));
}

// The mixed requests, longer (the bard model's continuations repeat themselves after a while),
// every other one with n-gram speculation.
std::vector<GenerateOptions> SpeculatingRequests() {
  auto requests = MixedRequests();
  for (size_t i = 0; i < requests.size(); ++i) {
    requests[i].max_tokens += 30;
    if (i % 2 == 0) {
      requests[i].speculation = {.mode = SpeculationOptions::Mode::kNgram,
                                 .draft_model = nullptr,
                                 .max_draft_tokens = 4,
                                 .ngram_size = 2};
    }
  }
  return requests;
}

int64_t Accepted(const std::vector<GenerateResult>& results) {
  int64_t accepted = 0;
  for (const auto& result : results) accepted += result.speculation.accepted_tokens;
  return accepted;
}

TEST(ContinuousBatcher, NgramSpeculationInABatchChangesNoToken) {
  const auto requests = SpeculatingRequests();
  auto batcher = NewBatcher(Target(), {.max_sequences = 3, .prefill_chunk = 16});
  const auto results = RunAll(*batcher, requests);
  for (size_t i = 0; i < requests.size(); ++i) {
    GenerateOptions plain = requests[i];
    plain.speculation = {};
    ExpectSameOutput(results[i], Alone(Target(), plain), "request " + std::to_string(i));
    if (requests[i].speculation.mode == SpeculationOptions::Mode::kNone) {
      EXPECT_EQ(results[i].speculation.rounds, 0) << i;
    }
  }
  // The drafts ran and some were right: fewer steps than one token per step would take.
  EXPECT_GT(Accepted(results), 0);
  EXPECT_EQ(batcher->stats().accepted_tokens, Accepted(results));
  EXPECT_GT(batcher->stats().draft_tokens, batcher->stats().accepted_tokens);
  auto plain_batcher = NewBatcher(Target(), {.max_sequences = 3, .prefill_chunk = 16});
  auto plain_requests = requests;
  for (auto& request : plain_requests) request.speculation = {};
  RunAll(*plain_batcher, plain_requests);
  EXPECT_LT(batcher->stats().steps, plain_batcher->stats().steps);
}

TEST(ContinuousBatcher, SampledSpeculationMatchesTheEngineWithTheSameSeed) {
  auto requests = SpeculatingRequests();
  for (size_t i = 0; i < requests.size(); ++i) {
    requests[i].sampling = {.temperature = 0.7f, .top_k = 20, .seed = 300 + i};
  }
  // Room for every draft: each sequence drafts exactly as it would alone, so it draws the same
  // random numbers.
  auto batcher = NewBatcher(Target(), {.max_sequences = 4, .prefill_chunk = 8});
  const auto results = RunAll(*batcher, requests);
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto alone = Alone(Target(), requests[i]);
    ExpectSameOutput(results[i], alone, "request " + std::to_string(i));
    EXPECT_EQ(results[i].speculation.accepted_tokens, alone.speculation.accepted_tokens) << i;
    EXPECT_EQ(results[i].speculation.draft_tokens, alone.speculation.draft_tokens) << i;
  }
  EXPECT_GT(Accepted(results), 0);
}

TEST(ContinuousBatcher, DraftsOnlyJoinAStepWithRoomForThem) {
  auto requests = SpeculatingRequests();
  requests.resize(3);
  for (auto& request : requests) {
    request.speculation = {.mode = SpeculationOptions::Mode::kNgram,
                           .draft_model = nullptr,
                           .max_draft_tokens = 4,
                           .ngram_size = 2};
  }
  // No room at all: one token per sequence per step, as without speculation.
  auto none = NewBatcher(Target(), {.max_sequences = 3, .draft_step_tokens = 0});
  const auto without = RunAll(*none, requests);
  EXPECT_EQ(none->stats().draft_tokens, 0);
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(without[i].speculation.rounds, 0) << i;
    GenerateOptions plain = requests[i];
    plain.speculation = {};
    ExpectSameOutput(without[i], Alone(Target(), plain), "request " + std::to_string(i));
  }

  // Room for 5 tokens: a step never holds more than that because of its drafts.
  auto some = NewBatcher(Target(), {.max_sequences = 3, .draft_step_tokens = 5});
  std::vector<std::optional<GenerateResult>> results(requests.size());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(some->Add(
                        requests[i], [](const GeneratedToken&) { return true; },
                        [&results, i](absl::StatusOr<GenerateResult> result) {
                          ASSERT_TRUE(result.ok()) << result.status();
                          results[i] = *result;
                        })
                    .ok());
  }
  int drafted_steps = 0;
  while (some->active() > 0) {
    const auto step = some->Step();
    if (step.draft_tokens > 0) {
      ++drafted_steps;
      EXPECT_LE(step.tokens, 5);
    }
  }
  EXPECT_GT(drafted_steps, 0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(results[i].has_value());
    GenerateOptions plain = requests[i];
    plain.speculation = {};
    ExpectSameOutput(*results[i], Alone(Target(), plain), "request " + std::to_string(i));
  }
}

TEST(ContinuousBatcher, EndsRunningSequencesWhenDestroyed) {
  auto batcher = NewBatcher(Target(), {.max_sequences = 2});
  std::optional<absl::Status> status;
  ASSERT_TRUE(
      batcher
          ->Add(
              Request("ROMEO:", 50), [](const GeneratedToken&) { return true; },
              [&status](absl::StatusOr<GenerateResult> result) { status = result.status(); })
          .ok());
  batcher->Step();
  batcher.reset();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cascade::engine
