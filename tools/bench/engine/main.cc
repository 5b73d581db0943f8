// cascade-bench-engine: tokens per second of the engine, alone and with speculative decoding.
//
//   cascade-bench-engine --model models/bard-target-3m.gguf --draft models/bard-draft-0.5m.gguf
//   cascade-bench-engine --model qwen05-q8_0.gguf --prompt-tokens 512 --tokens 64 --repeats 3
//
// For each thread count it generates --tokens tokens greedily from --prompt, --repeats times
// per mode (target alone, n-gram lookup, draft model), and reports the best and median rates.
// For the draft model it also reports the measured acceptance, the draft-to-target cost ratio
// c, and what the expected-speedup formula (1 - a^(k+1)) / ((1 - a)(k c + 1)) predicts.
//
// With --prompt-tokens N it first measures prompt processing (prefill) for each thread count:
// a prompt of N token ids, id i being V/8 + (i mod V/2) for a vocabulary of V ids (ordinary
// ids, clear of the low special and byte tokens of SentencePiece vocabularies and of the high
// special tokens of byte-level BPE ones; no BOS), generating one token. It reports N divided by
// the result's prefill_seconds (the N prompt positions through the model and the first token
// sampled), best and median over --repeats; the engine's cache of the previous prompt is
// dropped before each run, so every run processes all N tokens. The decode measurement follows
// as without the flag. The model's context must hold N + 1 tokens.
// llama_cpp_bench.mjs (beside this file) measures llama.cpp on the same files for comparison.
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/inference/engine/engine.h"
#include "tools/bench/engine/prompt_ids.h"

namespace {

using namespace cascade::engine;

struct Flags {
  std::string model, draft, prompt = "ROMEO:";
  std::vector<int> prompt_ids;  // overrides --prompt when given
  int tokens = 200, repeats = 5, draft_tokens = 4, ngram = 3;
  int prompt_tokens = 0;  // measure prefill of this many ids too (0: no)
  float min_prob = 0;
  std::vector<int> threads = {1, 2};
};

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

struct Measurement {
  std::vector<double> rates;      // tokens per second, one per repeat
  std::vector<double> cpu_rates;  // tokens per CPU second (all threads), one per repeat
  SpeculationStats speculation;   // of the last repeat
  std::string text;

  double best() const { return *std::max_element(rates.begin(), rates.end()); }
  double median() const {
    std::vector<double> sorted = rates;
    std::sort(sorted.begin(), sorted.end());
    return sorted[sorted.size() / 2];
  }
  double best_cpu() const { return *std::max_element(cpu_rates.begin(), cpu_rates.end()); }
};

// Makes the engine forget its cached prompt: the next request's prompt shares no prefix with
// this one-token prompt (a different first id), so all of it is processed again.
void DropCachedPrompt(Engine& engine, const std::vector<int>& prompt) {
  GenerateOptions other;
  other.prompt = {prompt[0] == 0 ? 1 : prompt[0] - 1};
  other.max_tokens = 1;
  other.stop_at_eos = false;
  if (auto result = engine.Generate(other); !result.ok()) {
    std::cerr << "cascade-bench-engine: " << result.status() << "\n";
    std::exit(1);
  }
}

// Rates of generation (tokens generated over the whole request) or, with prefill, of prompt
// processing (prompt tokens over prefill_seconds, from a cold cache each time).
Measurement Measure(Engine& engine, const GenerateOptions& request, int repeats,
                    bool prefill = false) {
  Measurement m;
  for (int i = -1; i < repeats; ++i) {  // run -1 warms up: page in weights, spin up threads
    if (prefill) DropCachedPrompt(engine, request.prompt);
    const double cpu_before = CpuSeconds();
    auto result = engine.Generate(request);
    const double cpu = CpuSeconds() - cpu_before;
    if (!result.ok()) {
      std::cerr << "cascade-bench-engine: " << result.status() << "\n";
      std::exit(1);
    }
    if (i < 0) continue;
    const double tokens = prefill ? result->prompt_tokens : result->tokens.size();
    const double seconds =
        prefill ? result->prefill_seconds : result->prefill_seconds + result->decode_seconds;
    m.rates.push_back(tokens / seconds);
    m.cpu_rates.push_back(tokens / cpu);
    m.speculation = result->speculation;
    m.text = result->text;
  }
  return m;
}

void Report(const std::string& label, int threads, const Measurement& m, double baseline) {
  std::cout << absl::StrFormat(
      "%-12s threads=%d  best %8.1f tok/s  median %8.1f tok/s  "
      "(%.1f tok per CPU-s)  speedup %.2fx",
      label, threads, m.best(), m.median(), m.best_cpu(),
      baseline > 0 ? m.median() / baseline : 1.0);
  const SpeculationStats& s = m.speculation;
  if (s.rounds > 0) {
    std::cout << absl::StrFormat(
        "  acceptance %.3f  mean accepted length %.2f  first-position %.3f", s.acceptance_rate(),
        s.mean_accepted_length(), static_cast<double>(s.accepted_at_position[0]) / s.rounds);
  }
  std::cout << "\n";
}

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i], value = argv[i + 1];
    auto number = [&](int& out) {
      auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), out);
      return error == std::errc() && ptr == value.data() + value.size() && out > 0;
    };
    bool ok = true;
    if (arg == "--model") {
      flags.model = value;
    } else if (arg == "--draft") {
      flags.draft = value;
    } else if (arg == "--prompt") {
      flags.prompt = value;
    } else if (arg == "--tokens") {
      ok = number(flags.tokens);
    } else if (arg == "--prompt-tokens") {
      ok = number(flags.prompt_tokens);
    } else if (arg == "--repeats") {
      ok = number(flags.repeats);
    } else if (arg == "--draft-tokens") {
      ok = number(flags.draft_tokens);
    } else if (arg == "--ngram") {
      ok = number(flags.ngram);
    } else if (arg == "--draft-min-prob") {
      auto [ptr, error] =
          std::from_chars(value.data(), value.data() + value.size(), flags.min_prob);
      ok = error == std::errc() && ptr == value.data() + value.size();
    } else if (arg == "--prompt-ids") {
      for (absl::string_view part : absl::StrSplit(value, ',')) {
        int id = 0;
        auto [ptr, error] = std::from_chars(part.data(), part.data() + part.size(), id);
        if (error != std::errc() || id < 0) return false;
        flags.prompt_ids.push_back(id);
      }
    } else if (arg == "--threads") {
      flags.threads.clear();
      for (absl::string_view part : absl::StrSplit(value, ',')) {
        int n = 0;
        auto [ptr, error] = std::from_chars(part.data(), part.data() + part.size(), n);
        if (error != std::errc() || n <= 0) return false;
        flags.threads.push_back(n);
      }
    } else {
      ok = false;
    }
    if (!ok) return false;
  }
  return !flags.model.empty() && argc % 2 == 1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) {
    std::cerr << "usage: cascade-bench-engine --model M.gguf [--draft D.gguf] [--prompt TEXT] "
                 "[--tokens 200] [--threads 1,2] [--repeats 5] [--draft-tokens 4] [--ngram 3] "
                 "[--draft-min-prob P] [--prompt-ids 1,826,983] [--prompt-tokens 512]\n";
    return 2;
  }
  auto model = Model::Load(flags.model);
  if (!model.ok()) {
    std::cerr << "cascade-bench-engine: " << model.status() << "\n";
    return 1;
  }
  std::shared_ptr<const Model> draft;
  if (!flags.draft.empty()) {
    auto loaded = Model::Load(flags.draft);
    if (!loaded.ok()) {
      std::cerr << "cascade-bench-engine: " << loaded.status() << "\n";
      return 1;
    }
    draft = *loaded;
  }
  GenerateOptions request;
  request.prompt =
      flags.prompt_ids.empty() ? *(*model)->tokenizer().Encode(flags.prompt) : flags.prompt_ids;
  request.max_tokens = flags.tokens;
  request.stop_at_eos = false;
  std::cout << absl::StrFormat(
      "model %s (%s, %s), %d tokens greedy from \"%s\", kernels %s\n", (*model)->name(),
      GgmlTypeName(static_cast<uint32_t>((*model)->weight_type())), (*model)->config().ToString(),
      flags.tokens, flags.prompt, BestKernels().name);
  GenerateOptions prefill;
  if (flags.prompt_tokens > 0) {
    const int vocab = (*model)->config().vocab_size;
    prefill.prompt = cascade::bench::OrdinaryPromptIds(vocab, flags.prompt_tokens);
    prefill.max_tokens = 1;
    prefill.stop_at_eos = false;
    std::cout << absl::StrFormat(
        "prompt processing: %d token ids, id i = V/8 + i mod V/2 with V = %d (%d, %d, ...), "
        "no BOS, 1 new token; rate = %d / prefill_seconds\n",
        flags.prompt_tokens, vocab, prefill.prompt[0],
        prefill.prompt[std::min(1, flags.prompt_tokens - 1)], flags.prompt_tokens);
  }
  for (int threads : flags.threads) {
    Engine engine(*model, {.threads = threads});
    if (flags.prompt_tokens > 0) {
      const Measurement m = Measure(engine, prefill, flags.repeats, /*prefill=*/true);
      std::cout << absl::StrFormat(
          "%-12s threads=%d  best %8.1f tok/s  median %8.1f tok/s  (%.1f tok per CPU-s)\n",
          absl::StrCat("prompt-", flags.prompt_tokens), threads, m.best(), m.median(),
          m.best_cpu());
    }
    const Measurement alone = Measure(engine, request, flags.repeats);
    Report("target", threads, alone, 0);

    GenerateOptions ngram = request;
    ngram.speculation = {SpeculationOptions::Mode::kNgram, nullptr, flags.draft_tokens,
                         flags.ngram};
    Report("ngram", threads, Measure(engine, ngram, flags.repeats), alone.median());

    if (draft == nullptr) continue;
    GenerateOptions drafted = request;
    drafted.speculation = {SpeculationOptions::Mode::kDraftModel, draft, flags.draft_tokens, 3,
                           flags.min_prob};
    const Measurement with_draft = Measure(engine, drafted, flags.repeats);
    Report("draft-model", threads, with_draft, alone.median());

    // The cost ratio c: the draft model's time per token relative to the target's.
    Engine draft_engine(draft, {.threads = threads});
    const Measurement draft_alone = Measure(draft_engine, request, flags.repeats);
    const double c = alone.median() / draft_alone.median();
    const SpeculationStats& s = with_draft.speculation;
    const double a = static_cast<double>(s.accepted_at_position[0]) / s.rounds;
    const int k = flags.draft_tokens;
    const double predicted = (1 - std::pow(a, k + 1)) / ((1 - a) * (k * c + 1));
    std::cout << absl::StrFormat(
        "  draft alone %.1f tok/s -> c = %.3f; a = %.3f (first-position acceptance), k = %d: "
        "formula predicts %.2fx, measured %.2fx\n",
        draft_alone.median(), c, a, k, predicted, with_draft.median() / alone.median());
  }
  return 0;
}
