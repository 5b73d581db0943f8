#!/usr/bin/env python3
"""The chart's `helm test` script (also run against the suite on loopback by tests/e2e).

Checks every component's GET /healthz (live) and GET /readyz (ready) on its metrics port
and, when a front door is given, sends one chat completion to the orchestrator's
OpenAI-compatible HTTP API and checks the answer's shape. Standard library only.

  helm_test.py --component router=HOST:PORT ... [--front-door http://HOST:PORT]
               [--model NAME] [--prompt TEXT] [--api-key-env VAR] [--timeout SECONDS]

Every flag also reads from the environment (CASCADE_COMPONENTS as a space-separated list,
CASCADE_FRONT_DOOR, CASCADE_MODEL, CASCADE_PROMPT), which is how the test pod passes them.
The front door's keys come in the variable --api-key-env names (default CASCADE_API_KEY;
the test pod reads it from the orchestrator's Secret), comma- or newline-separated as the
orchestrator takes them: the first is sent as `Authorization: Bearer`. Unset or empty: no
header (a door without keys).
Exits 0 when every check passes, 1 otherwise, printing one line per check.
"""
import argparse
import json
import os
import sys
import urllib.error
import urllib.request


def get(url, timeout):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        return None, str(error)


def check_health(name, address, timeout):
    ok = True
    for path in ("/healthz", "/readyz"):
        status, body = get(f"http://{address}{path}", timeout)
        passed = status == 200
        ok = ok and passed
        detail = "" if passed else f" (got {status}: {body.strip()[:200]})"
        print(f"{'ok  ' if passed else 'FAIL'} {name} {address}{path}{detail}")
    return ok


def first_key(keys):
    """The first of comma- or newline-separated keys, as the orchestrator splits them."""
    for key in keys.replace("\n", ",").split(","):
        if key.strip():
            return key.strip()
    return ""


def send_request(front_door, model, prompt, timeout, api_key=""):
    payload = {"messages": [{"role": "user", "content": prompt}], "max_tokens": 16}
    if model:
        payload["model"] = model
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(
        front_door.rstrip("/") + "/v1/chat/completions",
        data=json.dumps(payload).encode(),
        headers=headers,
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        status, body = None, str(error)
    problem = None
    if status != 200:
        problem = f"got {status}: {body.strip()[:300]}"
        if status == 401:
            problem += (" (the front door takes API keys: " +
                        ("the key sent was refused)" if api_key else "none was sent)"))
    else:
        try:
            answer = json.loads(body)
            content = answer["choices"][0]["message"]["content"]
            if not isinstance(content, str):
                problem = "choices[0].message.content is not a string"
        except (ValueError, KeyError, IndexError, TypeError) as error:
            problem = f"not an OpenAI chat completion ({error!r}): {body.strip()[:300]}"
    print(f"{'ok  ' if problem is None else 'FAIL'} POST {front_door}/v1/chat/completions"
          + ("" if problem is None else f" ({problem})"))
    return problem is None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--component", action="append", default=None,
                        help="NAME=HOST:PORT of a metrics port; repeatable")
    parser.add_argument("--front-door", default=os.environ.get("CASCADE_FRONT_DOOR", ""))
    parser.add_argument("--model", default=os.environ.get("CASCADE_MODEL", "default"),
                        help="the request's model: a cascade policy of the front door")
    parser.add_argument("--prompt", default=os.environ.get("CASCADE_PROMPT", "hello"))
    parser.add_argument("--api-key-env", default="CASCADE_API_KEY",
                        help="the variable holding the front door's keys (the first is sent)")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    components = args.component
    if components is None:
        components = os.environ.get("CASCADE_COMPONENTS", "").split()
    if not components:
        parser.error("no component to check: pass --component NAME=HOST:PORT")
    ok = True
    for entry in components:
        name, sep, address = entry.partition("=")
        if not sep or not address:
            parser.error(f"--component wants NAME=HOST:PORT, got {entry!r}")
        ok = check_health(name, address, args.timeout) and ok
    if args.front_door:
        api_key = first_key(os.environ.get(args.api_key_env, ""))
        ok = send_request(args.front_door, args.model, args.prompt, args.timeout, api_key) and ok
    print("all checks passed" if ok else "some checks failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
