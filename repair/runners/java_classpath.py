"""The test classpath of a built Java project, and whether its compiled classes match its sources.

Validating a candidate without the build tool needs three facts the build tool knows: where the
compiled classes are (main and test), which jars the tests run with, and how to bring the classes
up to date once. Defects4J says them through `defects4j export` (`cp.test`, `dir.bin.classes`,
`dir.bin.tests`); Maven through `dependency:build-classpath` plus its `target/` folders; Gradle
through an init script that prints the test runtime classpath.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from repair.containers.workspace import SCRATCH_DIR, Workspace

MAVEN_CLASSPATH_FILE = f"{SCRATCH_DIR}/maven-test-classpath.txt"
GRADLE_INIT_FILE = f"{SCRATCH_DIR}/print-test-classpath.gradle"
DISCOVERY_TIMEOUT = 600.0
_GRADLE_INIT = """allprojects {
    tasks.register('repairPrintTestClasspath') {
        doLast {
            def ss = project.sourceSets
            println 'REPAIR-CP=' + ss.test.runtimeClasspath.asPath
            println 'REPAIR-MAIN-SRC=' + ss.main.java.srcDirs.join(File.pathSeparator)
            println 'REPAIR-TEST-SRC=' + ss.test.java.srcDirs.join(File.pathSeparator)
            println 'REPAIR-MAIN-OUT=' + ss.main.output.classesDirs.asPath
            println 'REPAIR-TEST-OUT=' + ss.test.output.classesDirs.asPath
        }
    }
}
"""


@dataclass(frozen=True)
class ProjectClasspath:
    """What the tests of a built project run with. Folders are relative to the checkout root.

    `entries` is the whole test classpath in the build tool's order (absolute paths or relative to
    the root): class folders and jars. `compile_command` brings the class folders up to date with the
    sources (None: the test runner's own build step does it).
    """

    entries: tuple[str, ...]
    class_dirs: tuple[str, ...]
    source_dirs: tuple[str, ...]
    compile_command: tuple[str, ...] | None = None
    env: dict[str, str] = field(default_factory=dict)

    def absolute(self, root: str) -> list[str]:
        """The entries as absolute paths under `root`."""
        return [e if os.path.isabs(e) else os.path.join(root, e) for e in self.entries]

    @property
    def has_junit5(self) -> bool:
        """JUnit 5 (Jupiter) tests need their own engine, which the warm worker does not run."""
        return any("junit-jupiter" in os.path.basename(e) for e in self.entries)


def split_path(text: str) -> tuple[str, ...]:
    return tuple(p for p in text.strip().split(os.pathsep) if p)


def defects4j_classpath(cp_test: str, bin_classes: str, bin_tests: str, src_classes: str, src_tests: str,
                        env: dict[str, str] | None = None) -> ProjectClasspath:
    """From `defects4j export -p cp.test / dir.bin.classes / dir.bin.tests / dir.src.*`."""
    return ProjectClasspath(split_path(cp_test), (bin_classes, bin_tests), (src_classes, src_tests),
                            ("defects4j", "compile"), dict(env or {}))


def _pom_dir(pom: str, tag: str, default: str) -> str:
    # Only a literal folder: one that uses ${...} properties needs Maven's model, and the default is safer.
    match = re.search(rf"<build>.*?<{tag}>\s*([^<$]+?)\s*</{tag}>", pom, re.S)
    return match.group(1) if match else default


def maven_classpath(workspace: Workspace, timeout: float = DISCOVERY_TIMEOUT) -> ProjectClasspath | None:
    """The test classpath of a single-module Maven project (None for a reactor or when Maven fails).

    Maven runs offline (`-o`): the baseline test run has already resolved every dependency.
    """
    if not workspace.exists("pom.xml"):
        return None
    pom = workspace.read_file("pom.xml")
    if re.search(r"<modules>\s*<module>", pom):
        return None  # a reactor: each module has its own classpath
    result = workspace.run(["mvn", "-o", "-q", "-B", "dependency:build-classpath", "-Dmdep.includeScope=test",
                            f"-Dmdep.outputFile={MAVEN_CLASSPATH_FILE}"], timeout=timeout)
    if not result.ok or not workspace.exists(MAVEN_CLASSPATH_FILE):
        return None
    jars = split_path(workspace.read_file(MAVEN_CLASSPATH_FILE))
    out = _pom_dir(pom, "outputDirectory", "target/classes")
    test_out = _pom_dir(pom, "testOutputDirectory", "target/test-classes")
    src = _pom_dir(pom, "sourceDirectory", "src/main/java")
    test_src = _pom_dir(pom, "testSourceDirectory", "src/test/java")
    return ProjectClasspath((test_out, out, *jars), (out, test_out), (src, test_src),
                            ("mvn", "-o", "-q", "-B", "test-compile"))


def gradle_classpath(workspace: Workspace, timeout: float = DISCOVERY_TIMEOUT) -> ProjectClasspath | None:
    """The test runtime classpath of a single Gradle project, printed by an init script."""
    program = "./gradlew" if workspace.exists("gradlew") else "gradle"
    workspace.write_file(GRADLE_INIT_FILE, _GRADLE_INIT)
    result = workspace.run([program, "-q", "--offline", "-I", GRADLE_INIT_FILE, "repairPrintTestClasspath"],
                           timeout=timeout)
    if not result.ok:
        return None
    values: dict[str, tuple[str, ...]] = {}
    for line in result.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.startswith("REPAIR-") and key not in values:  # the root project's lines come first
            values[key] = split_path(value)
    if "REPAIR-CP" not in values:
        return None
    root = workspace.path.rstrip("/") + "/"

    def relative(paths: Iterable[str]) -> tuple[str, ...]:
        return tuple(p[len(root):] if p.startswith(root) else p for p in paths)

    return ProjectClasspath(values["REPAIR-CP"], relative(values.get("REPAIR-MAIN-OUT", ()) +
                                                          values.get("REPAIR-TEST-OUT", ())),
                            relative(values.get("REPAIR-MAIN-SRC", ()) + values.get("REPAIR-TEST-SRC", ())),
                            (program, "-q", "--offline", "testClasses"))


def class_dir_fingerprint(root: str, class_dirs: Sequence[str]) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime, size) of every class file: changes whenever the build tool writes one."""
    found: list[tuple[str, int, int]] = []
    for rel in class_dirs:
        for dirpath, _, files in os.walk(os.path.join(root, rel)):
            for name in files:
                if name.endswith(".class"):
                    st = os.stat(os.path.join(dirpath, name))
                    found.append((os.path.join(dirpath, name), st.st_mtime_ns, st.st_size))
    return tuple(sorted(found))


def stale_sources(root: str, project: ProjectClasspath) -> list[str]:
    """Sources newer than their class file, or with none (what an incremental build would recompile).

    A source whose top-level class has another name than the file (rare) has no class file of its
    name and counts as stale, which costs one unneeded build, never a wrong verdict.
    """
    stale: list[str] = []
    pairs = list(zip(project.source_dirs, project.class_dirs, strict=False))
    for src_dir, class_dir in pairs:
        base = Path(root) / src_dir
        for source in base.rglob("*.java"):
            if source.name in ("package-info.java", "module-info.java"):
                continue
            rel = source.relative_to(base)
            compiled = Path(root) / class_dir / rel.with_suffix(".class")
            if not compiled.is_file() or compiled.stat().st_mtime_ns < source.stat().st_mtime_ns:
                stale.append(str(Path(src_dir) / rel))
    return stale
