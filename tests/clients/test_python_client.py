"""The Python client's helper (clients/python: cascade_client), run with the venv it was
installed into (tests/clients/python_client_install.sh), against real servers over mutual
TLS with API keys: cascade-test-upstream behind two tier workers (small, large), the router
and the orchestrator. Checks how the helper maps responses (answer, trace, USD figures,
stream), that it sends the API key and the TLS settings the way the servers expect, and
that every failure is a CascadeError with the server's status code."""

import os
import socket
import sys
import time
import unittest

import grpc

import cascade_client
from cascade.v1 import cascade_pb2, router_pb2

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))
from cascade_process import MutualTlsSuite  # noqa: E402

Code = grpc.StatusCode
SECRETS = {
    "CASCADE_PYCLIENT_KEYS": "sk-pyclient-4b7e19c2",
    "CASCADE_PYCLIENT_INTERNAL_KEY": "sk-pyclient-internal-8d03",
    "CASCADE_PYCLIENT_UPSTREAM_KEY": "sk-pyclient-upstream-11f6",
}
CLIENT_KEY = SECRETS["CASCADE_PYCLIENT_KEYS"]
INTERNAL_KEY = SECRETS["CASCADE_PYCLIENT_INTERNAL_KEY"]
QUESTION = "what is the capital of france?"
UPSTREAM_ANSWER = "Paris is the capital."  # cascade-test-upstream's only answer,
MODEL = "test-upstream"                    # and the model it names.
ROUTES = """default: general
routes:
  - name: geography
    utterances: [what is the capital of france]
    start_tier: small
  - name: poems
    utterances: [write a poem about the sea]
    tier: large
"""
# The upstream's token logprobs average -1.25: "default" accepts the small tier's answer,
# "climb" never does.
POLICIES = """policies:
  - name: default
    tiers:
      - {tier: small, accept: {logprob: {aggregate: mean, min: -2}}}
      - {tier: large}
  - name: climb
    tiers:
      - {tier: small, accept: {logprob: {aggregate: mean, min: 0}}}
      - {tier: large}
"""


class Servers(MutualTlsSuite):
    def __init__(self):
        super().__init__("cascade-pyclient-", SECRETS, "CASCADE_PYCLIENT_INTERNAL_KEY")

    def endpoint_yaml(self, name, indent):
        return self.client_yaml(self.servers[name].grpc, indent)

    def _start(self):
        base_url = f"http://{self.start_upstream()}/v1"
        internal = "CASCADE_PYCLIENT_INTERNAL_KEY"
        for tier, price in (("small", "{input_usd_per_mtok: 1, output_usd_per_mtok: 2}"),
                            ("large", "{input_usd_per_mtok: 10, output_usd_per_mtok: 20}")):
            self.start(tier, "cascade-tier-worker", self.server_yaml(internal) + f"""tier: {tier}
openai:
  base_url: {base_url}
  model: test-{tier}
  api_key_env: CASCADE_PYCLIENT_UPSTREAM_KEY
retry: {{max_retries: 0}}
price: {price}
""")
        routes = os.path.join(self.scratch.name, "routes.yaml")
        with open(routes, "w") as f:
            f.write(ROUTES)
        self.start("router", "cascade-router",
                   self.server_yaml(internal) + f"routes_file: {routes}\n")
        self.start("orchestrator", "cascade-orchestrator",
                   self.server_yaml("CASCADE_PYCLIENT_KEYS")
                   + "router_timeout: 10s\n"  # Not the 50ms default: first handshakes.
                   + "router:\n" + self.endpoint_yaml("router", 2)
                   + "tiers:\n  - name: small\n    endpoint:\n" + self.endpoint_yaml("small", 6)
                   + "  - name: large\n    endpoint:\n" + self.endpoint_yaml("large", 6)
                   + POLICIES)


SERVERS = None


def setUpModule():
    global SERVERS
    SERVERS = Servers()


def tearDownModule():
    SERVERS.stop()


def connect(key=CLIENT_KEY, server="orchestrator", **overrides):
    """The helper's client with mutual TLS (the server's certificate names localhost)."""
    security = dict(api_key=key, ca_file=SERVERS.path("ca.pem"),
                    cert_file=SERVERS.path("client.pem"), key_file=SERVERS.path("client.key"),
                    server_name="localhost", timeout=30)
    security.update(overrides)
    make = cascade_client.connect_router if server == "router" else cascade_client.connect
    return make(SERVERS.servers[server].grpc, **security)


class ClientTestCase(unittest.TestCase):
    def assert_usd(self, answer):
        raw = answer.raw
        self.assertEqual(answer.cost_usd, raw.cost_pusd / 1e12)
        self.assertEqual(answer.baseline_usd, raw.baseline_cost_pusd / 1e12)
        self.assertEqual(answer.savings_usd, raw.savings_pusd / 1e12)
        self.assertGreater(answer.cost_usd, 0)
        self.assertAlmostEqual(answer.baseline_usd - answer.cost_usd, answer.savings_usd,
                               places=15)
        for step, raw_step in zip(answer.steps, raw.steps):
            self.assertEqual(step.cost_usd, raw_step.cost_pusd / 1e12)

    def assert_error(self, raised, code):
        error = raised.exception
        self.assertIsInstance(error, cascade_client.CascadeError)
        self.assertEqual(error.code, code, error)
        self.assertTrue(error.details)
        self.assertEqual(str(error), f"{code.name}: {error.details}")


class AnswerTest(ClientTestCase):
    def test_complete_maps_the_response(self):
        with connect() as cascade:
            answer = cascade.complete(QUESTION, max_tokens=16, temperature=0)
        self.assertIsInstance(answer.raw, cascade_pb2.CascadeResponse)
        self.assertEqual(answer.text, UPSTREAM_ANSWER)
        self.assertEqual(answer.text, answer.raw.answer)
        self.assertEqual(answer.route, "geography")  # The orchestrator reached the router.
        self.assertEqual((answer.final_tier, answer.model), ("small", MODEL))
        self.assertEqual(answer.tiers, ["small"])
        self.assertEqual(answer.finish_reason, "FINISH_REASON_STOP")
        self.assertEqual(answer.stopped_reason, "")
        step = answer.steps[0]
        self.assertIsInstance(step, cascade_client.Step)
        self.assertEqual((step.tier, step.model, step.accepted, step.error, step.skipped),
                         ("small", MODEL, True, "", ""))
        self.assertAlmostEqual(step.confidence, answer.raw.steps[0].confidence)
        self.assertGreater(step.latency_seconds, 0)
        self.assert_usd(answer)
        self.assertGreater(answer.savings_usd, 0)  # Priced at the large tier, 10x.

    def test_messages_as_dicts(self):
        with connect() as cascade:
            answer = cascade.complete([{"role": "system", "content": "Be brief."},
                                       {"role": "user", "content": QUESTION}], policy="default")
        self.assertEqual((answer.text, answer.route), (UPSTREAM_ANSWER, "geography"))

    def test_a_climb_and_its_trace(self):
        with connect() as cascade:
            answer = cascade.complete(QUESTION, policy="climb")
        self.assertEqual(answer.tiers, ["small", "large"])
        self.assertFalse(answer.steps[0].accepted)
        self.assertEqual(answer.final_tier, "large")
        self.assert_usd(answer)
        trace = answer.trace()
        lines = trace.splitlines()
        self.assertEqual(len(lines), 5, trace)  # Summary, header, two steps, cost.
        for word in ("tier", "model", "confidence", "accepted", "latency", "cost"):
            self.assertIn(word, lines[1])
        self.assertTrue(lines[0].startswith("route geography, answered by large"), trace)
        self.assertTrue(lines[2].split()[:3] == ["1", "small", MODEL], trace)
        self.assertIn("no", lines[2].split())
        self.assertTrue(lines[3].split()[:3] == ["2", "large", MODEL], trace)
        print(trace, file=sys.stderr)
        self.assertTrue(lines[4].startswith("cost $"), trace)
        self.assertIn("baseline $", lines[4])
        self.assertIn("savings ", lines[4])


class StreamTest(ClientTestCase):
    def test_the_last_chunk_carries_the_answer(self):
        with connect() as cascade:
            chunks = list(cascade.stream_complete(QUESTION, max_tokens=16))
        self.assertGreaterEqual(len(chunks), 2)
        self.assertTrue(all(chunk.answer is None for chunk in chunks[:-1]))
        answer = chunks[-1].answer
        self.assertIsInstance(answer, cascade_client.Answer)
        self.assertEqual("".join(chunk.text for chunk in chunks), UPSTREAM_ANSWER)
        self.assertEqual(answer.text, UPSTREAM_ANSWER)
        self.assertEqual(answer.raw.answer, "")  # The deltas carried it.
        self.assertEqual((answer.tiers, answer.route), (["small"], "geography"))
        self.assert_usd(answer)

    def test_leaving_the_loop_early_cancels_quietly(self):
        with connect() as cascade:
            for chunk in cascade.stream_complete(QUESTION):
                break
            self.assertEqual(cascade.complete(QUESTION).text, UPSTREAM_ANSWER)


class ErrorTest(ClientTestCase):
    def test_invalid_requests(self):
        with connect() as cascade:
            with self.assertRaises(cascade_client.CascadeError) as raised:
                cascade.complete([])
            self.assert_error(raised, Code.INVALID_ARGUMENT)
            with self.assertRaises(cascade_client.CascadeError) as raised:
                cascade.complete(QUESTION, policy="no-such-policy")
            self.assertIn(raised.exception.code, (Code.INVALID_ARGUMENT, Code.NOT_FOUND))
            self.assertIn("no-such-policy", str(raised.exception))
            with self.assertRaises(cascade_client.CascadeError) as raised:
                list(cascade.stream_complete([]))
            self.assert_error(raised, Code.INVALID_ARGUMENT)

    def test_the_api_key_is_sent_as_the_servers_expect(self):
        for key in (None, "sk-not-a-key"):
            with connect(key=key) as cascade:
                with self.assertRaises(cascade_client.CascadeError) as raised:
                    cascade.complete(QUESTION)
            self.assert_error(raised, Code.UNAUTHENTICATED)
            self.assertIn("authorization: Bearer KEY", raised.exception.details)
        with connect(key=None) as cascade:
            with self.assertRaises(cascade_client.CascadeError) as raised:
                list(cascade.stream_complete(QUESTION))
            self.assert_error(raised, Code.UNAUTHENTICATED)

    def test_tls_settings_are_applied(self):
        for overrides in ({"server_name": "elsewhere.example"},  # Not in the certificate.
                          {"ca_file": SERVERS.path("other_ca.pem")},
                          {"cert_file": None, "key_file": None}):  # No client certificate.
            with connect(**overrides) as cascade:
                with self.assertRaises(cascade_client.CascadeError) as raised:
                    cascade.complete(QUESTION)
            self.assert_error(raised, Code.UNAVAILABLE)
        with self.assertRaises(ValueError):
            connect(key_file=None)

    def test_an_unreachable_address_and_a_short_deadline(self):
        with socket.socket() as s:  # A port nothing listens on.
            s.bind(("127.0.0.1", 0))
            address = "127.0.0.1:%d" % s.getsockname()[1]
        started = time.monotonic()
        with cascade_client.connect(address, timeout=10) as cascade:
            with self.assertRaises(cascade_client.CascadeError) as raised:
                cascade.complete(QUESTION)
        self.assert_error(raised, Code.UNAVAILABLE)
        self.assertLess(time.monotonic() - started, 9)
        with connect() as cascade:
            with self.assertRaises(cascade_client.CascadeError) as raised:
                cascade.complete(QUESTION, timeout=0.001)
        self.assert_error(raised, Code.DEADLINE_EXCEEDED)


class RouterTest(ClientTestCase):
    def test_route(self):
        with connect(server="router", key=INTERNAL_KEY) as router:
            decision = router.route("what is the capital of france")
            self.assertIsInstance(decision.raw, router_pb2.RouteDecision)
            self.assertEqual((decision.route, decision.tier, decision.fixed),
                             ("geography", "small", False))
            self.assertEqual(decision.matched_example, "what is the capital of france")
            self.assertGreater(decision.score, 0.5)
            poem = router.route("write a poem about the sea")
            self.assertEqual((poem.route, poem.tier, poem.fixed), ("poems", "large", True))
            with self.assertRaises(cascade_client.CascadeError) as raised:
                router.route("")
            self.assert_error(raised, Code.INVALID_ARGUMENT)
        with connect(server="router", key=CLIENT_KEY) as router:  # Not the router's key.
            with self.assertRaises(cascade_client.CascadeError) as raised:
                router.route("what is the capital of france")
            self.assert_error(raised, Code.UNAUTHENTICATED)


if __name__ == "__main__":
    unittest.main()
