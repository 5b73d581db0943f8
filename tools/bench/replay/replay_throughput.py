#!/usr/bin/env python3
"""Replay throughput through the orchestrator, and what the decision log costs on the
request path.

Starts a replay tier worker per model of an outcomes file (cheapest first) and an
orchestrator over them (a mean-logprob rule on every tier but the last), then drives every
record of the file through `cascadectl replay` at each concurrency, closed loop, for three
orchestrators in the same run: without a decision log (the baseline), with one, and with
one that includes prompts and answers. Prints requests/s and latency p50/p99 per row.

  tools/bench/replay/replay_throughput.py [--outcomes FILE] [--records N] [--repeat R]
      [--concurrency 1,8] [--min-logprob -0.5] [--bin-dir build/bin]

Without --outcomes it writes N synthetic three-model records (answer-token logprobs).
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))
from cascade_process import ServerProcess  # noqa: E402

PRICES = [0.10, 0.90, 3.00, 5.00, 15.00]


def synthetic(path, records):
    rng = random.Random(7)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(records):
            models = {}
            for m, name in enumerate(["small", "medium", "large"]):
                logprob = -rng.random() * (1.5 - 0.5 * m)
                models[name] = {"answer": f"answer {i} by {name}", "correct": rng.random() < 0.6 + 0.15 * m,
                                "usage": {"prompt_tokens": 40 + i % 50, "completion_tokens": 4},
                                "logprobs": [{"token": f"t{k}", "logprob": logprob} for k in range(4)]}
            out.write(json.dumps({"id": f"s{i}", "messages": [
                {"role": "user", "content": f"synthetic question {i}?"}], "models": models}) + "\n")


def models_of(path):
    with open(path, encoding="utf-8") as f:
        return list(json.loads(f.readline())["models"].keys())


def start(bin_dir, binary, config_text, scratch, name):
    path = os.path.join(scratch, f"{name}.yaml")
    with open(path, "w") as f:
        f.write(config_text)
    return ServerProcess(os.path.join(bin_dir, binary), ["--config", path])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outcomes")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--min-logprob", type=float, default=-0.5)
    parser.add_argument("--bin-dir", default=os.path.join(ROOT, "build", "bin"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cascade-replay-bench-") as scratch:
        outcomes = args.outcomes or os.path.join(scratch, "synthetic.jsonl")
        if not args.outcomes:
            synthetic(outcomes, args.records)
        models = models_of(outcomes)
        prompts = os.path.join(scratch, "prompts.jsonl")
        with open(outcomes, encoding="utf-8") as src, open(prompts, "w", encoding="utf-8") as dst:
            lines = [json.dumps({"messages": json.loads(l)["messages"]}) for l in src if l.strip()]
            for _ in range(args.repeat):
                dst.write("\n".join(lines) + "\n")
        servers = []
        try:
            tiers = []
            for i, model in enumerate(models):
                price = PRICES[min(i, len(PRICES) - 1)]
                tier = start(args.bin_dir, "cascade-tier-worker", (
                    f'tier: t{i}\nreplay: {{outcomes: "{outcomes}", model: "{model}"}}\n'
                    f"price: {{input_usd_per_mtok: {price}, output_usd_per_mtok: {price}}}\n"
                    "max_concurrency: 1024\n"), scratch, f"t{i}")
                servers.append(tier)
                tiers.append(f'  - {{name: t{i}, endpoint: {{address: "{tier.grpc}"}}}}')
            rules = [f"      - {{tier: t{i}, accept: {{logprob: {{aggregate: mean, min: "
                     f"{args.min_logprob}}}}}}}" for i in range(len(models) - 1)]
            rules.append(f"      - {{tier: t{len(models) - 1}}}")
            base = ("tiers:\n" + "\n".join(tiers) + "\npolicies:\n  - name: replay\n"
                    "    routing: false\n    tiers:\n" + "\n".join(rules) + "\n")
            variants = {
                "no decision log": base,
                "decision log": base + f'decision_log: {{path: "{scratch}/d1.jsonl"}}\n',
                "decision log + prompts": base + (f'decision_log: {{path: "{scratch}/d2.jsonl", '
                                                  "include_prompt: true}\n"),
            }
            orchestrators = {}
            for n, (name, text) in enumerate(variants.items()):
                orchestrators[name] = start(args.bin_dir, "cascade-orchestrator", text, scratch,
                                            f"orchestrator{n}")
                servers.append(orchestrators[name])
            count = len(lines) * args.repeat
            warm = os.path.join(scratch, "warm.jsonl")
            with open(warm, "w", encoding="utf-8") as f:
                f.write("\n".join(lines[:200]) + "\n")

            def replay(orchestrator, path, concurrency):
                run = subprocess.run(
                    [os.path.join(args.bin_dir, "cascadectl"), "replay", path,
                     "--orchestrator", orchestrator.grpc, "--policy", "replay",
                     "--concurrency", str(concurrency), "--json"],
                    capture_output=True, text=True)
                return json.loads(run.stdout)

            for orchestrator in orchestrators.values():  # Connections, Describe, caches.
                replay(orchestrator, warm, 4)
            print(f"Replay through the orchestrator: {len(lines)} records x {args.repeat}, "
                  f"{len(models)} replay tiers ({', '.join(models)}), closed loop, cascadectl replay")
            print(f"{'orchestrator':<24} {'conc':>5} {'requests':>9} {'req/s':>8} {'p50 ms':>8} "
                  f"{'p99 ms':>8} {'errors':>7}")
            for concurrency in [int(c) for c in args.concurrency.split(",")]:
                for name, orchestrator in orchestrators.items():
                    report = replay(orchestrator, prompts, concurrency)
                    errors = sum(report["errors"].values()) if report["errors"] else 0
                    print(f"{name:<24} {concurrency:>5} {count:>9} "
                          f"{report['requests_per_second']:>8.0f} "
                          f"{report['latency_seconds']['p50'] * 1000:>8.2f} "
                          f"{report['latency_seconds']['p99'] * 1000:>8.2f} {errors:>7}",
                          flush=True)
        finally:
            for server in reversed(servers):
                server.stop()


if __name__ == "__main__":
    main()
