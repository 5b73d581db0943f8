#!/usr/bin/python3
"""make demo: starts the Cascade services that exist on loopback, waits for each to be
healthy (gRPC grpc.health.v1 and HTTP /readyz), prints where they listen, and stops them
cleanly (SIGTERM, drain) on Ctrl-C.

  scripts/demo.py --bin-dir build/bin [--once]
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

SERVICES = [
    ("router", "cascade-router", "semantic routing (FAISS)"),
    ("orchestrator", "cascade-orchestrator", "the cascade; OpenAI-compatible front door"),
    ("tier-worker", "cascade-tier-worker", "one model tier"),
    ("judge", "cascade-judge", "answer scoring"),
    ("inference", "cascade-inference", "GGUF engine, speculative decoding"),
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-dir", default="build/bin", help="where the cascade-* binaries are")
    parser.add_argument("--once", action="store_true",
                        help="stop everything right after showing it healthy")
    options = parser.parse_args()

    config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy", "local",
                          "demo-server.yaml")
    running = []
    all_healthy = True
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        print(f"{'service':<14}{'gRPC':<22}{'metrics':<22}{'health':<9}what")
        for name, binary, what in SERVICES:
            process, listening = start(options.bin_dir, binary, config)
            running.append((name, process))
            state = "SERVING" if healthy(listening) else "NOT READY"
            all_healthy = all_healthy and state == "SERVING"
            print(f"{name:<14}{listening['grpc']:<22}{listening['metrics']:<22}{state:<9}{what}")
            if "http" in listening:
                print(f"{'':<14}OpenAI-compatible front door: http://{listening['http']}/v1")
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
