// cascade-run: generate text from a GGUF model on the command line, like llama.cpp's CLI.
//
//   cascade-run models/bard-target-3m.gguf --prompt "ROMEO:" --max-tokens 64
//   cascade-run models/bard-target-3m.gguf --prompt "ROMEO:" --draft models/bard-draft-0.5m.gguf
//   cascade-run models/bard-target-3m.gguf --prompt "ROMEO:" --ngram 3 --json
#include <charconv>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "services/inference/engine/engine.h"

namespace {

using cascade::engine::Engine;
using cascade::engine::GeneratedToken;
using cascade::engine::GenerateOptions;
using cascade::engine::GenerateResult;
using cascade::engine::Model;
using cascade::engine::SpeculationOptions;

constexpr const char* kUsage = R"(usage: cascade-run MODEL.gguf [options]

Generates text from MODEL (a llama-architecture GGUF file, or a llama2.c checkpoint together
with --tokenizer) and streams it to stdout.

options:
  --tokenizer FILE      MODEL is a llama2.c checkpoint and FILE its tokenizer.bin
  --prompt TEXT         text to continue (default: empty, i.e. just BOS)
  --prompt-ids IDS      token ids to continue instead, comma-separated (e.g. 1,826,983)
  --max-tokens N        tokens to generate (default: 128, capped by the context length)
  --temperature T       0 is greedy (default: 0)
  --top-k K             sample from the K most likely tokens (default: 0 = all)
  --top-p P             sample from the smallest set holding P of the mass (default: 1)
  --seed S              random seed; the same seed gives the same text (default: 0)
  --threads N           worker threads (default: 1)
  --device DEVICE       cpu or cuda (a GPU, F16 or Q8_0 weights; default: cpu). On cuda a
                        draft model still runs on the CPU
  --draft DRAFT.gguf    speculative decoding with this draft model (same tokenizer)
  --ngram N             speculative decoding by prompt lookup with n-grams up to N tokens
  --draft-tokens K      tokens drafted per round, at most (default: 4)
  --draft-min-prob P    stop a draft where the draft model's best token has probability < P
                        (adaptive draft length; default: 0, always draft K)
  --top-logprobs N      report the N most likely tokens at each step (with --json)
  --ignore-eos          keep generating past the end-of-sequence token
  --json                print one JSON object: token ids, text, logprobs, stats, tokens/s
  --help                show this help
)";

struct Flags {
  std::string model_path;
  std::string prompt;
  std::vector<int> prompt_ids;
  std::optional<int> max_tokens;
  float temperature = 0;
  int top_k = 0;
  float top_p = 1;
  uint64_t seed = 0;
  int threads = 1;
  cascade::engine::Device device = cascade::engine::Device::kCpu;
  std::string draft_path;
  std::string tokenizer_path;
  int ngram = 0;
  int draft_tokens = 4;
  float draft_min_prob = 0;
  int top_logprobs = 0;
  bool ignore_eos = false;
  bool json = false;
};

template <typename T>
bool ParseNumber(const std::string& text, T& out) {
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, out);
  return error == std::errc() && ptr == end;
}

// Returns an error message, or nullopt when the flags are fine.
std::optional<std::string> ParseFlags(int argc, char** argv, Flags& flags, bool& help) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help = true;
      return std::nullopt;
    }
    if (arg == "--json") {
      flags.json = true;
      continue;
    }
    if (arg == "--ignore-eos") {
      flags.ignore_eos = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      if (!flags.model_path.empty()) return "more than one model path given: '" + arg + "'";
      flags.model_path = arg;
      continue;
    }
    if (i + 1 >= argc) return "flag " + arg + " needs a value";
    const std::string value = argv[++i];
    bool ok = true;
    if (arg == "--prompt") {
      flags.prompt = value;
    } else if (arg == "--prompt-ids") {
      for (absl::string_view part : absl::StrSplit(value, ',')) {
        int id = 0;
        ok = ok && ParseNumber(std::string(part), id);
        flags.prompt_ids.push_back(id);
      }
    } else if (arg == "--max-tokens") {
      int n = 0;
      ok = ParseNumber(value, n);
      flags.max_tokens = n;
    } else if (arg == "--temperature") {
      ok = ParseNumber(value, flags.temperature);
    } else if (arg == "--top-k") {
      ok = ParseNumber(value, flags.top_k);
    } else if (arg == "--top-p") {
      ok = ParseNumber(value, flags.top_p);
    } else if (arg == "--seed") {
      ok = ParseNumber(value, flags.seed);
    } else if (arg == "--threads") {
      ok = ParseNumber(value, flags.threads) && flags.threads >= 1 && flags.threads <= 256;
    } else if (arg == "--device") {
      auto device = cascade::engine::ParseDevice(value);
      if (!device.ok()) return std::string(device.status().message());
      flags.device = *device;
    } else if (arg == "--tokenizer") {
      flags.tokenizer_path = value;
    } else if (arg == "--draft") {
      flags.draft_path = value;
    } else if (arg == "--ngram") {
      ok = ParseNumber(value, flags.ngram);
    } else if (arg == "--draft-tokens") {
      ok = ParseNumber(value, flags.draft_tokens);
    } else if (arg == "--draft-min-prob") {
      ok = ParseNumber(value, flags.draft_min_prob);
    } else if (arg == "--top-logprobs") {
      ok = ParseNumber(value, flags.top_logprobs);
    } else {
      return "unknown flag " + arg + " (see --help)";
    }
    if (!ok) return "invalid value '" + value + "' for " + arg;
  }
  if (flags.model_path.empty()) return "no model given (see --help)";
  if (!flags.draft_path.empty() && flags.ngram > 0) return "--draft and --ngram exclude each other";
  return std::nullopt;
}

nlohmann::json ToJson(const GenerateResult& result, const GenerateOptions& request,
                      const Model& model, const std::string& prompt) {
  const auto& tokenizer = model.tokenizer();
  nlohmann::json logprobs = nlohmann::json::array();
  for (const auto& entry : result.logprobs) {
    nlohmann::json top = nlohmann::json::array();
    for (const auto& alternative : entry.top) {
      top.push_back({{"token", alternative.token},
                     {"text", std::string(tokenizer.TokenBytes(alternative.token))},
                     {"logprob", alternative.logprob}});
    }
    logprobs.push_back({{"token", entry.token}, {"logprob", entry.logprob}, {"top", top}});
  }
  const auto& spec = result.speculation;
  const double seconds = result.prefill_seconds + result.decode_seconds;
  const int n = static_cast<int>(result.tokens.size());
  return {
      {"model", model.name()},
      {"prompt", prompt},
      {"prompt_tokens", request.prompt},
      {"tokens", result.tokens},
      {"text", result.text},
      {"logprobs", logprobs},
      {"finish_reason", std::string(cascade::engine::FinishReasonName(result.finish_reason))},
      {"stats",
       {{"prompt_tokens", result.prompt_tokens},
        {"completion_tokens", n},
        {"prefill_seconds", result.prefill_seconds},
        {"decode_seconds", result.decode_seconds},
        {"tokens_per_second", seconds > 0 ? n / seconds : 0.0},
        {"decode_tokens_per_second",
         result.decode_seconds > 0 ? (n - 1) / result.decode_seconds : 0.0},
        {"speculation",
         {{"rounds", spec.rounds},
          {"draft_tokens", spec.draft_tokens},
          {"accepted_tokens", spec.accepted_tokens},
          {"acceptance_rate", spec.acceptance_rate()},
          {"mean_accepted_length", spec.mean_accepted_length()},
          {"accepted_at_position", spec.accepted_at_position}}}}},
  };
}

int Fail(const std::string& message) {
  std::cerr << "cascade-run: " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  bool help = false;
  if (auto error = ParseFlags(argc, argv, flags, help)) {
    std::cerr << "cascade-run: " << *error << "\n\n" << kUsage;
    return 2;
  }
  if (help) {
    std::cout << kUsage;
    return 0;
  }
  auto model = flags.tokenizer_path.empty()
                   ? Model::Load(flags.model_path)
                   : Model::LoadLlama2c(flags.model_path, flags.tokenizer_path);
  if (!model.ok()) return Fail(std::string(model.status().message()));

  GenerateOptions request;
  auto prompt = (*model)->tokenizer().Encode(flags.prompt);
  if (!prompt.ok()) return Fail(std::string(prompt.status().message()));
  request.prompt = flags.prompt_ids.empty() ? *prompt : flags.prompt_ids;
  if (request.prompt.empty()) request.prompt.push_back((*model)->tokenizer().bos_id());
  auto created = Engine::Create(*model, {.threads = flags.threads, .device = flags.device});
  if (!created.ok()) return Fail(std::string(created.status().message()));
  Engine& engine = **created;
  const int room = engine.context_length() - static_cast<int>(request.prompt.size());
  request.max_tokens = flags.max_tokens.value_or(std::max(1, std::min(128, room)));
  request.sampling = {flags.temperature, flags.top_k, flags.top_p, flags.seed};
  request.stop_at_eos = !flags.ignore_eos;
  request.logprobs = flags.json;
  request.top_logprobs = flags.top_logprobs;
  if (!flags.draft_path.empty()) {
    auto draft = Model::Load(flags.draft_path);
    if (!draft.ok()) return Fail(std::string(draft.status().message()));
    request.speculation.mode = SpeculationOptions::Mode::kDraftModel;
    request.speculation.draft_model = *draft;
  } else if (flags.ngram > 0) {
    request.speculation.mode = SpeculationOptions::Mode::kNgram;
    request.speculation.ngram_size = flags.ngram;
  }
  request.speculation.max_draft_tokens = flags.draft_tokens;
  request.speculation.min_draft_probability = flags.draft_min_prob;

  if (!flags.json) std::cout << flags.prompt << std::flush;
  auto result = engine.Generate(request, [&](const GeneratedToken& token) {
    if (!flags.json) std::cout << token.text << std::flush;
    return true;
  });
  if (!result.ok()) {
    if (!flags.json) std::cout << "\n";
    return Fail(std::string(result.status().message()));
  }
  if (flags.json) {
    std::cout << ToJson(*result, request, **model, flags.prompt).dump() << "\n";
    return 0;
  }
  const double seconds = result->prefill_seconds + result->decode_seconds;
  const auto& spec = result->speculation;
  std::cout << "\n";
  std::cerr << absl::StrCat("\n", result->tokens.size(), " tokens in ", seconds, " s (",
                            seconds > 0 ? result->tokens.size() / seconds : 0.0,
                            " tok/s), finish: ", FinishReasonName(result->finish_reason), "\n");
  if (spec.rounds > 0) {
    std::cerr << absl::StrCat("speculation: ", spec.rounds, " rounds, ", spec.accepted_tokens, "/",
                              spec.draft_tokens, " drafts accepted (", spec.acceptance_rate(),
                              "), mean accepted length ", spec.mean_accepted_length(), "\n");
  }
  return 0;
}
