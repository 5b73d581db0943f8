#!/usr/bin/python3
"""make demo: starts the Cascade services on loopback (the inference service with the
bundled bard pair, the router with the demo routes), waits for each to be healthy (gRPC
grpc.health.v1 and HTTP /readyz), prints where they listen, shows a routing decision and a
speculative generation, and stops everything cleanly (SIGTERM, drain) on Ctrl-C.

  scripts/demo.py --bin-dir build/bin --python-dir build/release/python [--once]
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import grpc

# (name, binary, config under deploy/local, what it is)
SERVICES = [
    ("router", "cascade-router", "router.yaml", "semantic routing (FAISS), demo routes"),
    ("orchestrator", "cascade-orchestrator", "demo-server.yaml",
     "the cascade (not built yet); OpenAI-compatible front door"),
    ("tier-worker", "cascade-tier-worker", "demo-server.yaml", "one model tier (no backend yet)"),
    ("judge", "cascade-judge", "demo-server.yaml", "answer scoring (not built yet)"),
    ("inference", "cascade-inference", "inference.yaml", "GGUF engine, bard pair, speculative"),
]
SERVING = b"\x08\x01"


def start(bin_dir, binary, config):
    args = [os.path.join(bin_dir, binary), "--config", config]
    if binary == "cascade-orchestrator":
        args += ["--http-listen", "127.0.0.1:0"]
    process = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    line = process.stderr.readline()
    try:
        listening = json.loads(line)
    except json.JSONDecodeError:
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

    request = inference_pb2.GenerateRequest(
        model="bard-target", prompt="ROMEO:",
        params=common_pb2.GenerationParams(max_tokens=48))
    with grpc.insecure_channel(addresses["inference"]) as channel:
        chunks = list(inference_pb2_grpc.InferenceServiceStub(channel).Generate(request, timeout=60))
    text = "".join(chunk.text for chunk in chunks)
    stats = chunks[-1].speculation
    print(f"Generate(bard-target, 'ROMEO:', draft model speculating):\nROMEO:{text}")
    if stats.rounds:
        print(f"  speculation: {stats.accepted_tokens}/{stats.draft_tokens} drafts accepted, "
              f"mean accepted length {stats.accepted_tokens / stats.rounds + 1:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-dir", default="build/bin", help="where the cascade-* binaries are")
    parser.add_argument("--python-dir", default="build/release/python",
                        help="where the generated Python stubs are")
    parser.add_argument("--once", action="store_true",
                        help="stop everything right after showing it healthy")
    options = parser.parse_args()
    start_dir = os.getcwd()

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    os.chdir(root)  # The configs name models and routes relative to the repository root.
    running = []
    all_healthy = True
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        print(f"{'service':<14}{'gRPC':<22}{'metrics':<22}{'health':<9}what")
        addresses = {}
        bin_dir = os.path.abspath(os.path.join(start_dir, options.bin_dir))
        for name, binary, config, what in SERVICES:
            process, listening = start(bin_dir, binary, os.path.join("deploy", "local", config))
            addresses[name] = listening["grpc"]
            running.append((name, process))
            state = "SERVING" if healthy(listening) else "NOT READY"
            all_healthy = all_healthy and state == "SERVING"
            print(f"{name:<14}{listening['grpc']:<22}{listening['metrics']:<22}{state:<9}{what}")
            if "http" in listening:
                print(f"{'':<14}OpenAI-compatible front door: http://{listening['http']}/v1")
        if all_healthy:
            show_samples(os.path.abspath(os.path.join(start_dir, options.python_dir)), addresses)
        print("\nMetrics: curl http://<metrics>/metrics   Probes: /healthz /readyz")
        if not options.once:
            print("Press Ctrl-C to stop (each service drains, then exits).")
            signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        for _, process in running:
            process.send_signal(signal.SIGTERM)
        codes = {name: process.wait(timeout=60) for name, process in running}
        print("stopped: " + ", ".join(f"{n} (exit {c})" for n, c in codes.items()))
        if any(codes.values()) or not all_healthy:
            sys.exit(1)


if __name__ == "__main__":
    main()
