"""tools/proto/proto_lint.py fails, naming the problem, on a contract that breaks each rule,
and passes a contract that keeps them all."""
import os
import subprocess
import tempfile
import textwrap
import unittest

LINT = os.environ["PROTO_LINT"]
OPTIONS = textwrap.dedent("""\
    option go_package = "github.com/cascade/cascade/clients/go/cascadev1;cascadev1";
    option java_package = "com.github.cascade.v1";
    option java_multiple_files = true;
    option java_outer_classname = "{outer}";
    option csharp_namespace = "Cascade.V1";
    option objc_class_prefix = "CSC";
    option php_namespace = "Cascade\\\\V1";
    option ruby_package = "Cascade::V1";
    """)
GOOD_BODY = textwrap.dedent("""\
    // Says hello.
    service Greeter {
      // Answers a greeting. Errors: INVALID_ARGUMENT (empty name).
      rpc Hello(HelloRequest) returns (HelloReply);
    }
    message HelloRequest {
      string name = 1;
      reserved 2;
      int32 count = 3;
    }
    message HelloReply { string text = 1; }
    enum Mood { MOOD_UNSPECIFIED = 0; MOOD_HAPPY = 1; }
    """)


def contract(body=GOOD_BODY, options=None, outer="GreeterProto"):
    options = OPTIONS.format(outer=outer) if options is None else options
    return f'syntax = "proto3";\n\npackage cascade.v1;\n\n{options}\n{body}'


class ProtoLintTest(unittest.TestCase):
    def lint(self, files, lock=None, update=False):
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "cascade", "v1"))
            for name, text in files.items():
                with open(os.path.join(root, "cascade", "v1", name), "w") as f:
                    f.write(text)
            args = ["/usr/bin/python3", LINT, "--proto-root", root]
            lock_path = os.path.join(root, "fields.lock")
            if lock is not None:
                with open(lock_path, "w") as f:
                    f.write(lock)
                args += ["--lock", lock_path] + (["--update-lock"] if update else [])
            result = subprocess.run(args, capture_output=True, text=True)
            written = ""
            if lock is not None:
                with open(lock_path) as f:
                    written = f.read()
        return result.returncode, result.stdout + result.stderr, written

    def test_a_contract_that_keeps_every_rule_passes_and_fills_the_lock(self):
        code, out, lock = self.lint({"greeter.proto": contract()}, lock="", update=True)
        self.assertEqual(code, 0, out)
        self.assertIn("0 problem(s)", out)
        self.assertIn("cascade.v1.HelloRequest 3 count single int32", lock)
        self.assertIn("cascade.v1.HelloReply 1 text single string", lock)

    def test_an_rpc_without_a_comment_is_named(self):
        body = GOOD_BODY.replace("  // Answers a greeting. Errors: INVALID_ARGUMENT (empty name).\n",
                                 "")
        code, out, _ = self.lint({"greeter.proto": contract(body)})
        self.assertEqual(code, 1)
        self.assertIn("rpc Greeter.Hello has no leading comment", out)

    def test_a_service_without_a_comment_is_named(self):
        code, out, _ = self.lint({"greeter.proto": contract(GOOD_BODY.replace("// Says hello.\n",
                                                                              ""))})
        self.assertEqual(code, 1)
        self.assertIn("service Greeter has no comment", out)

    def test_a_missing_or_different_option_is_named(self):
        options = OPTIONS.format(outer="GreeterProto")
        without_go = "\n".join(line for line in options.splitlines()
                               if not line.startswith("option go_package"))
        code, out, _ = self.lint({"greeter.proto": contract(options=without_go)})
        self.assertEqual(code, 1)
        self.assertIn("option go_package is missing", out)
        other_prefix = options.replace('"CSC"', '"XYZ"')
        code, out, _ = self.lint({"greeter.proto": contract(options=other_prefix)})
        self.assertIn("option objc_class_prefix is 'XYZ'", out)

    def test_two_files_with_one_java_outer_classname_are_named(self):
        code, out, _ = self.lint({"a.proto": contract(),
                                  "b.proto": contract("message Other { string x = 1; }\n")})
        self.assertEqual(code, 1)
        self.assertIn("java_outer_classname GreeterProto is also used by cascade/v1/a.proto", out)

    def test_an_unreserved_gap_in_field_numbers_is_named(self):
        code, out, _ = self.lint({"greeter.proto": contract(GOOD_BODY.replace("  reserved 2;\n",
                                                                              ""))})
        self.assertEqual(code, 1)
        self.assertIn("message cascade.v1.HelloRequest skips field number(s) 2", out)

    def test_a_field_number_reused_with_another_name_or_type_is_named(self):
        lock = "cascade.v1.HelloRequest 3 total single int64\n"
        code, out, _ = self.lint({"greeter.proto": contract()}, lock=lock)
        self.assertEqual(code, 1)
        self.assertIn("field 3 was 'total single int64' and is now 'count single int32'", out)

    def test_a_removed_field_must_leave_its_number_reserved(self):
        lock = "cascade.v1.HelloReply 2 mood single cascade.v1.Mood\n"
        code, out, _ = self.lint({"greeter.proto": contract()}, lock=lock)
        self.assertEqual(code, 1)
        self.assertIn("field 2 (mood single cascade.v1.Mood) was removed without `reserved 2;`",
                      out)
        # Reserved in the message: the removal is fine (HelloRequest reserves 2).
        lock = "cascade.v1.HelloRequest 2 nickname single string\n"
        code, out, _ = self.lint({"greeter.proto": contract()}, lock=lock)
        self.assertEqual(code, 0, out)

    def test_a_field_moved_to_another_number_is_named(self):
        lock = "cascade.v1.HelloRequest 4 count single int32\n"
        code, out, _ = self.lint({"greeter.proto": contract()}, lock=lock)
        self.assertEqual(code, 1)
        self.assertIn("field count moved from number 4 to 3", out)

    def test_a_contract_protoc_rejects_is_reported(self):
        code, out, _ = self.lint({"greeter.proto": contract("message Broken { string x = ; }\n")})
        self.assertNotEqual(code, 0)
        self.assertIn("protoc failed", out)

    def test_the_lock_is_not_updated_while_problems_remain(self):
        lock = "cascade.v1.HelloRequest 3 total single int64\n"
        code, _, written = self.lint({"greeter.proto": contract()}, lock=lock, update=True)
        self.assertEqual(code, 1)
        self.assertEqual(written, lock)


if __name__ == "__main__":
    unittest.main()
