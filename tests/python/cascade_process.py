"""Starts a Cascade server binary on port 0 and reads its listening line (test helper)."""

import json
import os
import signal
import subprocess
import tempfile
import threading


class ServerProcess:
    """A server child process; `addresses` is its {"event":"listening"} line."""

    def __init__(self, binary, args=(), timeout=60):
        self.process = subprocess.Popen(
            [binary, "--grpc-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", *args],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.lines = []
        self.addresses = None
        found = threading.Event()

        def read():
            for line in self.process.stderr:
                self.lines.append(line)
                if self.addresses is None:
                    try:
                        event = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if event.get("event") == "listening":
                        self.addresses = event
                        found.set()
            found.set()

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        if not found.wait(timeout) or self.addresses is None:
            self.stop()
            raise RuntimeError(f"{binary} did not report listening: {''.join(self.lines)}")

    @property
    def grpc(self):
        return self.addresses["grpc"]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def bin_dir():
    return os.environ["CASCADE_BIN_DIR"]


class Suite:
    """Servers started from config texts written to a scratch folder; `stop` ends them in
    reverse order (dependents first) and removes the folder."""

    def __init__(self, prefix):
        self.scratch = tempfile.TemporaryDirectory(prefix=prefix)
        self.servers = []

    def start(self, binary, name, config_text):
        """Starts `binary` with the config; returns its gRPC address."""
        path = os.path.join(self.scratch.name, f"{name}.yaml")
        with open(path, "w") as f:
            f.write(config_text)
        server = ServerProcess(os.path.join(bin_dir(), binary), ["--config", path])
        self.servers.append(server)
        return server.grpc

    def stop(self):
        for server in reversed(self.servers):
            server.stop()
        self.scratch.cleanup()
