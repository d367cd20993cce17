"""What coverage needs to run a compiled Java project's tests in our own JVM, for every kind of build.

The build tool runs once, to compile (javac for javac + JUnit 4, `defects4j compile`, Maven's
`test-compile` with the user's own options, Gradle's `testClasses`); where the classes went and what the
tests run with comes from `project_classpath` (the same facts the fast validator uses: Defects4J's
exports kept in `Bug.meta`, Maven's `dependency:build-classpath`, a Gradle init script).
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field

from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug
from repair.errors import FaultLocalizationError
from repair.fast_validation import project_classpath
from repair.runners import JUnit4Runner, TestRunner
from repair.runners.build_tool import maven_options
from repair.runners.junit import CLASSES_DIR

# Surefire's default includes (https://maven.apache.org/surefire/maven-surefire-plugin/test-mojo.html#includes);
# Gradle runs every class with tests, which these names cover in the usual layouts.
SUREFIRE_INCLUDES = ("Test*.class", "*Test.class", "*Tests.class", "*TestCase.class")


@dataclass(frozen=True)
class JavaTestLayout:
    """A compiled Java project, as paths the workspace's commands see (relative to its root or absolute).

    `classes_dirs` hold the compiled classes that coverage is read from (test classes among them are
    left out later, as tests are never ranked); `classpath` is what the tests run with, in the build's
    order; `test_classes` the test classes to run, by binary name.
    """

    classes_dirs: tuple[str, ...]
    classpath: tuple[str, ...]
    test_classes: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)

    def run_classpath(self, first: tuple[str, ...] = ()) -> list[str]:
        """`first` (our tools and JUnit 4), then the class folders, then the rest; each entry once."""
        entries: list[str] = []
        for entry in (*first, *self.classes_dirs, *self.classpath):
            if entry and entry not in entries:
                entries.append(entry)
        return entries


def coverage_layout(bug: Bug, workspace: Workspace, runner: TestRunner, timeout: float) -> JavaTestLayout:
    """Compile the project once with its own build and describe it; FaultLocalizationError says why not."""
    if isinstance(runner, JUnit4Runner):
        compiled = runner.build()
        if compiled is not None and not compiled.ok:
            raise FaultLocalizationError("the bug does not compile, so there is no coverage: "
                                         + compiled.output.strip()[-500:])
        return JavaTestLayout((CLASSES_DIR,), tuple(runner.classpath), tuple(runner.setup.test_classes))
    framework = bug.test_setup.framework
    if framework == "maven":
        # The user's options (profiles, -Dmaven.compiler.source=8, ...) decide whether the project compiles.
        _build(workspace, [*maven_options(bug.test_setup.command), "test-compile"], {}, timeout)
    project = project_classpath(workspace, bug)
    if project is None:
        raise FaultLocalizationError(f"the test classpath of this {framework} build is unknown (a Maven reactor, or "
                                     "a build the project's tool could not describe)")
    if project.has_junit5:
        raise FaultLocalizationError("JUnit 5 (Jupiter) tests: the coverage runner runs JUnit 3 and 4 tests only")
    if framework != "maven" and project.compile_command:
        _build(workspace, list(project.compile_command), project.env, timeout)
    listed = str(bug.meta.get("test_classes") or "")  # Defects4J: `tests.all`, without its excluded tests
    tests = tuple(t.strip() for t in listed.splitlines() if t.strip()) or tuple(
        name for folder in project.class_dirs for name in surefire_test_classes(workspace, folder))
    return JavaTestLayout(project.class_dirs, project.entries, tests, dict(project.env))


def _build(workspace: Workspace, argv: list[str], env: Mapping[str, str], timeout: float) -> None:
    compiled = workspace.run(argv, timeout=timeout, env=dict(env) or None)
    if not compiled.ok:
        why = "timed out" if compiled.timed_out else compiled.output.strip()[-800:]
        raise FaultLocalizationError(f"`{' '.join(argv)}` failed, so there is no coverage: {why}")


def surefire_test_classes(workspace: Workspace, classes_dir: str,
                          includes: tuple[str, ...] = SUREFIRE_INCLUDES) -> tuple[str, ...]:
    """Top-level classes under `classes_dir` whose file names match `includes`, by binary name."""
    found = workspace.run(["find", classes_dir, "-name", "*.class", "-not", "-name", "*$*"], timeout=120)
    prefix = classes_dir.rstrip("/") + "/"
    names = []
    for line in sorted(found.stdout.splitlines()):
        if line.startswith(prefix) and any(fnmatch.fnmatchcase(posixpath.basename(line), p) for p in includes):
            names.append(line[len(prefix):-len(".class")].replace("/", "."))
    return tuple(names)
