#!/usr/bin/env python3
"""The dashboard proof: the suite on loopback, a real Prometheus scraping every service,
traffic with escalations and a tier failure, then every PromQL expression of every
dashboard panel and every recording rule evaluated through Prometheus's HTTP API: each must
parse and return data. Alert expressions are checked without their thresholds (the series
exist), and CascadeTierDown and CascadeEscalationRateHigh are driven until they fire.
Every target carries the labels namespace and release (as the chart's ServiceMonitors set
them); Grafana's variables are substituted as Grafana would: $namespace and $release with
the suite's values, $policy, $route and $tier with All (.*). Each dashboard variable's
label_values() must list values too.

  dashboard_proof.py --source-dir DIR --bin-dir DIR --python-dir DIR --mode MODE

--mode services: inference, tier workers (one of them with a dead upstream), router and
    judge (its llm tier down), traffic sent to them directly (a judge score that degrades,
    one refused; a routes file that fails to load, then one that loads); proves every panel
    and rule whose series those services own, and the chart's `helm test` script against
    them.
--mode cascade: the orchestrator on top (tiers small, mid (down), large; the small tier
    never confident enough; policies "default" and "judged" (the judge decides at small)
    from a policies file that is then replaced, once badly, once well), traffic through its
    OpenAI-compatible front door; proves every panel and rule, and drives the two alerts to
    firing. Exits 77 (skipped) while the orchestrator answers "not implemented".

What the local traffic cannot produce: router embed failures (the hashed embedder calls no
endpoint; the counter is exported at 0, so its panel has data, of zeros), and the *OffNorm
alerts firing (they need a week of history; promtool's unit tests fire them,
tests/deploy/cascade-rules.test.yaml); their expressions without thresholds return data.

Prometheus needs a fixed --web.listen-address: the port comes from binding port 0 and
closing the socket, a tiny race with other processes (a failed start says so). Scrapes and
rule evaluations run every second; the rules file is copied with every `for:` set to 0s so
alerts fire within the test (their expressions and thresholds are the shipped ones).
Standard library (and the project's generated gRPC stubs in --python-dir) only.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from local_suite import SERVER, Suite, free_port, http_get, log

DASHBOARDS = "deploy/helm/cascade/dashboards"
RULES = "deploy/helm/cascade/rules/cascade-rules.yaml"
HELM_TEST = "deploy/helm/cascade/files/helm_test.py"
# Series only the orchestrator exports (docs/architecture.md's metrics catalogue).
ORCHESTRATOR_SERIES = {
    "cascade_requests_total", "cascade_request_cost_usd_total",
    "cascade_request_baseline_cost_usd_total", "cascade_escalations_total",
    "cascade_request_duration_seconds", "cascade_step_duration_seconds", "cascade_confidence",
    "cascade_tier_circuit_open", "cascade_http_requests_total",
    "cascade_http_time_to_first_byte_seconds", "cascade_http_time_to_first_token_seconds",
    "cascade_http_in_flight", "cascade_http_rejected_total", "cascade_tier_attempts_total",
    "cascade_policy_reloads_total", "cascade_learned_skips_total",
    "cascade_shadow_evaluations_total", "cascade_shadow_cost_usd_total",
    "cascade_shadow_exemplars_total", "cascade_cache_lookups_total",
    "cascade_cache_rejections_total", "cascade_cache_entries", "cascade_cache_bytes",
    "cascade_cache_evictions_total", "cascade_cache_purged_total",
}
# The suite's target labels, as the chart's ServiceMonitors set them in a cluster.
NAMESPACE = "cascade-e2e"
RELEASE = "proof"
SKIP = 77
SERVING = b"\x08\x01"
DEADLINE_S = 90


def tier_config(name, model, address, price, speculation="mode: NONE"):
    return SERVER + f"""tier: {name}
inference:
  endpoint:
    address: "{address}"
    timeout: 20s
  model: {model}
  speculation:
    {speculation}
retry:
  max_retries: 0
price:
  input_usd_per_mtok: {price}
  output_usd_per_mtok: {price}
"""


def start_services(suite, source):
    inference = suite.start("inference", "cascade-inference", SERVER + f"""models:
  - name: bard-target
    path: {source}/models/bard-target-3m.gguf
    threads: 1
    default_speculation:
      mode: DRAFT_MODEL
      draft_model: bard-draft
      max_draft_tokens: 4
  - name: bard-draft
    path: {source}/models/bard-draft-0.5m.gguf
    threads: 1
    max_sequences: 2    # batched: the continuous-batching panels get data
""")
    suite.start("small", "cascade-tier-worker",
                tier_config("small", "bard-draft", inference["grpc"], 0.3))
    # The failing tier: its upstream address is a port nobody listens on.
    suite.start("mid", "cascade-tier-worker",
                tier_config("mid", "bard-target", f"127.0.0.1:{free_port()}", 2))
    suite.start("large", "cascade-tier-worker",
                tier_config("large", "bard-target", inference["grpc"], 10,
                            "mode: DRAFT_MODEL\n    draft_model: bard-draft\n    max_draft_tokens: 4"))
    # The router's routes file is a copy the test replaces (reload failure, then reload).
    routes = os.path.join(suite.scratch, "routes.yaml")
    shutil.copy(os.path.join(source, "deploy/local/routes.yaml"), routes)
    suite.start("router", "cascade-router", SERVER + f"""routes_file: {routes}
routes_poll_interval: 0.2s
default_threshold: 0.4
""")
    # The judge's llm tier is a port nobody listens on: `combined` degrades to the cheap
    # methods.
    suite.start("judge", "cascade-judge", SERVER + f"""default_methods: [combined]
llm_tier:
  address: "127.0.0.1:{free_port()}"
  timeout: 2s
combined:
  mode: weighted
  logprob_weight: 1
  llm_weight: 1
  # No short-circuit: the llm is always asked (and fails).
  accept_above: 1.1
  reject_below: -0.1
  on_llm_error: degrade
""")


# A policy's ladder where small accepts every answer (its logprobs are never below -100).
ACCEPT_ALL = """    tiers:
      - tier: small
        accept:
          logprob:
            aggregate: mean
            min: -100
      - tier: large"""
POLICIES = """policies:
  - name: default
    tiers:
      # No answer of the tiny draft is this confident: every request climbs.
      - tier: small
        accept:
          logprob:
            aggregate: mean
            min: {small_min}
      - tier: mid
        accept:
          logprob:
            aggregate: mean
            min: -100
      - tier: large
  # The judge decides at small (a truncated answer scores 0: it climbs).
  - name: judged
    tiers:
      - tier: small
        accept:
          judge:
            min: 0.5
            methods: [combined]
      - tier: large
  # Learned start: outcomes_traffic tells the router small never answers these queries
  # (the learned skips panel).
  - name: learned
    start: learned
{accept_all}
  # Shadow evaluation: small accepts everything and every answer is also asked of large.
  - name: shadowed
    shadow:
      rate: 1
      max_usd_per_hour: 1
{accept_all}
  # The answer cache: cache_traffic repeats, rephrases and varies a question, and purges.
  - name: cached
    cache:
      enabled: true
      semantic: true
      similarity_threshold: 0.8
{accept_all}
default_policy: default
"""


def write_atomically(path, text):
    """A new file renamed over the old one, as a ConfigMap update swaps it."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def start_orchestrator(suite):
    address = {n: suite.listening[n]["grpc"] for n in ("router", "judge", "small", "mid", "large")}
    policies = os.path.join(suite.scratch, "policies.yaml")
    write_atomically(policies, POLICIES.format(small_min=0, accept_all=ACCEPT_ALL))
    return suite.start("orchestrator", "cascade-orchestrator", SERVER + f"""http_listen: 127.0.0.1:0
router:
  address: "{address['router']}"
judge:
  address: "{address['judge']}"
tiers:
  - name: small
    endpoint: {{address: "{address['small']}"}}
  - name: mid
    endpoint: {{address: "{address['mid']}"}}
  - name: large
    endpoint: {{address: "{address['large']}"}}
circuit_breaker:
  failures: 1
  open_for: 10m
policies_file: {policies}
policies_poll_interval: 0.2s
""", extra=["--http-listen", "127.0.0.1:0"])


def start_prometheus(suite, scratch, source):
    rules = open(os.path.join(source, RULES)).read()
    rules = re.sub(r"^(\s+)for: \S+$", r"\1for: 0s", rules, flags=re.M)
    rules_path = os.path.join(scratch, "cascade-rules.yaml")
    with open(rules_path, "w") as f:
        f.write(rules)
    # Each target as Kubernetes service discovery gives it to the chart's ServiceMonitors
    # (namespace, the Service's name as `service`, its labels as __meta_...), relabeled as
    # they relabel it: `release` from app.kubernetes.io/instance, and the Service's name
    # dropped so that the metrics' own `service` label (the gRPC service) is kept.
    jobs = []
    for name, listening in suite.listening.items():
        jobs.append(f"""  - job_name: {name}
    static_configs:
      - targets: ["{listening['metrics']}"]
        labels:
          namespace: {NAMESPACE}
          service: {RELEASE}-cascade-{name}
          __meta_kubernetes_service_label_app_kubernetes_io_instance: {RELEASE}
    relabel_configs:
      - source_labels: [__meta_kubernetes_service_label_app_kubernetes_io_instance]
        target_label: release
      - action: labeldrop
        regex: service
""")
    config = os.path.join(scratch, "prometheus.yml")
    with open(config, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {rules_path}
scrape_configs:
{''.join(jobs)}""")
    port = free_port()
    process = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={scratch}/tsdb",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(scratch, "prometheus.log"), "w"))
    suite.processes.append(("prometheus", process))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"FAIL prometheus exited (port {port} taken since we picked it?):\n"
                             + open(os.path.join(scratch, "prometheus.log")).read()[-2000:])
        if http_get(base + "/-/ready", 2)[0] == 200:
            return base
        time.sleep(0.1)
    raise SystemExit("FAIL prometheus never became ready")


def query(base, expr):
    """(error, result list) of an instant query."""
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    status, body = http_get(url, 10)
    try:
        answer = json.loads(body)
    except ValueError:
        return f"HTTP {status}: {body[:200]!r}", []
    if answer.get("status") != "success":
        return f"{answer.get('errorType')}: {answer.get('error')}", []
    return None, answer["data"]["result"]


# --- traffic -------------------------------------------------------------------------------

def services_traffic(suite, python_dir):
    sys.path.insert(0, python_dir)
    import grpc
    from cascade.v1 import common_pb2, router_pb2, router_pb2_grpc, tier_pb2, tier_pb2_grpc
    from cascade.v1 import inference_pb2, inference_pb2_grpc

    def complete(name, prompt):
        with grpc.insecure_channel(suite.listening[name]["grpc"]) as channel:
            request = tier_pb2.CompleteRequest(
                messages=[common_pb2.ChatMessage(role="user", content=prompt)],
                params=common_pb2.GenerationParams(max_tokens=12, logprobs=True))
            try:
                tier_pb2_grpc.TierWorkerStub(channel).Complete(request, timeout=30)
                return "OK"
            except grpc.RpcError as error:
                return error.code().name

    for prompt in ["hello there", "ROMEO:"]:
        log(f"  small {prompt!r}: {complete('small', prompt)}; mid: {complete('mid', prompt)}; "
            f"large: {complete('large', prompt)}")
    with grpc.insecure_channel(suite.listening["router"]["grpc"]) as channel:
        stub = router_pb2_grpc.RouterStub(channel)
        for q in ["hello", "write a python function", "zzzz qqqq"]:
            stub.Route(router_pb2.RouteRequest(query=q), timeout=10)
    with grpc.insecure_channel(suite.listening["inference"]["grpc"]) as channel:
        request = inference_pb2.GenerateRequest(model="bard-target", prompt="JULIET:",
                                                params=common_pb2.GenerationParams(max_tokens=24))
        list(inference_pb2_grpc.InferenceServiceStub(channel).Generate(request, timeout=60))


LEARNED_QUERIES = ["write a python function", "write a sorting function in python",
                   "write a function that parses json", "write a python class"]


def outcomes_traffic(suite, python_dir):
    """Outcome exemplars for the policy "learned": small never answered these queries."""
    sys.path.insert(0, python_dir)
    import grpc
    from cascade.v1 import router_pb2, router_pb2_grpc
    exemplars = [router_pb2.OutcomeExemplar(query=q, key=f"proof-{i}",
                                            tier_quality={"small": 0.0, "large": 1.0})
                 for i, q in enumerate(LEARNED_QUERIES)]
    with grpc.insecure_channel(suite.listening["router"]["grpc"]) as channel:
        added = router_pb2_grpc.RouterStub(channel).AddOutcomes(
            router_pb2.AddOutcomesRequest(policy="learned", exemplars=exemplars), timeout=10)
    log(f"  router: {added.exemplars} outcome exemplars for policy learned")


def judge_traffic(suite, python_dir):
    """Two Judge.Score calls: `combined` on a well-formed answer (its llm tier is down: the
    score degrades to the cheap methods) and one with a NaN logprob (INVALID_ARGUMENT)."""
    sys.path.insert(0, python_dir)
    import grpc
    from cascade.v1 import common_pb2, judge_pb2, judge_pb2_grpc
    messages = [common_pb2.ChatMessage(role="user", content="What is the capital of France?")]
    good = judge_pb2.ScoreRequest(
        messages=messages, answer="Paris is the capital of France.",
        answer_logprobs=[common_pb2.TokenLogprob(token=t, logprob=-0.7, token_id=-1)
                         for t in ["Paris", " is", " the", " capital"]],
        finish_reason=common_pb2.FINISH_REASON_STOP, methods=["combined"])
    bad = judge_pb2.ScoreRequest(
        messages=messages, answer="Paris.", methods=["logprob"],
        answer_logprobs=[common_pb2.TokenLogprob(token="Paris", logprob=float("nan"))],
        finish_reason=common_pb2.FINISH_REASON_STOP)
    outcomes = []
    with grpc.insecure_channel(suite.listening["judge"]["grpc"]) as channel:
        stub = judge_pb2_grpc.JudgeStub(channel)
        for request in (good, bad):
            try:
                response = stub.Score(request, timeout=10)
                outcomes.append(f"OK {response.score:.2f} ({response.rationale[:60]})")
            except grpc.RpcError as error:
                outcomes.append(error.code().name)
    log(f"  judge: combined with its llm tier down: {outcomes[0]}; NaN logprob: {outcomes[1]}")
    if outcomes[1] != "INVALID_ARGUMENT" or not outcomes[0].startswith("OK"):
        raise SystemExit(f"FAIL the judge answered {outcomes}")


def metric_line(listening, prefix):
    """The first line of a server's /metrics that starts with `prefix`, or None."""
    status, body = http_get(f"http://{listening['metrics']}/metrics", 5)
    for line in body.decode("utf-8", "replace").splitlines() if status == 200 else []:
        if line.startswith(prefix):
            return line
    return None


def wait_metric(listening, prefix, what):
    """Polls a server's /metrics until a series starting with `prefix` has a value > 0."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = metric_line(listening, prefix)
        if line and float(line.rsplit(" ", 1)[1]) > 0:
            log(f"  {what}: {line}")
            return
        time.sleep(0.1)
    raise SystemExit(f"FAIL {what}: no {prefix} > 0 on {listening['metrics']}/metrics")


def reload_traffic(suite, source, orchestrator):
    """The router's routes file replaced by one that does not load, then by a valid new
    version; with the orchestrator, its policies file the same way."""
    routes = os.path.join(suite.scratch, "routes.yaml")
    original = open(os.path.join(source, "deploy/local/routes.yaml")).read()
    write_atomically(routes, "routes: [this is not a route\n")
    wait_metric(suite.listening["router"], "cascade_router_reload_failures_total",
                "routes file that does not load")
    # A real change (an identical route set is not reloaded): one more greeting.
    assert "      - hi there\n" in original
    write_atomically(routes, original.replace("      - hi there\n",
                                              "      - hi there\n      - good evening\n", 1))
    wait_metric(suite.listening["router"], "cascade_router_reloads_total",
                "routes file with a new greeting")
    if orchestrator:
        policies = os.path.join(suite.scratch, "policies.yaml")
        write_atomically(policies, "policies: [{name: broken, tiers: [{tier: nowhere}]}]\n")
        wait_metric(suite.listening["orchestrator"],
                    'cascade_policy_reloads_total{outcome="error"}', "policies file refused")
        write_atomically(policies, POLICIES.format(small_min=-0.0, accept_all=ACCEPT_ALL))
        wait_metric(suite.listening["orchestrator"],
                    'cascade_policy_reloads_total{outcome="ok"}', "policies file applied")


def front_door_request(http, prompt, stream=False, model="default"):
    """(status, answer): a streamed answer is its SSE events' last one with the trace."""
    body = json.dumps({"model": model, "max_tokens": 12, "stream": stream,
                       "messages": [{"role": "user", "content": prompt}]}).encode()
    request = urllib.request.Request(f"http://{http}/v1/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            if not stream:
                return response.status, json.load(response)
            events = [line[len("data: "):] for line in response.read().decode().splitlines()
                      if line.startswith("data: {")]
            traced = [json.loads(e) for e in events if '"cascade"' in e]
            return response.status, traced[-1] if traced else {"events": events}
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def cascade_complete(suite, python_dir, prompt, policy=""):
    """Cascade.Complete over gRPC: (status code name, response or None)."""
    sys.path.insert(0, python_dir)
    import grpc
    from cascade.v1 import cascade_pb2, cascade_pb2_grpc, common_pb2
    request = cascade_pb2.CascadeRequest(
        messages=[common_pb2.ChatMessage(role="user", content=prompt)],
        params=common_pb2.GenerationParams(max_tokens=12), policy=policy)
    with grpc.insecure_channel(suite.listening["orchestrator"]["grpc"]) as channel:
        try:
            return "OK", cascade_pb2_grpc.CascadeStub(channel).Complete(request, timeout=60)
        except grpc.RpcError as error:
            return error.code().name, error.details()


def cascade_traffic(suite, python_dir, http):
    """Through the front door when it serves, else over gRPC: the same cascade."""
    prompts = ["hello there", "good morning", "ROMEO:", "hi there", "what is love",
               "thanks a lot", "write a python function", "good night"]
    for i, prompt in enumerate(prompts):
        # Two of them under the policy whose small tier asks the judge.
        policy = "judged" if i >= 6 else "default"
        if http and i % 2 == 0:
            # Some streamed, so the door's time to first token has data.
            status, answer = front_door_request(http, prompt, stream=(i == 2), model=policy)
            if status != 200:
                raise SystemExit(f"FAIL front door answered {status}: {answer}")
            trace = answer.get("cascade", {})
            steps = [(s.get("tier"), bool(s.get("error"))) for s in trace.get("steps", [])]
            final = trace.get("final_tier")
        else:
            code, response = cascade_complete(suite, python_dir, prompt, policy)
            if code != "OK":
                raise SystemExit(f"FAIL Cascade.Complete answered {code}: {response}")
            steps = [(s.tier, bool(s.error)) for s in response.steps]
            final = response.final_tier
        log(f"  {policy} {prompt!r}: final tier {final}, steps "
            + ", ".join(f"{t}{' (error)' if e else ''}" for t, e in steps))
    # The learned start skips small; shadowed answers at small are also asked of large.
    for policy, prompt in [("learned", LEARNED_QUERIES[0]), ("shadowed", "hello there"),
                           ("shadowed", "ROMEO:")]:
        code, response = cascade_complete(suite, python_dir, prompt, policy)
        if code != "OK":
            raise SystemExit(f"FAIL Cascade.Complete ({policy}) answered {code}: {response}")
        log(f"  {policy} {prompt!r}: final tier {response.final_tier}, skipped "
            f"{list(response.skipped_tiers)}")


CACHE_QUERIES = [
    ("what is the capital of france", "miss"),
    ("what is the capital of france", "exact_hit"),
    ("What is the capital of France?", "semantic_hit"),
    ("what is the capital of france in 1900", "miss"),  # a near match: refused by a guard
]


def cache_traffic(suite, python_dir, purge):
    """The policy "cached": a miss, an exact and a semantic hit, a guard's refusal; then
    (purge) AnswerCacheAdmin.Purge of its answers, so the removals panel has data."""
    sys.path.insert(0, python_dir)
    import grpc
    from cascade.v1 import answer_cache_pb2, answer_cache_pb2_grpc
    for prompt, expected in CACHE_QUERIES:
        code, response = cascade_complete(suite, python_dir, prompt, "cached")
        if code != "OK":
            raise SystemExit(f"FAIL Cascade.Complete (cached) answered {code}: {response}")
        kind = response.cache.kind + "_hit" if response.HasField("cache") else "miss"
        log(f"  cached {prompt!r}: {kind}, final tier {response.final_tier}")
        if kind != expected:
            raise SystemExit(f"FAIL {prompt!r} under policy cached: {kind}, not {expected}")
    if purge:
        with grpc.insecure_channel(suite.listening["orchestrator"]["grpc"]) as channel:
            purged = answer_cache_pb2_grpc.AnswerCacheAdminStub(channel).Purge(
                answer_cache_pb2.AnswerCachePurgeRequest(policy="cached"), timeout=10)
        if purged.removed < 1:
            raise SystemExit(f"FAIL AnswerCacheAdmin.Purge removed nothing: {purged}")
        log(f"  purged {purged.removed} cached answers")


# --- the proof -----------------------------------------------------------------------------

def grafana(expr):
    """What Grafana sends for the suite: its interval variables, $namespace and $release
    the suite's, $policy, $route and $tier All (the variables' allValue, .*)."""
    expr = expr.replace("$__rate_interval", "1m").replace("$__range", "5m")
    expr = expr.replace("$namespace", NAMESPACE).replace("$release", RELEASE)
    for variable in ("policy", "route", "tier"):
        expr = expr.replace(f"${variable}", ".*")
    return expr


def without_thresholds(expr):
    """An alert's expression with every comparison to a number taken out: the series it
    compares."""
    return re.sub(r"\s*(>=|<=|==|!=|>|<)\s*-?[0-9.]+(e[-+]?[0-9]+)?", "", expr)


def expressions(source):
    """(what, expr, kind) for every dashboard target, recording rule and alert; kind
    "labeled": its results must carry the suite's namespace and release."""
    found = []
    for name in sorted(os.listdir(os.path.join(source, DASHBOARDS))):
        dashboard = json.load(open(os.path.join(source, DASHBOARDS, name)))

        def walk(panels):
            for panel in panels:
                walk(panel.get("panels", []))
                for target in panel.get("targets", []):
                    found.append((f"{name}: {panel['title']} [{target['refId']}]",
                                  grafana(target["expr"]), "panel"))
        walk(dashboard["panels"])
    rules = rules_of(open(os.path.join(source, RULES)).read())
    for rule in rules:
        if "record" in rule:
            found.append((f"record {rule['record']}", rule["expr"], "record"))
            found.append((f"recorded series {rule['record']}", rule["record"], "labeled"))
        else:
            found.append((f"alert {rule['alert']} (without its thresholds)",
                          without_thresholds(rule["expr"]), "labeled"))
    return found


def variables(source):
    """(what, label, selector) of every dashboard variable's label_values(selector, label)."""
    found = []
    for name in sorted(os.listdir(os.path.join(source, DASHBOARDS))):
        dashboard = json.load(open(os.path.join(source, DASHBOARDS, name)))
        for v in dashboard["templating"]["list"]:
            if v["type"] != "query":
                continue
            query = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", query.strip())
            if not m:
                raise SystemExit(f"FAIL {name}: ${v['name']} is not label_values(...): {query}")
            found.append((f"{name}: ${v['name']}", m.group(2), grafana(m.group(1))))
    return found


def label_values(base, label, selector):
    url = (f"{base}/api/v1/label/{label}/values?"
           + urllib.parse.urlencode({"match[]": selector}))
    status, body = http_get(url, 10)
    try:
        answer = json.loads(body)
    except ValueError:
        return f"HTTP {status}: {body[:200]!r}", []
    if answer.get("status") != "success":
        return f"{answer.get('errorType')}: {answer.get('error')}", []
    return None, answer["data"]


def rules_of(text):
    """The rules of our rules file (its simple shape: `- record:`/`- alert:` then `expr:`,
    plain or folded `>-`), parsed without a YAML library."""
    rules, current, folding = [], None, None
    for line in text.splitlines():
        m = re.match(r"^\s+- (record|alert): (\S+)", line)
        if m:
            current = {m.group(1): m.group(2)}
            rules.append(current)
            folding = None
            continue
        m = re.match(r"^(\s+)expr: (.*)$", line)
        if m and current is not None:
            if m.group(2).strip() == ">-":
                folding, current["expr"] = len(m.group(1)), ""
            else:
                current["expr"] = m.group(2).strip()
            continue
        if folding is not None:
            if line.strip() and len(line) - len(line.lstrip()) > folding:
                current["expr"] = (current["expr"] + " " + line.strip()).strip()
            else:
                folding = None
    return rules


def series_of(expr, rules):
    """The scraped series an expression reads, through the recorded series it names."""
    series = {n.removesuffix("_bucket") for n in re.findall(r"\bcascade_[a-z_]+", expr)}
    for name in re.findall(r"\bcascade:[a-z0-9_:]+", expr):
        if name in rules:
            series |= series_of(rules[name], rules)
    return series


def in_scope(expr, mode, rules):
    return mode == "cascade" or not (series_of(expr, rules) & ORCHESTRATOR_SERIES)


def prove(base, source, mode):
    checks = expressions(source)
    rules = {r["record"]: r["expr"] for r in rules_of(open(os.path.join(source, RULES)).read())
             if "record" in r}
    pending, skipped = [], 0
    for what, expr, kind in checks:
        if in_scope(expr, mode, rules):
            pending.append((what, expr, kind))
        else:
            skipped += 1
    for what, label, selector in variables(source):
        if in_scope(selector, mode, rules):
            pending.append((what, selector, "variable " + label))
        else:
            skipped += 1
    total = len(pending)
    deadline = time.monotonic() + DEADLINE_S
    while pending and time.monotonic() < deadline:
        still = []
        for what, expr, kind in pending:
            if kind.startswith("variable "):
                label = kind.split()[1]
                error, values = label_values(base, label, expr)
                wanted = {"namespace": NAMESPACE, "release": RELEASE}.get(label)
                result = values if wanted is None or wanted in values else []
            else:
                error, result = query(base, expr)
            if error:
                raise SystemExit(f"FAIL {what}: query does not run: {error}\n  {expr}")
            if kind == "labeled":
                unlabeled = [r["metric"] for r in result
                             if r["metric"].get("namespace") != NAMESPACE
                             or r["metric"].get("release") != RELEASE]
                if unlabeled:
                    raise SystemExit(f"FAIL {what}: results without namespace={NAMESPACE}, "
                                     f"release={RELEASE}: {unlabeled[:3]}\n  {expr}")
            if not result:
                still.append((what, expr, kind))
        pending = still
        if pending:
            time.sleep(1)
    for what, expr, _ in pending:
        log(f"FAIL {what}: no data\n  {expr}")
    if pending:
        raise SystemExit(f"FAIL {len(pending)} of {total} expressions returned no data")
    log(f"ok   all {total} expressions (panels, dashboard variables, recording rules, alerts "
        f"without thresholds) parse and return data" + (
            f"; {skipped} need the orchestrator (--mode cascade)" if skipped else ""))


def wait_scraped(base, expr):
    """Polls until Prometheus holds a sample of `expr`: traffic sent after this point moves
    counters Prometheus has already seen, so their rates are positive (a series' first
    sample has no increase before it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if query(base, expr)[1]:
            return
        time.sleep(0.2)
    raise SystemExit(f"FAIL Prometheus never scraped {expr}")


def wait_firing(base, alerts):
    deadline = time.monotonic() + DEADLINE_S
    firing = set()
    while time.monotonic() < deadline:
        _, result = query(base, 'ALERTS{alertstate="firing"}')
        firing = {r["metric"]["alertname"] for r in result}
        if set(alerts) <= firing:
            log(f"ok   alerts firing: {', '.join(sorted(firing))}")
            return
        time.sleep(1)
    raise SystemExit(f"FAIL alerts {sorted(set(alerts) - firing)} never fired (firing: {sorted(firing)})")


def run_helm_test_script(source, suite, front_door):
    args = [sys.executable, os.path.join(source, HELM_TEST)]
    for name, listening in suite.listening.items():
        args += ["--component", f"{name}={listening['metrics']}"]
    if front_door:
        args += ["--front-door", f"http://{front_door}", "--model", "default"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    log(result.stdout.rstrip())
    if result.returncode != 0:
        raise SystemExit(f"FAIL the chart's helm test script failed:\n{result.stderr}")
    log("ok   the chart's helm test script passes against the suite on loopback")
    # ... and it fails when a component is not ready.
    bad = subprocess.run([sys.executable, os.path.join(source, HELM_TEST), "--component",
                          f"nobody=127.0.0.1:{free_port()}", "--timeout", "2"],
                         capture_output=True, text=True, timeout=60)
    if bad.returncode == 0 or "FAIL nobody" not in bad.stdout:
        raise SystemExit(f"FAIL the helm test script passed with a dead component:\n{bad.stdout}")
    log("ok   the helm test script fails for a component that does not answer")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--python-dir", required=True)
    parser.add_argument("--mode", choices=["services", "cascade"], required=True)
    args = parser.parse_args()
    source = os.path.abspath(args.source_dir)
    if not shutil.which("prometheus"):
        raise SystemExit("FAIL no prometheus binary (Debian package prometheus)")
    scratch = tempfile.mkdtemp(prefix=f"cascade-e2e-{args.mode}-")
    suite = Suite(os.path.abspath(args.bin_dir), scratch)
    code = 0
    try:
        start_services(suite, source)
        front_door = None
        if args.mode == "cascade":
            orchestrator = start_orchestrator(suite)
            front_door = orchestrator.get("http")
            status, answer = cascade_complete(suite, os.path.abspath(args.python_dir), "hello")
            if status == "UNIMPLEMENTED":
                log(f"skipped: the orchestrator does not serve the cascade yet ({answer})")
                return SKIP
            status, answer = front_door_request(front_door, "hello")
            if status != 200:
                log(f"note: the front door answered {status} ({str(answer)[:160]}): "
                    "traffic over gRPC only, helm test script without its request")
                front_door = None
        base = start_prometheus(suite, scratch, source)
        targets = ", ".join(f"{n} {l['metrics']}" for n, l in suite.listening.items())
        log(f"suite: {targets}; prometheus {base}")
        # Two rounds of traffic: the second once Prometheus has scraped the series the
        # first one created.
        wait_scraped(base, 'count(up == 1) == ' + str(len(suite.listening)))
        for round_ in (1, 2):
            if round_ == 1:
                outcomes_traffic(suite, os.path.abspath(args.python_dir))
            judge_traffic(suite, os.path.abspath(args.python_dir))
            if args.mode == "services":
                services_traffic(suite, os.path.abspath(args.python_dir))
                wait_scraped(base, "cascade_tier_requests_total") if round_ == 1 else None
            else:
                cascade_traffic(suite, os.path.abspath(args.python_dir), front_door)
                cache_traffic(suite, os.path.abspath(args.python_dir), purge=(round_ == 1))
                wait_scraped(base, "cascade_escalations_total") if round_ == 1 else None
            if round_ == 1:
                reload_traffic(suite, source, args.mode == "cascade")
        prove(base, source, args.mode)
        if args.mode == "cascade":
            wait_firing(base, ["CascadeTierDown", "CascadeEscalationRateHigh"])
        run_helm_test_script(source, suite, front_door)
    except SystemExit as error:
        log(str(error))
        suite.tail_logs(120)  # a sanitizer report is ~60 lines
        code = 1
    finally:
        codes = suite.stop()
        log("stopped: " + ", ".join(f"{n} ({c})" for n, c in codes.items()))
        shutil.rmtree(scratch, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
