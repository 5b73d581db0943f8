// cascade-loadgen: open-loop load on the orchestrator's gRPC API or its HTTP front door.
// `cascade-loadgen --help` for the flags.

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/common/request_line.h"
#include "tools/loadgen/grpc_cascade_target.h"
#include "tools/loadgen/http_chat_target.h"
#include "tools/loadgen/load_report.h"
#include "tools/loadgen/loadgen_options.h"
#include "tools/loadgen/open_loop.h"

namespace cascade::loadgen {
namespace {

absl::StatusOr<std::vector<v1::CascadeRequest>> LoadRequests(const LoadgenOptions& options) {
  std::vector<v1::CascadeRequest> requests;
  if (options.prompts_path.empty()) {
    v1::CascadeRequest request;
    request.set_policy(options.policy);
    v1::ChatMessage* message = request.add_messages();
    message->set_role("user");
    message->set_content("What is the capital of France?");
    requests.push_back(std::move(request));
    return requests;
  }
  std::ifstream file(options.prompts_path);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot read --prompts ", options.prompts_path));
  }
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto request = tools::ParseRequestLine(line, options.policy);
    if (!request.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(options.prompts_path, ":", number, ": ", request.status().message()));
    }
    requests.push_back(*std::move(request));
  }
  if (requests.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(options.prompts_path, " holds no requests"));
  }
  return requests;
}

int Run(const LoadgenOptions& options) {
  auto requests = LoadRequests(options);
  if (!requests.ok()) {
    std::cerr << "cascade-loadgen: " << requests.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<LoadTarget> target;
  if (options.protocol == LoadgenOptions::Protocol::kGrpc) {
    auto grpc_target = GrpcCascadeTarget::Create(options.grpc_client, options.channels);
    if (!grpc_target.ok()) {
      std::cerr << "cascade-loadgen: " << grpc_target.status().message() << "\n";
      return 1;
    }
    target = *std::move(grpc_target);
  } else {
    std::string api_key;
    if (!options.api_key_env.empty()) {
      const char* value = std::getenv(options.api_key_env.c_str());
      if (value == nullptr || *value == '\0') {
        std::cerr << "cascade-loadgen: --api-key-env names " << options.api_key_env
                  << ", which is not set\n";
        return 1;
      }
      api_key = value;
    }
    target = std::make_unique<HttpChatTarget>(options.http_host, options.http_port,
                                              options.concurrency, api_key);
  }
  OpenLoopOptions loop;
  loop.rate_per_second = options.rate;
  loop.duration = options.duration;
  loop.max_in_flight = options.concurrency;
  loop.request_timeout = options.timeout;
  if (!options.quiet) loop.on_progress = [](const std::string& line) { std::cerr << line << "\n"; };
  OpenLoopResult result = RunOpenLoop(loop, *requests, *target);
  ReportContext context{target->Describe(), options.rate,
                        std::chrono::duration<double>(options.duration).count(),
                        options.concurrency};
  if (options.json) {
    std::cout << ReportJson(context, result).dump(2) << "\n";
  } else {
    std::cout << ReportTable(context, result);
  }
  std::cout.flush();
  return 0;
}

}  // namespace
}  // namespace cascade::loadgen

int main(int argc, char** argv) {
  using cascade::loadgen::kLoadgenUsage;
  auto options =
      cascade::loadgen::ParseLoadgenOptions(std::vector<std::string>(argv + 1, argv + argc));
  if (!options.ok()) {
    std::cerr << "cascade-loadgen: " << options.status().message() << "\n\n" << kLoadgenUsage;
    return 2;
  }
  if (options->help) {
    std::cout << kLoadgenUsage;
    return 0;
  }
  return cascade::loadgen::Run(*options);
}
