"""Replicas behind one target: two replay tier workers of the same tier, and the orchestrator
dialling both through one `ipv4:` target. Its calls spread round-robin over the two (each
serves at least 30% of 200 requests, counted on each worker's own metrics), and when one
is stopped under load (SIGTERM, as Kubernetes stops a pod) no request is lost: the draining
worker reports NOT_SERVING on its health Watch for drain_delay, so the orchestrator stops
picking it before it shuts down and no call is on the wire when it does."""

import json
import os
import re
import signal
import threading
import time
import unittest
import urllib.request

import grpc

from cascade.v1 import cascade_pb2, cascade_pb2_grpc, common_pb2

from cascade_process import ServerProcess, Suite, bin_dir

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIXTURE = os.path.join(ROOT, "tests", "data", "outcomes", "ladder.jsonl")

TIER = f"""
server: {{drain_delay: 1s, drain_grace: 10s}}
tier: tiny
replay: {{outcomes: "{FIXTURE}", model: tiny}}
price: {{input_usd_per_mtok: 0.1, output_usd_per_mtok: 0.1}}
"""
ORCHESTRATOR = """
tiers:
  - {{name: tiny, endpoint: {{address: "{target}"}}}}
policies:
  - {{name: one, routing: false, tiers: [{{tier: tiny}}]}}
"""


def wait_until(condition, what, seconds=60):
    """Polls `condition` (each poll is an HTTP scrape) until it holds; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")


def served_completions(worker):
    """The Complete calls a tier worker answered, from its /metrics."""
    with urllib.request.urlopen(f"http://{worker.addresses['metrics']}/metrics",
                                timeout=10) as response:
        text = response.read().decode()
    total = 0
    for line in text.splitlines():
        if line.startswith("cascade_grpc_server_requests_total{") and 'method="Complete"' in line:
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


class LoadBalancingTest(unittest.TestCase):

    def setUp(self):
        self.suite = Suite("cascade-balance-")
        self.addCleanup(self.suite.stop)
        config = os.path.join(self.suite.scratch.name, "tier.yaml")
        with open(config, "w") as f:
            f.write(TIER)
        self.workers = []
        for _ in range(2):
            worker = ServerProcess(os.path.join(bin_dir(), "cascade-tier-worker"),
                                   ["--config", config])
            self.suite.servers.append(worker)
            self.workers.append(worker)
        ports = [re.sub(r"^.*:", "", worker.grpc) for worker in self.workers]
        target = "ipv4:" + ",".join(f"127.0.0.1:{port}" for port in ports)
        self.orchestrator = self.suite.start("cascade-orchestrator", "orchestrator",
                                             ORCHESTRATOR.format(target=target))
        with open(FIXTURE, encoding="utf-8") as f:
            records = [json.loads(line) for line in f if line.strip()]
        self.requests = [cascade_pb2.CascadeRequest(policy="one", messages=[
            common_pb2.ChatMessage(role=m["role"], content=m["content"])
            for m in record["messages"]]) for record in records]
        self.channel = grpc.insecure_channel(self.orchestrator)
        self.addCleanup(self.channel.close)
        self.stub = cascade_pb2_grpc.CascadeStub(self.channel)

    def ask(self, i):
        return self.stub.Complete(self.requests[i % len(self.requests)], timeout=30)

    def test_calls_spread_over_every_replica(self):
        for i in range(200):
            self.assertEqual(self.ask(i).final_tier, "tiny")
        served = [served_completions(worker) for worker in self.workers]
        self.assertEqual(sum(served), 200, served)
        for count in served:
            self.assertGreaterEqual(count, 60, f"one replica took too little: {served}")

    def test_a_replica_stopped_under_load_loses_no_request(self):
        errors = []
        answered = [0]
        stop = threading.Event()
        lock = threading.Lock()

        def load(offset):
            i = offset
            while not stop.is_set():
                try:
                    self.ask(i)
                    with lock:
                        answered[0] += 1
                except grpc.RpcError as error:
                    with lock:
                        errors.append(f"{error.code()}: {error.details()}")
                i += 4

        threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        try:
            wait_until(lambda: errors or min(served_completions(w) for w in self.workers) >= 20,
                       "both replicas serve")
            leaving = self.workers[0].process
            leaving.send_signal(signal.SIGTERM)
            leaving.wait(timeout=30)
            before = served_completions(self.workers[1])
            wait_until(lambda: errors or served_completions(self.workers[1]) >= before + 50,
                       "the other replica takes the load")
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        self.assertEqual(errors, [])
        self.assertGreater(answered[0], 90)


if __name__ == "__main__":
    unittest.main()
