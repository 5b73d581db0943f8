// cascade-bench-outcomes-load: how long a replay tier worker takes to read an outcomes file
// at start (the goal: 10,000 records well under a second). Writes N synthetic records
// shaped like a five-model ladder with answer-token logprobs (or reads --file), then times
// the strict reader and, as the baseline in the same run, a bare JSON parse of every line.
//
//   cascade-bench-outcomes-load [--records=10000] [--file=PATH]

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/outcomes/outcomes.h"
#include "nlohmann/json.hpp"

namespace {

double SecondsOf(const std::function<void()>& work) {
  auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string WriteSynthetic(int records) {
  const std::string path = "/tmp/cascade-bench-outcomes.jsonl";
  std::ofstream out(path);
  const char* models[] = {"m1b", "m3b", "m8b", "m70b", "m405b"};
  for (int i = 0; i < records; ++i) {
    out << "{\"id\": \"q" << i << "\", \"messages\": [{\"role\": \"system\", \"content\": "
        << "\"Answer with A, B, C or D only.\"}, {\"role\": \"user\", \"content\": \"Question " << i
        << ": " << std::string(400, 'x') << "\\nA: 1\\nB: 2\\nC: 3\\nD: 4\\nAnswer: \"}], "
        << "\"models\": {";
    for (int m = 0; m < 5; ++m) {
      out << (m ? ", " : "") << "\"" << models[m]
          << "\": {\"answer\": \"B\", \"correct\": " << ((i + m) % 3 ? "true" : "false")
          << ", \"usage\": {\"prompt_tokens\": 121, \"completion_tokens\": 1}, \"latency_ms\": "
             "250.5, \"logprobs\": [{\"token\": \"B\", \"logprob\": -0."
          << (i % 97 + 1) << "}]}";
    }
    out << "}}\n";
  }
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  int records = 10000;
  std::string file;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--records=", 0) == 0 && absl::SimpleAtoi(arg.substr(10), &records) &&
        records > 0) {
      continue;
    }
    if (arg.rfind("--file=", 0) == 0) {
      file = arg.substr(7);
      continue;
    }
    std::fprintf(stderr, "usage: cascade-bench-outcomes-load [--records=N] [--file=PATH]\n");
    return 2;
  }
  const std::string path = file.empty() ? WriteSynthetic(records) : file;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const auto bytes = static_cast<long long>(in.tellg());

  size_t parsed = 0;
  const double baseline = SecondsOf([&] {
    std::ifstream lines(path);
    std::string line;
    while (std::getline(lines, line)) {
      if (!nlohmann::json::parse(line, nullptr, false).is_discarded()) ++parsed;
    }
  });
  absl::StatusOr<std::vector<cascade::outcomes::OutcomeRecord>> read;
  const double strict = SecondsOf([&] { read = cascade::outcomes::ReadOutcomesFile(path); });
  if (!read.ok()) {
    std::fprintf(stderr, "%s\n", std::string(read.status().message()).c_str());
    return 1;
  }
  std::printf("Outcomes file load: %zu records, %.1f MB (%s)\n", read->size(), bytes / 1e6,
              file.empty() ? "synthetic, five models with logprobs" : path.c_str());
  std::printf("%-34s %10s %14s\n", "reader", "seconds", "records/s");
  std::printf("%-34s %10.3f %14.0f\n", "bare JSON parse (baseline)", baseline, parsed / baseline);
  std::printf("%-34s %10.3f %14.0f\n", "ReadOutcomesFile (strict)", strict, read->size() / strict);
  return 0;
}
