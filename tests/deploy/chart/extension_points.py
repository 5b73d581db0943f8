"""Extension points: chart-wide and per-component additions reach the Deployments, the
model-fetch example, and existing ConfigMaps mounted instead of the chart's."""
import json

from .render import (DEFAULT_KINDS, EVERYTHING, MODEL_FETCH, config_of, expect, find, objects,
                     pod_spec, validate)

def extension_points(ctx):
    """Chart-wide and per-component extension points reach the rendered Deployments."""
    objs = objects(ctx, ctx.template("-f", ctx.path(EVERYTHING)).stdout)
    inference, orchestrator = pod_spec(objs, "inference"), pod_spec(objs, "orchestrator")
    router = pod_spec(objs, "router")
    expect([c["name"] for c in inference["initContainers"]] == ["wait-for-dns", "check-models"],
           "initContainers: the chart-wide one, then the component's")
    expect(all(c["securityContext"]["readOnlyRootFilesystem"] for c in inference["initContainers"]),
           "an init container without a securityContext gets the chart's")
    volumes = {v["name"] for v in orchestrator["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in orchestrator["containers"][0]["volumeMounts"]}
    expect({"ca-bundle", "decisions"} <= volumes
           and mounts.get("ca-bundle") == "/etc/ssl/corporate"
           and mounts.get("decisions") == "/var/log/cascade",
           "extraVolumes and extraVolumeMounts: chart-wide and the component's")
    env = orchestrator["containers"][0]["env"]
    expect([e for e in env if e["name"] == "CASCADE_EXTRA"] == [{"name": "CASCADE_EXTRA", "value": "1"}]
           and {"name": "SSL_CERT_DIR", "value": "/etc/ssl/corporate"} in env,
           "extraEnv reaches every server; a component's env of the same name replaces it")
    expect(orchestrator["containers"][0]["envFrom"] == [
               {"configMapRef": {"name": "cascade-common-env"}},
               {"secretRef": {"name": "orchestrator-extra"}}],
           "envFrom: chart-wide, then the component's")
    expect(router["serviceAccountName"] == "cascade-router"
           and find(objs, "ServiceAccount", "cascade-router")["metadata"]["annotations"]
           == {"example.com/role": "cascade-router"},
           "a component's serviceAccount.create makes and uses its own account")
    expect(orchestrator["serviceAccountName"] == "cascade"
           and find(objs, "ServiceAccount", "cascade")["automountServiceAccountToken"] is False
           and orchestrator["automountServiceAccountToken"] is False,
           "serviceAccount.create makes the release's account, no token mounted")
    expect(inference["serviceAccountName"] == "model-reader"
           and inference["automountServiceAccountToken"] is True,
           "a component may name an existing account and ask for its token")
    expect(orchestrator.get("runtimeClassName") == "gvisor"
           and inference.get("runtimeClassName") == "nvidia"
           and orchestrator.get("priorityClassName") == "cascade-standard"
           and inference.get("priorityClassName") == "cascade-gpu"
           and pod_spec(objs, "tier-medium").get("priorityClassName") == "cascade-high",
           "runtimeClassName and priorityClassName: chart-wide, replaced per component")
    spread = orchestrator["topologySpreadConstraints"]
    expect([c["topologyKey"] for c in spread] == ["topology.kubernetes.io/zone",
                                                   "kubernetes.io/hostname"]
           and all(c["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == "orchestrator"
                   for c in spread),
           "topologySpreadConstraints extend; without a labelSelector they spread the component")
    template = find(objs, "Deployment", "cascade-router")["spec"]["template"]["metadata"]
    expect(template["labels"].get("cost-center") == "llm" and template["labels"].get("tier") == "edge"
           and template["annotations"].get("example.com/owner") == "platform"
           and "checksum/config" in template["annotations"],
           "podLabels and podAnnotations: chart-wide merged with the component's")
    expect(find(objs, "Deployment", "cascade-inference")["spec"]["strategy"] == {"type": "Recreate"}
           and find(objs, "Deployment", "cascade-router")["spec"]["strategy"]["rollingUpdate"]
           == {"maxSurge": 1, "maxUnavailable": 0},
           "strategy: chart-wide, replaced per component")
    expect(orchestrator["containers"][0]["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "2"]
           and router["containers"][0]["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "1"],
           "lifecycle: chart-wide, replaced per component")
    readiness = router["containers"][0]["readinessProbe"]
    expect(readiness["periodSeconds"] == 3 and readiness["timeoutSeconds"] == 2
           and readiness["failureThreshold"] == 2 and readiness["httpGet"]["path"] == "/readyz",
           "a component's probes override the chart's key by key")
    default = objects(ctx, ctx.template().stdout)
    startup = pod_spec(default, "inference")["containers"][0]["startupProbe"]
    others = pod_spec(default, "router")["containers"][0]["startupProbe"]
    expect(startup["periodSeconds"] * startup["failureThreshold"] >= 600
           and others["periodSeconds"] * others["failureThreshold"] == 120,
           "inference's default startup budget is 10 minutes (model loading), others' 120 s")
    pod = pod_spec(default, "router")
    expect(pod["automountServiceAccountToken"] is False and "serviceAccountName" not in pod
           and not any(o["kind"] == "ServiceAccount" for o in default),
           "by default: no ServiceAccount, no API token in the pods")
    # The model-fetch pattern: an init container fills an emptyDir the server reads.
    fetch = objects(ctx, ctx.template("-f", ctx.path(MODEL_FETCH)).stdout)
    spec = pod_spec(fetch, "inference")
    models = [v for v in spec["volumes"] if v["name"] == "models"][0]
    init_mount = [m for m in spec["initContainers"][0]["volumeMounts"] if m["name"] == "models"][0]
    server_mount = [m for m in spec["containers"][0]["volumeMounts"] if m["name"] == "models"][0]
    expect(models == {"name": "models", "emptyDir": {"sizeLimit": "8Gi"}}
           and not init_mount.get("readOnly") and server_mount["readOnly"]
           and server_mount["mountPath"] == "/models"
           and "/models/bard-target-3m.gguf" in json.dumps(config_of(fetch, "inference")),
           "model fetch: the init container writes the emptyDir the server mounts read-only")
    result = validate(ctx, ctx.render_to("model-fetch.yaml", "-f", ctx.path(MODEL_FETCH)),
                      DEFAULT_KINDS)
    print(result.stdout[-1500:], result.stderr)
    expect(result.returncode == 0, "every object of ci/model-fetch-values.yaml is valid")


def existing_config_maps(ctx):
    """routes / policiesFile existingConfigMap: the named ConfigMap is mounted instead."""
    objs = objects(ctx, ctx.template("--set", "router.routes.existingConfigMap=my-routes",
                                     "--set", "orchestrator.policiesFile.existingConfigMap=my-policies"
                                     ).stdout)
    for component, file, configmap in [("router", "routes", "my-routes"),
                                       ("orchestrator", "policies", "my-policies")]:
        spec = pod_spec(objs, component)
        volume = [v for v in spec["volumes"] if v["name"] == file][0]
        mount = [m for m in spec["containers"][0]["volumeMounts"] if m["name"] == file][0]
        expect(volume["configMap"]["name"] == configmap and mount["mountPath"] == f"/etc/cascade/{file}",
               f"{component} mounts the existing ConfigMap {configmap} at /etc/cascade/{file}")
        expect(not any(o["kind"] == "ConfigMap" and o["metadata"]["name"] == f"cascade-{component}-{file}"
                       for o in objs), f"the chart renders no {file} ConfigMap of its own")
    router, orchestrator = config_of(objs, "router"), config_of(objs, "orchestrator")
    expect(router["routes_file"] == "/etc/cascade/routes/routes.yaml"
           and orchestrator["policies_file"] == "/etc/cascade/policies/policies.yaml"
           and "policies" not in orchestrator and "default_policy" not in orchestrator,
           "the configs read routes.yaml and policies.yaml from those mounts, no inline policies")
    result = ctx.template("--set", "orchestrator.policiesFile.existingConfigMap=my-policies",
                          "--set", "orchestrator.policiesFile.default_policy=x", check=False)
    expect(result.returncode != 0 and "set existingConfigMap (my-policies) or the policies"
           in result.stderr, "existingConfigMap and inline policies together are refused")
    result = validate(ctx, ctx.render_to("existing.yaml",
                                         "--set", "router.routes.existingConfigMap=my-routes",
                                         "--set", "orchestrator.policiesFile.existingConfigMap=p"),
                      DEFAULT_KINDS)
    expect(result.returncode == 0, "every object with existing ConfigMaps is valid")
