"""NetworkPolicies: each component admits gRPC from exactly its callers, metrics from
metricsFrom and the helm test pod, the front door from frontDoorFrom; egress when restricted."""
from .render import (GRPC_COMPONENTS, expect, expect_rejected, find, objects, selects,
                     validate)

# Who calls whom over gRPC in a release (the NetworkPolicies must say exactly this).
GRPC_CALLERS = {"router": {"orchestrator"}, "judge": {"orchestrator"},
                "tier-small": {"orchestrator", "judge"}, "tier-large": {"orchestrator", "judge"},
                "inference": {"tier-small", "tier-large"}, "orchestrator": set()}


def component_of(peer):
    """The component a podSelector-only peer selects (None for any other peer)."""
    if set(peer) != {"podSelector"}:
        return None
    return peer["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component")


def container_port(deployment, name):
    ports = deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
    return {p["name"]: p["containerPort"] for p in ports}.get(name)


def rules_on(rules, port):
    return [r for r in rules if any(p.get("port") == port for p in r.get("ports", []))]


def network_policies(ctx):
    """One NetworkPolicy per component: gRPC only from its callers, metrics from metricsFrom
    and the helm test pod, the front door from frontDoorFrom; egress when restricted."""
    default = objects(ctx, ctx.template().stdout)
    expect(not [o for o in default if o["kind"] == "NetworkPolicy"],
           "networkPolicy.enabled=false (the default) renders no NetworkPolicy")
    values = ctx.write("netpol.yaml", """
judge: {enabled: true}
networkPolicy:
  enabled: true
  frontDoorFrom:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}
  grpcFrom:
    - podSelector: {matchLabels: {app: cascadectl}}
  metricsFrom:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: observability}}
      podSelector: {matchLabels: {app.kubernetes.io/name: prometheus}}
  egress:
    restricted: true
    extraRules:
      - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
        ports: [{port: 443, protocol: TCP}]
""")
    rendered = ctx.render_to("netpol-rendered.yaml", "-f", values)
    objs = objects(ctx, open(rendered).read())
    policies = {o["metadata"]["name"]: o for o in objs if o["kind"] == "NetworkPolicy"}
    deployments = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Deployment"}
    expect(sorted(policies) == sorted(deployments),
           f"one NetworkPolicy per Deployment ({', '.join(sorted(policies))})")
    test_pod = find(objs, "Pod", "cascade-helm-test")["metadata"]["labels"]
    for name, deployment in deployments.items():
        component = name.removeprefix("cascade-")
        spec = policies[name]["spec"]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        others = [d for n, d in deployments.items() if n != name]
        expect(spec["podSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
               and selects(spec["podSelector"], pod_labels)
               and not any(selects(spec["podSelector"],
                                   d["spec"]["template"]["metadata"]["labels"]) for d in others),
               f"{name}: the policy selects this component's pods and no other's")
        grpc, metrics = container_port(deployment, "grpc"), container_port(deployment, "metrics")
        rules = spec["ingress"]
        grpc_rules = rules_on(rules, grpc)
        callers = {component_of(p) for r in grpc_rules for p in r["from"]}
        expected = set(GRPC_CALLERS[component])
        if component == "orchestrator":
            expect(len(grpc_rules) == 1 and grpc_rules[0]["from"] == [
                       {"podSelector": {"matchLabels": {"app": "cascadectl"}}}],
                   f"{name}: gRPC ({grpc}) only from networkPolicy.grpcFrom")
        else:
            expect(len(grpc_rules) == 1 and callers == expected,
                   f"{name}: gRPC ({grpc}) only from {sorted(expected)} (got {sorted(callers, key=str)})")
            for peer in grpc_rules[0]["from"]:
                caller = deployments[f"cascade-{component_of(peer)}"]
                expect(selects(peer["podSelector"], caller["spec"]["template"]["metadata"]["labels"])
                       and peer["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "cascade",
                       f"{name}: the {component_of(peer)} peer selects that Deployment's pods")
        metric_rules = rules_on(rules, metrics)
        expect(len(metric_rules) == 1 and len(metric_rules[0]["ports"]) == 1
               and any(component_of(p) == "helm-test" and selects(p["podSelector"], test_pod)
                       for p in metric_rules[0]["from"])
               and {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}},
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}
               in metric_rules[0]["from"] and len(metric_rules[0]["from"]) == 2,
               f"{name}: metrics ({metrics}) only from metricsFrom and the helm test pod")
        http = container_port(deployment, "http")
        if component == "orchestrator":
            door = rules_on(rules, http)
            expect(http == 8080 and len(door) == 1 and door[0].get("from") == [
                       {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
                   f"{name}: the front door ({http}) from networkPolicy.frontDoorFrom")
        covered = {grpc, metrics, http} - {None}
        expect(all(p.get("port") in covered for r in rules for p in r["ports"]) and
               len(rules) == len(rules_on(rules, grpc)) + len(metric_rules) + (component == "orchestrator"),
               f"{name}: no other port or rule is opened")
        # Egress: DNS, the gRPC ports of its callees, the extra rules.
        expect(spec["policyTypes"] == ["Ingress", "Egress"], f"{name}: egress restricted")
        egress = spec["egress"]
        expect(egress[0] == {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
               f"{name}: DNS (53, UDP and TCP) stays reachable")
        callees = {c for c, who in GRPC_CALLERS.items() if component in who}
        reached = {component_of(p) for r in rules_on(egress, grpc) for p in r.get("to", [])}
        expect(reached == callees, f"{name}: egress to the gRPC port of {sorted(callees)} only")
        expect(egress[-1]["ports"] == [{"port": 443, "protocol": "TCP"}]
               and egress[-1]["to"][0]["ipBlock"]["cidr"] == "0.0.0.0/0",
               f"{name}: networkPolicy.egress.extraRules come last")
    result = validate(ctx, rendered, ["NetworkPolicy", "Deployment", "Service"])
    print(result.stdout[-1500:], result.stderr)
    expect(result.returncode == 0, "every object with NetworkPolicies on is valid (schemas)")
    # Egress left alone by default; an empty frontDoorFrom lets anyone reach the front door.
    open_egress = objects(ctx, ctx.template("--set", "networkPolicy.enabled=true").stdout)
    orchestrator = find(open_egress, "NetworkPolicy", "cascade-orchestrator")["spec"]
    expect(all(find(open_egress, "NetworkPolicy", f"cascade-{c}")["spec"]["policyTypes"] == ["Ingress"]
               and "egress" not in find(open_egress, "NetworkPolicy", f"cascade-{c}")["spec"]
               for c in GRPC_COMPONENTS),
           "egress.restricted=false: policies cover ingress only (tiers reach their APIs)")
    expect(rules_on(orchestrator["ingress"], 8080) == [{"ports": [{"port": 8080, "protocol": "TCP"}]}],
           "an empty frontDoorFrom opens the front door to anyone")
    expect(not rules_on(orchestrator["ingress"], 50051),
           "an empty grpcFrom opens the orchestrator's gRPC to no one")
    expect_rejected(ctx, [
        (["--set", "networkPolicy.frontDoorFrom[0].podSelectr.a=b"], "podSelectr"),
        (["--set", "networkPolicy.egress.restrict=true"], "restrict"),
        (["--set", "networkPolicy.metricsFrom[0].ipBlock.except[0]=x"], "cidr"),
        (["--set", "networkPolicy.egress.extraRules[0].ports[0].protocol=HTTP"],
         "/networkPolicy/egress/extraRules/0/ports/0/protocol"),
        (["--set", "orchestrator.frontDoorService.typ=LoadBalancer"], "typ"),
        (["--set", "orchestrator.frontDoorService.type=Ingress"],
         "/orchestrator/frontDoorService/type"),
        (["--set", "tests.apiKeySecret.nam=x"], "nam"),
        (["--set", "inference.autoscaling.queueDepth.averagValue=4"], "averagValue"),
    ])
