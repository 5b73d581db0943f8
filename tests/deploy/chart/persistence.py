"""router.outcomes.persistence: the router's outcome exemplars (docs/learned-start.md) in a
file on a PersistentVolumeClaim the router pods mount, what the chart refuses around it, and
its keys in values.schema.json."""
import os

from .render import (DEFAULT_KINDS, EVERYTHING, config_of, expect, expect_rejected, find,
                     objects, pod_spec, server_container, validate)

ENABLED = ["--set", "router.outcomes.persistence.enabled=true"]
ONE_REPLICA = ENABLED + ["--set", "router.replicas=1"]
MOUNT = "/var/lib/cascade/outcomes"
FILE = f"{MOUNT}/outcomes.jsonl"
CLAIM = "cascade-router-outcomes"


def claims(objs):
    return [o for o in objs if o["kind"] == "PersistentVolumeClaim"]


def outcomes_volume(objs, component="router"):
    return [v for v in pod_spec(objs, component)["volumes"] if v["name"] == "outcomes"]


def outcomes_mount(objs, component="router"):
    return [m for m in server_container(objs, component).get("volumeMounts", [])
            if m["name"] == "outcomes"]


def refused(ctx, flags, named, what):
    result = ctx.template(*flags, check=False)
    print(result.stderr.strip()[-600:])
    expect(result.returncode != 0 and all(n in result.stderr for n in named), what)


def outcomes_persistence(ctx):
    # Off by default: memory only, nothing to mount.
    default = objects(ctx, ctx.template().stdout)
    expect(not claims(default), "by default no PersistentVolumeClaim is rendered")
    expect("outcomes_file" not in config_of(default, "router"),
           "by default the router's config has no outcomes_file (exemplars in memory)")
    expect(not outcomes_volume(default) and not outcomes_mount(default)
           and "fsGroupChangePolicy" not in pod_spec(default, "router")["securityContext"],
           "by default the router mounts no outcomes volume")

    # On, one replica, ReadWriteOnce: the chart's claim, mounted, the config pointing into it.
    objs = objects(ctx, ctx.template(*ONE_REPLICA).stdout)
    pvc = find(objs, "PersistentVolumeClaim", CLAIM)
    expect(pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
           and pvc["spec"]["resources"]["requests"]["storage"] == "1Gi"
           and "storageClassName" not in pvc["spec"]
           and pvc["metadata"]["labels"]["app.kubernetes.io/component"] == "router"
           and "annotations" not in pvc["metadata"],
           f"enabled: PVC {CLAIM} (ReadWriteOnce, 1Gi, the default StorageClass, deleted with "
           "the release)")
    expect(outcomes_volume(objs) == [{"name": "outcomes",
                                      "persistentVolumeClaim": {"claimName": CLAIM}}],
           "the router pod's volume `outcomes` is that claim")
    mount = outcomes_mount(objs)
    expect(len(mount) == 1 and mount[0]["mountPath"] == MOUNT and not mount[0].get("readOnly"),
           f"the router mounts it writable at {MOUNT}")
    config = config_of(objs, "router")
    expect(config.get("outcomes_file") == FILE and os.path.dirname(FILE) == MOUNT
           and config.get("routes_file") == "/etc/cascade/routes/routes.yaml"
           and config.get("default_threshold") == 0.4,
           f"the router's config sets outcomes_file: {FILE}, keeping the rest")
    security = pod_spec(objs, "router")["securityContext"]
    container = server_container(objs, "router")["securityContext"]
    expect(security.get("fsGroup") == 10001 and security.get("runAsUser") == 10001
           and security.get("runAsNonRoot") is True
           and security.get("fsGroupChangePolicy") == "OnRootMismatch"
           and container["readOnlyRootFilesystem"] is True,
           "the non-root server writes the volume through fsGroup 10001 (root stays read-only)")
    expect(find(objs, "Deployment", "cascade-router")["spec"].get("strategy") == {"type": "Recreate"},
           "one replica on a ReadWriteOnce claim: the router's strategy is Recreate")
    expect(not outcomes_volume(objs, "orchestrator")
           and "fsGroupChangePolicy" not in pod_spec(objs, "orchestrator")["securityContext"]
           and find(objs, "Deployment", "cascade-orchestrator")["spec"].get("strategy") is None,
           "other components are left alone")
    before = find(default, "Deployment", "cascade-router")["spec"]["template"]["metadata"]
    after = find(objs, "Deployment", "cascade-router")["spec"]["template"]["metadata"]
    expect(before["annotations"]["checksum/config"] != after["annotations"]["checksum/config"],
           "turning it on rolls the router pods (their config changed)")
    result = validate(ctx, ctx.render_to("outcomes.yaml", *ONE_REPLICA),
                      DEFAULT_KINDS + ["PersistentVolumeClaim"])
    print(result.stdout[-800:], result.stderr)
    expect(result.returncode == 0, "every object with outcomes persistence on is valid")

    # The claim's size and class; a strategy set by the user is kept.
    objs = objects(ctx, ctx.template(*ONE_REPLICA,
                                     "--set", "router.outcomes.persistence.size=5Gi",
                                     "--set", "router.outcomes.persistence.storageClassName=fast",
                                     "--set", "router.strategy.type=RollingUpdate").stdout)
    pvc = find(objs, "PersistentVolumeClaim", CLAIM)
    expect(pvc["spec"]["resources"]["requests"]["storage"] == "5Gi"
           and pvc["spec"].get("storageClassName") == "fast",
           "size and storageClassName reach the claim")
    expect(find(objs, "Deployment", "cascade-router")["spec"]["strategy"] == {"type": "RollingUpdate"},
           "a strategy the values set is kept")

    # fsGroup: podSecurityContext's, else runAsGroup, else none (the platform assigns one).
    objs = objects(ctx, ctx.template(*ONE_REPLICA, "--set", "podSecurityContext.fsGroup=null",
                                     "--set", "podSecurityContext.runAsGroup=2000").stdout)
    expect(pod_spec(objs, "router")["securityContext"].get("fsGroup") == 2000
           and "fsGroup" not in pod_spec(objs, "orchestrator")["securityContext"],
           "without podSecurityContext.fsGroup the router's fsGroup is its runAsGroup")
    objs = objects(ctx, ctx.template(*ONE_REPLICA, "--set", "podSecurityContext.fsGroup=null",
                                     "--set", "podSecurityContext.runAsGroup=null").stdout)
    security = pod_spec(objs, "router")["securityContext"]
    expect("fsGroup" not in security and "fsGroupChangePolicy" not in security,
           "without fsGroup and runAsGroup none is invented (e.g. OpenShift assigns it)")

    # existingClaim: mounted, none created.
    objs = objects(ctx, ctx.template(*ONE_REPLICA,
                                     "--set", "router.outcomes.persistence.existingClaim=shared-outcomes"
                                     ).stdout)
    expect(not claims(objs), "existingClaim: the chart creates no PersistentVolumeClaim")
    expect(outcomes_volume(objs) == [{"name": "outcomes",
                                      "persistentVolumeClaim": {"claimName": "shared-outcomes"}}]
           and config_of(objs, "router").get("outcomes_file") == FILE,
           "existingClaim: the router mounts it and writes outcomes_file on it")

    # Several replicas need ReadWriteMany.
    refused(ctx, ENABLED, ["router.outcomes.persistence", "2 router replicas (router.replicas)",
                           "ReadWriteOnce", "ReadWriteMany", "router.replicas=1"],
            "2 replicas on a ReadWriteOnce claim fail the render, saying ReadWriteMany or one replica")
    refused(ctx, ONE_REPLICA + ["--set", "router.autoscaling.enabled=true",
                                "--set", "router.autoscaling.maxReplicas=3"],
            ["3 router replicas (router.autoscaling.maxReplicas)", "ReadWriteMany"],
            "autoscaling up to 3 replicas on a ReadWriteOnce claim fails the render")
    refused(ctx, ENABLED + ["--set", "router.outcomes.persistence.existingClaim=c",
                            "--set", "router.outcomes.persistence.accessModes={ReadWriteOncePod}"],
            ["ReadWriteOncePod", "ReadWriteMany"],
            "an existing claim declared ReadWriteOncePod with 2 replicas fails the render")
    objs = objects(ctx, ctx.template(*ENABLED, "--set",
                                     "router.outcomes.persistence.accessModes={ReadWriteMany}"
                                     ).stdout)
    deployment = find(objs, "Deployment", "cascade-router")["spec"]
    expect(find(objs, "PersistentVolumeClaim", CLAIM)["spec"]["accessModes"] == ["ReadWriteMany"]
           and deployment["replicas"] == 2 and deployment.get("strategy") is None,
           "2 replicas share a ReadWriteMany claim, rolling updates as usual")

    # outcomes_file is the chart's once persistence is on; without it, the user's is kept.
    refused(ctx, ONE_REPLICA + ["--set", "router.config.outcomes_file=/data/outcomes.jsonl"],
            ["router.config.outcomes_file (/data/outcomes.jsonl)",
             "router.outcomes.persistence.enabled", "remove router.config.outcomes_file"],
            "router.config.outcomes_file with persistence on fails the render, naming both")
    objs = objects(ctx, ctx.template("--set", "router.config.outcomes_file=/data/outcomes.jsonl"
                                     ).stdout)
    expect(config_of(objs, "router").get("outcomes_file") == "/data/outcomes.jsonl"
           and not claims(objs) and not outcomes_volume(objs),
           "persistence off: router.config.outcomes_file is passed on as is (your own volume)")

    # ci/everything-values.yaml: a ReadWriteMany claim the autoscaled replicas share.
    objs = objects(ctx, ctx.template("-f", ctx.path(EVERYTHING)).stdout)
    pvc = find(objs, "PersistentVolumeClaim", CLAIM)
    expect(pvc["spec"]["accessModes"] == ["ReadWriteMany"]
           and pvc["spec"].get("storageClassName") == "nfs-client"
           and outcomes_mount(objs)[0]["mountPath"] == MOUNT
           and config_of(objs, "router").get("outcomes_file") == FILE,
           "everything-values: the autoscaled routers share a ReadWriteMany claim")


def outcomes_values_schema(ctx):
    accepted = ["router.outcomes.persistence.enabled=true", "router.replicas=1",
                "router.outcomes.persistence.existingClaim=c",
                "router.outcomes.persistence.size=512Mi",
                "router.outcomes.persistence.storageClassName=standard",
                "router.outcomes.persistence.accessModes={ReadWriteOncePod}"]
    result = ctx.template(*[f for v in accepted for f in ("--set", v)], check=False)
    print(result.stderr[-1000:])
    expect(result.returncode == 0, "the schema accepts every router.outcomes.persistence key")
    expect_rejected(ctx, [
        (["--set", "router.outcomes.persistence.enabeld=true"], "'enabeld'"),
        (["--set", "router.outcomes.persistence.existingclaim=c"], "'existingclaim'"),
        (["--set", "router.outcomes.persistence.storageClass=fast"], "'storageClass'"),
        (["--set", "router.outcomes.persistence.accessMode={ReadWriteMany}"], "'accessMode'"),
        (["--set", "router.outcomes.persistance.enabled=true"], "'persistance'"),
        (["--set", "router.outcome.persistence.enabled=true"], "'outcome'"),
        (["--set", "router.outcomes.persistence.enabled=yes"],
         "/router/outcomes/persistence/enabled"),
        (["--set", "router.outcomes.persistence.accessModes={ReadOnlyMany}"],
         "/router/outcomes/persistence/accessModes/0"),
        (["--set", "router.outcomes.persistence.size=lots"], "/router/outcomes/persistence/size"),
    ])
