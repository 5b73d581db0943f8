#!/usr/bin/env python3
"""Chaos tests: the suite on loopback under steady open-loop load (cascade-loadgen through
the orchestrator's gRPC API) while one fault is injected. Each scenario is bounded in time
and prints one RESULT line with what the load saw.

  chaos_test.py --bin-dir DIR --test-bin-dir DIR --scenario NAME [--rate R] [--seconds S]

The suite: two cascade-test-upstream processes (OpenAI-compatible, faults switched at run
time), tier workers `small` and `large` over them (on unix: sockets, so a restarted worker
comes back on the same address), a router, and the orchestrator with policy `default`
(small, accepted when the answer's mean logprob >= -2, then large).

Scenarios:
  tier_kill             SIGKILL the small tier worker mid-run: no request fails (they
                        climb to large), its circuit opens; started again on the same
                        socket, traffic returns to small.
  router_kill           SIGKILL the router mid-run: no request fails; they start at small.
  orchestrator_sigterm  SIGTERM the orchestrator with answers in flight: those complete,
                        later requests are refused fast (UNAVAILABLE, or CANCELLED for one
                        that arrived as the server shut down), it exits 0, the load
                        generator ends on time.
  slow_tier             small's upstream answers late: requests climb and answer within
                        their deadline; with both upstreams late, they fail with
                        DEADLINE_EXCEEDED (UNAVAILABLE once the circuits open) within
                        their deadline.
  upstream_429          small's upstream answers 429 in bursts: no request fails, and the
                        tier worker's attempts stay bounded (no retry storm).
  shadow                policy `shadowed` re-asks every answer of small of large (shadow
                        evaluation) while large answers after 2 s: answered requests
                        never wait for it (latency far below 2 s), and shadow spend
                        stops at the policy's hourly budget (over_budget counted).
  steady                no fault: load only, the report printed (for measurements).
  steady_front_door     the same through the OpenAI front door (POST /v1/chat/completions).
Standard library only.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from local_suite import SERVER, Suite, http_get, http_post_json, log

MAX_RETRIES = 2
# About five shadow calls' worth at large's prices (the test upstream's answers are short).
SHADOW_USD_PER_HOUR = 0.002


def tier_config(name, upstream):
    return SERVER + f"""tier: {name}
openai:
  base_url: http://{upstream}/v1
  model: test-{name}
retry:
  max_retries: {MAX_RETRIES}
  initial_backoff: 20ms
  max_backoff: 200ms
max_concurrency: 512
price:
  input_usd_per_mtok: {0.15 if name == 'small' else 5}
  output_usd_per_mtok: {0.6 if name == 'small' else 15}
"""


ROUTES = """default: general
routes:
  - name: geography
    utterances:
      - what is the capital of france
      - which city is the capital of a country
    start_tier: small
"""


def orchestrator_config(suite):
    small, large, router = (suite.listening[n]["grpc"] for n in ("small", "large", "router"))
    return SERVER.replace("drain_grace: 2s", "drain_grace: 10s") + f"""router:
  address: "{router}"
tiers:
  - name: small
    endpoint: {{address: "{small}"}}
  - name: large
    endpoint: {{address: "{large}"}}
circuit_breaker:
  failures: 3
  open_for: 1s
http:
  max_connections: 256
policies:
  - name: default
    tiers:
      - tier: small
        accept:
          logprob:
            aggregate: mean
            min: -2
      - tier: large
  # The shadow scenario's: small accepts every answer; each is also asked of large, within
  # SHADOW_USD_PER_HOUR.
  - name: shadowed
    shadow:
      rate: 1
      max_usd_per_hour: {SHADOW_USD_PER_HOUR}
    tiers:
      - tier: small
        accept:
          logprob:
            aggregate: mean
            min: -100
      - tier: large
"""


class Cascade:
    def __init__(self, suite, test_bin_dir, scratch):
        self.suite = suite
        self.bin_dir = suite.bin_dir
        self.scratch = scratch
        upstream = os.path.join(test_bin_dir, "cascade-test-upstream")
        self.upstreams = {}
        for name in ("small", "large"):
            self.upstreams[name] = self.suite.start(f"upstream-{name}", upstream, None,
                                                    extra=["--threads", "256"])["http"]
        for name in ("small", "large"):
            self.suite.start(name, "cascade-tier-worker", tier_config(name, self.upstreams[name]),
                             extra=["--grpc-listen", f"unix:{scratch}/{name}.sock"])
        routes = os.path.join(scratch, "routes.yaml")
        with open(routes, "w") as f:
            f.write(ROUTES)
        self.suite.start("router", "cascade-router", SERVER + f"routes_file: {routes}\n",
                         extra=["--grpc-listen", f"unix:{scratch}/router.sock"])
        self.orchestrator = self.suite.start("orchestrator", "cascade-orchestrator",
                                             orchestrator_config(self.suite))

    def faults(self, upstream, **faults):
        status, body = http_post_json(f"http://{self.upstreams[upstream]}/admin", faults)
        if status != 200:
            raise SystemExit(f"FAIL setting faults on {upstream}: {status} {body!r}")

    def upstream_calls(self, upstream):
        status, body = http_get(f"http://{self.upstreams[upstream]}/admin/stats")
        if status != 200:
            raise SystemExit(f"FAIL reading {upstream}'s stats: {status}")
        return json.loads(body)

    def metric(self, pattern):
        """The value of the orchestrator's first metric line matching `pattern`, or None."""
        status, body = http_get(f"http://{self.orchestrator['metrics']}/metrics")
        if status != 200:
            return None
        for line in body.decode().splitlines():
            if re.match(pattern, line):
                return float(line.rsplit(" ", 1)[1])
        return None

    def load(self, rate, seconds, timeout_ms=5000, front_door=False, policy="default"):
        """Starts cascade-loadgen (gRPC, or the OpenAI front door); returns (thread, result
        dict filled when it ends)."""
        result = {}
        target = (f"http://{self.orchestrator['http']}" if front_door
                  else self.orchestrator["grpc"])
        args = [os.path.join(self.bin_dir, "cascade-loadgen"), "--target", target,
                "--rate", str(rate), "--duration", f"{seconds}s",
                "--timeout-ms", str(timeout_ms), "--policy", policy, "--json", "--quiet",
                # Over HTTP each request in flight holds a connection: stay under the front
                # door's max_connections (256).
                "--concurrency", "200" if front_door else "1024"]

        def run():
            began = time.monotonic()
            try:
                done = subprocess.run(args, capture_output=True, text=True,
                                      timeout=seconds + timeout_ms / 1000 + 20)
            except subprocess.TimeoutExpired as hung:
                output = hung.stdout.decode() if isinstance(hung.stdout, bytes) else hung.stdout
                result["error"] = (f"cascade-loadgen did not exit "
                                   f"({'after' if output else 'before'} its report): {output}")
                return
            result["wall_s"] = time.monotonic() - began
            if done.returncode != 0:
                result["error"] = f"cascade-loadgen exited {done.returncode}: {done.stderr}"
                return
            result.update(json.loads(done.stdout))

        thread = threading.Thread(target=run)
        thread.start()
        return thread, result


def finish(load, name):
    thread, result = load
    thread.join()
    if "error" in result:
        raise SystemExit(f"FAIL {name}: {result['error']}")
    latency = result["latency_ms"]
    log(f"RESULT {name}: sent {result['sent']} at {result['offered_rate']:.0f}/s, "
        f"ok {result['ok']}, errors {result['errors']}, codes {result['codes']}, "
        f"p50 {latency['p50']:.1f} ms, p99 {latency['p99']:.1f} ms, max {latency['max']:.1f} ms, "
        f"errors answered within {result['error_latency_ms']['max']:.1f} ms")
    return result


def expect(condition, message):
    if not condition:
        raise SystemExit(f"FAIL {message}")
    log(f"ok   {message}")


def wait_for(condition, timeout_s, what):
    """Polls `condition` (a state to reach, not a fixed sleep) until it holds."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise SystemExit(f"FAIL {what} within {timeout_s} s")


def at(start, seconds):
    """Waits until `seconds` after `start`: when in the load run the fault is injected."""
    time.sleep(max(0.0, start + seconds - time.monotonic()))


def tier_kill(cascade, rate, seconds):
    start = time.monotonic()
    load = cascade.load(rate, seconds)
    at(start, seconds * 0.2)
    cascade.suite.kill("small")
    log("killed the small tier worker (SIGKILL)")
    wait_for(lambda: cascade.metric(r'cascade_tier_circuit_open\{.*tier="small"') == 1, 5,
             "the small tier's circuit opens")
    log("small's circuit is open")
    at(start, seconds * 0.35)
    cascade.suite.restart("small")
    restarted = time.monotonic()
    calls_at_restart = cascade.upstream_calls("small")["calls"]
    log(f"restarted the small tier worker on the same socket ({calls_at_restart} upstream calls so far)")
    # The orchestrator reconnects (backoff 100 ms to 1 s) and its circuit's next probe
    # (open_for 1 s) succeeds: small takes traffic again while the load still runs.
    wait_for(lambda: cascade.upstream_calls("small")["calls"] > calls_at_restart,
             max(1.0, start + seconds - time.monotonic()),
             "traffic returns to the small tier while the load runs")
    log(f"traffic returned to small {time.monotonic() - restarted:.1f} s after its restart")
    result = finish(load, "tier_kill")
    expect(result["errors"] == 0, "no request failed while the small tier was down")
    expect(result["ok"] == result["sent"], "every request was answered")
    expect(cascade.metric(r'cascade_tier_circuit_open\{.*tier="small"') == 0,
           "small's circuit closed again")


def router_kill(cascade, rate, seconds):
    start = time.monotonic()
    load = cascade.load(rate, seconds)
    at(start, seconds * 0.3)
    cascade.suite.kill("router")
    calls_at_kill = cascade.upstream_calls("small")["calls"]
    log("killed the router (SIGKILL)")
    result = finish(load, "router_kill")
    expect(result["errors"] == 0, "no request failed without the router")
    expect(cascade.upstream_calls("small")["calls"] > calls_at_kill,
           "requests kept starting at the first tier (small) after the router died")


def orchestrator_sigterm(cascade, rate, seconds):
    # Answers take 300 ms, so requests are in flight when the signal lands.
    cascade.faults("small", delay_ms=300)
    calls_before = cascade.upstream_calls("small")["calls"]
    start = time.monotonic()
    load = cascade.load(rate, seconds, timeout_ms=5000)
    signal_at = seconds * 0.5
    at(start, signal_at)
    # Every request starts at small: those that reached it had been taken by the orchestrator
    # (counted from what happened, not from the nominal rate, which a loaded machine's load
    # generator falls behind).
    reached_small = cascade.upstream_calls("small")["calls"] - calls_before
    orchestrator = cascade.suite.kill("orchestrator", sig=15)
    log("sent SIGTERM to the orchestrator")
    code = orchestrator.wait(timeout=20)
    exited_after = time.monotonic() - start - signal_at
    result = finish(load, "orchestrator_sigterm")
    expect(code == 0, f"the orchestrator drained and exited 0 (exit {code}, "
                      f"{exited_after:.1f} s after SIGTERM)")
    # A call that reached the server as it shut down, before a handler took it, is
    # cancelled by gRPC (CANCELLED); later ones find no server (UNAVAILABLE). Either is a
    # fast refusal a client can retry elsewhere.
    expect(set(result["codes"]) <= {"OK", "UNAVAILABLE", "CANCELLED"},
           f"requests either completed or were refused ({result['codes']})")
    # Everything taken before the signal was in flight or done: all of it must complete.
    expect(reached_small >= int(rate * signal_at * 0.5),
           f"the load was running when the signal landed ({reached_small} requests had "
           f"reached the small tier, ~{int(rate * signal_at)} offered)")
    expect(result["ok"] >= reached_small,
           f"requests taken before SIGTERM completed ({result['ok']} OK, {reached_small} had "
           f"reached the small tier)")
    expect(result["unanswered"] == 0, "every request got an answer")
    expect(result["errors"] == 0 or result["error_latency_ms"]["max"] < 1000,
           "requests after SIGTERM were refused fast (under 1 s)")
    expect(result["wall_s"] < seconds + 10, f"the load generator ended on time "
                                            f"({result['wall_s']:.1f} s for {seconds} s)")


def slow_tier(cascade, rate, seconds):
    # At most 20 requests/s: every request waits up to 2 s on small before its circuit
    # opens, and about 100 held at once queued somewhere between the orchestrator and the
    # tier worker on a 2-core machine (a request reached small 2.7 s late; see the note).
    rate = min(rate, 20)
    timeout_ms = 4000
    # small answers after 3 s; its share of a 4 s deadline is half: it times out (and its
    # circuit soon opens), and the request climbs to large, which is fast.
    cascade.faults("small", delay_ms=3000)
    result = finish(cascade.load(rate, seconds, timeout_ms), "slow_tier (small slow)")
    expect(result["errors"] == 0, "with small slow, every request climbed and was answered")
    expect(result["latency_ms"]["max"] < timeout_ms,
           f"...within its {timeout_ms} ms deadline ({result['latency_ms']['max']:.0f} ms)")
    cascade.faults("large", delay_ms=3000)
    timeout_ms = 1000
    result = finish(cascade.load(rate, seconds, timeout_ms), "slow_tier (both slow)")
    # Each request fails with DEADLINE_EXCEEDED; once both circuits have opened on those
    # timeouts, requests are refused at once as UNAVAILABLE ("circuit open") instead.
    codes = result["codes"]
    expect(result["ok"] == 0 and set(codes) <= {"DEADLINE_EXCEEDED", "UNAVAILABLE"}
           and codes.get("DEADLINE_EXCEEDED", 0) > 0,
           f"with both slow, requests failed with DEADLINE_EXCEEDED, or UNAVAILABLE once the "
           f"circuits opened ({codes})")
    expect(result["error_latency_ms"]["max"] < timeout_ms + 500,
           f"...within their deadline ({result['error_latency_ms']['max']:.0f} ms for "
           f"{timeout_ms} ms)")


def upstream_429(cascade, rate, seconds):
    # 429 for 300 ms of every second: retries back off (20 ms, 40 ms, ...) and give up.
    cascade.faults("small", fail_status=429, fail_on_ms=300, fail_period_ms=1000)
    result = finish(cascade.load(rate, seconds), "upstream_429")
    stats = cascade.upstream_calls("small")
    log(f"small's upstream saw {stats['calls']} calls, {stats['failed']} answered 429, "
        f"for {result['sent']} requests")
    expect(result["errors"] == 0, "no request failed during 429 bursts (they retried or climbed)")
    expect(stats["failed"] > 0, "the bursts happened")
    expect(stats["calls"] <= result["sent"] * (1 + MAX_RETRIES),
           f"attempts stayed bounded: {stats['calls']} upstream calls <= "
           f"{result['sent']} requests x {1 + MAX_RETRIES} attempts")


def shadow(cascade, rate, seconds):
    # Every answer of small is sampled; large (the shadow tier) takes 2 s.
    delay_ms = 2000
    cascade.faults("large", delay_ms=delay_ms)
    result = finish(cascade.load(rate, seconds, policy="shadowed"), "shadow")
    expect(result["errors"] == 0, "every request was answered")
    expect(result["latency_ms"]["max"] < delay_ms / 2,
           f"no answer waited for its shadow call (max {result['latency_ms']['max']:.0f} ms, "
           f"the shadow tier takes {delay_ms} ms)")
    evaluations = r'cascade_shadow_evaluations_total\{{outcome="{}",policy="shadowed",tier="small"'
    wait_for(lambda: (cascade.metric(evaluations.format("over_budget")) or 0) > 0, 15,
             "samples past the hourly budget are skipped (over_budget)")
    # Calls still in flight were reserved against the budget before they started.
    spent_metric = r'cascade_shadow_cost_usd_total\{policy="shadowed"'
    wait_for(lambda: (cascade.metric(spent_metric) or 0) > 0, 15, "shadow calls are paid for")
    spent = cascade.metric(spent_metric)
    compared = sum(cascade.metric(evaluations.format(o)) or 0 for o in ("agree", "disagree"))
    log(f"shadow: {compared:.0f} compared, "
        f"{cascade.metric(evaluations.format('over_budget')):.0f} over budget, "
        f"{cascade.metric(evaluations.format('queue_full')) or 0:.0f} queue full; "
        f"spent {spent} USD of {SHADOW_USD_PER_HOUR} per hour")
    expect(compared > 0, "shadow calls were made and compared")
    expect(spent is not None and 0 < spent <= SHADOW_USD_PER_HOUR,
           f"shadow spend stayed within the hourly budget ({spent} <= {SHADOW_USD_PER_HOUR})")


def steady(cascade, rate, seconds, front_door=False):
    name = "steady_front_door" if front_door else "steady"
    result = finish(cascade.load(rate, seconds, timeout_ms=10000, front_door=front_door), name)
    print(json.dumps(result, indent=2))


def steady_front_door(cascade, rate, seconds):
    steady(cascade, rate, seconds, front_door=True)


SCENARIOS = {f.__name__: f for f in (tier_kill, router_kill, orchestrator_sigterm, slow_tier,
                                     upstream_429, shadow, steady, steady_front_door)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--test-bin-dir", required=True)
    parser.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    parser.add_argument("--rate", type=float, default=40)
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix=f"cascade-chaos-{args.scenario}-")
    suite = Suite(os.path.abspath(args.bin_dir), scratch)
    try:
        cascade = Cascade(suite, os.path.abspath(args.test_bin_dir), scratch)
        SCENARIOS[args.scenario](cascade, args.rate, args.seconds)
    except SystemExit:
        suite.tail_logs()
        raise
    finally:
        suite.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
