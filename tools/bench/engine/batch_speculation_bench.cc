// cascade-bench-batch-speculation: whether n-gram speculation pays inside a batch (issue 21),
// and whether the room AUTO measures keeps it from costing.
//
//   cascade-bench-batch-speculation --model M.gguf [--streams 1,4,16] [--tokens 128]
//       [--prompt-tokens 32] [--threads 2] [--draft-tokens 4] [--ngram 3] [--repeats 3]
//
// It first measures the model's pass curve (MeasurePassCurve: one pass of 1, 2, 4 ... 64
// tokens) and what ChooseBatchSpeculation makes of it, as a server with default_speculation
// AUTO and max_sequences > 1 does at start. Then, for each stream count S, it runs S requests
// together on one ContinuousBatcher (S slots, --threads threads, greedy, --tokens tokens each
// with the end-of-sequence token ignored), in three configurations:
//   none          no speculation;
//   ngram, any    every request drafts with n-gram lookup, in any step of up to 64 tokens;
//   ngram, room   the same, within the measured draft_step_tokens.
// The prompt of request k is --prompt-tokens ordinary ids, as cascade-bench-streams makes them
// (its first 4 ids varied by k), so the continuation is the model's own: a random model's
// greedy text repeats itself, where n-gram lookup has something to find. Rate: all generated
// tokens over the wall time of the run, median of --repeats (after one warm-up run). Every
// configuration must give the tokens "none" gives; the table says so.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/inference/engine/continuous_batcher.h"
#include "services/inference/engine/speculation_choice.h"
#include "tools/bench/engine/prompt_ids.h"

namespace {

using namespace cascade::engine;

constexpr char kUsage[] =
    "usage: cascade-bench-batch-speculation --model FILE.gguf [--streams 1,4,16] [--tokens 128]\n"
    "    [--prompt-tokens 32] [--threads 2] [--draft-tokens 4] [--ngram 3] [--repeats 3]\n"
    "Tokens/s of S requests decoded together, without speculation and with n-gram drafts in\n"
    "any step or only within the room the server's AUTO measures; see the file's comment.\n";

struct Flags {
  std::string model;
  std::vector<int> streams = {1, 4, 16};
  int tokens = 128, prompt_tokens = 32, threads = 2, draft_tokens = 4, ngram = 3, repeats = 3;
};

bool ParseFlags(int argc, char** argv, Flags& flags, std::string& error) {
  for (int i = 1; i < argc; i += 2) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      error = arg + " needs a value";
      return false;
    }
    const std::string value = argv[i + 1];
    auto number = [&](int& out) {
      auto [ptr, status] = std::from_chars(value.data(), value.data() + value.size(), out);
      return status == std::errc() && ptr == value.data() + value.size() && out > 0;
    };
    bool ok = true;
    if (arg == "--model") {
      flags.model = value;
    } else if (arg == "--streams") {
      flags.streams.clear();
      for (absl::string_view part : absl::StrSplit(value, ',')) {
        int n = 0;
        ok = ok && std::from_chars(part.data(), part.data() + part.size(), n).ec == std::errc() &&
             n > 0 && n <= kMaxSequences;
        flags.streams.push_back(n);
      }
    } else if (arg == "--tokens") {
      ok = number(flags.tokens);
    } else if (arg == "--prompt-tokens") {
      ok = number(flags.prompt_tokens);
    } else if (arg == "--threads") {
      ok = number(flags.threads);
    } else if (arg == "--draft-tokens") {
      ok = number(flags.draft_tokens) && flags.draft_tokens <= kMaxDraftTokens;
    } else if (arg == "--ngram") {
      ok = number(flags.ngram) && flags.ngram <= 16;
    } else if (arg == "--repeats") {
      ok = number(flags.repeats);
    } else {
      error = absl::StrCat("unknown flag '", arg, "'");
      return false;
    }
    if (!ok) {
      error = absl::StrCat(arg, " cannot be '", value, "'");
      return false;
    }
  }
  if (flags.model.empty()) error = "--model FILE.gguf is required";
  return error.empty();
}

struct Run {
  double seconds = 0;
  int64_t tokens = 0, drafts = 0, accepted = 0, steps = 0;
  std::vector<std::vector<int>> outputs;
};

Run RunBatch(std::shared_ptr<const Model> model, const Flags& flags, int streams,
             const SpeculationOptions& speculation, int draft_step_tokens) {
  auto batcher = ContinuousBatcher::Create(
      model,
      {.threads = flags.threads, .max_sequences = streams, .draft_step_tokens = draft_step_tokens});
  if (!batcher.ok()) {
    std::cerr << "cascade-bench-batch-speculation: " << batcher.status() << "\n";
    std::exit(1);
  }
  Run run;
  run.outputs.resize(streams);
  const auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < streams; ++k) {
    GenerateOptions request;
    request.prompt =
        cascade::bench::RequestPromptIds(model->config().vocab_size, flags.prompt_tokens, k);
    request.max_tokens = flags.tokens;
    request.stop_at_eos = false;
    request.speculation = speculation;
    auto status = (*batcher)->Add(
        request, [](const GeneratedToken&) { return true; },
        [&run, k](absl::StatusOr<GenerateResult> result) {
          if (!result.ok()) {
            std::cerr << "cascade-bench-batch-speculation: " << result.status() << "\n";
            std::exit(1);
          }
          run.tokens += static_cast<int64_t>(result->tokens.size());
          run.drafts += result->speculation.draft_tokens;
          run.accepted += result->speculation.accepted_tokens;
          run.outputs[k] = result->tokens;
        });
    if (!status.ok()) {
      std::cerr << "cascade-bench-batch-speculation: " << status << "\n";
      std::exit(1);
    }
  }
  while ((*batcher)->active() > 0) (*batcher)->Step();
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.steps = (*batcher)->stats().steps;
  return run;
}

// The median run of `repeats` by rate, after a warm-up run.
Run Measure(std::shared_ptr<const Model> model, const Flags& flags, int streams,
            const SpeculationOptions& speculation, int draft_step_tokens) {
  RunBatch(model, flags, streams, speculation, draft_step_tokens);
  std::vector<Run> runs;
  for (int i = 0; i < flags.repeats; ++i) {
    runs.push_back(RunBatch(model, flags, streams, speculation, draft_step_tokens));
  }
  std::sort(runs.begin(), runs.end(),
            [](const Run& a, const Run& b) { return a.tokens / a.seconds < b.tokens / b.seconds; });
  return runs[runs.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  std::string error;
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  if (!ParseFlags(argc, argv, flags, error)) {
    std::cerr << "cascade-bench-batch-speculation: " << error << "\n" << kUsage;
    return 2;
  }
  auto model = Model::Load(flags.model);
  if (!model.ok()) {
    std::cerr << "cascade-bench-batch-speculation: " << model.status() << "\n";
    return 1;
  }
  auto curve = MeasurePassCurve(*model, flags.threads);
  if (!curve.ok()) {
    std::cerr << "cascade-bench-batch-speculation: " << curve.status() << "\n";
    return 1;
  }
  const BatchSpeculationChoice choice = ChooseBatchSpeculation(*curve);
  std::cout << absl::StrFormat("model %s (%s), kernels %s, %d threads\n", (*model)->name(),
                               (*model)->config().ToString(), BestKernels().name, flags.threads);
  std::cout << "pass of n tokens, in one-token steps:";
  for (size_t i = 0; i < curve->tokens.size(); ++i) {
    std::cout << absl::StrFormat(" %d: %.2f", curve->tokens[i],
                                 curve->seconds[i] / curve->seconds.front());
  }
  std::cout << absl::StrFormat(
      "\nAUTO: draft_step_tokens %d, default %s (%s)\n\n", choice.draft_step_tokens,
      choice.mode == SpeculationOptions::Mode::kNgram ? "NGRAM" : "NONE", choice.reason);

  const SpeculationOptions ngram{.mode = SpeculationOptions::Mode::kNgram,
                                 .draft_model = nullptr,
                                 .max_draft_tokens = flags.draft_tokens,
                                 .ngram_size = flags.ngram};
  std::cout << absl::StrFormat(
      "one request of %d tokens per stream, greedy, k = %d, n = %d; median of %d runs\n\n",
      flags.tokens, flags.draft_tokens, flags.ngram, flags.repeats);
  std::cout << "| streams | none tok/s | ngram, any step: tok/s (ratio), acceptance | ngram, "
               "room: tok/s (ratio), acceptance | same tokens |\n"
               "| --- | --- | --- | --- | --- |\n";
  bool all_same = true;
  for (int streams : flags.streams) {
    const Run none = Measure(*model, flags, streams, {}, Transformer::kMaxBatch);
    const Run any = Measure(*model, flags, streams, ngram, Transformer::kMaxBatch);
    const Run room = Measure(*model, flags, streams, ngram, choice.draft_step_tokens);
    auto cell = [&](const Run& run) {
      const double rate = run.tokens / run.seconds;
      return absl::StrFormat("%.1f (%.2f), %s", rate, rate / (none.tokens / none.seconds),
                             run.drafts == 0
                                 ? std::string("no drafts")
                                 : absl::StrFormat("%.2f of %lld", 1.0 * run.accepted / run.drafts,
                                                   static_cast<long long>(run.drafts)));
    };
    const bool same = any.outputs == none.outputs && room.outputs == none.outputs;
    all_same = all_same && same;
    std::cout << absl::StrFormat("| %d | %.1f | %s | %s | %s |\n", streams,
                                 none.tokens / none.seconds, cell(any), cell(room),
                                 same ? "yes" : "NO");
  }
  return all_same ? 0 : 1;
}
