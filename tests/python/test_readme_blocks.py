"""Every code block of README.md, run as written, in order, against the suite on loopback
with cascade-test-upstream (an OpenAI-compatible stand-in) in place of OpenAI, so that the
README cannot drift from the product.

A block is run by its language: `sh` line by line (an `export` sets the variable for what
follows; `scripts/run-local.py` starts in the background and is waited for until it prints
`ready:`, and stopped with Ctrl-C (SIGINT) when the next one starts or at the end, which
must exit 0; any other command must exit 0, and a curl's output must be a chat completion or
an event stream ending in [DONE]), `python` (with the virtual environment an earlier block
made, when there is one) and `js` (as an ES module, with the npm test tools' openai). Only
what a user's machine would differ in is changed: the listen ports (free ones), the
OpenAI-compatible endpoint (--base-url), and the folder (a scratch folder with the
repository's deploy/, scripts/ and proto/, and a copy of clients/).

An HTML comment right before a block says what else to do with it:
  <!-- readme-test: file PATH -->            the block is PATH's content, exactly
  <!-- readme-test: not run (REASON) -->     allowed only for `make ...` commands
"""
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
README = os.path.join(ROOT, "README.md")
BLOCK = re.compile(r"(?:<!-- readme-test: (?P<mark>[^>]*?) -->\n)?```(?P<lang>\w*)\n"
                   r"(?P<body>.*?)```", re.S)
README_ADDRESSES = ("127.0.0.1:8080", "127.0.0.1:50050")


def readme_blocks():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    blocks = []
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("lang")) + 1
        blocks.append((line, match.group("lang"), match.group("body"), match.group("mark")))
    return blocks


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shell_lines(body):
    """The block's commands, continuation lines joined, comment-only lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", body)
    return [line for line in (raw.strip() for raw in joined.splitlines())
            if line and not line.startswith("#")]


class Background:
    """A long-running command whose stdout is read line by line."""

    def __init__(self, argv, cwd, env):
        self.process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.lines = []
        self.ready = threading.Event()

        def read():
            for line in self.process.stdout:
                self.lines.append(line)
                if line.startswith("ready:"):
                    self.ready.set()
            self.ready.set()

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()

    def output(self):
        return "".join(self.lines)

    def stop(self, sig=signal.SIGINT):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.reader.join(10)  # The pipe ends with the process; then it can be closed.
        self.process.stdout.close()
        return code


class ReadmeBlocksTest(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.mkdtemp(prefix="readme-blocks-")
        self.addCleanup(shutil.rmtree, self.scratch, ignore_errors=True)
        for name in ("deploy", "scripts", "proto"):
            os.symlink(os.path.join(ROOT, name), os.path.join(self.scratch, name))
        # A copy: pip builds in the package's folder, and the tree stays clean.
        shutil.copytree(os.path.join(ROOT, "clients"), os.path.join(self.scratch, "clients"),
                        ignore=shutil.ignore_patterns("build", "*.egg-info", "node_modules",
                                                      "__pycache__"))
        self.upstream = Background(
            [os.path.join(os.environ["CASCADE_TEST_BIN_DIR"], "cascade-test-upstream"),
             "--listen", "127.0.0.1:0"], self.scratch, os.environ)
        self.addCleanup(self.upstream.stop, signal.SIGTERM)
        self.ports = {address: f"127.0.0.1:{free_port()}" for address in README_ADDRESSES}
        # Debian's python3 (with python3-grpcio) first, as on the machine the README is for.
        self.env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
                        PATH="/usr/bin:" + os.environ.get("PATH", ""))
        self.env.pop("OPENAI_API_KEY", None)
        self.suite = None
        self.venv_python = None
        self.ran = []

    def localize(self, text):
        for readme_address, address in self.ports.items():
            text = text.replace(readme_address, address)
        return text

    def upstream_url(self):
        # cascade-test-upstream logs {"event":"listening","http":...} first (stderr→stdout).
        for _ in range(200):
            for line in self.upstream.lines:
                if line.startswith("{") and '"listening"' in line:
                    return f"http://{json.loads(line)['http']}/v1"
            self.upstream.ready.wait(0.05)
        self.fail("cascade-test-upstream did not start: " + self.upstream.output())

    def stop_suite(self):
        if self.suite is not None:
            code = self.suite.stop()
            self.assertEqual(code, 0, "run-local.py did not stop cleanly:\n" +
                             self.suite.output())
            self.assertIn("stopped:", self.suite.output())
            self.suite = None

    def run_shell_line(self, where, line):
        words = shlex.split(line.split(" #")[0])
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            self.env[name] = value
            return
        if words[0] == "scripts/run-local.py":
            self.stop_suite()
            argv = ["/usr/bin/python3"] + words + [
                "--http-listen", self.ports["127.0.0.1:8080"],
                "--grpc-listen", self.ports["127.0.0.1:50050"],
                "--base-url", self.upstream_url()]
            self.suite = Background(argv, self.scratch, self.env)
            self.addCleanup(lambda suite=self.suite: suite.stop())
            self.assertTrue(self.suite.ready.wait(120), f"{where}: no ready line")
            self.assertIn("ready:", self.suite.output(), f"{where}:\n{self.suite.output()}")
            return
        result = subprocess.run(["/bin/bash", "-c", self.localize(line)], cwd=self.scratch, env=self.env,
                                capture_output=True, text=True, timeout=300)
        self.assertEqual(result.returncode, 0,
                         f"{where}: `{line}` exited {result.returncode}:\n"
                         f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
        if ".venv" in line and "venv" in words:
            self.venv_python = os.path.join(self.scratch, ".venv", "bin", "python")
        if words[0] == "curl":
            self.check_curl_output(where, result.stdout)

    def check_curl_output(self, where, output):
        if output.startswith("data:"):  # A streamed answer: server-sent events.
            events = [line[len("data: "):] for line in output.splitlines()
                      if line.startswith("data: ")]
            self.assertEqual(events[-1], "[DONE]", f"{where}: {output[-500:]}")
            text = "".join(json.loads(e)["choices"][0]["delta"].get("content", "")
                           for e in events[:-1] if json.loads(e).get("choices"))
            self.assertTrue(text, f"{where}: the stream carried no text")
            self.assertTrue(any('"cascade"' in e for e in events), f"{where}: no trace")
        else:
            answer = json.loads(output)
            self.assertTrue(answer["choices"][0]["message"]["content"], f"{where}: {output}")
            self.assertIn(answer["cascade"]["final_tier"], ("small", "large"))
            for key in ("cost_usd", "baseline_cost_usd", "savings_usd"):
                self.assertIn(key, answer["cascade"], where)

    def run_program(self, where, argv, source, suffix):
        path = os.path.join(self.scratch, f"block{len(self.ran)}{suffix}")
        with open(path, "w") as f:
            f.write(self.localize(source))
        result = subprocess.run(argv + [path], cwd=self.scratch, env=self.env,
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, f"{where} exited {result.returncode}:\n"
                         f"{result.stdout[-2000:]}{result.stderr[-3000:]}")
        self.assertTrue(result.stdout.strip(), f"{where} printed nothing")
        return result.stdout

    def test_every_block_runs_as_written(self):
        node_modules = subprocess.run([os.path.join(ROOT, "scripts", "install-npm-tools.sh")],
                                      capture_output=True, text=True, check=True).stdout.strip()
        os.symlink(node_modules, os.path.join(self.scratch, "node_modules"))
        skipped = []
        for line, language, body, mark in readme_blocks():
            where = f"README.md:{line} ({language})"
            if mark and mark.startswith("not run"):
                commands = shell_lines(body)
                self.assertTrue(commands and all(c.startswith("make ") for c in commands),
                                f"{where}: only `make` commands may be left unrun: {commands}")
                skipped.append(where)
                continue
            if mark and mark.startswith("file "):
                with open(os.path.join(ROOT, mark[len("file "):]), encoding="utf-8") as f:
                    self.assertEqual(body, f.read(), f"{where} differs from {mark[5:]}")
                self.ran.append(where)
                continue
            self.assertIsNone(mark, f"{where}: unknown mark {mark!r}")
            if language == "sh":
                for command in shell_lines(body):
                    self.run_shell_line(where, command)
            elif language == "python":
                if re.search(r"^from openai import|^import openai", body, re.M) and subprocess.run(
                        ["/usr/bin/python3", "-c", "import openai"],
                        capture_output=True).returncode != 0:
                    # Debian 12 has no python3-openai and PyPI is out of reach here: the same
                    # calls run below through the JavaScript SDK; say so rather than pass.
                    print(f"NOT RUN {where}: the `openai` Python package is not installed")
                    skipped.append(where)
                    continue
                self.run_program(where, [self.venv_python or "/usr/bin/python3"], body, ".py")
            elif language == "js":
                self.run_program(where, ["node"], body, ".mjs")
            else:
                self.fail(f"{where}: no way to run a ```{language} block; mark it")
            self.ran.append(where)
        self.stop_suite()
        print(f"ran {len(self.ran)} blocks; not run: {', '.join(skipped) or 'none'}")
        self.assertGreaterEqual(len(self.ran), 8)


if __name__ == "__main__":
    unittest.main()
