"""What the chart writes into the servers' configs and pods itself: addresses, ports, drain
delays, the policies file, TLS, security contexts, probes and the GPU asks."""
import re

from .render import EVERYTHING, checksums, expect, section

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
    for line in ["http_listen: 0.0.0.0:8080", "address: dns:///cascade-router-grpc:50051",
                 "address: dns:///cascade-tier-small-grpc:50051",
                 "address: dns:///cascade-tier-large-grpc:50051"]:
        expect(line in orchestrator, f"orchestrator config.yaml holds {line!r}")
    expect(orchestrator.index("tier-small") < orchestrator.index("tier-large"),
           "the orchestrator's tiers keep the climbing order of tierWorkers")
    small = section(rendered, "cascade-tier-small-config")
    expect("tier: small" in small and "address: dns:///cascade-inference-grpc:50051" in small,
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
    expect("policies_file" not in section(default, "cascade-orchestrator-config")
           and "cascade-orchestrator-policies" not in default,
           "without policiesFile the config's own policies stay, and no ConfigMap is made")
    result = ctx.template("--set", "orchestrator.policiesFile.polices[0].name=x", check=False)
    expect(result.returncode != 0 and "polices" in result.stderr,
           "a typo in policiesFile is rejected by values.schema.json")


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
    client_tls = (r"address: dns:///cascade-tier-small-grpc:50051\n +tls:\n"
                  r" +ca_file: /etc/cascade/tls/ca.crt\n +cert_file: /etc/cascade/tls/tls.crt"
                  r"\n +key_file: /etc/cascade/tls/tls.key\n +server_name: cascade-tier-small\n")
    expect(len(re.findall(r"\n +ca_file: /etc/cascade/tls/ca.crt", orchestrator)) >= 3,
           "the orchestrator's router, judge and tier endpoints trust ca.crt")
    expect(re.search(client_tls, orchestrator), "the orchestrator presents tls.crt to its tiers")
    cpu = ctx.template().stdout
    expect("tls:" not in section(cpu, "cascade-router-config"),
           "without tls.enabled the servers stay plaintext")
    expect("nvidia.com/gpu" not in cpu, "without gpu.enabled nothing asks for a GPU")
    expect("secretKeyRef:\n                  name: llm-api-keys\n                  key: openai" in rendered,
           "API keys come from existing Secrets")
