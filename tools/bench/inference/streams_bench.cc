// cascade-bench-streams: concurrent Generate streams through cascade-inference over gRPC
// (issue 21), comparing server configurations in one run: max_sequences=1 (one request
// decoded at a time, as before continuous batching) against max_sequences=N.
//
//   cascade-bench-streams --model M.gguf [--streams 1,4,16,64] [--tokens 64]
//       [--prompt-tokens 32] [--max-sequences 1,16] [--threads 2] [--requests-per-stream 2]
//
// For each --max-sequences value it hosts the real inference service in this process
// (ModelRegistry, InferenceServiceImpl on the common ServiceHost, gRPC on a loopback port the
// OS picks), one model "bench" with --threads threads and no speculation. All servers are up
// for the whole run; the stream counts are the outer loop and the configurations the inner
// one, so the runs a ratio compares are taken next to each other on a noisy machine.
//
// A run with S streams: S client threads, each sending --requests-per-stream Generate calls
// back to back (closed loop), greedy, max_tokens = --tokens. Every prompt in the whole
// benchmark is different (see RequestPromptIds), and the same in each configuration. Measured on
// the client: aggregate tokens/s (all tokens received / wall time from the first send to the last
// answer); time to first token (send to the first chunk carrying a token, queueing included);
// per-token latency (the time between successive chunks, divided evenly over the tokens of
// the later chunk, one sample per token); and the most streams decoding at once (from their
// first to their last token), which shows whether the server decoded requests together.
//
// A configuration the server refuses (at start or on a call) is reported with the server's
// message and left out from then on; the others go on, and the exit status is then 1.

#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "cascade/v1/config.pb.h"
#include "cascade/v1/inference.grpc.pb.h"
#include "common/grpc_runtime/listen_address.h"
#include "common/grpc_runtime/service_host.h"
#include "common/log/logger.h"
#include "services/inference/generate_request.h"
#include "services/inference/inference_metrics.h"
#include "services/inference/inference_service.h"
#include "services/inference/model_registry.h"
#include "tools/bench/engine/prompt_ids.h"

namespace cascade::inference::bench {
namespace {

using ::cascade::bench::kVariedPromptIds;
using ::cascade::bench::RequestPromptIds;

using Clock = std::chrono::steady_clock;
constexpr char kModelName[] = "bench";

constexpr char kUsage[] =
    R"(usage: cascade-bench-streams --model FILE.gguf [flags]

Concurrent Generate streams through cascade-inference over gRPC on loopback: aggregate
tokens/s, time to first token and per-token latency, for each server configuration
(--max-sequences) and number of concurrent streams (--streams), in one run.

  --model FILE.gguf          the model to serve (required), e.g. a random ~100M Llama from
                             make-random-model, copied to Q8_0 by cascade-quantize
  --streams 1,4,16,64        numbers of concurrent client streams, one run each
  --tokens N                 tokens generated per request (max_tokens), default 64
  --prompt-tokens N          prompt length in token ids, default 32
  --max-sequences 1,16       server configurations to compare: InferenceModelConfig
                             max_sequences (1 = one request decoded at a time); each gets
                             its own in-process server. The ratio column is each one's
                             aggregate over max_sequences=1's at the same stream count
  --threads N                the model's compute threads, default 2
  --requests-per-stream N    requests each stream sends back to back, default 2
  --help                     this text

Requests are greedy and stream their tokens. The prompt of request k (k counting every
request of the benchmark from 0: stream counts in the order given, then stream by stream,
then request by request; the same k in every configuration) is N ordinary token ids for a
vocabulary of V ids: id i = V/8 + (i mod V/2), as cascade-bench-engine --prompt-tokens, except
that the first 4 ids are V/8 + V/2 - 1 - ((4k + i) mod V/2), so no two prompts share more
than the BOS token. GenerateRequest takes text, so the prompt sent is the text of those ids
(the tokenizer's decoding); when the server tokenizes that to more than N tokens (as
make-random-model's synthetic vocabulary does: its "_t<i>" pieces come back as byte tokens),
the longest prefix of the text, in whole characters, that tokenizes to at most N. The
prompts line says whether they are the ids themselves, their lengths, and a checksum of all
prompt ids, which llama_cpp_streams.mjs prints too.
GenerateRequest has no way to ignore the end-of-sequence token: a request that ends early
is counted (tokens/s counts the tokens actually generated) and reported.
llama_cpp_streams.mjs (tools/bench/engine) measures llama.cpp the same way.

Exit status: 0; 1 when a configuration was refused or a call failed (the server's message
is printed and the other configurations go on); 2 for bad flags.
)";

struct Flags {
  std::string model;
  std::vector<int> streams = {1, 4, 16, 64};
  int tokens = 64;
  int prompt_tokens = 32;
  std::vector<int> max_sequences = {1, 16};
  int threads = 2;
  int requests_per_stream = 2;
};

bool ParseInt(absl::string_view text, int& out) {
  auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && ptr == text.data() + text.size() && out > 0;
}

bool ParseList(absl::string_view text, std::vector<int>& out) {
  out.clear();
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int value = 0;
    if (!ParseInt(part, value)) return false;
    out.push_back(value);
  }
  return !out.empty();
}

// "" when the flags are good; else what is wrong. Takes --flag VALUE and --flag=VALUE.
std::string ParseFlags(int argc, char** argv, Flags& flags, bool& help) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help = true;
      return "";
    }
    std::optional<std::string> value;
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const bool known = arg == "--model" || arg == "--streams" || arg == "--tokens" ||
                       arg == "--prompt-tokens" || arg == "--max-sequences" || arg == "--threads" ||
                       arg == "--requests-per-stream";
    if (!known) return absl::StrCat("unknown flag '", arg, "'");
    if (!value) {
      if (i + 1 >= argc) return absl::StrCat(arg, " needs a value");
      value = argv[++i];
    }
    bool ok = true;
    std::string want = "a positive integer";
    if (arg == "--model") {
      flags.model = *value;
      ok = !value->empty();
      want = "a file name";
    } else if (arg == "--streams") {
      ok = ParseList(*value, flags.streams);
      want = "a comma-separated list of positive integers";
    } else if (arg == "--max-sequences") {
      ok = ParseList(*value, flags.max_sequences);
      want = "a comma-separated list of positive integers";
    } else if (arg == "--tokens") {
      ok = ParseInt(*value, flags.tokens);
    } else if (arg == "--prompt-tokens") {
      ok = ParseInt(*value, flags.prompt_tokens);
    } else if (arg == "--threads") {
      ok = ParseInt(*value, flags.threads);
    } else if (arg == "--requests-per-stream") {
      ok = ParseInt(*value, flags.requests_per_stream);
    }
    if (!ok) return absl::StrCat(arg, " wants ", want, ", got '", *value, "'");
  }
  if (flags.model.empty()) return "--model FILE.gguf is required";
  if (!std::ifstream(flags.model).good()) return absl::StrCat("cannot read --model ", flags.model);
  std::vector<int> seen;
  for (int n : flags.max_sequences) {
    if (std::find(seen.begin(), seen.end(), n) != seen.end()) {
      return absl::StrCat("--max-sequences names ", n, " twice");
    }
    seen.push_back(n);
  }
  return "";
}

// Nearest rank.
double Percentile(std::vector<double>& values, double fraction) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(fraction * values.size()));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

// One in-process cascade-inference: what services/inference/main.cc builds, on a loopback
// port.
struct Server {
  int max_sequences = 1;
  std::shared_ptr<ModelRegistry> registry;
  std::unique_ptr<InferenceServiceImpl> service;
  std::unique_ptr<ServiceHost> host;
  std::unique_ptr<v1::InferenceService::Stub> stub;
  std::string error;  // Why this configuration is out; "" while it runs.

  ~Server() {
    if (host) host->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
};

absl::StatusOr<std::unique_ptr<Server>> StartServer(const Flags& flags, int max_sequences,
                                                    int max_streams) {
  v1::InferenceConfig config;
  v1::InferenceModelConfig* model = config.add_models();
  model->set_name(kModelName);
  model->set_path(flags.model);
  model->set_threads(flags.threads);
  model->set_max_queue(std::max(64, max_streams + 1));
  model->set_chat_template("plain");  // Raw prompts only; no fallback warning.
  model->set_max_sequences(max_sequences);

  auto server = std::make_unique<Server>();
  server->max_sequences = max_sequences;
  auto prometheus = std::make_shared<prometheus::Registry>();
  auto metrics = std::make_shared<InferenceMetrics>(*prometheus);
  auto registry = ModelRegistry::Load(config, metrics);
  if (!registry.ok()) return registry.status();
  server->registry = *std::move(registry);
  server->service =
      std::make_unique<InferenceServiceImpl>(server->registry, metrics, ServerLimits{});

  auto grpc_address = ParseListenAddress("127.0.0.1:0", "grpc");
  auto metrics_address = ParseListenAddress("127.0.0.1:0", "metrics");
  if (!grpc_address.ok()) return grpc_address.status();
  if (!metrics_address.ok()) return metrics_address.status();
  ServiceHostOptions options{absl::StrCat("inference-max-sequences-", max_sequences),
                             *grpc_address,
                             *metrics_address,
                             4 << 20,
                             {server->service.get()},
                             prometheus,
                             {}};
  auto host = ServiceHost::Start(std::move(options));
  if (!host.ok()) return host.status();
  server->host = *std::move(host);
  server->stub = v1::InferenceService::NewStub(
      grpc::CreateChannel(server->host->grpc_address(), grpc::InsecureChannelCredentials()));
  return server;
}

struct Prompt {
  std::string text;
  std::vector<int> ids;  // As the server tokenizes the text, without BOS.
  bool exact = false;    // The ids of the rule themselves.
};

// The server's tokenization of `text`, without BOS.
absl::StatusOr<std::vector<int>> Tokenize(const engine::Tokenizer& tokenizer,
                                          absl::string_view text) {
  auto ids = tokenizer.Encode(text, /*add_bos=*/true);  // As Generate does.
  if (!ids.ok()) return ids.status();
  if (tokenizer.add_bos() && !ids->empty() && ids->front() == tokenizer.bos_id()) {
    ids->erase(ids->begin());
  }
  return ids;
}

// Request k's prompt (see kUsage): the text of the rule's ids; when that tokenizes to more
// than n tokens, its longest prefix (whole characters) that tokenizes to at most n.
absl::StatusOr<Prompt> MakePrompt(const engine::Tokenizer& tokenizer, int n, int k) {
  // The prompt of request k: see kUsage.
  const std::vector<int> rule = RequestPromptIds(tokenizer.vocab_size(), n, k);
  Prompt prompt;
  prompt.text = tokenizer.Decode(rule);
  auto all = Tokenize(tokenizer, prompt.text);
  if (!all.ok()) return all.status();
  prompt.ids = *all;
  prompt.exact = prompt.ids == rule;
  if (static_cast<int>(all->size()) <= n) return prompt;
  std::vector<size_t> ends;  // Where a character ends.
  for (size_t i = 1; i < prompt.text.size(); ++i) {
    if ((static_cast<unsigned char>(prompt.text[i]) & 0xC0) != 0x80) ends.push_back(i);
  }
  size_t low = 0, high = ends.size();  // The answer is in ends[0, high), or none: low = 0.
  std::optional<Prompt> best;
  while (low < high) {
    const size_t middle = (low + high) / 2;
    std::string text = prompt.text.substr(0, ends[middle]);
    auto ids = Tokenize(tokenizer, text);
    if (!ids.ok()) return ids.status();
    if (static_cast<int>(ids->size()) <= n) {
      best = Prompt{std::move(text), *std::move(ids), false};
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  if (best) return *best;
  return prompt;
}

absl::StatusOr<std::vector<Prompt>> MakePrompts(const engine::Tokenizer& tokenizer, int n,
                                                int count) {
  std::vector<Prompt> prompts;
  std::set<std::string> texts;
  for (int k = 0; k < count; ++k) {
    auto prompt = MakePrompt(tokenizer, n, k);
    if (!prompt.ok()) return prompt.status();
    if (!texts.insert(prompt->text).second) {
      return absl::FailedPreconditionError(
          absl::StrCat("the prompts of requests ", k, " and an earlier one are the same text"));
    }
    prompts.push_back(*std::move(prompt));
  }
  return prompts;
}

struct CallResult {
  bool started = false;
  grpc::Status status;
  int tokens = 0;
  double ttft = NAN;         // Seconds.
  std::vector<double> gaps;  // Seconds per token after the first chunk.
  std::vector<int> ids;      // The generated tokens.
  Clock::time_point first, last;
};

CallResult Call(v1::InferenceService::Stub& stub, const std::string& prompt, int tokens) {
  CallResult result;
  result.started = true;
  v1::GenerateRequest request;
  request.set_model(kModelName);
  request.set_prompt(prompt);
  request.mutable_params()->set_max_tokens(tokens);
  request.mutable_params()->set_temperature(0);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::hours(1));
  const Clock::time_point sent = Clock::now();
  auto reader = stub.Generate(&context, request);
  v1::GenerateChunk chunk;
  Clock::time_point previous{};
  while (reader->Read(&chunk)) {
    const Clock::time_point now = Clock::now();
    const int n = chunk.token_ids_size();
    if (n == 0) continue;
    if (result.tokens == 0) {
      result.ttft = std::chrono::duration<double>(now - sent).count();
      result.first = now;
    } else {
      const double gap = std::chrono::duration<double>(now - previous).count() / n;
      result.gaps.insert(result.gaps.end(), n, gap);
    }
    result.tokens += n;
    result.ids.insert(result.ids.end(), chunk.token_ids().begin(), chunk.token_ids().end());
    result.last = previous = now;
  }
  result.status = reader->Finish();
  return result;
}

struct RunResult {
  int streams = 0;
  double seconds = 0;
  int64_t tokens = 0;
  int requests = 0;
  int short_requests = 0;  // Ended before --tokens (end of sequence).
  std::vector<double> ttft, gaps;
  int max_decoding = 0;
  std::vector<int> first_ids;  // What the run's first request (stream 0's first) generated.
  std::string error;           // The first failed call's status.
};

// The most intervals [first, last] open at once.
int MaxOverlap(const std::vector<CallResult>& calls) {
  std::vector<std::pair<Clock::time_point, int>> events;
  for (const CallResult& call : calls) {
    if (call.tokens == 0) continue;
    events.emplace_back(call.first, +1);
    events.emplace_back(call.last, -1);
  }
  std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second < b.second;  // Ends first.
  });
  int open = 0, most = 0;
  for (const auto& [time, delta] : events) most = std::max(most, open += delta);
  return most;
}

RunResult Run(Server& server, const std::vector<Prompt>& prompts, int first_request, int streams,
              const Flags& flags) {
  const int per_stream = flags.requests_per_stream;
  std::vector<CallResult> calls(static_cast<size_t>(streams) * per_stream);
  std::atomic<bool> failed{false};
  absl::Notification go;
  std::vector<std::thread> threads;
  for (int s = 0; s < streams; ++s) {
    threads.emplace_back([&, s] {
      go.WaitForNotification();
      for (int r = 0; r < per_stream && !failed.load(); ++r) {
        const int index = s * per_stream + r;
        calls[index] = Call(*server.stub, prompts[first_request + index].text, flags.tokens);
        if (!calls[index].status.ok()) failed.store(true);
      }
    });
  }
  const Clock::time_point start = Clock::now();
  go.Notify();
  for (auto& thread : threads) thread.join();
  RunResult result;
  result.streams = streams;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (CallResult& call : calls) {
    if (!call.started) continue;
    if (!call.status.ok()) {
      if (result.error.empty()) {
        result.error = absl::StrCat("Generate failed: code ", call.status.error_code(), ": ",
                                    call.status.error_message());
      }
      continue;
    }
    ++result.requests;
    result.tokens += call.tokens;
    if (call.tokens < flags.tokens) ++result.short_requests;
    if (call.tokens > 0) result.ttft.push_back(call.ttft);
    result.gaps.insert(result.gaps.end(), call.gaps.begin(), call.gaps.end());
  }
  result.max_decoding = MaxOverlap(calls);
  result.first_ids = calls[0].ids;
  return result;
}

std::string Ms(double seconds) {
  return std::isnan(seconds) ? "-" : absl::StrFormat("%.1f ms", seconds * 1e3);
}

int Main(const Flags& flags) {
  // Warnings only: a line per request would measure the terminal.
  Logger::Configure("inference", LogLevel::kWarn);
  const int max_streams = *std::max_element(flags.streams.begin(), flags.streams.end());
  int total_requests = 0;
  for (int s : flags.streams) total_requests += s * flags.requests_per_stream;
  const int warmup_request = total_requests;  // The warm-up's prompt is k = total.

  std::vector<std::unique_ptr<Server>> servers;
  std::vector<std::string> failures;
  for (int n : flags.max_sequences) {
    auto server = StartServer(flags, n, max_streams);
    if (!server.ok()) {
      std::string message = absl::StrCat(
          "max_sequences=", n, ": the server refused to start: ", server.status().message());
      std::cerr << "cascade-bench-streams: " << message << "\n";
      failures.push_back(message);
      auto refused = std::make_unique<Server>();
      refused->max_sequences = n;
      refused->error = absl::StrCat("refused to start: ", server.status().message());
      servers.push_back(std::move(refused));
      continue;
    }
    servers.push_back(*std::move(server));
  }
  Server* first_up = nullptr;
  for (auto& server : servers) {
    if (server->error.empty()) {
      first_up = server.get();
      break;
    }
  }
  if (first_up == nullptr) {
    std::cerr << "cascade-bench-streams: no configuration could be started\n";
    return 1;
  }
  const ModelWorker& worker = *first_up->registry->Find(kModelName)->worker;
  const engine::Model& model = worker.model();
  if (flags.prompt_tokens + flags.tokens + 1 > worker.context_length()) {
    std::cerr << "cascade-bench-streams: --prompt-tokens " << flags.prompt_tokens << " + --tokens "
              << flags.tokens << " + BOS do not fit the model's context of "
              << worker.context_length() << "\n";
    return 2;
  }
  if (kVariedPromptIds * (total_requests + 1) > model.tokenizer().vocab_size() / 2) {
    std::cerr << "cascade-bench-streams: " << total_requests
              << " requests need more distinct prompts than the vocabulary gives\n";
    return 2;
  }
  auto prompts = MakePrompts(model.tokenizer(), flags.prompt_tokens, total_requests + 1);
  if (!prompts.ok()) {
    std::cerr << "cascade-bench-streams: " << prompts.status().message() << "\n";
    return 1;
  }
  int exact = 0, fewest = 1 << 30, most = 0;
  uint32_t checksum = 2166136261u;  // FNV-1a over every prompt's ids (no BOS), as the .mjs.
  for (const Prompt& prompt : *prompts) {
    for (int id : prompt.ids) checksum = (checksum ^ static_cast<uint32_t>(id)) * 16777619u;
    exact += prompt.exact ? 1 : 0;
    fewest = std::min<int>(fewest, prompt.ids.size());
    most = std::max<int>(most, prompt.ids.size());
  }

  std::cout << absl::StrFormat(
      "cascade-bench-streams: %s (%s), %d threads per model, %d prompt tokens + %d new tokens "
      "per request, greedy, %d requests per stream back to back, %u cores\n",
      flags.model, model.config().ToString(), flags.threads, flags.prompt_tokens, flags.tokens,
      flags.requests_per_stream, std::thread::hardware_concurrency());
  const std::vector<int>& ids0 = (*prompts)[0].ids;
  std::cout << absl::StrFormat(
      "prompts: %d distinct texts of %s tokens as the server tokenizes them (BOS %s); %s; "
      "checksum %08x; request 0: %s%s\n",
      prompts->size(), fewest == most ? absl::StrCat(fewest) : absl::StrCat(fewest, " to ", most),
      model.tokenizer().add_bos() ? "added" : "none",
      exact == static_cast<int>(prompts->size())
          ? "the rule's ids themselves"
          : absl::StrCat(prompts->size() - exact,
                         " not the rule's ids (their text tokenizes otherwise)"),
      checksum, absl::StrJoin(ids0.begin(), ids0.begin() + std::min<size_t>(ids0.size(), 12), ","),
      ids0.size() > 12 ? ",..." : "");

  // Warm up each server: weights paged in, threads started, the connection open.
  for (auto& server : servers) {
    if (!server->error.empty()) continue;
    CallResult warm = Call(*server->stub, (*prompts)[warmup_request].text, 4);
    if (!warm.status.ok()) {
      server->error = absl::StrCat("warm-up Generate failed: code ", warm.status.error_code(), ": ",
                                   warm.status.error_message());
      std::cerr << "cascade-bench-streams: max_sequences=" << server->max_sequences << ": "
                << server->error << "\n";
      failures.push_back(
          absl::StrCat("max_sequences=", server->max_sequences, ": ", server->error));
    }
  }

  std::map<std::pair<int, int>, RunResult> results;  // (streams, max_sequences).
  int first_request = 0;
  for (int streams : flags.streams) {
    for (auto& server : servers) {
      if (!server->error.empty()) continue;
      std::cerr << absl::StrFormat("max_sequences=%d, %d streams ...", server->max_sequences,
                                   streams)
                << std::flush;
      RunResult run = Run(*server, *prompts, first_request, streams, flags);
      std::cerr << absl::StrFormat(" %.1f s, %d tokens\n", run.seconds, run.tokens);
      if (!run.error.empty()) {
        server->error = absl::StrCat(streams, " streams: ", run.error);
        std::cerr << "cascade-bench-streams: max_sequences=" << server->max_sequences << ", "
                  << server->error << "\n";
        failures.push_back(
            absl::StrCat("max_sequences=", server->max_sequences, ", ", server->error));
        continue;
      }
      results[{streams, server->max_sequences}] = std::move(run);
    }
    first_request += streams * flags.requests_per_stream;
  }

  std::cout << "\n| config | streams | aggregate tok/s | TTFT p50 | TTFT p99 | per-token p50 | "
               "p99 | vs max_sequences=1 | decoding at once (max) |\n"
               "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  int short_requests = 0, requests = 0;
  for (int streams : flags.streams) {
    auto baseline = results.find({streams, 1});
    for (auto& server : servers) {
      const std::string config = absl::StrCat("max_sequences=", server->max_sequences);
      auto it = results.find({streams, server->max_sequences});
      if (it == results.end()) {
        std::cout << "| " << config << " | " << streams << " | failed: " << server->error
                  << " | | | | | | |\n";
        continue;
      }
      RunResult& run = it->second;
      short_requests += run.short_requests;
      requests += run.requests;
      const double rate = run.tokens / run.seconds;
      std::string ratio = "-";
      if (baseline != results.end()) {
        ratio =
            absl::StrFormat("%.2f", rate / (baseline->second.tokens / baseline->second.seconds));
      }
      std::cout << absl::StrFormat("| %s | %d | %.1f | %s | %s | %s | %s | %s | %d |\n", config,
                                   streams, rate, Ms(Percentile(run.ttft, 0.5)),
                                   Ms(Percentile(run.ttft, 0.99)), Ms(Percentile(run.gaps, 0.5)),
                                   Ms(Percentile(run.gaps, 0.99)), ratio, run.max_decoding);
    }
  }
  std::cout << "\nTTFT counts from the send, queueing included; per-token latency is the time "
               "between successive chunks over the tokens in the later one.\n";
  // To compare the text with llama_cpp_streams.mjs's (and the configurations' with each other).
  for (auto& server : servers) {
    auto it = results.find({flags.streams[0], server->max_sequences});
    if (it == results.end()) continue;
    const std::vector<int>& ids = it->second.first_ids;
    std::cout << "request 0, max_sequences=" << server->max_sequences << ": "
              << absl::StrJoin(ids.begin(), ids.begin() + std::min<size_t>(ids.size(), 16), ",")
              << (ids.size() > 16 ? ",..." : "") << "\n";
  }
  if (short_requests > 0) {
    std::cout << short_requests << " of " << requests
              << " requests ended at the end-of-sequence token before --tokens (GenerateRequest "
                 "cannot ignore it); tokens/s counts the tokens generated.\n";
  }
  for (auto& server : servers) {
    if (server->max_sequences <= 1 || !server->error.empty()) continue;
    bool together = false, tried = false;
    for (int streams : flags.streams) {
      auto it = results.find({streams, server->max_sequences});
      if (streams < 2 || it == results.end()) continue;
      tried = true;
      together = together || it->second.max_decoding > 1;
    }
    if (tried && !together) {
      std::cout << "Note: max_sequences=" << server->max_sequences
                << " never decoded two streams at once: this server ignores max_sequences "
                   "(no continuous batching).\n";
    }
  }
  if (!failures.empty()) {
    std::cerr << "cascade-bench-streams: failed:\n";
    for (const std::string& failure : failures) std::cerr << "  " << failure << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace cascade::inference::bench

int main(int argc, char** argv) {
  cascade::inference::bench::Flags flags;
  bool help = false;
  std::string error = cascade::inference::bench::ParseFlags(argc, argv, flags, help);
  if (help) {
    std::cout << cascade::inference::bench::kUsage;
    return 0;
  }
  if (!error.empty()) {
    std::cerr << "cascade-bench-streams: " << error << " (see --help)\n";
    return 2;
  }
  return cascade::inference::bench::Main(flags);
}
