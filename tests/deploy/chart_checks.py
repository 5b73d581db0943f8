#!/usr/bin/env python3
"""Checks of deploy/helm/cascade with the real Helm, promtool and the Kubernetes schemas.

  chart_checks.py --source-dir DIR --work-dir DIR CHECK

CHECK is one of the names in CHECKS below; ctest runs each as its own test
(tests/deploy/CMakeLists.txt). Helm comes from npm (tests/deploy/helm_path.sh), the
schemas from npm kubernetes-models and @kubernetes-models/prometheus-operator, promtool
from Debian's prometheus package. Standard library only.
"""
import argparse
import json
import os
import re
import subprocess
import sys

CHART = "deploy/helm/cascade"
EVERYTHING = "deploy/helm/cascade/ci/everything-values.yaml"
RULES = "deploy/helm/cascade/rules/cascade-rules.yaml"
DASHBOARDS = "deploy/helm/cascade/dashboards"
# Objects each values file must render (so a switch that renders nothing fails too).
DEFAULT_KINDS = ["ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "Pod"]
EVERYTHING_KINDS = DEFAULT_KINDS + ["HorizontalPodAutoscaler", "Ingress", "ServiceMonitor",
                                    "PrometheusRule"]


class Context:
    def __init__(self, source_dir, work_dir):
        self.source = source_dir
        self.work = work_dir
        os.makedirs(work_dir, exist_ok=True)
        self._helm = None
        self._node_modules = None

    def path(self, relative):
        return os.path.join(self.source, relative)

    @property
    def node_modules(self):
        if self._node_modules is None:
            self._node_modules = run([self.path("scripts/install-npm-tools.sh")]).stdout.strip()
        return self._node_modules

    @property
    def helm(self):
        if self._helm is None:
            self._helm = run([self.path("tests/deploy/helm_path.sh")]).stdout.strip()
        return self._helm

    def template(self, *extra, check=True):
        return run([self.helm, "template", "cascade", self.path(CHART), "--namespace", "llm",
                    *extra], check=check)

    def render_to(self, name, *extra):
        out = os.path.join(self.work, name)
        with open(out, "w") as f:
            f.write(self.template(*extra).stdout)
        return out


def run(command, check=True, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise SystemExit(f"FAIL: {' '.join(command)} exited {result.returncode}\n"
                         f"{result.stdout}\n{result.stderr}")
    return result


def expect(condition, message):
    if not condition:
        raise SystemExit(f"FAIL: {message}")
    print(f"ok   {message}")


# --- Helm --------------------------------------------------------------------------------

def lint_default(ctx):
    out = run([ctx.helm, "lint", "--strict", ctx.path(CHART)]).stdout
    expect("0 chart(s) failed" in out, "helm lint --strict passes with the default values")
    rendered = ctx.template().stdout
    expect("kind: Deployment" in rendered, "helm template renders the default values")


def lint_everything(ctx):
    out = run([ctx.helm, "lint", "--strict", ctx.path(CHART), "-f", ctx.path(EVERYTHING)]).stdout
    expect("0 chart(s) failed" in out, "helm lint --strict passes with everything enabled")
    rendered = ctx.template("-f", ctx.path(EVERYTHING)).stdout
    for kind in EVERYTHING_KINDS:
        expect(f"kind: {kind}\n" in rendered, f"everything-values renders a {kind}")


def values_typos_rejected(ctx):
    # Each: a --set that a person could plausibly type, and what the error must name.
    cases = [
        (["--set", "router.replica=3"], "replica"),
        (["--set", "orchestrator.ingress.enabeld=true"], "enabeld"),
        (["--set", "tierWorkers[0].name=small", "--set", "tierWorkers[0].replcas=2"], "replcas"),
        (["--set", "inference.gpu.enabled=yes"], "/inference/gpu/enabled"),
        (["--set", "ports.grpc=0"], "/ports/grpc"),
        (["--set", "serviceMonitr.enabled=true"], "serviceMonitr"),
        (["--set", "tierWorkers[0].name=Small_Tier"], "/tierWorkers/0/name"),
    ]
    for flags, named in cases:
        result = ctx.template(*flags, check=False)
        expect(result.returncode != 0 and named in result.stderr,
               f"{' '.join(flags)} is rejected by values.schema.json, naming {named!r}")
    # A free-form config block is the server's to check, not the schema's.
    result = ctx.template("--set", "router.config.some_future_field=1", check=False)
    expect(result.returncode == 0, "a component's config: block takes any key (the server checks it)")


def chart_owned_config(ctx):
    """The chart sets the addresses, ports and drain delays; the rest of config: is kept."""
    rendered = ctx.template("--set", "drain.delaySeconds=7", "--set", "drain.graceSeconds=20",
                            "--set", "router.config.server.log_level=debug",
                            "--set", "router.config.server.grpc_listen=1.2.3.4:1").stdout
    router_config = section(rendered, "cascade-router-config")
    for line in ["grpc_listen: 0.0.0.0:50051", "metrics_listen: 0.0.0.0:9090", "drain_delay: 7s",
                 "drain_grace: 20s", "log_level: debug",
                 "routes_file: /etc/cascade/routes/routes.yaml"]:
        expect(line in router_config, f"router config.yaml holds {line!r}")
    expect("terminationGracePeriodSeconds: 32" in rendered,
           "terminationGracePeriodSeconds = drain delay + grace + slack (7 + 20 + 5)")
    orchestrator = section(rendered, "cascade-orchestrator-config")
    for line in ["http_listen: 0.0.0.0:8080", "address: cascade-router:50051",
                 "address: cascade-tier-small:50051", "address: cascade-tier-large:50051"]:
        expect(line in orchestrator, f"orchestrator config.yaml holds {line!r}")
    expect(orchestrator.index("tier-small") < orchestrator.index("tier-large"),
           "the orchestrator's tiers keep the climbing order of tierWorkers")
    small = section(rendered, "cascade-tier-small-config")
    expect("tier: small" in small and "address: cascade-inference:50051" in small,
           "a tier worker's inference backend defaults to this release's inference service")
    # Routes change without a restart: they are not part of the pod's config checksum.
    a = ctx.template().stdout
    b = ctx.template("--set", "router.routes.default=other").stdout
    expect(checksums(a) == checksums(b), "editing routes leaves every pod's config checksum alone")
    c = ctx.template("--set", "router.config.default_threshold=0.9").stdout
    expect(checksums(a) != checksums(c), "editing a config rolls the component's pods")


def policies_file_hot_reloaded(ctx):
    """orchestrator.policiesFile: its own ConfigMap, mounted, replacing config.policies."""
    rendered = ctx.template("-f", ctx.path(EVERYTHING)).stdout
    orchestrator = section(rendered, "cascade-orchestrator-config")
    expect("policies_file: /etc/cascade/policies/policies.yaml" in orchestrator,
           "the orchestrator's config points at the mounted policies file")
    expect("\n    policies:" not in orchestrator and "name: default" not in orchestrator,
           "the file replaces the config's own policies (the server refuses both)")
    policies = section(rendered, "cascade-orchestrator-policies")
    for line in ["default_policy: fitted", "min: -0.412", "min: 0.93", "tier: large"]:
        expect(line in policies, f"the policies ConfigMap holds {line!r}")
    deployment = [d for d in rendered.split("\n---")
                  if re.search("^kind: Deployment$", d, re.M)
                  and re.search(r"^  name: cascade-orchestrator$", d, re.M)][0]
    expect("mountPath: /etc/cascade/policies" in deployment
           and "name: cascade-orchestrator-policies" in deployment,
           "the orchestrator mounts the policies ConfigMap as a directory")
    # A refitted policy reaches running pods without rolling them.
    refit = ctx.template("-f", ctx.path(EVERYTHING), "--set",
                         "orchestrator.policiesFile.default_policy=other").stdout
    expect(checksums(rendered) == checksums(refit),
           "editing the policies file leaves every pod's config checksum alone")
    default = ctx.template().stdout
    expect("policies_file" not in default and "cascade-orchestrator-policies" not in default,
           "without policiesFile the config's own policies stay, and no ConfigMap is made")
    result = ctx.template("--set", "orchestrator.policiesFile.polices[0].name=x", check=False)
    expect(result.returncode != 0 and "polices" in result.stderr,
           "a typo in policiesFile is rejected by values.schema.json")


def section(rendered, name_suffix):
    for document in rendered.split("\n---"):
        if re.search(rf"^  name: \S*{re.escape(name_suffix)}$", document, re.M):
            return document
    raise SystemExit(f"FAIL: no object named *{name_suffix} rendered")


def checksums(rendered):
    return re.findall(r"checksum/config: (\S+)", rendered)


def gpu_and_security(ctx):
    rendered = ctx.template("-f", ctx.path(EVERYTHING)).stdout
    deployments = [d for d in rendered.split("\n---") if re.search("^kind: Deployment$", d, re.M)]
    inference = next(d for d in deployments if "component: inference" in d)
    expect('nvidia.com/gpu: 1' in inference, "inference asks for nvidia.com/gpu on CUDA")
    expect("key: nvidia.com/gpu" in inference, "inference tolerates the GPU taint")
    expect("claimName: cascade-models" in inference, "inference mounts the model volume")
    for d in deployments:
        name = re.search(r"name: (\S+)", d).group(1)
        expect("runAsNonRoot: true" in d and "readOnlyRootFilesystem: true" in d and
               "path: /healthz" in d and "path: /readyz" in d and "port: metrics" in d,
               f"{name}: non-root, read-only root, "
               "HTTP probes on the metrics port")
    # tls.enabled + tls.mutual: every server reads the mounted certificate and asks clients
    # for theirs; every address the chart fills in trusts ca.crt and presents tls.crt.
    server_tls = (r"server:(\n +\w+: \S+)*\n +tls:\n +cert_file: /etc/cascade/tls/tls.crt\n"
                  r" +client_ca_file: /etc/cascade/tls/ca.crt\n +key_file: /etc/cascade/tls/tls.key")
    for component in ("router", "orchestrator", "tier-small", "judge", "inference"):
        expect(re.search(server_tls, section(rendered, f"cascade-{component}-config")),
               f"{component}: server.tls from the mounted Secret, with client certificates")
    orchestrator = section(rendered, "cascade-orchestrator-config")
    client_tls = (r"address: cascade-tier-small:50051\n +tls:\n +ca_file: /etc/cascade/tls/ca.crt"
                  r"\n +cert_file: /etc/cascade/tls/tls.crt\n +key_file: /etc/cascade/tls/tls.key")
    expect(len(re.findall(r"\n +ca_file: /etc/cascade/tls/ca.crt", orchestrator)) >= 3,
           "the orchestrator's router, judge and tier endpoints trust ca.crt")
    expect(re.search(client_tls, orchestrator), "the orchestrator presents tls.crt to its tiers")
    cpu = ctx.template().stdout
    expect("tls:" not in section(cpu, "cascade-router-config"),
           "without tls.enabled the servers stay plaintext")
    expect("nvidia.com/gpu" not in cpu, "without gpu.enabled nothing asks for a GPU")
    expect("secretKeyRef:\n                  name: llm-api-keys\n                  key: openai" in rendered,
           "API keys come from existing Secrets")


# --- Kubernetes schemas ------------------------------------------------------------------

def validate(ctx, rendered, kinds):
    result = run(["node", ctx.path("tests/deploy/validate_k8s.mjs"), ctx.node_modules, rendered,
                  *kinds], check=False)
    return result


def objects_valid_default(ctx):
    result = validate(ctx, ctx.render_to("default.yaml"), DEFAULT_KINDS)
    print(result.stdout[-3000:], result.stderr)
    expect(result.returncode == 0, "every object rendered from the default values is valid")


def objects_valid_everything(ctx):
    result = validate(ctx, ctx.render_to("everything.yaml", "-f", ctx.path(EVERYTHING)),
                      EVERYTHING_KINDS)
    print(result.stdout[-3000:], result.stderr)
    expect(result.returncode == 0, "every object rendered with everything enabled is valid")


def validator_catches_bad_objects(ctx):
    """The schema check is not vacuous: a wrong type or field in an object fails it."""
    good = open(ctx.render_to("everything.yaml", "-f", ctx.path(EVERYTHING))).read()
    broken = {
        "a string where the Deployment wants replicas (integer)":
            good.replace("  replicas: 1\n", "  replicas: one\n", 1),
        "a port name where a container wants a port number":
            good.replace("containerPort: 50051", "containerPort: grpc-port", 1),
        "a ServiceMonitor endpoint port of the wrong type":
            good.replace("    - port: metrics\n", "    - port: [metrics]\n", 1),
    }
    for what, text in broken.items():
        expect(text != good, f"could break the render with {what}")
        path = os.path.join(ctx.work, "broken.yaml")
        with open(path, "w") as f:
            f.write(text)
        result = validate(ctx, path, [])
        expect(result.returncode != 0 and "FAIL" in result.stderr, f"the schemas reject {what}")


def prometheus_rule_matches_file(ctx):
    rendered = ctx.render_to("rules.yaml", "--set", "prometheusRule.enabled=true")
    result = run(["node", ctx.path("tests/deploy/compare_rules.mjs"), ctx.node_modules, rendered,
                  ctx.path(RULES)], check=False)
    print(result.stdout, result.stderr)
    expect(result.returncode == 0, "the PrometheusRule holds exactly the plain rules file")


# --- Prometheus rules and dashboards ----------------------------------------------------

def promtool_rules(ctx):
    result = run(["promtool", "check", "rules", ctx.path(RULES)], check=False)
    print(result.stdout, result.stderr)
    expect(result.returncode == 0, "promtool check rules passes on the plain rules file")
    names = re.findall(r"^\s+- alert: (\S+)", open(ctx.path(RULES)).read(), re.M)
    for alert in ["CascadeEscalationRateHigh", "CascadeSpendOverBudget", "CascadeTierDown",
                  "CascadeSpeculativeAcceptanceLow", "CascadeErrorRateHigh"]:
        expect(alert in names, f"alert {alert} is defined")


def dashboard_files(ctx):
    directory = ctx.path(DASHBOARDS)
    return sorted(os.path.join(directory, n) for n in os.listdir(directory) if n.endswith(".json"))


def dashboard_queries(dashboard):
    """(panel title, expr) of every target of every panel (rows' nested panels too)."""
    queries = []

    def walk(panels):
        for panel in panels:
            walk(panel.get("panels", []))
            for target in panel.get("targets", []):
                queries.append((panel["title"], target["expr"]))
    walk(dashboard["panels"])
    return queries


def grafana_to_promql(expr, rate_interval="1m", range_="1h"):
    """What Grafana sends: its interval variables substituted."""
    return expr.replace("$__rate_interval", rate_interval).replace("$__range", range_)


def dashboards_well_formed(ctx):
    titles = set()
    for path in dashboard_files(ctx):
        dashboard = json.load(open(path))
        name = os.path.basename(path)
        titles.add(dashboard["title"])
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        expect(variables.get("datasource", {}).get("type") == "datasource" and
               variables["datasource"]["query"] == "prometheus",
               f"{name}: has a ${{datasource}} variable of Prometheus data sources")
        expect(dashboard.get("schemaVersion", 0) >= 38, f"{name}: Grafana 10 schema")
        panels = [p for p in dashboard["panels"] if p["type"] != "row"]
        expect(all(p.get("targets") for p in panels), f"{name}: every panel has a query")
        expect(all(p["datasource"]["uid"] == "${datasource}" and
                   all(t["datasource"]["uid"] == "${datasource}" for t in p["targets"])
                   for p in panels), f"{name}: every panel and query uses ${{datasource}}")
        ids = [p["id"] for p in dashboard["panels"]]
        expect(len(ids) == len(set(ids)), f"{name}: panel ids are unique")
        metrics = set(re.findall(r"\bcascade_[a-z_]+",
                                 " ".join(e for _, e in dashboard_queries(dashboard))))
        unknown = {m for m in metrics if m.removesuffix("_bucket") not in CATALOGUE}
        expect(not unknown, f"{name}: uses only catalogue metrics (unknown: {sorted(unknown)})")
    expect(titles == {"Cascade cost", "Cascade performance", "Inference"},
           "the three dashboards ship: Cascade cost, Cascade performance, Inference")
    rendered = ctx.template().stdout
    for path in dashboard_files(ctx):
        name = os.path.basename(path)
        doc = section(rendered, "dashboard-" + name.removesuffix(".json"))
        expect('grafana_dashboard: "1"' in doc and f"  {name}: |" in doc,
               f"{name} ships as a ConfigMap labeled grafana_dashboard: \"1\"")


def dashboard_queries_parse(ctx):
    """Every panel's PromQL parses (promtool, as recording rules); data is the e2e's job."""
    rules = []
    for path in dashboard_files(ctx):
        for i, (title, expr) in enumerate(dashboard_queries(json.load(open(path)))):
            rules.append({"record": f"dashboard:{os.path.basename(path)[:-5].replace('-', '_')}:{i}",
                          "expr": grafana_to_promql(expr)})
    path = os.path.join(ctx.work, "dashboard-queries.rules.json")
    # JSON is YAML: promtool reads it as a rules file.
    with open(path, "w") as f:
        json.dump({"groups": [{"name": "dashboards", "rules": rules}]}, f, indent=1)
    result = run(["promtool", "check", "rules", path], check=False)
    print(result.stdout[-2000:], result.stderr[-4000:])
    expect(result.returncode == 0, f"all {len(rules)} dashboard queries parse as PromQL")


# docs/architecture.md's metrics catalogue (binding): dashboards and rules use only these.
CATALOGUE = {
    "cascade_grpc_server_requests_total", "cascade_grpc_server_request_duration_seconds",
    "cascade_build_info", "cascade_inference_requests_total", "cascade_inference_tokens_total",
    "cascade_inference_time_to_first_token_seconds",
    "cascade_inference_time_per_output_token_seconds", "cascade_inference_queue_depth",
    "cascade_speculative_rounds_total", "cascade_speculative_draft_tokens_total",
    "cascade_speculative_accepted_tokens_total", "cascade_speculative_accepted_at_position_total",
    "cascade_tier_requests_total", "cascade_tier_tokens_total", "cascade_tier_cost_usd_total",
    "cascade_tier_upstream_duration_seconds", "cascade_tier_retries_total",
    "cascade_tier_in_flight", "cascade_router_decisions_total",
    "cascade_router_below_threshold_total", "cascade_router_score",
    "cascade_router_embed_duration_seconds", "cascade_router_search_duration_seconds",
    "cascade_router_exemplars", "cascade_judge_score", "cascade_judge_duration_seconds",
    "cascade_judge_cost_usd_total", "cascade_requests_total", "cascade_request_cost_usd_total",
    "cascade_request_baseline_cost_usd_total", "cascade_escalations_total",
    "cascade_request_duration_seconds", "cascade_step_duration_seconds", "cascade_confidence",
    "cascade_tier_circuit_open", "cascade_http_requests_total",
    "cascade_http_time_to_first_byte_seconds", "cascade_http_time_to_first_token_seconds",
    "cascade_http_in_flight", "cascade_http_rejected_total",
}


def rules_use_catalogue(ctx):
    text = open(ctx.path(RULES)).read()
    metrics = set(re.findall(r"\bcascade_[a-z_]+", text))
    unknown = {m for m in metrics if m.removesuffix("_bucket") not in CATALOGUE}
    expect(not unknown, f"the rules use only catalogue metrics (unknown: {sorted(unknown)})")


CHECKS = {
    "lint_default": lint_default,
    "lint_everything": lint_everything,
    "values_typos_rejected": values_typos_rejected,
    "chart_owned_config": chart_owned_config,
    "policies_file_hot_reloaded": policies_file_hot_reloaded,
    "gpu_and_security": gpu_and_security,
    "objects_valid_default": objects_valid_default,
    "objects_valid_everything": objects_valid_everything,
    "validator_catches_bad_objects": validator_catches_bad_objects,
    "prometheus_rule_matches_file": prometheus_rule_matches_file,
    "promtool_rules": promtool_rules,
    "rules_use_catalogue": rules_use_catalogue,
    "dashboards_well_formed": dashboards_well_formed,
    "dashboard_queries_parse": dashboard_queries_parse,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("check", choices=sorted(CHECKS))
    args = parser.parse_args()
    ctx = Context(os.path.abspath(args.source_dir),
                  os.path.join(os.path.abspath(args.work_dir), args.check))
    CHECKS[args.check](ctx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
