#!/usr/bin/python3
"""Static checks of deploy/Dockerfile (there is no Docker engine here): a multi-stage build on
Debian 12 images only, the build stage installs ./mbrl's package list and builds //cli:mbrl,
the runtime stage is slim, runs as the non-root user the manifests expect, has `mbrl` as its
entrypoint, and installs packages whose dependency closure provides every shared library the
built binary loads (resolved with ldd and mapped to Debian packages with dpkg)."""
import json
import os
import re
import shlex
import subprocess
import unittest

import yaml

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""))
DOCKERFILE = os.path.join(RUNFILES, "deploy", "Dockerfile")
MBRL = os.path.join(RUNFILES, "cli", "mbrl")
DEBIAN_IMAGE = re.compile(r"^debian:bookworm(-slim)?(@sha256:[0-9a-f]{64})?$")


def parse(path):
    """[(stage name, instruction, arguments)] with continuation lines joined, comments and
    parser directives dropped."""
    with open(path) as f:
        text = f.read()
    lines, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # blank lines, comments (also inside a continued instruction), directives
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    instructions, stage = [], None
    for line in lines:
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.match(r"^(\S+)(?:\s+AS\s+(\S+))?$", arguments.strip(), re.IGNORECASE)
            assert match, f"cannot parse FROM {arguments}"
            stage = match.group(2)
        instructions.append((stage, keyword, arguments.strip()))
    return instructions


def stage_instructions(instructions, stage, keyword=None):
    return [args for s, k, args in instructions if s == stage and (keyword is None or k == keyword)]


def apt_packages(run_arguments):
    """The packages of every `apt-get install` in a RUN instruction."""
    packages = []
    for command in re.split(r"&&|;", run_arguments):
        words = shlex.split(command)
        if "apt-get" in words and "install" in words:
            rest = words[words.index("install") + 1:]
            packages += [w for w in rest if not w.startswith("-")]
    return packages


def installed_package_index():
    """{package: [[alternative, ...] per dependency]} and {virtual: [providers]} from dpkg."""
    output = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\t${Depends}, ${Pre-Depends}\t${Provides}\n"],
        capture_output=True, text=True, check=True).stdout
    depends, providers = {}, {}
    for line in output.splitlines():
        package, dependencies, provides = line.split("\t")
        groups = []
        for group in dependencies.split(","):
            alternatives = [re.sub(r"[\s(:].*$", "", a.strip()) for a in group.split("|")]
            alternatives = [a for a in alternatives if a]
            if alternatives:
                groups.append(alternatives)
        depends[package] = groups
        for virtual in provides.split(","):
            virtual = re.sub(r"[\s(].*$", "", virtual.strip())
            if virtual:
                providers.setdefault(virtual, []).append(package)
    return depends, providers


def dependency_closure(roots, depends, providers):
    """Every installed package apt would bring in for `roots` (each installed alternative)."""
    closure, todo = set(), list(roots)
    while todo:
        package = todo.pop()
        if package in closure:
            continue
        closure.add(package)
        for alternatives in depends.get(package, []):
            for alternative in alternatives:
                for candidate in [alternative] + providers.get(alternative, []):
                    if candidate in depends:
                        todo.append(candidate)
    return closure


def _lib_alias(path):
    # Merged /usr: dpkg may know a library under /lib rather than /usr/lib.
    return re.sub(r"^/usr/lib/", "/lib/", path)


def linked_library_packages(binary):
    """{Debian package: [library paths]} of every shared library `binary` loads."""
    output = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libraries = set()
    for line in output.splitlines():
        if "not found" in line:
            raise AssertionError(f"ldd: {line.strip()}")
        match = re.search(r"=>\s+(/\S+)", line) or re.match(r"^\s*(/\S+)", line)
        if match:
            libraries.add(os.path.realpath(match.group(1)))
    owners = {}
    for candidates in (sorted(libraries), sorted(_lib_alias(l) for l in libraries)):
        result = subprocess.run(["dpkg", "-S", *candidates], capture_output=True, text=True)
        for line in result.stdout.splitlines():
            package, _, path = line.partition(": ")
            owners[path.strip()] = package.split(":")[0]
    packages = {}
    for library in sorted(libraries):
        package = owners.get(library) or owners.get(_lib_alias(library))
        if package is None:
            raise AssertionError(f"no Debian package owns {library}")
        packages.setdefault(package, []).append(library)
    return packages


class DockerfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.instructions = parse(DOCKERFILE)
        cls.stages = [s for s, k, _ in cls.instructions if k == "FROM"]

    def runtime_packages(self):
        runs = stage_instructions(self.instructions, "runtime", "RUN")
        return [p for run in runs for p in apt_packages(run)]

    def test_multi_stage_on_debian_bookworm(self):
        self.assertEqual(self.stages, ["build", "runtime"])
        self.assertEqual(self.instructions[0][1], "FROM")
        for stage, keyword, arguments in self.instructions:
            if keyword == "FROM":
                self.assertRegex(arguments.split()[0], DEBIAN_IMAGE, f"stage {stage}")

    def test_build_stage_installs_the_package_list_and_builds_mbrl(self):
        runs = " ".join(stage_instructions(self.instructions, "build", "RUN"))
        self.assertIn("./mbrl setup", runs)
        self.assertRegex(runs, r"bazel build [^&]*//cli:mbrl")
        self.assertIn("install -D -m 0755 bazel-bin/cli/mbrl /out/mbrl", runs)
        copies = stage_instructions(self.instructions, "build", "COPY")
        self.assertEqual(copies[0], "mbrl ./mbrl", "the package list first, for layer caching")

    def test_runtime_stage_is_slim_and_non_root(self):
        self.assertEqual(stage_instructions(self.instructions, "runtime", "FROM")[0].split()[0],
                         "debian:bookworm-slim")
        runs = stage_instructions(self.instructions, "runtime", "RUN")
        for run in runs:
            if "apt-get install" in run:
                self.assertIn("apt-get update", run, "update and install in one layer")
                self.assertIn("--no-install-recommends", run)
                self.assertIn("rm -rf /var/lib/apt/lists/*", run)
        packages = self.runtime_packages()
        self.assertTrue(packages)
        self.assertEqual([p for p in packages if p.endswith("-dev")], [], "no -dev at runtime")
        self.assertIn("libopenblas0-openmp", packages)
        self.assertTrue(any("libblas.so.3" in run and "openblas" in run for run in runs),
                        "the build must check that OpenBLAS provides libblas.so.3")
        (user,) = stage_instructions(self.instructions, "runtime", "USER")
        uid, _, gid = user.partition(":")
        self.assertTrue(uid.isdigit() and int(uid) != 0, f"USER {user} must be a non-root uid")
        # The manifests run the pods as this uid (runAsNonRoot needs a numeric USER).
        with open(os.path.join(RUNFILES, "deploy", "k8s", "base", "pod-defaults.yaml")) as f:
            pod = yaml.safe_load(f)["spec"]["template"]["spec"]["securityContext"]
        self.assertEqual((int(uid), int(gid)), (pod["runAsUser"], pod["runAsGroup"]))

    def test_entrypoint_is_the_mbrl_binary(self):
        (entrypoint,) = stage_instructions(self.instructions, "runtime", "ENTRYPOINT")
        self.assertEqual(json.loads(entrypoint), ["/usr/local/bin/mbrl"], "exec form, mbrl")
        copies = stage_instructions(self.instructions, "runtime", "COPY")
        self.assertIn("--from=build /out/mbrl /usr/local/bin/mbrl", copies)
        runs = stage_instructions(self.instructions, "runtime", "RUN")
        self.assertIn("/usr/local/bin/mbrl version", runs, "smoke-run the binary in the build")
        (expose,) = stage_instructions(self.instructions, "runtime", "EXPOSE")
        self.assertEqual(set(expose.split()), {"50051", "8080"})
        # Sources copied into the runtime image exist (the build stage copies the whole tree).
        for source in [c.split()[0] for c in copies if not c.startswith("--from")]:
            self.assertTrue(os.path.isdir(os.path.join(RUNFILES, source)), source)

    def test_runtime_packages_provide_every_linked_library(self):
        packages = self.runtime_packages()
        depends, providers = installed_package_index()
        unknown = [p for p in packages if p not in depends]
        self.assertEqual(unknown, [], "runtime packages unknown to dpkg here (not Debian 12 names?)")
        closure = dependency_closure(packages, depends, providers)
        needed = linked_library_packages(MBRL)
        self.assertIn("libtorch1.13", needed)
        # Sanitizer runtimes are linked only by `--config=asan` test builds, never by the image's.
        needed = {p: libs for p, libs in needed.items() if not re.match(r"^lib(a|ub|l|t)san\d", p)}
        missing = {p: libs for p, libs in needed.items() if p not in closure}
        self.assertEqual(missing, {}, "libraries of cli/mbrl the runtime stage would not install")

    def test_dockerignore_keeps_bazel_outputs_out_of_the_context(self):
        with open(os.path.join(RUNFILES, "deploy", "Dockerfile.dockerignore")) as f:
            patterns = {line.strip() for line in f if line.strip() and not line.startswith("#")}
        self.assertLessEqual({".git", "bazel-*", "user.bazelrc"}, patterns)

    def test_helpers_can_say_no(self):
        self.assertEqual(apt_packages("apt-get update && apt-get install -y --no-install-recommends a b"),
                         ["a", "b"])
        depends = {"a": [["b"]], "b": [["c", "d"]], "c": [], "x": []}
        self.assertEqual(dependency_closure(["a"], depends, {}), {"a", "b", "c"})
        self.assertEqual(dependency_closure(["v"], {"v": [["virt"]], "p": []}, {"virt": ["p"]}),
                         {"v", "p"})


if __name__ == "__main__":
    unittest.main()
