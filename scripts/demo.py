#!/usr/bin/python3
"""make demo: starts the whole Cascade suite on loopback: the inference service with the
bundled bard pair; tier "small" (the bard draft) and tier "large" (the bard target,
speculating where it pays) as tier workers over it; the router with the demo routes; the
judge; and the orchestrator with its OpenAI-compatible front door. It waits for each to be
healthy (gRPC grpc.health.v1 and HTTP /readyz), prints where they listen, shows a routing
decision and a speculative generation, sends a few requests through the front door and
prints their answers with the cascade's trace, and stops everything cleanly (SIGTERM,
drain) on Ctrl-C.

  scripts/demo.py --bin-dir build/bin --python-dir build/release/python [--once]
                  [--outcomes FILE [--prices PRICES.yaml] [--replay-min-logprob X]
                  [--replay-min-p-yes P]]

With --outcomes it then replays that file's recorded models through a ladder of replay
tier workers and the front door, and prints the workload's cost and accuracy against the
top model alone (scripts/demo_replay.py).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import tempfile
import time
import urllib.error
import urllib.request

import grpc

# (name, binary, config under deploy/local, what it is), in start order: a config's
# "{name}" placeholders are replaced by the bound gRPC addresses of the services before it.
SERVICES = [
    ("inference", "cascade-inference", "inference.yaml", "GGUF engine, bard pair, speculation AUTO"),
    ("small", "cascade-tier-worker", "tier-small.yaml", "tier small: bard draft"),
    ("large", "cascade-tier-worker", "tier-large.yaml",
     "tier large: bard target"),
    ("router", "cascade-router", "router.yaml", "semantic routing (FAISS), demo routes"),
    ("judge", "cascade-judge", "judge.yaml", "answer scoring"),
    ("orchestrator", "cascade-orchestrator", "orchestrator.yaml",
     "the cascade; OpenAI-compatible front door"),
]
# Requests the demo sends through the front door: a greeting (routed to small), code
# (routed to large) and free text (climbs on confidence).
DEMO_PROMPTS = ["hello there", "write a python function that sorts a list", "ROMEO:"]
SERVING = b"\x08\x01"


def render_config(config, addresses, scratch):
    """The config with "{name}" replaced by the addresses of the services started before."""
    if not os.path.exists(config):
        config = os.path.join("deploy", "local", "demo-server.yaml")
    with open(config) as f:
        text = f.read()
    if "{" not in text:
        return config
    for name, address in addresses.items():
        text = text.replace("{" + name + "}", address)
    path = os.path.join(scratch, os.path.basename(config))
    with open(path, "w") as f:
        f.write(text)
    return path


def start(bin_dir, binary, config, extra_args=None):
    """Starts `binary` with `config` (and `extra_args`; by default the orchestrator's front
    door on a free port); returns the process and its listening line."""
    args = [os.path.join(bin_dir, binary), "--config", config]
    if extra_args is not None:
        args += extra_args
    elif binary == "cascade-orchestrator":
        args += ["--http-listen", "127.0.0.1:0"]
    process = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    line = process.stderr.readline()
    try:
        listening = json.loads(line)
    except json.JSONDecodeError:
        listening = {}
    if listening.get("event") != "listening":
        process.kill()
        rest = process.stderr.read()
        raise SystemExit(f"{binary} failed to start:\n{line}{rest}")
    # Keep draining its log so the process never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
    return process, listening


def healthy(listening, timeout=30):
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(listening["grpc"]) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        while time.monotonic() < deadline:
            try:
                grpc_ok = check(b"", timeout=2) == SERVING
                with urllib.request.urlopen(f"http://{listening['metrics']}/readyz", timeout=2) as r:
                    http_ok = r.status == 200
                if grpc_ok and http_ok:
                    return True
            except (grpc.RpcError, OSError):
                pass
            time.sleep(0.1)
    return False


def show_samples(python_dir, addresses):
    """One routing decision and one speculative generation, through the generated stubs."""
    sys.path.insert(0, python_dir)
    from cascade.v1 import common_pb2, inference_pb2, inference_pb2_grpc
    from cascade.v1 import router_pb2, router_pb2_grpc

    query = "write a python function that sorts a list"
    with grpc.insecure_channel(addresses["router"]) as channel:
        decision = router_pb2_grpc.RouterStub(channel).Route(
            router_pb2.RouteRequest(query=query), timeout=10)
    target = decision.WhichOneof("target")
    print(f"\nRoute({query!r}) -> route {decision.route!r} (score {decision.score:.2f}), "
          f"{target or 'first tier'} {getattr(decision, target) if target else ''}")

    # Asked for explicitly: the server's own default for this pair (AUTO) measured at start
    # that drafting does not pay on a CPU, and decodes without it.
    request = inference_pb2.GenerateRequest(
        model="bard-target", prompt="ROMEO:",
        params=common_pb2.GenerationParams(max_tokens=48),
        speculation=inference_pb2.Speculation(mode=inference_pb2.Speculation.DRAFT_MODEL,
                                              draft_model="bard-draft"))
    with grpc.insecure_channel(addresses["inference"]) as channel:
        chunks = list(inference_pb2_grpc.InferenceServiceStub(channel).Generate(request, timeout=60))
    text = "".join(chunk.text for chunk in chunks)
    stats = chunks[-1].speculation
    print(f"Generate(bard-target, 'ROMEO:', draft model speculating):\nROMEO:{text}")
    if stats.rounds:
        print(f"  speculation: {stats.accepted_tokens}/{stats.draft_tokens} drafts accepted, "
              f"mean accepted length {stats.accepted_tokens / stats.rounds + 1:.2f}")


def show_front_door(http_address, prompts):
    """A few chat completions through the OpenAI-compatible front door, with their traces."""
    for prompt in prompts:
        body = json.dumps({"model": "default", "max_tokens": 32,
                           "messages": [{"role": "user", "content": prompt}]}).encode()
        request = urllib.request.Request(f"http://{http_address}/v1/chat/completions", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                completion = json.load(response)
        except urllib.error.HTTPError as error:
            print(f"\nPOST /v1/chat/completions {prompt!r}: HTTP {error.code} {error.read().decode()}")
            continue
        except OSError as error:
            print(f"\nPOST /v1/chat/completions {prompt!r}: {error}")
            continue
        trace = completion.get("cascade", {})
        answer = completion["choices"][0]["message"]["content"]
        print(f"\nPOST /v1/chat/completions {prompt!r} -> route {trace.get('route') or '-'}, "
              f"final tier {trace.get('final_tier')}\n  {answer!r}")
        for step in trace.get("steps", []):
            print(f"  {step['tier']:<7}{step['model']:<13}{step['method'] or '-':<14}"
                  f"confidence {step['confidence']:8.3f}  "
                  f"{'accepted' if step['accepted'] else 'rejected':<9}"
                  f"{step['latency_seconds'] * 1000:7.0f} ms  ${step['cost_usd']:.9f}"
                  f"{'  ' + step['error'] if step.get('error') else ''}")
        print(f"  cost ${trace.get('cost_usd', 0):.9f}, baseline "
              f"${trace.get('baseline_cost_usd', 0):.9f}, saved ${trace.get('savings_usd', 0):.9f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-dir", default="build/bin", help="where the cascade-* binaries are")
    parser.add_argument("--python-dir", default="build/release/python",
                        help="where the generated Python stubs are")
    parser.add_argument("--once", action="store_true",
                        help="stop everything right after showing it healthy")
    parser.add_argument("--outcomes", help="an outcomes file (docs/outcomes.md) to replay")
    parser.add_argument("--prices", help="USD per million tokens per model (default: "
                        "prices.yaml beside the outcomes file)")
    parser.add_argument("--replay-min-logprob", type=float, default=-0.1,
                        help="the replay policy's acceptance: mean token logprob (default -0.1)")
    parser.add_argument("--replay-min-p-yes", type=float, default=0.9,
                        help="the replay policy's acceptance for models with a recorded "
                        "self-check and no logprobs: P(yes) (default 0.9)")
    options = parser.parse_args()
    if options.outcomes:
        options.outcomes = os.path.abspath(options.outcomes)
        options.prices = os.path.abspath(options.prices or os.path.join(
            os.path.dirname(options.outcomes), "prices.yaml"))
        for path in (options.outcomes, options.prices):
            if not os.path.exists(path):
                raise SystemExit(f"demo: {path} does not exist")
    start_dir = os.getcwd()

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    os.chdir(root)  # The configs name models and routes relative to the repository root.
    running = []
    all_healthy = True
    scratch = tempfile.mkdtemp(prefix="cascade-demo-")
    http_address = None
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        print(f"{'service':<14}{'gRPC':<22}{'metrics':<22}{'health':<9}what")
        addresses = {}
        bin_dir = os.path.abspath(os.path.join(start_dir, options.bin_dir))
        for name, binary, config, what in SERVICES:
            config_path = render_config(os.path.join("deploy", "local", config), addresses, scratch)
            process, listening = start(bin_dir, binary, config_path)
            addresses[name] = listening["grpc"]
            running.append((name, process))
            state = "SERVING" if healthy(listening) else "NOT READY"
            all_healthy = all_healthy and state == "SERVING"
            print(f"{name:<14}{listening['grpc']:<22}{listening['metrics']:<22}{state:<9}{what}")
            if "http" in listening:
                http_address = listening["http"]
                print(f"{'':<14}OpenAI-compatible front door: http://{http_address}/v1")
        if all_healthy:
            show_samples(os.path.abspath(os.path.join(start_dir, options.python_dir)), addresses)
            if http_address:
                # --once (the ctest) sends one request: enough to show the path works.
                show_front_door(http_address, DEMO_PROMPTS[:1] if options.once else DEMO_PROMPTS)
                print(f"\nOpenAI SDK: OpenAI(base_url='http://{http_address}/v1', api_key='-'),"
                      " model='default'")
                print(f"cascadectl ask \"hello\" --orchestrator {addresses['orchestrator']}")
        if all_healthy and options.outcomes:
            import demo_replay

            def start_replay(binary, name, text):
                path = os.path.join(scratch, name + ".yaml")
                with open(path, "w") as f:
                    f.write(text)
                process, listening = start(bin_dir, binary, path)
                running.append((name, process))
                if not healthy(listening):
                    raise SystemExit(f"{name} did not become healthy")
                return listening

            all_healthy = demo_replay.run(options.outcomes, options.prices,
                                          options.replay_min_logprob, options.replay_min_p_yes,
                                          start_replay, scratch)
        print("\nMetrics: curl http://<metrics>/metrics   Probes: /healthz /readyz")
        if not options.once:
            print("Press Ctrl-C to stop (each service drains, then exits).")
            signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        # Dependents first: the orchestrator drains before the tiers it calls stop.
        codes = {}
        for name, process in reversed(running):
            process.send_signal(signal.SIGTERM)
            codes[name] = process.wait(timeout=60)
        shutil.rmtree(scratch, ignore_errors=True)
        print("stopped: " + ", ".join(f"{n} (exit {c})" for n, c in codes.items()))
        if any(codes.values()) or not all_healthy:
            sys.exit(1)


if __name__ == "__main__":
    main()
