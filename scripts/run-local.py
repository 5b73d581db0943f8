#!/usr/bin/python3
"""Starts a Cascade suite on this machine from a folder of configs, and keeps it running
until Ctrl-C (or SIGTERM), when each service drains and stops, the orchestrator first.

    scripts/run-local.py CONFIG_DIR [--bin-dir build/bin] [--http-listen 127.0.0.1:8080]
                         [--grpc-listen 127.0.0.1:50050] [--base-url URL] [--once]

The folder holds one config per service, started in this order: inference.yaml
(cascade-inference), tier-*.yaml (one cascade-tier-worker each), router.yaml, judge.yaml,
and orchestrator.yaml (required). Only orchestrator.yaml is required. A "{NAME}" in a
config is replaced by the gRPC address that the service from NAME.yaml bound (e.g.
"{tier-small}"), so every service but the orchestrator can listen on port 0. Relative
paths in the configs are read from CONFIG_DIR.

--base-url (or the OPENAI_BASE_URL variable, as the OpenAI SDKs read it) replaces every
tier's `base_url:`, e.g. to point deploy/examples/openai at another OpenAI-compatible API.

When everything is ready it prints one line, `ready: http://HOST:PORT/v1 grpc HOST:PORT`,
and how to call it. Exit status: 0 when every service stopped cleanly, 1 when one failed
to start or exited with an error, 2 for a bad command line or folder.
"""
import argparse
import glob
import os
import re
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo import healthy, start  # noqa: E402

BINARIES = {"inference": "cascade-inference", "tier": "cascade-tier-worker",
            "router": "cascade-router", "judge": "cascade-judge",
            "orchestrator": "cascade-orchestrator"}
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_-]*)\}")


def services_in(config_dir):
    """[(name, binary, path)] in start order."""
    found = []
    for name in ["inference"] + sorted(os.path.basename(p)[:-5] for p in glob.glob(
            os.path.join(config_dir, "tier-*.yaml"))) + ["router", "judge", "orchestrator"]:
        path = os.path.join(config_dir, name + ".yaml")
        if os.path.exists(path):
            found.append((name, BINARIES[name.split("-")[0]], path))
    return found


def render(name, path, addresses, base_url, scratch):
    with open(path) as f:
        original = text = f.read()
    if base_url and name.startswith("tier-"):
        text = re.sub(r"(?m)^(\s+base_url:\s*)\S+", lambda m: m.group(1) + base_url, text)

    def address(match):
        if match.group(1) not in addresses:
            raise SystemExit(f"run-local: {path} names {{{match.group(1)}}}, but no "
                             f"{match.group(1)}.yaml started before it (started: "
                             f"{', '.join(addresses) or 'none'})")
        return addresses[match.group(1)]

    # Only inside quoted YAML scalars: flow mappings like {a: 1} are left alone.
    text = re.sub(r'"([^"\n]*)"', lambda m: '"' + PLACEHOLDER.sub(address, m.group(1)) + '"',
                  text)
    if text == original:
        return path  # Errors then name the user's own file.
    rendered = os.path.join(scratch, name + ".yaml")
    with open(rendered, "w") as f:
        f.write(text)
    return rendered


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("config_dir", help="folder of configs, e.g. deploy/examples/openai")
    parser.add_argument("--bin-dir", default=os.environ.get("CASCADE_BIN_DIR", "build/bin"),
                        help="where the cascade-* binaries are (default build/bin, "
                        "or $CASCADE_BIN_DIR)")
    parser.add_argument("--http-listen", default="127.0.0.1:8080",
                        help="the front door (default 127.0.0.1:8080)")
    parser.add_argument("--grpc-listen", default="127.0.0.1:50050",
                        help="the orchestrator's gRPC (default 127.0.0.1:50050)")
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL", ""),
                        help="replaces every tier's base_url (default $OPENAI_BASE_URL)")
    parser.add_argument("--once", action="store_true",
                        help="stop as soon as everything is ready (a check)")
    options = parser.parse_args()

    config_dir = os.path.abspath(options.config_dir)
    bin_dir = os.path.abspath(options.bin_dir)
    if not os.path.isdir(config_dir):
        parser.exit(2, f"run-local: {options.config_dir} is not a folder\n")
    services = services_in(config_dir)
    if not any(name == "orchestrator" for name, _, _ in services):
        parser.exit(2, f"run-local: {options.config_dir} has no orchestrator.yaml\n")
    for _, binary, _ in services:
        if not os.access(os.path.join(bin_dir, binary), os.X_OK):
            parser.exit(2, f"run-local: {os.path.join(options.bin_dir, binary)} not found: "
                        "run `make build` first, or pass --bin-dir\n")

    os.chdir(config_dir)
    scratch = tempfile.mkdtemp(prefix="cascade-local-")
    running, addresses, failed = [], {}, False
    for stop_signal in (signal.SIGINT, signal.SIGTERM):  # Also when started in the background.
        signal.signal(stop_signal, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        print(f"{'service':<16}{'gRPC':<22}{'metrics':<22}", flush=True)
        for name, binary, path in services:
            args = None
            if name == "orchestrator":
                args = ["--grpc-listen", options.grpc_listen,
                        "--http-listen", options.http_listen]
            process, listening = start(bin_dir, binary,
                                       render(name, path, addresses, options.base_url, scratch),
                                       args)
            running.append((name, process))
            if not healthy(listening):
                raise SystemExit(f"run-local: {name} did not become healthy")
            addresses[name] = listening["grpc"]
            print(f"{name:<16}{listening['grpc']:<22}{listening['metrics']:<22}", flush=True)
        front_door = f"http://{listening['http']}/v1"
        print(f"ready: {front_door} grpc {listening['grpc']}", flush=True)
        print(f"\n  curl -s {front_door}/chat/completions -H 'Content-Type: application/json' "
              "-d '{\"model\": \"default\", \"messages\": [{\"role\": \"user\", "
              "\"content\": \"hello\"}]}'\n", flush=True)
        if not options.once:
            print("Press Ctrl-C to stop (each service drains, then exits).", flush=True)
            signal.pause()
    except KeyboardInterrupt:
        pass
    except SystemExit as error:
        print(error, file=sys.stderr)
        failed = True
    finally:
        # The orchestrator (started last) drains first, then every service it called at once.
        codes = {}
        for group in (running[-1:], running[:-1]):
            for name, process in group:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for name, process in reversed(group):
                codes[name] = process.wait(timeout=60)
        shutil.rmtree(scratch, ignore_errors=True)
        print("stopped: " + ", ".join(f"{n} (exit {c})" for n, c in codes.items()), flush=True)
    return 1 if failed or any(codes.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
