"""A recorded cascade replayed through the real services: three replay tier workers (one
per model of tests/data/outcomes/ladder.jsonl) and the orchestrator with a logprob rule on
the two cheaper tiers. For every query of the file, the final tier, the steps and the cost
in the trace must equal what the recorded signals and the prices imply, computed here
independently of the services."""

import json
import math
import os
import unittest

import grpc

from cascade.v1 import cascade_pb2, cascade_pb2_grpc, common_pb2

from cascade_process import Suite

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIXTURE = os.path.join(ROOT, "tests", "data", "outcomes", "ladder.jsonl")
LADDER = ["tiny", "mid", "top"]
PRICE_USD_PER_MTOK = {"tiny": 0.10, "mid": 0.90, "top": 3.00}
MIN_MEAN_LOGPROB = -0.5

TIER = """
tier: {model}
replay: {{outcomes: "{outcomes}", model: {model}}}
price: {{input_usd_per_mtok: {price}, output_usd_per_mtok: {price}}}
"""
ORCHESTRATOR = """
tiers:
{tiers}
policies:
  - name: replayed
    routing: false
    tiers:
      - {{tier: tiny, accept: {{logprob: {{aggregate: mean, min: {min}}}}}}}
      - {{tier: mid, accept: {{logprob: {{aggregate: mean, min: {min}}}}}}}
      - {{tier: top}}
"""


def pico_usd(usage, model):
    """Exact cost in pico-USD: USD per million tokens = micro-USD per token x 1e6."""
    per_token = round(PRICE_USD_PER_MTOK[model] * 1e6)
    return (usage["prompt_tokens"] + usage["completion_tokens"]) * per_token


def expected_climb(record):
    """The tiers tried and the one accepted, from the recorded logprobs alone."""
    tried = []
    for model in LADDER:
        tried.append(model)
        if model == LADDER[-1]:
            return tried
        logprobs = [t["logprob"] for t in record["models"][model].get("logprobs", [])]
        # No logprobs: nothing says the answer is good, so the cascade climbs.
        if logprobs and sum(logprobs) / len(logprobs) >= MIN_MEAN_LOGPROB:
            return tried


class ReplayCascadeTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.suite = Suite("cascade-replay-")
        try:
            tiers = []
            for model in LADDER:
                address = cls.suite.start("cascade-tier-worker", model, TIER.format(
                    model=model, outcomes=FIXTURE, price=PRICE_USD_PER_MTOK[model]))
                tiers.append(f'  - {{name: {model}, endpoint: {{address: "{address}"}}}}')
            cls.orchestrator = cls.suite.start(
                "cascade-orchestrator", "orchestrator",
                ORCHESTRATOR.format(tiers="\n".join(tiers), min=MIN_MEAN_LOGPROB))
        except Exception:
            cls.suite.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.suite.stop()

    def ask(self, record):
        request = cascade_pb2.CascadeRequest(policy="replayed", messages=[
            common_pb2.ChatMessage(role=m["role"], content=m["content"])
            for m in record["messages"]])
        with grpc.insecure_channel(self.orchestrator) as channel:
            return cascade_pb2_grpc.CascadeStub(channel).Complete(request, timeout=30)

    def test_every_query_climbs_as_its_recorded_signals_say(self):
        records = [json.loads(line) for line in open(FIXTURE, encoding="utf-8") if line.strip()]
        final_tiers = []
        for record in records:
            with self.subTest(query=record["id"]):
                response = self.ask(record)
                tried = expected_climb(record)
                final = tried[-1]
                final_tiers.append(response.final_tier)
                self.assertEqual([step.tier for step in response.steps], tried)
                self.assertEqual([step.accepted for step in response.steps],
                                 [False] * (len(tried) - 1) + [True])
                self.assertEqual(response.final_tier, final)
                self.assertEqual(response.answer, record["models"][final]["answer"])
                outcomes = [record["models"][model] for model in tried]
                for step, model, outcome in zip(response.steps, tried, outcomes):
                    self.assertEqual(step.model, model)
                    self.assertEqual(step.cost_pusd, pico_usd(outcome["usage"], model))
                self.assertEqual(response.cost_pusd,
                                 sum(pico_usd(o["usage"], m) for m, o in zip(tried, outcomes)))
                self.assertEqual(response.baseline_cost_pusd,
                                 pico_usd(record["models"][final]["usage"], "top"))
                # Every step carries its answer's recorded signals.
                for step, outcome in zip(response.steps, outcomes):
                    logprobs = [t["logprob"] for t in outcome.get("logprobs", [])]
                    self.assertEqual(step.signals.completion_tokens,
                                     outcome["usage"]["completion_tokens"])
                    self.assertEqual(step.signals.HasField("logprob_mean"), bool(logprobs))
                    if logprobs:
                        self.assertAlmostEqual(step.signals.logprob_mean,
                                               sum(logprobs) / len(logprobs), places=12)
                        self.assertAlmostEqual(step.signals.logprob_min, min(logprobs),
                                               places=12)
                # The rejected steps' confidence is exp(mean logprob), 0 with none recorded.
                for step, outcome in zip(response.steps[:-1], outcomes):
                    logprobs = [t["logprob"] for t in outcome.get("logprobs", [])]
                    expected = math.exp(sum(logprobs) / len(logprobs)) if logprobs else 0
                    self.assertAlmostEqual(step.confidence, expected, places=9)
        # The fixture covers each way out of the ladder.
        self.assertEqual(final_tiers, ["tiny", "mid", "top"])

    def test_a_query_with_no_record_names_what_was_looked_up(self):
        for _ in range(6):  # More than the circuit breaker's default of 5 failures.
            self.unknown_query_is_not_found()
        # The tiers are healthy: a recorded query still climbs as recorded.
        records = [json.loads(line) for line in open(FIXTURE, encoding="utf-8") if line.strip()]
        self.assertEqual(self.ask(records[0]).final_tier, "tiny")

    def unknown_query_is_not_found(self):
        request = cascade_pb2.CascadeRequest(policy="replayed", messages=[
            common_pb2.ChatMessage(role="user", content="never recorded")])
        with grpc.insecure_channel(self.orchestrator) as channel:
            with self.assertRaises(grpc.RpcError) as raised:
                cascade_pb2_grpc.CascadeStub(channel).Complete(request, timeout=30)
        # Every tier answered NOT_FOUND: so does the cascade (and no circuit opens for it).
        self.assertEqual(raised.exception.code(), grpc.StatusCode.NOT_FOUND)
        self.assertIn("no recorded answer of 'tiny'", raised.exception.details())
        self.assertIn("never recorded", raised.exception.details())


if __name__ == "__main__":
    unittest.main()
