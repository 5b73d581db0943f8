"""Load balancing and tiers: headless gRPC Services and dns:/// addresses, max connection
age, tiers added by one entry, and policies checked against the deployed tiers."""
import re

from .render import (DEFAULT_KINDS, EVERYTHING, GRPC_COMPONENTS, config_of, expect, find, objects,
                     validate)

def client_configs(config):
    """Every ClientConfig (a dict with `address`) anywhere in a config, with its path."""
    found = []

    def walk(node, path):
        if isinstance(node, dict):
            if "address" in node:
                found.append((path, node))
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")
    walk(config, "")
    return found


def load_balancing(ctx):
    """Headless gRPC Services, dns:/// addresses, max connection age, server_name under TLS."""
    objs = objects(ctx, ctx.template().stdout)
    for component in GRPC_COMPONENTS:
        name = f"cascade-{component}"
        headless = find(objs, "Service", f"{name}-grpc")
        deployment = find(objs, "Deployment", name)
        expect(headless["spec"].get("clusterIP") == "None"
               and [p["name"] for p in headless["spec"]["ports"]] == ["grpc"]
               and headless["spec"]["ports"][0]["port"] == 50051
               and headless["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"],
               f"{name}-grpc: headless (clusterIP None), the gRPC port only, the pods' selector")
        find(objs, "Service", name)  # the ordinary Service stays
        server = config_of(objs, component)["server"]
        expect(server.get("max_connection_age") == "300s"
               and server.get("max_connection_age_grace") == "600s",
               f"{component}: server.max_connection_age 300s, grace 600s (grpc.* defaults)")
    addresses = []
    for component in GRPC_COMPONENTS:
        addresses += [(component, path, c["address"])
                      for path, c in client_configs(config_of(objs, component))]
    expect(len(addresses) >= 4, f"the chart fills in {len(addresses)} addresses")
    for component, path, address in addresses:
        expect(re.fullmatch(r"dns:///cascade-[a-z-]+-grpc:50051", address or ""),
               f"{component}{path}: {address} is a dns:/// target of a headless Service")
        expect(find(objs, "Service", address[len("dns:///"):-len(":50051")])["spec"]["clusterIP"]
               == "None", f"{component}{path}: its Service is rendered and headless")
    # Tunable, 0 turns it off, and a component's config.server keeps its own.
    tuned = objects(ctx, ctx.template("--set", "grpc.maxConnectionAgeSeconds=0",
                                      "--set", "grpc.maxConnectionAgeGraceSeconds=45",
                                      "--set", "inference.config.server.max_connection_age=1h"
                                      ).stdout)
    router = config_of(tuned, "router")["server"]
    expect(router["max_connection_age"] == "0s" and router["max_connection_age_grace"] == "45s",
           "grpc.maxConnectionAge(Grace)Seconds reach every server (0 -> 0s: no limit)")
    expect(config_of(tuned, "inference")["server"]["max_connection_age"] == "1h",
           "a component's config.server.max_connection_age overrides the chart's")
    # TLS: the certificate names the component's Service, not the headless name.
    tls = objects(ctx, ctx.template("-f", ctx.path(EVERYTHING)).stdout)
    checked = 0
    for component in ["orchestrator", "tier-small", "tier-medium"]:
        for path, client in client_configs(config_of(tls, component)):
            service = client["address"][len("dns:///"):-len("-grpc:50051")]
            expect(client.get("tls", {}).get("server_name") == service
                   and find(tls, "Service", service)["spec"].get("clusterIP") != "None",
                   f"{component}{path}: tls.server_name {service} (the Service the "
                   "certificate names)")
            checked += 1
    expect(checked >= 5, f"{checked} TLS client configs carry server_name")
    plain = config_of(objs, "orchestrator")["router"]
    expect("tls" not in plain, "without tls.enabled no server_name (no tls block) is set")


def tiers_added_by_one_entry(ctx):
    """extraTierWorkers: one entry per new tier, deployed, reachable, in the policies."""
    add = ctx.write("add-tiers.yaml", """
extraTierWorkers:
  - name: medium
    before: large
    accept: {self_check: {min: 0.85}}
    config:
      inference: {model: bard-target}
      price: {input_usd_per_mtok: 0.2, output_usd_per_mtok: 0.6}
  - name: xl
    config:
      openai: {base_url: https://api.example.com/v1, model: big, api_key_env: XL_KEY}
      price: {input_usd_per_mtok: 5, output_usd_per_mtok: 15}
""")
    objs = objects(ctx, ctx.template("-f", add).stdout)
    for tier in ["small", "medium", "large", "xl"]:
        find(objs, "Deployment", f"cascade-tier-{tier}")
        expect(find(objs, "Service", f"cascade-tier-{tier}-grpc")["spec"]["clusterIP"] == "None",
               f"tier {tier}: a Deployment and a headless gRPC Service")
        expect(config_of(objs, f"tier-{tier}")["tier"] == tier, f"tier {tier}: its config names it")
    orchestrator = config_of(objs, "orchestrator")
    expect([t["name"] for t in orchestrator["tiers"]] == ["small", "medium", "large", "xl"],
           "the orchestrator's tiers: small, medium (before: large), large, xl (on top)")
    expect(orchestrator["tiers"][1]["endpoint"]["address"] == "dns:///cascade-tier-medium-grpc:50051",
           "the orchestrator reaches a new tier through its headless Service")
    default = orchestrator["policies"][0]
    expect(default["name"] == "default"
           and [r["tier"] for r in default["tiers"]] == ["small", "medium", "large", "xl"],
           "the default policy (no tiers listed) climbs every tier, the new ones included")
    rungs = {r["tier"]: r.get("accept") for r in default["tiers"]}
    expect(rungs["medium"] == {"self_check": {"min": 0.85}}
           and rungs["small"]["logprob"]["min"] == -1 and rungs["large"] is not None
           and rungs["xl"] is None,
           "each rung is judged by its tier worker's accept:, the top one always accepts")
    helm_test = find(objs, "Pod", "cascade-helm-test")
    components = [e["value"] for e in helm_test["spec"]["containers"][0]["env"]
                  if e["name"] == "CASCADE_COMPONENTS"][0]
    expect("tier-medium=" in components and "tier-xl=" in components,
           "the helm test checks the added tiers too")
    # A policy listing tiers may name the new ones.
    policy = ctx.write("policy.yaml", """
orchestrator:
  config:
    policies:
      - name: quality
        tiers:
          - {tier: medium, accept: {logprob: {aggregate: p10, min: -0.5}}}
          - {tier: xl}
""")
    named = config_of(objects(ctx, ctx.template("-f", add, "-f", policy).stdout), "orchestrator")
    expect([r["tier"] for r in named["policies"][0]["tiers"]] == ["medium", "xl"],
           "a policy that lists tiers can name the added ones")
    # Mistakes fail the render, naming what is wrong.
    for flags, message in [
        (["--set", "extraTierWorkers[0].name=large"], 'tier "large" is already a tier worker'),
        (["--set", "extraTierWorkers[0].name=x", "--set", "extraTierWorkers[0].before=huge"],
         'before: "huge" is not a tier worker'),
    ]:
        result = ctx.template(*flags, check=False)
        expect(result.returncode != 0 and message in result.stderr,
               f"{' '.join(flags)} fails: {message}")
    result = validate(ctx, ctx.render_to("added.yaml", "-f", add), DEFAULT_KINDS)
    print(result.stdout[-1500:], result.stderr)
    expect(result.returncode == 0, "every object with the added tiers is valid")


def policy_tier_mismatch_fails(ctx):
    """A policy naming a tier that is not deployed fails helm template, naming both."""
    inline = ["--set", "orchestrator.config.policies[0].name=cheap",
              "--set", "orchestrator.config.policies[0].tiers[0].tier=small",
              "--set", "orchestrator.config.policies[0].tiers[1].tier=huge"]
    result = ctx.template(*inline, check=False)
    expect(result.returncode != 0 and 'policy "cheap" names tier "huge"' in result.stderr
           and "not a deployed tier worker (deployed tiers: small, large)" in result.stderr
           and "orchestrator.config.policies" in result.stderr,
           "an inline policy naming an unknown tier fails, naming the policy, the tier and "
           "the deployed tiers")
    # policiesFile is checked the same way; a disabled tier is not deployed.
    result = ctx.template("-f", ctx.path(EVERYTHING), "--set", "tierWorkers[1].enabled=false",
                          check=False)
    expect(result.returncode != 0 and "orchestrator.policiesFile" in result.stderr
           and 'policy "fitted" names tier "medium"' in result.stderr,
           "a policiesFile policy naming a disabled tier fails, naming both")
    ok = ctx.template("-f", ctx.path(EVERYTHING), check=False)
    expect(ok.returncode == 0, "the same file renders while the tier is deployed")
    # Not checked where the chart cannot know: external tiers, an existing ConfigMap.
    external = ctx.template(*inline, "--set", "orchestrator.config.tiers[0].name=huge",
                            "--set", "orchestrator.config.tiers[0].endpoint.address=dns:///x:1",
                            "--set", "orchestrator.config.tiers[1].name=small",
                            "--set", "orchestrator.config.tiers[1].endpoint.address=dns:///y:1",
                            check=False)
    expect(external.returncode == 0, "with config.tiers (external tiers) policies are not checked")
    # (--set on a list index replaces the list: this leaves one tier worker, disabled.)
    no_tiers = ["--set", "tierWorkers[0].name=small", "--set", "tierWorkers[0].enabled=false"]
    result = ctx.template(*no_tiers, check=False)
    expect(result.returncode != 0 and 'policy "default" lists no tiers' in result.stderr,
           "a policy without tiers and no enabled tier worker fails")
    existing = ctx.template("--set", "orchestrator.policiesFile.existingConfigMap=fitted",
                            *no_tiers, check=False)
    expect(existing.returncode == 0, "with policiesFile.existingConfigMap nothing is checked")
