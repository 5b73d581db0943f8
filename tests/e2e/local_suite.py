"""The Cascade suite on loopback for end-to-end tests: start each server from a config,
read its first log line ({"event":"listening",...} with the bound addresses), wait until
GET /readyz answers, and stop everything at the end. Chaos tests also kill a server
(SIGKILL or SIGTERM) and start it again with the same command line.

Standard library only.
"""
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

SERVER = """server:
  grpc_listen: 127.0.0.1:0
  metrics_listen: 127.0.0.1:0
  drain_delay: 0s
  drain_grace: 2s
"""


def log(message):
    print(message, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return None, b""


def http_post_json(url, payload, timeout=5):
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_ready(name, listening, timeout_s=30):
    """Polls /readyz (a readiness condition, not a fixed sleep) until it answers 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if http_get(f"http://{listening['metrics']}/readyz", 2)[0] == 200:
            return
        time.sleep(0.05)
    raise SystemExit(f"FAIL {name} never became ready")


class Suite:
    def __init__(self, bin_dir, scratch):
        self.bin_dir = bin_dir
        self.scratch = scratch
        self.processes = []  # (name, Popen), in start order; restarts are appended.
        self.listening = {}
        self.commands = {}

    def start(self, name, binary, config_text, extra=()):
        binary_path = binary if os.path.isabs(binary) else os.path.join(self.bin_dir, binary)
        args = [binary_path]
        if config_text is not None:
            path = os.path.join(self.scratch, f"{name}.yaml")
            with open(path, "w") as f:
                f.write(config_text)
            args += ["--config", path]
        args += list(extra)
        return self._launch(name, args)

    def _launch(self, name, args):
        self.commands[name] = args
        process = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
        self.processes.append((name, process))
        line = process.stderr.readline()
        try:
            listening = json.loads(line)
        except json.JSONDecodeError:
            raise SystemExit(f"FAIL {name} did not start: {line}{process.stderr.read()[:2000]}")
        # Keep reading stderr so a chatty server never blocks on a full pipe; the lines go
        # to scratch/NAME.log for tail_logs().
        log_path = os.path.join(self.scratch, f"{name}.log")

        def copy_log():
            with open(log_path, "a") as out:
                for text in process.stderr:
                    out.write(text)
                    out.flush()

        threading.Thread(target=copy_log, daemon=True).start()
        self.listening[name] = listening
        wait_ready(name, listening)
        return listening

    def process(self, name):
        """The latest process started under `name`."""
        return [p for n, p in self.processes if n == name][-1]

    def kill(self, name, sig=signal.SIGKILL):
        process = self.process(name)
        process.send_signal(sig)
        return process

    def restart(self, name):
        """Starts `name` again with the same command line (same addresses when they were
        fixed: a unix: socket or a port given on the command line)."""
        return self._launch(name, self.commands[name])

    def tail_logs(self, lines=15):
        """The last lines each server logged (after its listening line), for a failure."""
        for name in self.commands:
            path = os.path.join(self.scratch, f"{name}.log")
            if os.path.exists(path):
                with open(path) as f:
                    tail = f.readlines()[-lines:]
                log(f"--- last {len(tail)} log lines of {name}:\n" + "".join(tail))

    def stop(self):
        codes = {}
        for name, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                codes[name] = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = "killed"
        return codes
