#!/usr/bin/env python3
"""Checks deploy/docker/Dockerfile without a container engine (none runs on these machines).

  check_dockerfile.py SOURCE_DIR [BIN_DIR]

- both stages start from Debian 12 (bookworm);
- every file the Dockerfile COPYs from the build context exists, and its
  Dockerfile.dockerignore lets it through;
- the build stage builds every server the chart runs (cascade-<service>), and the runtime
  runs as the chart's non-root user;
- the model files the chart's default inference config names are copied to their paths;
- every package the runtime stage installs is a Debian package (apt-cache), and, given
  BIN_DIR with built servers, every shared library they load (ldd) belongs to one of those
  packages or their dependencies. A sanitizer build's runtimes (libasan, libubsan, ...) are
  left out of that check: the image builds the release preset, which links none of them.
Standard library only; prints one line per check, exits 1 on the first failure.
"""
import fnmatch
import functools
import glob
import json
import os
import re
import subprocess
import sys

SERVICES = ["router", "orchestrator", "tier-worker", "judge", "inference"]
SANITIZER_RUNTIMES = re.compile(r"/lib(asan|ubsan|tsan|lsan|hwasan)\.so")


def expect(condition, message):
    if not condition:
        print(f"FAIL {message}")
        sys.exit(1)
    print(f"ok   {message}")


def instructions(text):
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#")))
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            yield word.upper(), rest.strip()


def ignored(path, patterns):
    """Whether BuildKit's .dockerignore rules (last match wins) leave `path` out."""
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if pattern == "**" or any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
            result = not negate
    return result


@functools.lru_cache(maxsize=None)
def providers_of(soname):
    shown = subprocess.run(["apt-cache", "showpkg", soname], capture_output=True, text=True)
    return tuple(shown.stdout.partition("Reverse Provides:")[2].split())


def provided_by_closure(soname, closure):
    """Sonames such as libblas.so.3 are virtual packages chosen through alternatives: this
    machine may resolve them to libblas3 while the image ships libopenblas0-pthread. Either
    provider in the closure will do."""
    return any(provider in closure for provider in providers_of(soname))


def main():
    source = os.path.abspath(sys.argv[1])
    bin_dir = sys.argv[2] if len(sys.argv) > 2 else ""
    dockerfile = os.path.join(source, "deploy/docker/Dockerfile")
    steps = list(instructions(open(dockerfile).read()))
    patterns = [l.strip() for l in open(dockerfile + ".dockerignore")
                if l.strip() and not l.startswith("#")]
    args = dict(a.split("=", 1) for w, a in steps if w == "ARG" and "=" in a)
    stages = [a for w, a in steps if w == "FROM"]
    expect(len(stages) == 2, "two stages: build and runtime")
    for stage in stages:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), stage.split()[0])
        expect(image.startswith("debian:bookworm"), f"stage '{stage}' is Debian 12 ({image})")

    for word, rest in steps:
        if word != "COPY" or rest.startswith("--from"):
            continue
        sources = rest.split()[:-1]
        for src in sources:
            matches = glob.glob(os.path.join(source, src))
            expect(matches, f"COPY source {src} exists")
            expect(not ignored(src, patterns), f"COPY source {src} is not dockerignored")

    text = open(dockerfile).read()
    for service in SERVICES:
        expect(re.search(rf"\bcascade-{service}\b", text.split("AS runtime")[0]) is not None,
               f"the build stage builds cascade-{service}")
    runtime = text.split("AS runtime", 1)[1]
    user = re.search(r"^USER (\d+)(?::(\d+))?$", runtime, re.M)
    values = open(os.path.join(source, "deploy/helm/cascade/values.yaml")).read()
    chart_user = re.search(r"runAsUser: (\d+)", values).group(1)
    expect(user is not None and user.group(1) != "0" and user.group(1) == chart_user,
           f"the runtime runs as the chart's non-root user {chart_user}")
    expect("COPY --from=build /out/bin/ /usr/local/bin/" in runtime,
           "the servers land in /usr/local/bin (the chart's commands)")
    for model in re.findall(r"path: /opt/cascade/models/(\S+)", values):
        expect(re.search(rf"COPY .*models/{re.escape(model)}.* /opt/cascade/models/", runtime),
               f"the chart's model {model} is copied to /opt/cascade/models")

    install = re.search(r"apt-get install -y --no-install-recommends(.*?)&&", re.sub(r"\\\n", " ", runtime), re.S)
    packages = install.group(1).split()
    shown = subprocess.run(["apt-cache", "show", "--no-all-versions", *packages],
                           capture_output=True, text=True)
    expect(shown.returncode == 0, f"the {len(packages)} runtime packages are Debian packages")

    if not bin_dir:
        print("note: no BIN_DIR given: shared libraries not checked")
        return 0
    closure = set(subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
         "--no-breaks", "--no-replaces", "--no-enhances", "--no-pre-depends", *packages],
        capture_output=True, text=True).stdout.split())
    closure |= set(packages)
    closure |= {"libc6", "libgcc-s1", "libstdc++6"}  # essential in every Debian image
    linked = {}
    for service in SERVICES:
        binary = os.path.join(bin_dir, f"cascade-{service}")
        if not os.path.exists(binary):
            print(f"note: {binary} not built: skipped")
            continue
        ldd = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
        libraries = re.findall(r"=> (/\S+)", ldd)
        sanitizers = [l for l in libraries if SANITIZER_RUNTIMES.search(l)]
        if sanitizers:
            print(f"note: cascade-{service} is a sanitizer build; not checking "
                  f"{[os.path.basename(l) for l in sanitizers]} (the image builds the release preset)")
        linked[service] = [l for l in libraries if l not in sanitizers]
    # One dpkg -S for every library (by its path and by its resolved path: /lib vs /usr/lib).
    paths = sorted({p for libraries in linked.values() for l in libraries
                    for p in (l, os.path.realpath(l))})
    owners = {}
    found = subprocess.run(["dpkg", "-S", *paths], capture_output=True, text=True).stdout
    for line in found.splitlines():
        package, _, path = line.partition(": ")
        owners[path.strip()] = package.split(":")[0]
    for service, libraries in linked.items():
        missing = set()
        for library in libraries:
            owner = owners.get(library) or owners.get(os.path.realpath(library))
            if owner is None or owner not in closure:
                if not provided_by_closure(os.path.basename(library), closure):
                    missing.add(f"{library} ({owner})")
        expect(not missing, f"cascade-{service}: every shared library comes with the runtime "
                            f"packages (missing: {sorted(missing)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
