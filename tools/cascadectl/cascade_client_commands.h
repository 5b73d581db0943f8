#pragma once

// cascadectl commands that talk to running Cascade services:
//   cascadectl ask "TEXT" --orchestrator ADDR       one request, its answer and trace
//   cascadectl replay FILE.jsonl --orchestrator ADDR  many requests, the traffic's summary
//   cascadectl health --orchestrator A --router A ...  grpc.health of every service

#include <ostream>
#include <string>
#include <vector>

#include "tools/cascadectl/dial.h"

namespace cascade::cli {

inline constexpr char kAskUsage[] =
    R"(usage: cascadectl ask "TEXT" --orchestrator ADDR [--policy P] [--system TEXT]
                     [--max-tokens N] [--route-hint R] [--start-tier T] [--max-tier T]
                     [--budget-usd X] [--tenant NAME] [--timeout-ms N] [--stream] [--json]

Sends TEXT through the cascade at ADDR (HOST:PORT or unix:PATH) and prints the answer and
its trace: every tier tried, its model, confidence and method, whether it was accepted,
latency and cost, then the request's cost, baseline (top tier alone) and savings. With
--stream the answer is printed as it arrives (only the accepted tier's text ever is), then
the trace.
)" CASCADECTL_TLS_USAGE;

inline constexpr char kReplayUsage[] =
    R"(usage: cascadectl replay FILE.jsonl --orchestrator ADDR [--policy P]
                        [--concurrency N] [--timeout-ms N] [--progress] [--json]

Runs every line of FILE through the cascade: {"prompt": "..."} or {"messages": [...]},
optionally with "policy" and "max_tokens". Prints the share of requests each final tier
answered, total cost, baseline and savings, errors, and latency p50/p90/p99. A progress
bar goes to stderr when it is a terminal (or with --progress).
)" CASCADECTL_TLS_USAGE;

inline constexpr char kHealthUsage[] =
    R"(usage: cascadectl health [--orchestrator A] [--router A] [--judge A] [--inference A]
                        [--tier-worker A[,A...]] [--timeout-ms N] [--json]

Checks grpc.health.v1 of every service named and prints a table. Exit code 1 when any is
not SERVING.
)" CASCADECTL_TLS_USAGE;

int RunAsk(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunReplay(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunHealth(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cascade::cli
