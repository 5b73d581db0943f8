"""A recorded cascade with a self-check rule, through the real services, with the decision
log on. Three replay tier workers (tests/data/outcomes/self_check_ladder.jsonl) and the
orchestrator: the cheapest tier accepts on its own recorded self-check P(yes) >= 0.8, the
middle one on mean logprob >= -0.5. For every query the final tier and cost in the trace
must equal what the recorded signals and prices imply, computed here independently; after a
SIGTERM the decision log holds one line per request with the same figures, and
`cascadectl log to-outcomes` turns it back into the recorded answers."""

import hashlib
import json
import os
import signal
import subprocess
import unittest

import grpc

from cascade.v1 import cascade_pb2, cascade_pb2_grpc, common_pb2

from cascade_process import Suite, bin_dir
from test_replay_cascade import TIER

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIXTURE = os.path.join(ROOT, "tests", "data", "outcomes", "self_check_ladder.jsonl")
LADDER = ["tiny", "mid", "top"]
PRICE_USD_PER_MTOK = {"tiny": 0.10, "mid": 0.90, "top": 3.00}
MIN_P_YES = 0.8
MIN_MEAN_LOGPROB = -0.5

ORCHESTRATOR = """
server: {{drain_delay: 0s, drain_grace: 10s}}
tiers:
{tiers}
policies:
  - name: checked
    routing: false
    tiers:
      - {{tier: tiny, accept: {{self_check: {{min: {p_yes}}}}}}}
      - {{tier: mid, accept: {{logprob: {{aggregate: mean, min: {logprob}}}}}}}
      - {{tier: top}}
decision_log: {{path: "{log}", include_prompt: true}}
"""


def pico_usd(usage, model):
    per_token = round(PRICE_USD_PER_MTOK[model] * 1e6)
    return (usage["prompt_tokens"] + usage["completion_tokens"]) * per_token


def expected(record):
    """The tiers tried and each one's cost, from the recorded signals and prices alone."""
    models = record["models"]
    tried = []
    for model in LADDER:
        outcome = models[model]
        cost = pico_usd(outcome["usage"], model)
        if model == "tiny":  # Its rule reads the self-check: that second call is paid too.
            cost += pico_usd(outcome["self_check"]["usage"], model)
        tried.append((model, cost))
        if model == "tiny" and outcome["self_check"]["p_yes"] >= MIN_P_YES:
            break
        logprobs = [t["logprob"] for t in outcome["logprobs"]]
        if model == "mid" and sum(logprobs) / len(logprobs) >= MIN_MEAN_LOGPROB:
            break
    return tried


def canonical_sha256(messages):
    text = json.dumps([{"content": m["content"], "role": m["role"]} for m in messages],
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SelfCheckDecisionLogTest(unittest.TestCase):

    def test_self_check_rule_trace_and_decision_log(self):
        records = [json.loads(line) for line in open(FIXTURE, encoding="utf-8") if line.strip()]
        suite = Suite("cascade-self-check-")
        self.addCleanup(suite.stop)
        log_path = os.path.join(suite.scratch.name, "decisions.jsonl")
        tiers = []
        for model in LADDER:
            address = suite.start("cascade-tier-worker", model, TIER.format(
                model=model, outcomes=FIXTURE, price=PRICE_USD_PER_MTOK[model]))
            tiers.append(f'  - {{name: {model}, endpoint: {{address: "{address}"}}}}')
        orchestrator = suite.start("cascade-orchestrator", "orchestrator", ORCHESTRATOR.format(
            tiers="\n".join(tiers), p_yes=MIN_P_YES, logprob=MIN_MEAN_LOGPROB, log=log_path))

        responses = {}
        with grpc.insecure_channel(orchestrator) as channel:
            stub = cascade_pb2_grpc.CascadeStub(channel)
            for record in records:
                request = cascade_pb2.CascadeRequest(policy="checked", messages=[
                    common_pb2.ChatMessage(role=m["role"], content=m["content"])
                    for m in record["messages"]])
                responses[record["id"]] = stub.Complete(
                    request, timeout=30, metadata=[("x-request-id", record["id"])])

        final_tiers = set()
        for record in records:
            with self.subTest(query=record["id"]):
                response = responses[record["id"]]
                tried = expected(record)
                final_tiers.add(tried[-1][0])
                self.assertEqual([step.tier for step in response.steps], [m for m, _ in tried])
                self.assertEqual([step.cost_pusd for step in response.steps],
                                 [c for _, c in tried])
                self.assertEqual(response.cost_pusd, sum(c for _, c in tried))
                self.assertEqual(response.final_tier, tried[-1][0])
                tiny = response.steps[0]
                self.assertEqual(tiny.method, "self_check")
                self.assertAlmostEqual(tiny.signals.self_check_p_yes,
                                       record["models"]["tiny"]["self_check"]["p_yes"], places=12)
                self.assertEqual(tiny.signals.self_check_source, "recorded")
                self.assertAlmostEqual(tiny.confidence,
                                       record["models"]["tiny"]["self_check"]["p_yes"], places=12)
                # Only the rule that reads it asks for a self-check.
                for step in response.steps[1:]:
                    self.assertFalse(step.signals.HasField("self_check_p_yes"))
        self.assertEqual(final_tiers, {"tiny", "mid", "top"})  # Each way out is covered.

        # A drain writes out every finished request's line.
        server = suite.servers[-1]
        server.process.send_signal(signal.SIGTERM)
        self.assertEqual(server.process.wait(timeout=30), 0)
        lines = [json.loads(line) for line in open(log_path, encoding="utf-8")]
        self.assertEqual(len(lines), len(records))
        by_id = {line["request_id"]: line for line in lines}
        for record in records:
            with self.subTest(logged=record["id"]):
                line = by_id[record["id"]]
                response = responses[record["id"]]
                self.assertEqual(line["policy"], "checked")
                self.assertEqual(line["outcome"], "ok")
                self.assertEqual(line["start"], {"tier": "tiny", "why": "routing_off"})
                self.assertEqual(line["final_tier"], response.final_tier)
                self.assertEqual(line["cost_pusd"], response.cost_pusd)
                self.assertEqual(line["baseline_cost_pusd"], response.baseline_cost_pusd)
                self.assertEqual(line["messages_sha256"], canonical_sha256(record["messages"]))
                self.assertEqual([a["cost_pusd"] for a in line["attempts"]],
                                 [c for _, c in expected(record)])
                self.assertEqual(line["attempts"][0]["signals"]["self_check"]["p_yes"],
                                 record["models"]["tiny"]["self_check"]["p_yes"])
                self.assertEqual([a["accepted"] for a in line["attempts"]],
                                 [step.accepted for step in response.steps])

        # The log back into the outcomes format: the recorded answers, usage and signals.
        converted = subprocess.run(
            [os.path.join(bin_dir(), "cascadectl"), "log", "to-outcomes", log_path],
            capture_output=True, text=True, check=True)
        outcomes = {o["id"]: o for o in map(json.loads, converted.stdout.splitlines())}
        self.assertEqual(len(outcomes), len(records))
        for record in records:
            with self.subTest(converted=record["id"]):
                out = outcomes[record["id"]]
                self.assertEqual(out["messages"], record["messages"])
                for model, _ in expected(record):
                    recorded = record["models"][model]
                    self.assertEqual(out["models"][model]["answer"], recorded["answer"])
                    self.assertEqual(out["models"][model]["usage"], recorded["usage"])
                    self.assertEqual(out["models"][model]["logprobs"], recorded["logprobs"])
                self.assertEqual(out["models"]["tiny"]["self_check"],
                                 record["models"]["tiny"]["self_check"])


if __name__ == "__main__":
    unittest.main()
