"""The learned start end to end: a real router taught by `cascadectl routes learn` from
recorded training answers (tests/data/outcomes/learned_train.jsonl), two replay tier
workers answering the test queries as recorded (learned_test.jsonl), and the orchestrator
running the same ladder twice: policy `plain` (the cascade as before) and `learned`
(`start: learned`). From the traces alone: the learned policy costs less at no lower
quality, because the arithmetic questions the small tier fails skip it; and the router's
exemplars survive a restart through its outcomes file. A third policy, `estimated`, accepts
the small tier's answer on the router's estimate (a calibrated rule on router_estimate): its
cost and quality through the services equal `cascadectl policy eval --exemplars`'s."""

import json
import os
import subprocess
import unittest

import grpc

from cascade.v1 import cascade_pb2, cascade_pb2_grpc, common_pb2, router_pb2, router_pb2_grpc

from cascade_process import Suite, bin_dir

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = os.path.join(ROOT, "tests", "data", "outcomes")
TRAIN = os.path.join(DATA, "learned_train.jsonl")
TEST = os.path.join(DATA, "learned_test.jsonl")
# small costs a quarter of large (a 70B model against a 405B one): worth trying when its
# chance is above about 0.25, which arithmetic (about 0.1 here) is not.
PRICES = {"small": (0.60, 2.40), "large": (2.50, 10.00)}

TIER = """
tier: {tier}
replay: {{outcomes: "{outcomes}", model: {tier}}}
price: {{input_usd_per_mtok: {input}, output_usd_per_mtok: {output}}}
"""
ROUTER = """
outcomes_file: {outcomes_file}
"""
POLICY = """
  - name: {name}
    {start}
    tiers:
      - {{tier: small, accept: {{logprob: {{aggregate: mean, min: -0.5}}}}}}
      - {{tier: large}}
"""
ESTIMATED = """
  - name: estimated
    tiers:
      - tier: small
        accept:
          calibrated:
            min_probability: 0.5
            weights: [{signal: router_estimate_log_odds, weight: 1}]
      - {tier: large}
"""
ORCHESTRATOR = """
router: {{address: "{router}"}}
router_timeout: 5s
tiers:
{tiers}
policies:
{policies}
"""


def records(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def kind(record):
    text = record["messages"][0]["content"]
    return "arithmetic" if text.startswith("Compute") else (
        "capital" if "capital" in text else "translation")


class LearnedStartTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.suite = Suite("cascade-learned-")
        try:
            cls.outcomes_file = os.path.join(cls.suite.scratch.name, "outcomes.jsonl")
            cls.router = cls.suite.start("cascade-router", "router",
                                         ROUTER.format(outcomes_file=cls.outcomes_file))
            tiers = []
            for tier, (input_price, output_price) in PRICES.items():
                address = cls.suite.start("cascade-tier-worker", tier, TIER.format(
                    tier=tier, outcomes=TEST, input=input_price, output=output_price))
                tiers.append(f'  - {{name: {tier}, endpoint: {{address: "{address}"}}}}')
            policies = POLICY.format(name="plain", start="") + POLICY.format(
                name="learned", start="start: learned") + ESTIMATED
            cls.orchestrator = cls.suite.start(
                "cascade-orchestrator", "orchestrator",
                ORCHESTRATOR.format(router=cls.router, tiers="\n".join(tiers),
                                    policies=policies))
        except Exception:
            cls.suite.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.suite.stop()

    def learn(self, *extra, policy="learned"):
        return subprocess.run(
            [os.path.join(bin_dir(), "cascadectl"), "routes", "learn", "--outcomes", TRAIN,
             "--policy", policy, "--router", self.router, *extra],
            capture_output=True, text=True, timeout=120)

    def ask(self, record, policy):
        request = cascade_pb2.CascadeRequest(policy=policy, messages=[
            common_pb2.ChatMessage(role=m["role"], content=m["content"])
            for m in record["messages"]])
        with grpc.insecure_channel(self.orchestrator) as channel:
            return cascade_pb2_grpc.CascadeStub(channel).Complete(request, timeout=30)

    def run_policy(self, policy):
        cost, right, skipped = 0, 0, {}
        for record in records(TEST):
            response = self.ask(record, policy)
            cost += response.cost_pusd
            right += record["models"][response.final_tier]["correct"]
            skipped[record["id"]] = list(response.skipped_tiers)
            if policy == "learned":
                self.assertEqual([e.tier for e in response.tier_estimates], ["small", "large"])
        return cost, right, skipped

    def test_1_before_learning_the_learned_policy_is_the_plain_cascade(self):
        record = records(TEST)[1]  # Arithmetic.
        response = self.ask(record, "learned")
        self.assertEqual(response.steps[0].tier, "small")
        self.assertEqual(len(response.tier_estimates), 0)

    def test_2_learned_start_costs_less_at_no_lower_quality(self):
        result = self.learn()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("policy learned: 150 added, 0 merged, 0 evicted; 150 exemplars now",
                      result.stdout)
        self.assertRegex(result.stdout, r"(?m)^small\s+150\s+0\.6")

        plain_cost, plain_right, _ = self.run_policy("plain")
        learned_cost, learned_right, skipped = self.run_policy("learned")
        print(f"\n45 test queries: plain {plain_right} right, {plain_cost / 1e6:.2f} micro-USD; "
              f"learned {learned_right} right, {learned_cost / 1e6:.2f} micro-USD")
        self.assertLess(learned_cost, plain_cost)
        self.assertGreaterEqual(learned_right, plain_right)
        # Arithmetic skips small; the questions small answers well never do.
        by_kind = {}
        for record in records(TEST):
            by_kind.setdefault(kind(record), []).append(skipped[record["id"]])
        self.assertGreaterEqual(by_kind["arithmetic"].count(["small"]),
                                len(by_kind["arithmetic"]) - 1)
        self.assertEqual(by_kind["capital"].count([]), len(by_kind["capital"]))
        self.assertEqual(by_kind["translation"].count([]), len(by_kind["translation"]))

    def test_3_estimates_and_bad_input_over_grpc(self):
        with grpc.insecure_channel(self.router) as channel:
            router = router_pb2_grpc.RouterStub(channel)
            with self.assertRaises(grpc.RpcError) as raised:
                router.EstimateTiers(router_pb2.EstimateTiersRequest(query="hi", policy="nope"),
                                     timeout=10)
            self.assertEqual(raised.exception.code(), grpc.StatusCode.NOT_FOUND)
            with self.assertRaises(grpc.RpcError) as raised:
                router.EstimateTiers(router_pb2.EstimateTiersRequest(query="", policy="x"),
                                     timeout=10)
            self.assertEqual(raised.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            with self.assertRaises(grpc.RpcError) as raised:
                router.AddOutcomes(router_pb2.AddOutcomesRequest(policy="learned", exemplars=[
                    router_pb2.OutcomeExemplar(query="q", key="k", tier_quality={"small": 2})]),
                    timeout=10)
            self.assertEqual(raised.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("exemplars[0]: tiers.small must be a quality in [0, 1]",
                          raised.exception.details())

    def test_4_a_restarted_router_keeps_its_exemplars(self):
        self.assertTrue(os.path.exists(self.outcomes_file))
        scratch = Suite("cascade-learned-restart-")
        try:
            router = scratch.start("cascade-router", "router",
                                   ROUTER.format(outcomes_file=self.outcomes_file))
            with grpc.insecure_channel(router) as channel:
                listed = router_pb2_grpc.RouterStub(channel).ListOutcomes(
                    router_pb2.ListOutcomesRequest(), timeout=10)
            self.assertEqual([(p.policy, p.exemplars) for p in listed.policies],
                             [("learned", 150)])
        finally:
            scratch.stop()

    def test_5_cascadectl_learn_refuses_bad_flags(self):
        result = subprocess.run(
            [os.path.join(bin_dir(), "cascadectl"), "routes", "learn", "--outcomes", TRAIN,
             "--router", self.router], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--policy is required", result.stderr)
        result = self.learn("--tier-name", "small")
        self.assertEqual(result.returncode, 2)
        self.assertIn("must be MODEL=TIER", result.stderr)
        result = self.learn("--tier-name", "nobody=small")
        self.assertEqual(result.returncode, 1)
        self.assertIn("has a graded answer of a model named by --tier-name", result.stderr)

    def test_6_a_rule_on_the_estimate_costs_what_policy_eval_says(self):
        result = self.learn(policy="estimated")
        self.assertEqual(result.returncode, 0, result.stderr)
        scratch = self.suite.scratch.name
        prices = os.path.join(scratch, "prices.yaml")
        with open(prices, "w") as f:
            for tier, (input_price, output_price) in PRICES.items():
                f.write(f"{tier}: {{input_usd_per_mtok: {input_price}, "
                        f"output_usd_per_mtok: {output_price}}}\n")
        policy = os.path.join(scratch, "estimated.yaml")
        with open(policy, "w") as f:
            f.write("policies:\n" + ESTIMATED)
        evaluated = subprocess.run(
            [os.path.join(bin_dir(), "cascadectl"), "policy", "eval", "--outcomes", TEST,
             "--prices", prices, "--policy", policy, "--exemplars", TRAIN, "--json"],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(evaluated.returncode, 0, evaluated.stderr)
        evaluation = json.loads(evaluated.stdout)

        cost, right, finals = 0, 0, {}
        for record in records(TEST):
            response = self.ask(record, "estimated")
            cost += response.cost_pusd
            right += record["models"][response.final_tier]["correct"]
            finals[response.final_tier] = finals.get(response.final_tier, 0) + 1
            first = response.steps[0]
            self.assertEqual(first.tier, "small")
            self.assertTrue(first.signals.HasField("router_estimate"))
            self.assertEqual(first.accepted, first.signals.router_estimate >= 0.5)
        self.assertEqual(cost, evaluation["cost_pusd"])
        self.assertAlmostEqual(right / len(records(TEST)), evaluation["quality"], places=12)
        for tier in evaluation["final_tiers"]:
            self.assertEqual(finals.get(tier["tier"], 0), tier["queries"])
        # The estimate sends the arithmetic up and keeps the rest at small.
        self.assertGreater(finals.get("small", 0), 0)
        self.assertGreater(finals.get("large", 0), 0)


if __name__ == "__main__":
    unittest.main()
