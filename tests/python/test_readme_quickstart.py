"""The README's "Five minutes to your own models" path, run as written: its tier-worker and
orchestrator configs, its start commands and its curl request, against an
OpenAI-compatible upstream on loopback (cascade-test-upstream) in place of the user's.

Only what a user must change is changed: the endpoint (base_url), the listen ports (port 0,
so tests never collide; the orchestrator's tier addresses follow) and the folder. A README
edit that breaks a field, a flag or the request fails here."""

import json
import os
import re
import shlex
import subprocess
import tempfile
import threading
import unittest
import urllib.request

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def readme_section():
    text = open(README, encoding="utf-8").read()
    start = text.index("## Five minutes to your own models")
    return text[start:text.index("\n## ", start + 1)]


def block_after(section, marker, language):
    """The fenced block of `language` that follows `marker`."""
    match = re.search(re.escape(marker) + r".*?```" + language + r"\n(.*?)```", section, re.S)
    if not match:
        raise AssertionError(f"README: no ```{language} block after {marker!r}")
    return match.group(1)


def shell_commands(block):
    """The block's commands, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    commands = []
    for line in joined.splitlines():
        line = line.split(" #")[0].strip()
        if line and not line.startswith("#"):
            commands.append(shlex.split(line.rstrip("&").strip()))
    return commands


class Process:
    """A child whose first JSON line on stderr with "event": "listening" gives its addresses."""

    def __init__(self, argv, env=None, timeout=60):
        self.process = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        text=True, env=env)
        self.lines, self.addresses = [], None
        found = threading.Event()

        def read():
            for line in self.process.stderr:
                self.lines.append(line)
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if self.addresses is None and event.get("event") == "listening":
                    self.addresses = event
                    found.set()
            found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(timeout) or self.addresses is None:
            self.stop()
            raise AssertionError(f"{argv[0]} did not start: {''.join(self.lines)}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class ReadmeQuickstartTest(unittest.TestCase):
    def setUp(self):
        self.bin_dir = os.environ["CASCADE_BIN_DIR"]
        self.folder = tempfile.mkdtemp(prefix="readme-quickstart-")
        self.processes = []

    def tearDown(self):
        for process in reversed(self.processes):
            process.stop()

    def start(self, argv, env=None):
        process = Process(argv, env)
        self.processes.append(process)
        return process

    def write(self, name, text):
        path = os.path.join(self.folder, name)
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)

    def test_the_five_minute_path_answers_with_a_trace(self):
        section = readme_section()
        upstream = self.start([os.path.join(os.environ["CASCADE_TEST_BIN_DIR"],
                                            "cascade-test-upstream"), "--listen", "127.0.0.1:0"])
        endpoint = f"http://{upstream.addresses['http']}/v1"

        small = block_after(section, "`my-cascade/tier-small.yaml`", "yaml")
        self.assertIn("base_url:", small)
        small = re.sub(r"base_url: *\S+", f"base_url: {endpoint}", small)
        key_variable = re.search(r"api_key_env: *(\w+)", small).group(1)
        # "the same with `tier: large`, your strong model and its price"
        large = small.replace("tier: small", "tier: large")
        self.write("tier-small.yaml", small)
        self.write("tier-large.yaml", large)

        commands = shell_commands(block_after(section, "**4. Start them**", "sh"))
        exports = [c for c in commands if c[0] == "export"]
        self.assertEqual([c[1].split("=")[0] for c in exports], [key_variable],
                         "the README exports the variable its tier config names")
        env = dict(os.environ, **{key_variable: "sk-test-key"})
        servers = [c for c in commands if c[0].startswith("build/bin/")]
        self.assertEqual([os.path.basename(c[0]) for c in servers],
                         ["cascade-tier-worker", "cascade-tier-worker", "cascade-orchestrator"])

        def run(argv, replace=()):
            argv = [os.path.join(self.bin_dir, os.path.basename(argv[0]))] + [
                arg.replace("my-cascade/", self.folder + "/") for arg in argv[1:]]
            argv = [re.sub(r"^127\.0\.0\.1:\d+$", "127.0.0.1:0", arg) for arg in argv]
            return self.start(argv, env)

        tier_addresses = {}
        for argv in servers[:2]:
            readme_address = argv[argv.index("--grpc-listen") + 1]
            tier_addresses[readme_address] = run(argv).addresses["grpc"]
        orchestrator = block_after(section, "`my-cascade/orchestrator.yaml`", "yaml")
        for readme_address, address in tier_addresses.items():
            self.assertIn(readme_address, orchestrator)
            orchestrator = orchestrator.replace(readme_address, address)
        self.write("orchestrator.yaml", orchestrator)
        front_door = run(servers[2]).addresses["http"]

        curl = shell_commands(block_after(section, "**5. Call the front door**", "sh"))[0]
        self.assertEqual(curl[0], "curl")
        url = next(arg for arg in curl if arg.startswith("http://"))
        body = curl[curl.index("-d") + 1]
        url = re.sub(r"http://[^/]+", f"http://{front_door}", url)
        request = urllib.request.Request(url, data=body.encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            self.assertEqual(response.status, 200)
            answer = json.load(response)
        self.assertTrue(answer["choices"][0]["message"]["content"])
        trace = answer["cascade"]
        self.assertIn(trace["final_tier"], ("small", "large"))
        self.assertGreaterEqual(len(trace["steps"]), 1)
        # "Stop the servers with SIGTERM: each drains, then exits 0."
        for process in reversed(self.processes[1:]):
            self.assertEqual(process.stop(), 0, "".join(process.lines[-5:]))


if __name__ == "__main__":
    unittest.main()
