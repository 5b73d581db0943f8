"""helm lint and values.schema.json: the values files lint and render, values are accepted,
typos and wrong types are rejected, naming what is wrong."""
from .render import (CHART, EVERYTHING, EVERYTHING_KINDS, MODEL_FETCH, expect, expect_rejected,
                     run)

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
    expect_rejected(ctx, cases)
    # A free-form config block is the server's to check, not the schema's.
    result = ctx.template("--set", "router.config.some_future_field=1", check=False)
    expect(result.returncode == 0, "a component's config: block takes any key (the server checks it)")


def new_values_schema(ctx):
    """Every value of this section is accepted by values.schema.json; typos are rejected."""
    accepted = [
        "grpc.maxConnectionAgeSeconds=60", "grpc.maxConnectionAgeGraceSeconds=0",
        "podLabels.a=b", "podAnnotations.a=b", "runtimeClassName=gvisor",
        "priorityClassName=high", "serviceAccount.create=true", "serviceAccount.name=sa",
        "serviceAccount.annotations.a=b", "serviceAccount.automountServiceAccountToken=true",
        "strategy.type=RollingUpdate", "strategy.rollingUpdate.maxSurge=25%",
        "strategy.rollingUpdate.maxUnavailable=0", "lifecycle.preStop.exec.command[0]=true",
        "initContainers[0].name=init", "initContainers[0].image=busybox",
        "extraVolumes[0].name=v", "extraVolumes[0].emptyDir.medium=Memory",
        "extraVolumeMounts[0].name=v", "extraVolumeMounts[0].mountPath=/v",
        "extraEnv[0].name=A", "extraEnv[0].value=1", "envFrom[0].configMapRef.name=c",
        "topologySpreadConstraints[0].maxSkew=1",
        "topologySpreadConstraints[0].topologyKey=kubernetes.io/hostname",
        "topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway",
        "probes.startup.initialDelaySeconds=1", "probes.liveness.timeoutSeconds=2",
        "router.routes.existingConfigMap=routes", "orchestrator.policiesFile.existingConfigMap=p",
        "inference.modelVolume.enabled=true", "inference.modelVolume.emptyDir.sizeLimit=1Gi",
        "extraTierWorkers[0].name=xl", "extraTierWorkers[0].before=small",
        "extraTierWorkers[0].accept.judge.min=0.5", "tierWorkers[0].name=small",
        "tierWorkers[0].accept.self_check.min=0.9",
    ]
    for component in ["router", "orchestrator", "judge", "inference", "tierWorkerDefaults",
                      "tierWorkers[0]", "extraTierWorkers[0]"]:
        accepted += [f"{component}.{v}" for v in [
            "podLabels.a=b", "runtimeClassName=r", "priorityClassName=p",
            "serviceAccount.create=true", "strategy.type=Recreate",
            "lifecycle.postStart.exec.command[0]=true", "probes.startup.failureThreshold=9",
            "initContainers[0].name=i", "extraVolumes[0].name=v",
            "extraVolumeMounts[0].name=v", "extraVolumeMounts[0].mountPath=/v",
            "envFrom[0].secretRef.name=s", "topologySpreadConstraints[0].maxSkew=2",
            "topologySpreadConstraints[0].topologyKey=zone",
            "topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule"]]
    flags = [f for value in accepted for f in ("--set", value)]
    result = ctx.template(*flags, check=False)
    print(result.stderr[-2000:])
    expect(result.returncode == 0, f"the schema accepts all {len(accepted)} new values")
    for path in [EVERYTHING, MODEL_FETCH]:
        expect(ctx.template("-f", ctx.path(path), check=False).returncode == 0,
               f"{path} is accepted")
    typos = [
        (["--set", "grpc.maxConnectionAge=300"], "maxConnectionAge"),
        (["--set", "grpc.maxConnectionAgeSeconds=-1"], "/grpc/maxConnectionAgeSeconds"),
        (["--set", "serviceAccount.creat=true"], "creat"),
        (["--set", "router.serviceAccount.automount=true"], "automount"),
        (["--set", "inference.probes.startup.failureTreshold=9"], "failureTreshold"),
        (["--set", "probes.readyness.periodSeconds=1"], "readyness"),
        (["--set", "strategy.type=Rolling"], "/strategy/type"),
        (["--set", "orchestrator.lifecycle.preStpo.exec.command[0]=x"], "preStpo"),
        (["--set", "router.routes.existingConfigMpa=x"], "existingConfigMpa"),
        (["--set", "orchestrator.policiesFile.existingConfigmap=x"], "existingConfigmap"),
        (["--set", "inference.modelVolume.emptyDir.sizeLimt=1Gi"], "sizeLimt"),
        (["--set", "extraTierWorkers[0].name=xl", "--set", "extraTierWorkers[0].befor=large"],
         "befor"),
        (["--set", "extraTierWorker[0].name=xl"], "extraTierWorker"),
        (["--set", "extraVolumeMounts[0].name=v"], "mountPath"),
        (["--set", "topologySpreadConstraints[0].maxSkew=1"], "topologyKey"),
        (["--set", "judge.podLabel.a=b"], "podLabel"),
        (["--set", "tierWorkerDefaults.envfrom[0].secretRef.name=s"], "envfrom"),
    ]
    expect_rejected(ctx, typos)
