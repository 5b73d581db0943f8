#!/usr/bin/python3
"""Proves that the libraries meant to be plain C++ stay plain: what their unit tests link
and what their sources include carry no gRPC, HTTP server or Prometheus.

Read from the build itself, so it sees what the compiler and linker were really given:
  - a test binary's link line (LINK_LIBRARIES of its rule in build.ninja), and
  - every header each object of the library read (ninja's dependency log).

Usage: check_library_links.py BUILD_DIR
"""

import re
import subprocess
import sys

# Libraries that must not need a server runtime: grpc (and its ++, reflection), cpp-httplib,
# prometheus-cpp.
FORBIDDEN_LIBRARIES = re.compile(r"(?:\blib|-l)(?:grpc|gpr|cpp-httplib|httplib|prometheus)[\w+.-]*")
FORBIDDEN_HEADERS = re.compile(r"/(grpc|grpcpp|prometheus)/|/httplib\.h$")

# Each plain library: the unit test that links it alone, and its objects' folder.
PLAIN = [
    ("orchestrator_unit_test", "services/orchestrator/lib/CMakeFiles/cascade_orchestrator_lib.dir/"),
    (None, "common/CMakeFiles/cascade_concurrency.dir/"),
    (None, "common/CMakeFiles/cascade_text.dir/"),
]


def link_line(build_ninja, binary):
    """The LINK_LIBRARIES of the rule that links `binary`."""
    match = re.search(r"^build [^\n]*/" + re.escape(binary) + r": CXX_EXECUTABLE_LINKER[^\n]*\n"
                      r"((?:  [^\n]*\n)*)", build_ninja, re.M)
    if not match:
        sys.exit(f"check_library_links: no link rule for {binary} in build.ninja")
    libraries = re.search(r"^  LINK_LIBRARIES = (.*)$", match.group(1), re.M)
    return libraries.group(1) if libraries else ""


def headers_by_object(build_dir):
    """{object path: [headers it read]} from ninja's dependency log."""
    deps = subprocess.run(["ninja", "-C", build_dir, "-t", "deps"], check=True,
                          capture_output=True, text=True).stdout
    result, current = {}, None
    for line in deps.splitlines():
        if line and not line.startswith(" "):
            current = line.split(":")[0]
            result[current] = []
        elif current and line.strip():
            result[current].append(line.strip())
    return result


def main():
    build_dir = sys.argv[1]
    build_ninja = open(f"{build_dir}/build.ninja").read()
    headers = headers_by_object(build_dir)
    problems = []
    for binary, objects_dir in PLAIN:
        if binary:
            found = FORBIDDEN_LIBRARIES.search(link_line(build_ninja, binary))
            if found:
                problems.append(f"{binary} links {found.group(0)}")
        objects = [o for o in headers if o.startswith(objects_dir)]
        if not objects:
            problems.append(f"no object of {objects_dir} in ninja's dependency log (built?)")
        for obj in objects:
            for header in headers[obj]:
                if FORBIDDEN_HEADERS.search(header):
                    problems.append(f"{obj} includes {header}")
    for problem in sorted(set(problems)):
        print(problem)
    checked = ", ".join(o for _, o in PLAIN)
    if problems:
        print(f"check_library_links: {len(set(problems))} problem(s); the plain libraries must not "
              "need gRPC, an HTTP server or Prometheus")
        return 1
    print(f"check_library_links: clean ({checked})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
