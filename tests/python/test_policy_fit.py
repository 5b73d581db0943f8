"""A fitted policy rolled out through the real services. `cascadectl policy fit` on a training
fixture writes a policies file; three replay tier workers answer the test fixture's queries
as the recorded models did; the orchestrator takes its policies from that file
(`policies_file`). Every test query goes through the OpenAI-compatible front door, and the
quality and cost measured there equal what `cascadectl policy eval` computes in-process.
Then a new version of the file is rolled out while the orchestrator runs."""

import json
import os
import subprocess
import unittest
import urllib.request
from xml.etree import ElementTree

from cascade_process import Suite, bin_dir
from test_replay_cascade import TIER

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = os.path.join(ROOT, "tests", "data", "outcomes")
TRAIN = os.path.join(DATA, "fit_train.jsonl")
TEST = os.path.join(DATA, "fit_test.jsonl")
PRICES = os.path.join(DATA, "prices.yaml")
PRICE_USD_PER_MTOK = {"tiny": 0.10, "mid": 0.90, "top": 3.00}


def cascadectl(*args):
    run = subprocess.run([os.path.join(bin_dir(), "cascadectl"), *args], capture_output=True,
                         text=True)
    if run.returncode != 0:
        raise AssertionError(f"cascadectl {' '.join(args)}: {run.returncode}\n{run.stderr}")
    return json.loads(run.stdout)


class PolicyFitTest(unittest.TestCase):

    def test_a_fitted_policy_through_the_front_door_costs_what_eval_says(self):
        suite = Suite("cascade-policy-fit-")
        self.addCleanup(suite.stop)
        policies = os.path.join(suite.scratch.name, "policies.yaml")
        report = os.path.join(suite.scratch.name, "report.md")
        chart = os.path.join(suite.scratch.name, "frontier.svg")
        fit = cascadectl("policy", "fit", "--outcomes", TRAIN, "--prices", PRICES,
                         "--max-quality-drop", "0.05", "--out", policies, "--report", report,
                         "--plot", chart, "--json")
        self.assertIsNotNone(fit["chosen"], "the fixture's signals should certify a cascade")
        chosen = fit["sequence"][fit["chosen"]]
        self.assertTrue(chosen["certified"])
        self.assertLess(chosen["training"]["cost_ratio"], 1)
        markdown = open(report, encoding="utf-8").read()
        self.assertIn("chosen: tiny", markdown)
        self.assertIn("![cost and quality drop of every candidate](frontier.svg)", markdown)
        svg = ElementTree.parse(chart).getroot()
        self.assertTrue(svg.tag.endswith("svg"))
        evaluation = cascadectl("policy", "eval", "--outcomes", TEST, "--prices", PRICES,
                                "--policy", policies, "--json")

        tiers = []
        for model in PRICE_USD_PER_MTOK:
            address = suite.start("cascade-tier-worker", model, TIER.format(
                model=model, outcomes=TEST, price=PRICE_USD_PER_MTOK[model]))
            tiers.append(f'  - {{name: {model}, endpoint: {{address: "{address}"}}}}')
        suite.start("cascade-orchestrator", "orchestrator",
                    "tiers:\n" + "\n".join(tiers) +
                    f'\npolicies_file: "{policies}"\npolicies_poll_interval: 50ms\n')
        http = suite.servers[-1].addresses["http"]

        records = [json.loads(line) for line in open(TEST, encoding="utf-8")]
        cost = right = top_right = 0
        finals = {}
        for record in records:
            trace = self.ask(http, "fitted", record["messages"])
            cost += trace["cost_pusd"]
            finals[trace["final_tier"]] = finals.get(trace["final_tier"], 0) + 1
            right += record["models"][trace["final_tier"]]["correct"]
            top_right += record["models"]["top"]["correct"]
        self.assertEqual(cost, evaluation["cost_pusd"])
        self.assertAlmostEqual(right / len(records), evaluation["quality"], places=12)
        self.assertAlmostEqual(top_right / len(records), evaluation["top_quality"], places=12)
        for tier in evaluation["final_tiers"]:
            self.assertEqual(finals.get(tier["tier"], 0), tier["queries"])

        # A new version of the file, while the orchestrator runs: the top model alone.
        with open(policies + ".tmp", "w") as f:
            f.write("policies: [{name: fitted, tiers: [{tier: top}]}]\n")
        os.rename(policies + ".tmp", policies)
        record = records[0]
        for _ in range(200):
            if self.ask(http, "fitted", record["messages"])["final_tier"] == "top":
                break
        self.assertEqual(self.ask(http, "fitted", record["messages"])["final_tier"], "top")

    def ask(self, http, policy, messages):
        body = json.dumps({"model": policy, "messages": messages}).encode()
        request = urllib.request.Request(f"http://{http}/v1/chat/completions", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["cascade"]


if __name__ == "__main__":
    unittest.main()
