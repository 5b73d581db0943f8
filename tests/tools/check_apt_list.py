#!/usr/bin/python3
"""Proves that every Debian package the build and the tests use is installed by
scripts/install-deps.sh: either named in its list or pulled in by something named there.

CI runs on a machine that already has every package, so a missing entry would otherwise
stay hidden until a fresh machine fails. What counts as "used":
  - every header the compiler read (ninja's dependency log),
  - every shared library the built programs load (ldd),
  - every static library and tool the build invoked (build.ninja, CMakeCache.txt),
  - the interpreters, tools and Python modules the tests run.
Each file is mapped to its package through dpkg's file lists; each package must be in the closure of
Depends/Pre-Depends of the list (plus Debian's essential and required packages).

Usage: check_apt_list.py SOURCE_DIR BUILD_DIR
"""

import os
import re
import shutil
import subprocess
import sys


def run(args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs).stdout


def apt_list(source_dir):
    return set(run([os.path.join(source_dir, "scripts/install-deps.sh"), "--list"]).split())


def installed_packages():
    """name -> (depends names, essential_or_required)."""
    fmt = "${Package}\t${Status}\t${Essential}\t${Priority}\t${Depends}, ${Pre-Depends}\t${Provides}\n"
    packages, provides = {}, {}
    for line in run(["dpkg-query", "-W", "-f", fmt]).splitlines():
        name, status, essential, priority, depends, provided = line.split("\t")
        if "installed" not in status.split():
            continue
        alternatives = []
        for clause in depends.split(","):
            names = [re.split(r"[\s(:]", alt.strip())[0] for alt in clause.split("|")]
            names = [n for n in names if n]
            if names:
                alternatives.append(names)
        packages[name] = (alternatives, essential == "yes" or priority == "required")
        for p in provided.split(","):
            p = re.split(r"[\s(]", p.strip())[0]
            if p:
                provides.setdefault(p, []).append(name)
    return packages, provides


def closure(roots, packages, provides):
    seen, stack = set(), list(roots)
    while stack:
        name = stack.pop()
        for real in [name] if name in packages else provides.get(name, []):
            if real in seen:
                continue
            seen.add(real)
            for alternatives in packages[real][0]:
                stack.extend(alternatives)
    return seen


def used_files(source_dir, build_dir):
    files = set()
    deps = run(["ninja", "-C", build_dir, "-t", "deps"])
    for line in deps.splitlines():
        path = line.strip()
        # The CUDA toolkit (nvcc, its headers, cudart_static) is NVIDIA's, installed under
        # /usr/local/cuda on every machine here, not a Debian package: outside this check.
        if path.startswith("/") and not path.startswith((source_dir, build_dir, "/usr/local/cuda")):
            files.add(path)
    ninja_text = open(os.path.join(build_dir, "build.ninja")).read()
    for path in re.findall(r"(/usr/[^\s:;$]+\.(?:a|so[.\d]*))", ninja_text):
        if not path.startswith("/usr/local/cuda"):  # see above
            files.add(path)
    cache = open(os.path.join(build_dir, "CMakeCache.txt")).read()
    for key in ("CMAKE_CXX_COMPILER", "CMAKE_C_COMPILER", "CMAKE_MAKE_PROGRAM"):
        match = re.search(rf"^{key}:\w+=(.+)$", cache, re.M)
        if match:
            files.add(match.group(1))
    for folder in ("bin", "tests"):
        root = os.path.join(build_dir, folder)
        for name in os.listdir(root) if os.path.isdir(root) else []:
            program = os.path.join(root, name)
            if os.access(program, os.X_OK) and os.path.isfile(program):
                for match in re.finditer(r"=> (/\S+)", run(["ldd", program])):
                    files.add(match.group(1))
    # What the build and the tests run.
    for tool in ("cmake", "ninja", "protoc", "grpc_cpp_plugin", "pkg-config", "clang-format",
                 "node", "npm", "curl", "go", "gofmt", "protoc-gen-go", "protoc-gen-go-grpc"):
        found = shutil.which(tool)
        if found:
            files.add(found)
    # The Go client's test builds against Debian's Go libraries (tests/clients/run_go_example.sh).
    for path in ("/usr/share/gocode/src/google.golang.org/grpc/server.go",
                 "/usr/share/gocode/src/google.golang.org/protobuf/proto/proto.go"):
        if os.path.exists(path):
            files.add(path)
    files.update(["/usr/bin/python3", "/usr/bin/grpc_python_plugin"])
    modules = run(["/usr/bin/python3", "-c",
                   "import grpc, google.protobuf; print(grpc.__file__); "
                   "print(google.protobuf.__file__)"])
    files.update(modules.split())
    return files


def file_index():
    """Every installed file -> its package, from dpkg's own lists (one read, no dpkg -S)."""
    index = {}
    info = "/var/lib/dpkg/info"
    for name in os.listdir(info):
        if not name.endswith(".list"):
            continue
        package = name[:-len(".list")].split(":")[0]
        with open(os.path.join(info, name), errors="replace") as listing:
            for line in listing:
                index.setdefault(line.rstrip("\n"), package)
    return index


def owners(files):
    """path -> package, trying the path, its resolved form and the merged-/usr twin."""
    index = file_index()
    result, unowned = {}, []
    for path in sorted(files):
        candidates = [path, os.path.realpath(path)]
        for c in list(candidates):
            if c.startswith(("/usr/lib/", "/usr/bin/")):
                candidates.append(c[len("/usr"):])
            elif c.startswith(("/lib/", "/bin/")):
                candidates.append("/usr" + c)
        package = next((index[c] for c in candidates if c in index), None)
        if package:
            result[path] = package
        else:
            unowned.append(path)
    return result, unowned


def main():
    source_dir, build_dir = (os.path.realpath(p) for p in sys.argv[1:3])
    listed = apt_list(source_dir)
    packages, provides = installed_packages()
    base = {name for name, (_, basic) in packages.items() if basic}
    allowed = closure(listed | base | {"build-essential"}, packages, provides)
    not_installed = sorted(p for p in listed if p not in packages and p not in provides)
    files = used_files(source_dir, build_dir)
    owned, unowned = owners(files)
    missing = {}
    for path, package in owned.items():
        if package not in allowed:
            missing.setdefault(package, []).append(path)
    print(f"checked {len(files)} files from {len(set(owned.values()))} packages against "
          f"{len(listed)} listed packages ({len(allowed)} with their dependencies)")
    if unowned:
        print(f"note: {len(unowned)} files belong to no Debian package (ignored), e.g. "
              + ", ".join(unowned[:5]))
    if not_installed:
        print("listed but not installed: " + ", ".join(not_installed))
    for package, paths in sorted(missing.items()):
        print(f"MISSING from scripts/install-deps.sh: {package} (used: {paths[0]})")
    return 1 if missing or not_installed else 0


if __name__ == "__main__":
    sys.exit(main())
