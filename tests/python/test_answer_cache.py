"""A policy's answer cache through the real services: replay tier workers and the
orchestrator, asked by a Python gRPC client and through the OpenAI-compatible front door
(whole and streamed). A repeated request is answered from the cache with no tier asked (the
replay tiers' call counts do not move), at no cost, with the trace saying so; another tenant
is not served the first one's answer; the orchestrator's metrics count the lookups."""

import json
import os
import re
import unittest
import urllib.request

import grpc

from cascade.v1 import cascade_pb2, cascade_pb2_grpc, common_pb2

from cascade_process import Suite

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIXTURE = os.path.join(ROOT, "tests", "data", "outcomes", "ladder.jsonl")
LADDER = {"tiny": 0.10, "mid": 0.90, "top": 3.00}

TIER = """
tier: {model}
replay: {{outcomes: "{outcomes}", model: {model}}}
price: {{input_usd_per_mtok: {price}, output_usd_per_mtok: {price}}}
"""
ORCHESTRATOR = """
tiers:
{tiers}
answer_cache: {{max_entries: 100}}
policies:
  - name: cached
    routing: false
    cache: {{enabled: true}}
    tiers:
      - {{tier: tiny, accept: {{logprob: {{aggregate: mean, min: -0.5}}}}}}
      - {{tier: mid, accept: {{logprob: {{aggregate: mean, min: -0.5}}}}}}
      - {{tier: top}}
"""


class AnswerCacheTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.suite = Suite("cascade-answer-cache-")
        try:
            tiers = []
            for model, price in LADDER.items():
                address = cls.suite.start("cascade-tier-worker", model, TIER.format(
                    model=model, outcomes=FIXTURE, price=price))
                tiers.append(f'  - {{name: {model}, endpoint: {{address: "{address}"}}}}')
            cls.tier_servers = list(cls.suite.servers)
            cls.orchestrator = cls.suite.start("cascade-orchestrator", "orchestrator",
                                               ORCHESTRATOR.format(tiers="\n".join(tiers)))
            cls.addresses = cls.suite.servers[-1].addresses
        except Exception:
            cls.suite.stop()
            raise
        cls.records = [json.loads(line) for line in open(FIXTURE, encoding="utf-8")
                       if line.strip()]

    @classmethod
    def tearDownClass(cls):
        cls.suite.stop()

    def tier_calls(self):
        """Requests the tier workers have answered, from their own metrics."""
        total = 0
        for server in self.tier_servers:
            for line in self.scrape(server.addresses["metrics"]).splitlines():
                if line.startswith("cascade_tier_requests_total{"):
                    total += float(line.rsplit(" ", 1)[1])
        return total

    @staticmethod
    def scrape(address):
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as response:
            return response.read().decode()

    def ask(self, record, tenant):
        request = cascade_pb2.CascadeRequest(policy="cached", tenant=tenant, messages=[
            common_pb2.ChatMessage(role=m["role"], content=m["content"])
            for m in record["messages"]])
        with grpc.insecure_channel(self.orchestrator) as channel:
            return cascade_pb2_grpc.CascadeStub(channel).Complete(request, timeout=30)

    def post(self, record, stream):
        body = json.dumps({"model": "cached", "messages": record["messages"], "temperature": 0,
                           "stream": stream}).encode()
        request = urllib.request.Request(
            f"http://{self.addresses['http']}/v1/chat/completions", data=body,
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode()

    def test_a_repeated_request_is_answered_from_the_cache(self):
        record = self.records[1]
        first = self.ask(record, "acme")
        self.assertFalse(first.HasField("cache"))
        self.assertGreater(first.cost_pusd, 0)
        calls = self.tier_calls()

        again = self.ask(record, "acme")
        self.assertEqual(self.tier_calls(), calls, "no tier was asked")
        self.assertEqual(again.cache.kind, "exact")
        self.assertEqual(again.answer, first.answer)
        self.assertEqual(again.final_tier, first.final_tier)
        self.assertEqual(len(again.steps), 0)
        self.assertEqual(again.cost_pusd, 0)
        self.assertEqual(again.cache.original_cost_pusd, first.cost_pusd)
        self.assertEqual(again.savings_pusd, first.baseline_cost_pusd)

        other_tenant = self.ask(record, "globex")
        self.assertFalse(other_tenant.HasField("cache"))
        self.assertGreater(self.tier_calls(), calls)

        metrics = self.scrape(self.addresses["metrics"])
        hits = re.search(r'cascade_cache_lookups_total\{outcome="exact_hit",policy="cached"\} '
                         r'(\S+)', metrics)
        self.assertIsNotNone(hits, metrics)
        self.assertGreaterEqual(float(hits.group(1)), 1)
        self.assertRegex(metrics, r"cascade_cache_entries [1-9]")

    def test_the_front_door_serves_a_hit_whole_and_streamed(self):
        record = self.records[2]
        first = json.loads(self.post(record, stream=False))
        self.assertNotIn("cache", first["cascade"])
        calls = self.tier_calls()

        whole = json.loads(self.post(record, stream=False))
        self.assertEqual(whole["cascade"]["cache"]["kind"], "exact")
        self.assertEqual(whole["choices"][0]["message"]["content"],
                         first["choices"][0]["message"]["content"])
        self.assertEqual(whole["cascade"]["cost_pusd"], 0)

        events = [json.loads(line[len("data: "):]) for line in self.post(record, True).splitlines()
                  if line.startswith("data: ") and line != "data: [DONE]"]
        text = "".join(event["choices"][0]["delta"].get("content") or ""
                       for event in events if event.get("choices"))
        self.assertEqual(text, first["choices"][0]["message"]["content"])
        traces = [event["cascade"] for event in events if "cascade" in event]
        self.assertEqual(traces[-1]["cache"]["kind"], "exact")
        self.assertEqual(self.tier_calls(), calls, "no tier was asked")


if __name__ == "__main__":
    unittest.main()
