#!/usr/bin/python3
"""Lints Cascade's .proto contracts, from the descriptors protoc builds (not from text).

    proto_lint.py --proto-root proto [--lock proto/fields.lock] [--update-lock]

Rules (each violation is one line: FILE: WHAT, and the exit status is 1):
  package       every file is `package cascade.v1;` under cascade/v1/
  options       every file sets go_package, java_package, java_multiple_files,
                java_outer_classname (unique per file), csharp_namespace,
                objc_class_prefix, php_namespace and ruby_package, all to the same
                values across files (the expected ones are in EXPECTED_OPTIONS)
  comments      every service and every RPC has a leading comment
  numbering     field numbers in a message are 1..N with no gap, unless the gap is
                `reserved`; enum values start at 0
  no reuse      (with --lock) a field number the lock file records for a message is
                still that field (same name and type) or is `reserved`; a field name
                the lock records is not given a new number. --update-lock adds new
                fields to the lock (never removes any).

Standard library plus python3-protobuf; protoc from protobuf-compiler.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2

GO_MODULE = "github.com/cascade/cascade/clients/go"
EXPECTED_OPTIONS = {
    "go_package": f"{GO_MODULE}/cascadev1;cascadev1",
    "java_package": "com.github.cascade.v1",
    "java_multiple_files": True,
    "csharp_namespace": "Cascade.V1",
    "objc_class_prefix": "CSC",
    "php_namespace": "Cascade\\V1",
    "ruby_package": "Cascade::V1",
}

# FileDescriptorProto field numbers, for source-code-info paths.
FILE_MESSAGE_TYPE, FILE_ENUM_TYPE, FILE_SERVICE = 4, 5, 6
SERVICE_METHOD = 2
MESSAGE_NESTED_TYPE = 3


def build_descriptors(proto_root, protoc):
    files = sorted(os.path.relpath(p, proto_root)
                   for p in glob.glob(os.path.join(proto_root, "**", "*.proto"), recursive=True))
    if not files:
        raise SystemExit(f"proto_lint: no .proto files under {proto_root}")
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "set.pb")
        result = subprocess.run([protoc, f"--proto_path={proto_root}", "--include_source_info",
                                 f"--descriptor_set_out={out}", *files],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"proto_lint: protoc failed:\n{result.stderr}")
        descriptor_set = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as f:
            descriptor_set.ParseFromString(f.read())
    return descriptor_set.file


def leading_comments(file_proto):
    return {tuple(location.path): location.leading_comments.strip()
            for location in file_proto.source_code_info.location}


def check_file_options(file_proto, problems, outer_names):
    name = file_proto.name
    if file_proto.package != "cascade.v1" or not name.startswith("cascade/v1/"):
        problems.append(f"{name}: package is '{file_proto.package}', expected cascade.v1 "
                        "under cascade/v1/")
    options = file_proto.options
    for option, expected in EXPECTED_OPTIONS.items():
        if not options.HasField(option):
            problems.append(f"{name}: option {option} is missing (expected {expected!r})")
        elif getattr(options, option) != expected:
            problems.append(f"{name}: option {option} is {getattr(options, option)!r}, "
                            f"expected {expected!r}")
    outer = options.java_outer_classname
    if not outer:
        problems.append(f"{name}: option java_outer_classname is missing")
    elif outer in outer_names:
        problems.append(f"{name}: java_outer_classname {outer} is also used by "
                        f"{outer_names[outer]}")
    else:
        outer_names[outer] = name


def check_comments(file_proto, problems):
    comments = leading_comments(file_proto)
    for s, service in enumerate(file_proto.service):
        if not comments.get((FILE_SERVICE, s)):
            problems.append(f"{file_proto.name}: service {service.name} has no comment")
        for m, method in enumerate(service.method):
            if not comments.get((FILE_SERVICE, s, SERVICE_METHOD, m)):
                problems.append(f"{file_proto.name}: rpc {service.name}.{method.name} has no "
                                "leading comment (say what it does and its errors)")


def reserved_numbers(message):
    numbers = set()
    for reserved in message.reserved_range:  # end is exclusive
        numbers.update(range(reserved.start, min(reserved.end, reserved.start + 10000)))
    return numbers


def walk_messages(prefix, messages):
    for message in messages:
        full = f"{prefix}.{message.name}"
        yield full, message
        yield from walk_messages(full, message.nested_type)


def walk_enums(prefix, file_or_message_enums, messages):
    for enum in file_or_message_enums:
        yield f"{prefix}.{enum.name}", enum
    for message in messages:
        yield from walk_enums(f"{prefix}.{message.name}", message.enum_type, message.nested_type)


def check_numbering(file_proto, problems):
    prefix = file_proto.package
    for full, message in walk_messages(prefix, file_proto.message_type):
        if message.options.map_entry:
            continue
        used = sorted(field.number for field in message.field)
        if not used:
            continue
        reserved = reserved_numbers(message)
        gaps = [n for n in range(1, used[-1]) if n not in used and n not in reserved]
        if gaps:
            problems.append(f"{file_proto.name}: message {full} skips field number(s) "
                            f"{', '.join(map(str, gaps))}: number fields 1..N, or mark a "
                            "removed field's number `reserved`")
    for full, enum in walk_enums(prefix, file_proto.enum_type, file_proto.message_type):
        if enum.value and enum.value[0].number != 0:
            problems.append(f"{file_proto.name}: enum {full} does not start at 0")


def field_signature(field):
    type_name = field.type_name.lstrip(".") or descriptor_pb2.FieldDescriptorProto.Type.Name(
        field.type).lower().replace("type_", "")
    label = "repeated" if field.label == field.LABEL_REPEATED else "single"
    return f"{field.name} {label} {type_name}"


def current_fields(files):
    """{(message, number): signature} for every field of every message."""
    fields = {}
    reserved = {}
    for file_proto in files:
        for full, message in walk_messages(file_proto.package, file_proto.message_type):
            if message.options.map_entry:
                continue
            reserved[full] = (reserved_numbers(message), set(message.reserved_name))
            for field in message.field:
                fields[(full, field.number)] = field_signature(field)
    return fields, reserved


def read_lock(path):
    lock = {}
    if not os.path.exists(path):
        return lock
    with open(path) as f:
        for line_number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(" ", 2)
            if len(parts) != 3 or not parts[1].isdigit():
                raise SystemExit(f"proto_lint: {path}:{line_number}: expected "
                                 "'MESSAGE NUMBER NAME LABEL TYPE', got '{line}'")
            lock[(parts[0], int(parts[1]))] = parts[2]
    return lock


def write_lock(path, lock):
    with open(path, "w") as f:
        f.write("# Every field the contracts have ever had: MESSAGE NUMBER NAME LABEL TYPE.\n"
                "# tools/proto/proto_lint.py --update-lock adds new fields; a removed field's\n"
                "# line stays, and its number must be `reserved` in the message.\n")
        for (message, number), signature in sorted(lock.items()):
            f.write(f"{message} {number} {signature}\n")


def check_reuse(files, lock, problems):
    fields, reserved = current_fields(files)
    for (message, number), signature in sorted(lock.items()):
        current = fields.get((message, number))
        if current is None:
            numbers, names = reserved.get(message, (set(), set()))
            if message in reserved and number not in numbers:
                problems.append(f"{message}: field {number} ({signature}) was removed without "
                                f"`reserved {number};` (a later field could reuse it)")
        elif current != signature:
            problems.append(f"{message}: field {number} was '{signature}' and is now "
                            f"'{current}': never reuse or retype a field number")
    old_names = {(message, signature.split(" ")[0]): number
                 for (message, number), signature in lock.items()}
    for (message, number), signature in fields.items():
        name = signature.split(" ")[0]
        old = old_names.get((message, name))
        if old is not None and old != number:
            problems.append(f"{message}: field {name} moved from number {old} to {number}")
    return fields


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proto-root", required=True, help="folder holding cascade/v1/*.proto")
    parser.add_argument("--lock", help="field lock file (no-reuse rule)")
    parser.add_argument("--update-lock", action="store_true",
                        help="add the current fields to --lock after the checks pass")
    parser.add_argument("--protoc", default=shutil.which("protoc") or "protoc")
    args = parser.parse_args()
    if args.update_lock and not args.lock:
        parser.error("--update-lock needs --lock")

    files = build_descriptors(args.proto_root, args.protoc)
    problems = []
    outer_names = {}
    for file_proto in files:
        check_file_options(file_proto, problems, outer_names)
        check_comments(file_proto, problems)
        check_numbering(file_proto, problems)
    if args.lock:
        lock = read_lock(args.lock)
        fields = check_reuse(files, lock, problems)
        if args.update_lock and not problems:
            lock.update(fields)
            write_lock(args.lock, lock)
    for problem in problems:
        print(problem)
    messages = sum(1 for f in files for _ in walk_messages(f.package, f.message_type))
    methods = sum(len(s.method) for f in files for s in f.service)
    print(f"proto_lint: {len(files)} files, {messages} messages, {methods} rpcs: "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
