#!/usr/bin/python3
"""Runs one client's example program against the real suite on loopback and checks what it
printed against the same calls made here with the build's Python stubs.

    client_example_test.py --source-dir S --bin-dir B --python-dir P [--secure] \
                           -- COMMAND [ARGS...]

The suite is `make demo`'s (deploy/local: cascade-inference with the bard pair, tier
workers small and large, the router with the demo routes, the orchestrator). COMMAND gets
`--orchestrator HOST:PORT --router HOST:PORT` appended and must print, on stdout, one line
per call of the contract every client example follows (docs/clients.md):

    completion tier=TIER tiers=T1,T2 cost_usd=X baseline_usd=Y savings_usd=Z text=JSON
        Cascade.Complete, policy "default", one user message "hello there",
        max_tokens 16, temperature 0; TIERS are the steps' tiers in order; the USD
        figures are the response's pico-USD / 1e12
    stream chunks=N tier=TIER text=JSON
        Cascade.StreamComplete, one user message "ROMEO:", max_tokens 24, temperature 0
    route route=NAME tier=TIER score=S
        Router.Route, query "write a python function that sorts a list"; TIER is the
        decision's start_tier or fixed_tier
    error code=STATUS_NAME message=JSON
        Cascade.Complete with no messages (the status the server answered)

With --secure the router and the orchestrator serve TLS only (a throwaway CA from
tests/support/make_test_ca.sh; the certificate names localhost) and want an API key, and
COMMAND also gets `--ca-file CA.pem --server-name localhost --api-key-env VAR`, with VAR set
in its environment: the same four lines prove the client's TLS and API key path.

Exit status 0 when every line matches; 1 with what differed.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from local_suite import Suite, log  # noqa: E402

SERVICES = [  # (name, binary, config in deploy/local)
    ("inference", "cascade-inference", "inference.yaml"),
    ("small", "cascade-tier-worker", "tier-small.yaml"),
    ("large", "cascade-tier-worker", "tier-large.yaml"),
    ("router", "cascade-router", "router.yaml"),
    ("orchestrator", "cascade-orchestrator", "orchestrator.yaml"),
]
LINE = re.compile(r"^(completion|stream|route|error) (.*)$")
FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


KEYS_ENV, KEY_ENV, KEY = "CASCADE_CLIENT_TEST_KEYS", "CASCADE_CLIENT_TEST_KEY", "client-test-key"


def secure_config(name, text, pki):
    """The router's and the orchestrator's configs with TLS and API keys on their servers
    (and the orchestrator's router client made to match)."""
    if name not in ("router", "orchestrator"):
        return text
    text = text.replace("server:\n", f"server:\n  api_keys_env: {KEYS_ENV}\n  tls:\n"
                        f"    cert_file: {pki}/server.pem\n    key_file: {pki}/server.key\n", 1)
    if name == "orchestrator":
        router = '  address: "{router}"\n'
        if router not in text:
            raise SystemExit("client_example_test: deploy/local/orchestrator.yaml no longer "
                             "has the router address this test secures")
        text = text.replace(router, router + f"  api_key_env: {KEY_ENV}\n  tls:\n"
                            f"    ca_file: {pki}/ca.pem\n    server_name: localhost\n")
    return text


def start_suite(source_dir, bin_dir, scratch, pki=None):
    suite = Suite(bin_dir, scratch)
    addresses = {}
    for name, binary, config in SERVICES:
        with open(os.path.join(source_dir, "deploy", "local", config)) as f:
            text = f.read()
        if pki:
            text = secure_config(name, text, pki)
        for other, address in addresses.items():
            text = text.replace("{" + other + "}", address)
        listening = suite.start(name, binary, text)
        addresses[name] = listening["grpc"]
    return suite, addresses


def parse_output(stdout):
    lines = {}
    for raw in stdout.splitlines():
        match = LINE.match(raw.strip())
        if not match:
            continue
        fields = {}
        for key, value in FIELD.findall(match.group(2)):
            fields[key] = json.loads(value) if value.startswith('"') else value
        lines[match.group(1)] = fields
    return lines


def expected_calls(python_dir, addresses, pki=None):
    """The contract's four calls, made here with the generated Python stubs."""
    sys.path.insert(0, python_dir)
    import grpc
    from cascade.v1 import cascade_pb2, cascade_pb2_grpc, common_pb2, router_pb2, router_pb2_grpc

    def channel_to(address):
        if not pki:
            return grpc.insecure_channel(address)
        with open(os.path.join(pki, "ca.pem"), "rb") as f:
            credentials = grpc.composite_channel_credentials(
                grpc.ssl_channel_credentials(root_certificates=f.read()),
                grpc.access_token_call_credentials(KEY))  # authorization: Bearer KEY
        return grpc.secure_channel(address, credentials,
                                   options=[("grpc.ssl_target_name_override", "localhost")])

    def request(prompt, max_tokens):
        messages = [common_pb2.ChatMessage(role="user", content=prompt)] if prompt else []
        return cascade_pb2.CascadeRequest(
            messages=messages, policy="default" if prompt == "hello there" else "",
            params=common_pb2.GenerationParams(max_tokens=max_tokens, temperature=0.0))

    expected = {}
    with channel_to(addresses["orchestrator"]) as channel:
        cascade = cascade_pb2_grpc.CascadeStub(channel)
        response = cascade.Complete(request("hello there", 16), timeout=60)
        expected["completion"] = {"tier": response.final_tier, "text": response.answer,
                                  "tiers": ",".join(step.tier for step in response.steps)}
        text, last = "", None
        for chunk in cascade.StreamComplete(request("ROMEO:", 24), timeout=60):
            text += chunk.text
            if chunk.HasField("final"):
                last = chunk.final
        expected["stream"] = {"tier": last.final_tier, "text": text}
        try:
            cascade.Complete(request("", 16), timeout=60)
            expected["error"] = {"code": "OK"}
        except grpc.RpcError as error:
            expected["error"] = {"code": error.code().name}
    with channel_to(addresses["router"]) as channel:
        decision = router_pb2_grpc.RouterStub(channel).Route(
            router_pb2.RouteRequest(query="write a python function that sorts a list"),
            timeout=30)
        expected["route"] = {"route": decision.route,
                             "tier": decision.start_tier or decision.fixed_tier}
    return expected


def compare(got, expected):
    problems = []
    for call in ("completion", "stream", "route", "error"):
        if call not in got:
            problems.append(f"no '{call} ...' line")
            continue
        for key, value in expected[call].items():
            if got[call].get(key) != value:
                problems.append(f"{call}: {key} is {got[call].get(key)!r}, expected {value!r}")
    if "completion" in got:
        line = got["completion"]
        try:
            tiers = line.get("tiers", "").split(",")
            cost, baseline, savings = (float(line[k]) for k in
                                       ("cost_usd", "baseline_usd", "savings_usd"))
            if tiers[-1] != line.get("tier"):
                problems.append(f"completion: tiers {tiers} do not end at {line.get('tier')}")
            if not (cost > 0 and baseline > 0 and abs(baseline - cost - savings) < 1e-8):
                problems.append(f"completion: cost {cost}, baseline {baseline} and savings "
                                f"{savings} do not add up")
        except (KeyError, ValueError) as error:
            problems.append(f"completion: unreadable cost fields ({error})")
    if "stream" in got:
        try:
            if int(got["stream"].get("chunks", "0")) < 2:
                problems.append("stream: fewer than 2 chunks")
        except ValueError:
            problems.append("stream: chunks is not a number")
    if "route" in got:
        try:
            float(got["route"].get("score", ""))
        except ValueError:
            problems.append("route: score is not a number")
    if expected["error"]["code"] != "INVALID_ARGUMENT":
        problems.append(f"the suite answered {expected['error']['code']} to a request with no "
                        "messages, expected INVALID_ARGUMENT")
    if "error" in got and not got["error"].get("message"):
        problems.append("error: no message")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--python-dir", required=True, help="the build's generated stubs")
    parser.add_argument("--timeout", type=float, default=240)
    parser.add_argument("--secure", action="store_true",
                        help="TLS and an API key on the servers the example calls")
    parser.add_argument("command", nargs="+", help="the client example and its arguments")
    options = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="cascade-client-")
    os.chdir(options.source_dir)  # deploy/local names models and routes from the root.
    pki = None
    if options.secure:
        pki = os.path.join(scratch, "pki")
        subprocess.run([os.path.join(options.source_dir, "tests", "support", "make_test_ca.sh"),
                        pki], check=True)
        os.environ.update({KEYS_ENV: KEY, KEY_ENV: KEY})
    suite, addresses = start_suite(options.source_dir, options.bin_dir, scratch, pki)
    try:
        expected = expected_calls(options.python_dir, addresses, pki)
        command = options.command + ["--orchestrator", addresses["orchestrator"],
                                     "--router", addresses["router"]]
        if pki:
            command += ["--ca-file", os.path.join(pki, "ca.pem"), "--server-name", "localhost",
                        "--api-key-env", KEY_ENV]
        log("running: " + " ".join(command))
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=options.timeout)
        log(result.stdout + result.stderr)
        if result.returncode != 0:
            log(f"FAIL the example exited {result.returncode}")
            return 1
        problems = compare(parse_output(result.stdout), expected)
        for problem in problems:
            log(f"FAIL {problem}")
        if problems:
            suite.tail_logs()
            return 1
        log("PASS completion, stream, route and error match the suite")
        return 0
    finally:
        suite.stop()


if __name__ == "__main__":
    sys.exit(main())
