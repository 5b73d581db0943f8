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


class MutualTlsSuite:
    """Servers over mutual TLS with API keys, behind cascade-test-upstream, for the tests that
    need the whole security setup: a throwaway CA in scratch/pki
    (tests/support/make_test_ca.sh), config snippets that use it, and the servers' processes.
    A subclass starts its servers in `_start()`; `stop` ends everything."""

    def __init__(self, prefix, secrets, internal_key_env, server_args=()):
        self.scratch = tempfile.TemporaryDirectory(prefix=prefix)
        self.pki = os.path.join(self.scratch.name, "pki")
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        subprocess.run([os.path.join(root, "tests", "support", "make_test_ca.sh"), self.pki],
                       check=True)
        os.environ.update(secrets)
        self.internal_key_env = internal_key_env
        self.server_args = list(server_args)
        self.servers = {}
        self.upstream_process = None
        try:
            self._start()
        except Exception:
            self.stop()
            raise

    def _start(self):
        raise NotImplementedError

    def path(self, name):
        return os.path.join(self.pki, name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def server_yaml(self, api_keys_env):
        """A `server:` block: mutual TLS with the test CA, API keys from `api_keys_env`."""
        return (f"server:\n  drain_delay: 0s\n  tls:\n"
                f"    cert_file: {self.path('server.pem')}\n"
                f"    key_file: {self.path('server.key')}\n"
                f"    client_ca_file: {self.path('ca.pem')}\n"
                f"  api_keys_env: {api_keys_env}\n")

    def client_yaml(self, address, indent):
        """A client endpoint's fields (address, key, mutual TLS), indented by `indent`."""
        pad = " " * indent
        return (f'{pad}address: "{address}"\n{pad}api_key_env: {self.internal_key_env}\n'
                f"{pad}tls:\n{pad}  ca_file: {self.path('ca.pem')}\n"
                f"{pad}  cert_file: {self.path('client.pem')}\n"
                f"{pad}  key_file: {self.path('client.key')}\n"
                f"{pad}  server_name: localhost\n")

    def start_upstream(self):
        """Starts cascade-test-upstream; returns its HOST:PORT."""
        upstream = os.path.join(os.environ["CASCADE_TEST_BIN_DIR"], "cascade-test-upstream")
        self.upstream_process = subprocess.Popen([upstream], stderr=subprocess.PIPE, text=True)
        return json.loads(self.upstream_process.stderr.readline())["http"]

    def start(self, name, binary, config):
        path = os.path.join(self.scratch.name, f"{name}.yaml")
        with open(path, "w") as f:
            f.write(config)
        server = ServerProcess(os.path.join(bin_dir(), binary),
                               ["--config", path, *self.server_args])
        self.servers[name] = server
        return server

    def stop(self):
        for server in reversed(list(self.servers.values())):
            server.stop()
        if self.upstream_process is not None:
            self.upstream_process.kill()
            self.upstream_process.wait()
            self.upstream_process.stderr.close()
        self.scratch.cleanup()
