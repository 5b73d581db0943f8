"""Rendering the chart and reading what it renders: the values files, the Context each
check gets (Helm, npm's node_modules, a work directory), the render parsed into objects,
and the tools the checks run (helm, node scripts, promtool)."""
import json
import os
import re
import subprocess

CHART = "deploy/helm/cascade"
EVERYTHING = "deploy/helm/cascade/ci/everything-values.yaml"
MODEL_FETCH = "deploy/helm/cascade/ci/model-fetch-values.yaml"
# Objects each values file must render (so a switch that renders nothing fails too).
DEFAULT_KINDS = ["ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "Pod"]
EVERYTHING_KINDS = DEFAULT_KINDS + ["HorizontalPodAutoscaler", "Ingress", "ServiceMonitor",
                                    "PrometheusRule", "ServiceAccount", "NetworkPolicy",
                                    "PersistentVolumeClaim"]
# Every component with a gRPC server, by object suffix, in the default values.
GRPC_COMPONENTS = ["router", "orchestrator", "tier-small", "tier-large", "inference"]


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
        return self.write(name, self.template(*extra).stdout)

    def write(self, name, text):
        """Writes text to a file of the work directory; its path."""
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(text)
        return path


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


def expect_rejected(ctx, cases):
    """Each case, (flags, what the error must name), fails the render against the schema."""
    for flags, named in cases:
        result = ctx.template(*flags, check=False)
        expect(result.returncode != 0 and named in result.stderr,
               f"{' '.join(flags)} is rejected by values.schema.json, naming {named!r}")


def section(rendered, name_suffix):
    for document in rendered.split("\n---"):
        if re.search(rf"^  name: \S*{re.escape(name_suffix)}$", document, re.M):
            return document
    raise SystemExit(f"FAIL: no object named *{name_suffix} rendered")


def checksums(rendered):
    return re.findall(r"checksum/config: (\S+)", rendered)


def objects(ctx, rendered):
    """The objects of a render as dicts (parsed by npm yaml; this file stays stdlib only)."""
    return parse_objects(ctx.node_modules, ctx.write("objects.yaml", rendered))


def parse_objects(node_modules, path):
    """The objects of the rendered file at `path` as dicts, with npm's yaml under
    `node_modules`; a ConfigMap's YAML files are parsed too, under `parsed`."""
    script = ("import {readFileSync} from 'node:fs'; import {pathToFileURL} from 'node:url';"
              "const [m, f] = process.argv.slice(1);"
              "const Y = await import(pathToFileURL(m + '/yaml/dist/index.js').href);"
              "const objs = Y.parseAllDocuments(readFileSync(f, 'utf8')).map(d => d.toJS())"
              ".filter(o => o);"
              "for (const o of objs) if (o.kind === 'ConfigMap') o.parsed = Object.fromEntries("
              "Object.entries(o.data ?? {}).filter(([k]) => k.endsWith('.yaml'))"
              ".map(([k, v]) => [k, Y.parse(v)]));"
              "process.stdout.write(JSON.stringify(objs));")
    return json.loads(run(["node", "--input-type=module", "-e", script, node_modules,
                           path]).stdout)


def find(objs, kind, name):
    matches = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    if len(matches) != 1:
        raise SystemExit(f"FAIL: expected one {kind} {name}, found {len(matches)}")
    return matches[0]


def config_of(objs, component):
    """A component's rendered config.yaml as a dict (objects() parses it)."""
    return find(objs, "ConfigMap", f"cascade-{component}-config")["parsed"]["config.yaml"]


def pod_spec(objs, component):
    return find(objs, "Deployment", f"cascade-{component}")["spec"]["template"]["spec"]


def server_container(objs, component):
    return pod_spec(objs, component)["containers"][0]


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def validate(ctx, rendered, kinds):
    result = run(["node", ctx.path("tests/deploy/validate_k8s.mjs"), ctx.node_modules, rendered,
                  *kinds], check=False)
    return result
