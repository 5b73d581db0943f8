"""The helm test pod and NOTES: the front door key they send, and the policy they name."""
from .render import (CHART, EVERYTHING, config_of, expect, find, objects, run,
                     server_container)

def notes(ctx, *extra, check=True):
    """NOTES.txt as `helm install` prints it (--dry-run=client: no cluster)."""
    result = run([ctx.helm, "install", "cascade", ctx.path(CHART), "--namespace", "llm",
                  "--dry-run=client", *extra], check=check)
    return result.stdout.partition("\nNOTES:\n")[2]


def helm_test_env(objs):
    return {e["name"]: e for e in find(objs, "Pod", "cascade-helm-test")["spec"]["containers"][0]["env"]}


def helm_test_api_key(ctx):
    """With front door keys, the helm test pod (and NOTES) send one, from the orchestrator's
    own Secret; the request names the default policy."""
    keys = ["--set", "orchestrator.config.http.api_keys_env=FRONT_DOOR_KEYS"]
    cases = {
        "secretEnv": ["--set", "orchestrator.secretEnv[0].name=FRONT_DOOR_KEYS",
                      "--set", "orchestrator.secretEnv[0].secretName=front-door",
                      "--set", "orchestrator.secretEnv[0].secretKey=keys"],
        "env valueFrom": ["--set", "orchestrator.env[0].name=FRONT_DOOR_KEYS",
                          "--set", "orchestrator.env[0].valueFrom.secretKeyRef.name=front-door",
                          "--set", "orchestrator.env[0].valueFrom.secretKeyRef.key=keys"],
        "envFrom with a prefix": ["--set", "orchestrator.envFrom[0].secretRef.name=front-door",
                                  "--set", "orchestrator.envFrom[0].prefix=FRONT_DOOR_",
                                  "--set", "orchestrator.config.http.api_keys_env=FRONT_DOOR_keys"],
        "tests.apiKeySecret": ["--set", "tests.apiKeySecret.name=front-door",
                               "--set", "tests.apiKeySecret.key=keys",
                               "--set", "orchestrator.envFrom[0].secretRef.name=other"],
    }
    for how, flags in cases.items():
        objs = objects(ctx, ctx.template(*keys, *flags).stdout)
        env = helm_test_env(objs)
        expect(env.get("CASCADE_API_KEY", {}).get("valueFrom") ==
               {"secretKeyRef": {"name": "front-door", "key": "keys"}},
               f"keys from the orchestrator's {how}: the test pod reads the same Secret key")
        server = server_container(objs, "orchestrator")
        http = config_of(objs, "orchestrator")["http"]["api_keys_env"]
        names = [e["name"] for e in server.get("env", [])] + [
            (e.get("prefix", "") + "keys") for e in server.get("envFrom", []) if "secretRef" in e]
        expect(how == "tests.apiKeySecret" or http in names,
               f"keys from the orchestrator's {how}: the orchestrator gets ${http} from it")
        text = notes(ctx, *keys, *flags)
        expect("get secret front-door -o jsonpath='{.data.keys}'" in text
               and '-H "Authorization: Bearer $CASCADE_API_KEY"' in text,
               f"keys from the orchestrator's {how}: NOTES read the key and send it")
    literal = objects(ctx, ctx.template(*keys, "--set", "orchestrator.env[0].name=FRONT_DOOR_KEYS",
                                        "--set", "orchestrator.env[0].value=k1").stdout)
    expect(helm_test_env(literal)["CASCADE_API_KEY"].get("value") == "k1",
           "keys given as a literal env value reach the test pod as that value")
    plain = objects(ctx, ctx.template().stdout)
    text = notes(ctx)
    expect("CASCADE_API_KEY" not in helm_test_env(plain) and "Authorization" not in text,
           "without keys neither the test pod nor NOTES send one")
    result = ctx.template(*keys, check=False)
    expect(result.returncode != 0 and "FRONT_DOOR_KEYS" in result.stderr
           and "tests.apiKeySecret" in result.stderr,
           "keys whose Secret the chart cannot find fail the render, naming tests.apiKeySecret")
    expect(ctx.template(*keys, "--set", "tests.sendRequest=false", check=False).returncode == 0,
           "... unless the test sends no request")
    # The request names a policy the orchestrator has.
    expect(helm_test_env(plain)["CASCADE_MODEL"]["value"] == "default"
           and '"model":"default"' in text,
           "the request's model is the default policy (default), in the pod and in NOTES")
    everything = objects(ctx, ctx.template("-f", ctx.path(EVERYTHING)).stdout)
    expect(helm_test_env(everything)["CASCADE_API_KEY"]["valueFrom"]["secretKeyRef"]
           == {"name": "cascade-front-door", "key": "keys"},
           "ci/everything-values.yaml (keys on): the test pod sends the front door's key")
    expect(helm_test_env(everything)["CASCADE_MODEL"]["value"] == "fitted"
           and '"model":"fitted"' in notes(ctx, "-f", ctx.path(EVERYTHING)),
           "with policiesFile the request names its default_policy (fitted)")
    expect(helm_test_env(objects(ctx, ctx.template("--set", "tests.model=other").stdout))
           ["CASCADE_MODEL"]["value"] == "other", "tests.model overrides it")
    expect("port-forward svc/cascade-orchestrator-http 8080:http" in text,
           "NOTES port-forward the front door's Service")
