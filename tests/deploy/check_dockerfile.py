#!/usr/bin/env python3
"""Checks deploy/docker/Dockerfile (or Dockerfile.cuda) without a container engine (none runs
on these machines).

  check_dockerfile.py SOURCE_DIR [BIN_DIR] [--dockerfile deploy/docker/Dockerfile.cuda]

- both stages start from Debian 12 (bookworm);
- every binary the build stage builds is a target of this tree (cascade_binary,
  add_executable), and the build stage builds every server the chart runs;
- every file the Dockerfile COPYs from the build context exists, and its
  Dockerfile.dockerignore lets it through;
- the build stage builds every server the chart runs (cascade-<service>), and the runtime
  runs as the chart's non-root user;
- the model files the chart's default inference config names are copied to their paths;
- every package the runtime stage installs is a Debian package (apt-cache), and, given
  BIN_DIR with built servers, every shared library they load (ldd) belongs to one of those
  packages or their dependencies. A sanitizer build's runtimes (libasan, libubsan, ...) are
  left out of that check: the image builds the release preset, which links none of them.
Dockerfile.cuda also:
- installs nvcc and cudart of one CUDA version from NVIDIA's Debian 12 repository, the
  major version this tree is built with (/usr/local/cuda/bin/nvcc, when present), and
  configures with that nvcc, stopping when the CUDA backend is not built;
- runs the same runtime packages as the CPU image, sets NVIDIA_DRIVER_CAPABILITIES (compute)
  and NVIDIA_REQUIRE_CUDA for the container toolkit, and no server loads a CUDA library
  dynamically (the engine links cudart statically; libcuda.so comes from the driver).
Standard library only; prints one line per check, exits 1 on the first failure.
"""
import argparse
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


def cmake_targets(source):
    """Executables this tree defines: cascade_binary(NAME, add_executable(NAME, ..."""
    targets = set()
    for root, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "build"]
        for name in files:
            if name == "CMakeLists.txt" or name.endswith(".cmake"):
                text = open(os.path.join(root, name), errors="replace").read()
                targets |= set(re.findall(
                    r"\b(?:cascade_binary|add_executable|cascade_gpu_binary)\(\s*([\w-]+)", text))
    return targets


def local_cuda_major():
    nvcc = "/usr/local/cuda/bin/nvcc"
    if not os.path.exists(nvcc):
        return None
    out = subprocess.run([nvcc, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"release (\d+)\.(\d+)", out)
    return found.group(1) if found else None


def check_cuda(text, args, runtime):
    """The CUDA toolchain of the build stage and the container toolkit's variables."""
    build = text.split("AS runtime")[0]
    package = args.get("CUDA_PACKAGE_VERSION", "")
    home = args.get("CUDA_HOME", "")
    expect(re.fullmatch(r"\d+-\d+", package) is not None,
           f"ARG CUDA_PACKAGE_VERSION is a CUDA package suffix ({package!r})")
    major, minor = package.split("-")
    expect(home == f"/usr/local/cuda-{major}.{minor}",
           f"ARG CUDA_HOME is where the {package} packages install ({home})")
    expect(re.search(r"cuda/repos/debian12/x86_64/cuda-keyring_[\d.-]+_all\.deb", build) is not None
           and "dpkg -i /tmp/cuda-keyring.deb" in build,
           "the build stage trusts NVIDIA's Debian 12 CUDA repository through cuda-keyring")
    for name in ("cuda-nvcc", "cuda-cudart-dev"):
        expect(f"{name}-${{CUDA_PACKAGE_VERSION}}" in build,
               f"the build stage installs {name} of CUDA {major}.{minor}")
    expect("-DCMAKE_CUDA_COMPILER=${CUDA_HOME}/bin/nvcc" in build
           and 'grep -q "CUDA backend: ${CUDA_HOME}/bin/nvcc"' in build,
           "the build configures with that nvcc and stops unless the CUDA backend is built")
    cascade_cuda = open(os.path.join(SOURCE, "cmake/CascadeCuda.cmake")).read()
    expect(re.search(rf"CUDA {major}\b", cascade_cuda) is not None,
           f"cmake/CascadeCuda.cmake builds for CUDA {major} too")
    local = local_cuda_major()
    if local is None:
        print("note: no /usr/local/cuda/bin/nvcc here: the local CUDA version not compared")
    else:
        expect(local == major, f"the image's CUDA {major} is the major version this tree is "
                               f"built with here (nvcc {local})")
    capabilities = re.search(r"NVIDIA_DRIVER_CAPABILITIES=(\S+)", runtime)
    expect(capabilities is not None and "compute" in capabilities.group(1).split(","),
           "the runtime asks the container toolkit for the driver's compute libraries")
    expect(re.search(rf'NVIDIA_REQUIRE_CUDA="cuda>={major}\.{minor}"', runtime) is not None,
           f"the runtime requires a driver for CUDA >= {major}.{minor}")
    expect("NVIDIA_VISIBLE_DEVICES" not in runtime,
           "the image names no GPUs (the device plugin gives the pod its nvidia.com/gpu)")


SOURCE = ""


def runtime_packages(runtime):
    install = re.search(r"apt-get install -y --no-install-recommends(.*?)&&",
                        re.sub(r"\\\n", " ", runtime), re.S)
    return install.group(1).split()


def main():
    global SOURCE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_dir")
    parser.add_argument("bin_dir", nargs="?", default="")
    parser.add_argument("--dockerfile", default="deploy/docker/Dockerfile",
                        help="relative to SOURCE_DIR")
    options = parser.parse_args()
    source = SOURCE = os.path.abspath(options.source_dir)
    bin_dir = options.bin_dir
    dockerfile = os.path.join(source, options.dockerfile)
    cuda = options.dockerfile.endswith(".cuda")
    print(f"checking {options.dockerfile}")
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
    built = re.search(r"--target(.*?)&&", re.sub(r"\\\n", " ", text.split("AS runtime")[0]), re.S)
    expect(built is not None, "the build stage names the targets it builds")
    targets = cmake_targets(source)
    for target in built.group(1).split():
        expect(target in targets, f"{target} (built and copied to /usr/local/bin) is a target of this tree")
    runtime = text.split("AS runtime", 1)[1]
    if cuda:
        check_cuda(text, args, runtime)
        cpu_runtime = open(os.path.join(source, "deploy/docker/Dockerfile")).read().split("AS runtime", 1)[1]
        expect(runtime_packages(runtime) == runtime_packages(cpu_runtime),
               "the CUDA runtime installs the CPU image's packages (no CUDA library: cudart is static)")
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

    packages = runtime_packages(runtime)
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
        if cuda:
            needed = re.findall(r"^\s*(lib(?:cuda|cudart|cublas\w*|nvrtc)\.so\S*)", ldd, re.M)
            expect(not needed, f"cascade-{service} loads no CUDA library dynamically "
                               f"(found: {needed}): the runtime ships none")
            if service == "inference":
                with open(binary, "rb") as f:
                    has_backend = b"cudaMalloc" in f.read()
                print(f"note: cascade-inference here is {'a CUDA' if has_backend else 'a CPU-only'} "
                      "build (nvcc " + ("found" if has_backend else "not found") + " when it was built)")
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
