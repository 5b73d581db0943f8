"""values-gpu.yaml: the CUDA image, one GPU, the NVIDIA runtime, F16 models made on the model
volume, and the queue-depth autoscaler."""
import re

from .render import (CHART, DEFAULT_KINDS, EVERYTHING, config_of, expect, find, objects,
                     pod_spec, run, server_container, validate)

GPU_VALUES = "deploy/helm/cascade/values-gpu.yaml"


def cuda_models_problems(config, volume_path):
    """Why a model of an inference config cannot run on the GPU, if it names device: cuda."""
    problems = []
    for model in config["models"]:
        if model.get("device") != "cuda":
            continue
        path = model["path"]
        if path.startswith("/opt/cascade/models/"):
            problems.append(f"{model['name']}: {path} is a bundled F32 file")
        elif not (volume_path and path.startswith(volume_path.rstrip("/") + "/")):
            problems.append(f"{model['name']}: {path} is not on the model volume")
        elif not re.search(r"(f16|q8_0)\.gguf$", path, re.I):
            problems.append(f"{model['name']}: {path} is not named as F16 or Q8_0")
    return problems


def gpu_values(ctx):
    """values-gpu.yaml: renders, lints, validates; the CUDA image, one GPU, the NVIDIA
    runtime, F16 files made on the model volume, and the queue autoscaler when switched on."""
    gpu = ctx.path(GPU_VALUES)
    out = run([ctx.helm, "lint", "--strict", ctx.path(CHART), "-f", gpu]).stdout
    expect("0 chart(s) failed" in out, "helm lint --strict passes with values-gpu.yaml")
    rendered = ctx.render_to("gpu.yaml", "-f", gpu, "--set", "inference.autoscaling.enabled=true")
    result = validate(ctx, rendered, DEFAULT_KINDS + ["HorizontalPodAutoscaler"])
    print(result.stdout[-1500:], result.stderr)
    expect(result.returncode == 0, "every object rendered with values-gpu.yaml is valid")
    objs = objects(ctx, open(rendered).read())
    spec = pod_spec(objs, "inference")
    server = spec["containers"][0]
    deployment = find(objs, "Deployment", "cascade-inference")
    expect(server["image"].endswith(":0.1.0-cuda"), f"inference runs the CUDA image ({server['image']})")
    expect(all(not c["image"].endswith("-cuda") and "nvidia.com/gpu" not in str(c.get("resources"))
               for o in objs if o["kind"] == "Deployment" and o is not deployment
               for c in o["spec"]["template"]["spec"]["containers"]),
           "the other components keep the CPU image and ask for no GPU")
    expect(server["resources"]["limits"].get("nvidia.com/gpu") == 1,
           "inference asks for one nvidia.com/gpu")
    expect({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"],
           "inference tolerates the nvidia.com/gpu taint")
    expect(spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}, "inference runs on GPU nodes")
    expect(spec.get("runtimeClassName") == "nvidia", "inference runs under the nvidia RuntimeClass")
    strategy = deployment["spec"].get("strategy", {})
    expect(strategy == {"type": "Recreate"}
           or strategy.get("rollingUpdate", {}).get("maxSurge") in (0, "0", "0%"),
           "no surge pod waits for a GPU the old pod holds (Recreate or maxSurge 0)")
    config = config_of(objs, "inference")
    volume = next(v for v in spec["volumes"] if v["name"] == "models")
    mount = next(m for m in server["volumeMounts"] if m["name"] == "models")
    cuda = [m for m in config["models"] if m.get("device") == "cuda"]
    expect(cuda and not cuda_models_problems(config, mount["mountPath"]),
           f"the cuda models ({', '.join(m['name'] for m in cuda)}) are F16 files on the model "
           f"volume ({cuda_models_problems(config, mount['mountPath'])})")
    init = spec["initContainers"]
    made = " ".join(" ".join(c.get("command", []) + c.get("args", [])) for c in init)
    expect("emptyDir" in volume and all(
               m["path"] in made and "cascade-quantize" in made and "--type f16" in made
               for m in cuda)
           and all(any(v["name"] == "models" and not v.get("readOnly") for v in c["volumeMounts"])
                   for c in init if "cascade-quantize" in " ".join(c.get("command", []) + c.get("args", []))),
           "an init container makes them with cascade-quantize --type f16 on the volume")
    expect(all(c["image"] == server["image"] for c in init),
           "the init container runs the server's image (it holds cascade-quantize and the F32 files)")
    hpa = find(objs, "HorizontalPodAutoscaler", "cascade-inference")["spec"]
    expect(hpa["metrics"] == [{"type": "Pods", "pods": {
               "metric": {"name": "cascade_inference_queue_depth"},
               "target": {"type": "AverageValue", "averageValue": "4"}}}],
           "autoscaling on: the HPA scales on cascade_inference_queue_depth per pod, not CPU")
    off = objects(ctx, ctx.template("-f", gpu).stdout)
    expect(not [o for o in off if o["kind"] == "HorizontalPodAutoscaler"],
           "values-gpu.yaml leaves the autoscaler off")
    result = ctx.template("-f", gpu, "--set", "inference.autoscaling.enabled=true",
                          "--set", "inference.autoscaling.queueDepth.enabled=false", check=False)
    expect(result.returncode != 0 and "queueDepth" in result.stderr,
           "an autoscaler with neither CPU nor queue depth fails the render")
    # The same rule for the other values files that put models on a GPU.
    everything = objects(ctx, ctx.template("-f", ctx.path(EVERYTHING)).stdout)
    mount = next(m for m in server_container(everything, "inference")["volumeMounts"]
                 if m["name"] == "models")
    problems = cuda_models_problems(config_of(everything, "inference"), mount["mountPath"])
    expect(not problems, f"ci/everything-values.yaml: cuda models on the model volume ({problems})")
    bad = cuda_models_problems({"models": [{"name": "t", "device": "cuda",
                                            "path": "/opt/cascade/models/bard-target-3m.gguf"}]}, "/models")
    expect(bad, "the rule catches device: cuda on a bundled F32 file")
