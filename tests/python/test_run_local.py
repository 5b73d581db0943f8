"""scripts/run-local.py's failure paths: each bad folder or environment exits with the
documented status and a message that says what to fix, and leaves no process behind."""
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUN_LOCAL = os.path.join(ROOT, "scripts", "run-local.py")
EXAMPLE = os.path.join(ROOT, "deploy", "examples", "openai")
BIN_DIR = os.environ["CASCADE_BIN_DIR"]


class RunLocalFailuresTest(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="run-local-test-")
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)

    def run_local(self, config_dir, env=None, bin_dir=BIN_DIR):
        environment = {k: v for k, v in os.environ.items()
                       if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
        environment.update(env or {})
        return subprocess.run([RUN_LOCAL, config_dir, "--bin-dir", bin_dir, "--once",
                               "--http-listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0"],
                              capture_output=True, text=True, timeout=120, env=environment)

    def copy_example(self):
        for name in os.listdir(EXAMPLE):
            shutil.copy(os.path.join(EXAMPLE, name), self.folder)

    def test_missing_folder_exits_2(self):
        result = self.run_local(os.path.join(self.folder, "absent"))
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("is not a folder", result.stderr)

    def test_folder_without_orchestrator_exits_2(self):
        shutil.copy(os.path.join(EXAMPLE, "tier-small.yaml"), self.folder)
        result = self.run_local(self.folder)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("has no orchestrator.yaml", result.stderr)

    def test_missing_binaries_exit_2(self):
        self.copy_example()
        result = self.run_local(self.folder, bin_dir=os.path.join(self.folder, "no-bin"))
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("cascade-tier-worker not found", result.stderr)
        self.assertIn("--bin-dir", result.stderr)

    def test_tier_without_api_key_exits_1_naming_the_users_file(self):
        self.copy_example()
        result = self.run_local(self.folder)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        output = result.stdout + result.stderr
        self.assertIn("OPENAI_API_KEY", output)
        # Tiers start in name order, and a tier config without a placeholder is not copied:
        # the error names the user's own file and line.
        self.assertIn(os.path.join(self.folder, "tier-large.yaml") + ":", output)
        self.assertIn("stopped:", result.stdout)

    def test_unknown_placeholder_exits_1(self):
        self.copy_example()
        path = os.path.join(self.folder, "orchestrator.yaml")
        with open(path) as f:
            text = f.read()
        self.assertIn('"{tier-large}"', text)
        with open(path, "w") as f:
            f.write(text.replace('"{tier-large}"', '"{tier-huge}"'))
        result = self.run_local(self.folder, env={"OPENAI_API_KEY": "sk-test-not-used"})
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("names {tier-huge}, but no tier-huge.yaml started before it",
                      result.stderr)
        # The tiers it had started were stopped, cleanly.
        self.assertIn("tier-small (exit 0)", result.stdout)
        self.assertIn("tier-large (exit 0)", result.stdout)


if __name__ == "__main__":
    unittest.main()
