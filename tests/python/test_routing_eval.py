"""cascade-routing-eval on a small fixture (tests/data/outcomes/routing_kinds.jsonl): two
kinds of question, the weak model always wrong on one and right on the other. The learned
per-tier estimate must tell them apart on the half it did not learn from (APGR well above
random's 0.5), and the table and the JSON must say the same."""

import json
import os
import subprocess
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIXTURE = os.path.join(ROOT, "tests", "data", "outcomes", "routing_kinds.jsonl")


def routing_eval(*args):
    binary = os.path.join(os.environ["CASCADE_BIN_DIR"], "cascade-routing-eval")
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)


class RoutingEvalTest(unittest.TestCase):

    def test_the_learned_estimate_routes_the_fixture_well(self):
        run = routing_eval("--outcomes", FIXTURE, "--json")
        self.assertEqual(run.returncode, 0, run.stderr)
        report = json.loads(run.stdout)
        self.assertEqual((report["weak"], report["strong"]), ("weak", "strong"))
        self.assertEqual((report["records"], report["skipped"]), (40, 0))
        self.assertEqual(len(report["folds"]), 2)
        for fold in report["folds"] + [report["mean"]]:
            self.assertEqual((fold["train"], fold["test"]), (20, 20))
            routers = fold["routers"]
            self.assertEqual(routers["random"], {"apgr": 0.5, "cpt50": 0.5, "cpt80": 0.8})
            self.assertGreater(routers["gain"]["apgr"], 0.8)
            self.assertGreater(routers["one_minus_p_weak"]["apgr"], 0.8)
            self.assertLess(routers["gain"]["cpt80"], 0.5)
            self.assertGreaterEqual(routers["oracle"]["apgr"], routers["gain"]["apgr"] - 1e-9)
        folds = report["folds"]
        self.assertAlmostEqual(report["mean"]["routers"]["gain"]["apgr"],
                               (folds[0]["routers"]["gain"]["apgr"]
                                + folds[1]["routers"]["gain"]["apgr"]) / 2)
        # Weak right on the 20 capitals, strong on the 20 sums and 15 capitals.
        self.assertAlmostEqual(report["mean"]["weak_accuracy"], 0.5)
        self.assertAlmostEqual(report["mean"]["strong_accuracy"], 0.875)

    def test_the_table_and_the_split_are_deterministic(self):
        first = routing_eval("--outcomes", FIXTURE, "--seed", "7")
        again = routing_eval("--outcomes=" + FIXTURE, "--seed=7")
        self.assertEqual(first.returncode, 0, first.stderr)
        strip = lambda text: [line for line in text.splitlines() if "build" not in line]
        self.assertEqual(strip(first.stdout), strip(again.stdout))
        for row in ("random", "learned (gain)", "learned (1-p_weak)", "oracle", "CPT(50%)"):
            self.assertIn(row, first.stdout)

    def test_bad_arguments_say_what_is_wrong(self):
        help_run = routing_eval("--help")
        self.assertEqual(help_run.returncode, 0)
        self.assertIn("--outcomes FILE", help_run.stdout)
        self.assertEqual(routing_eval().returncode, 2)
        unknown = routing_eval("--outcomes", FIXTURE, "--strong", "nobody")
        self.assertEqual(unknown.returncode, 1)
        self.assertIn("no record has model nobody", unknown.stderr)
        same = routing_eval("--outcomes", FIXTURE, "--weak", "strong")
        self.assertIn("both strong", same.stderr)


if __name__ == "__main__":
    unittest.main()
