"""Defects4J through its `defects4j` CLI, on the host or inside a container image.

Every call goes through the bug's `Workspace`, so the same code drives a `defects4j` on the
host's PATH (`--backend local`) and one inside the image built from containers/defects4j
(`--backend docker`). Defects4J has no timeouts of its own; `Workspace.run` enforces one on
every call. Its tests assume the Los Angeles time zone, so TZ is always set.

Nothing from the future reaches the workspace: a Defects4J checkout's git history holds the fixed
version (tags `D4J_<P>_<N>_FIXED_VERSION`, `..._POST_FIX_COMPILABLE`) and its
`defects4j.build.properties` names the classes the fix modified. The workspace gets the buggy tree
without `.git`, and a properties file with only what `defects4j compile/test/export` read (project,
bug number, source folders, excluded tests; `d4j.classes.modified` empty, which its sanity check
only wants set). The trigger tests, the bug's input, are exported before that.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from unidiff import PatchSet

from repair.containers.process import CommandResult
from repair.containers.workspace import SCRATCH_DIR, Workspace, adopt_checkout
from repair.datasets.bug import DEFAULT_TEST_PATTERNS, Bug, Location
from repair.errors import DatasetUnavailableError, UnknownBugError
from repair.runners import register_command_runner
from repair.runners.base import TestSetup, failed_build
from repair.runners.report import TestReport, TestResult, TestStatus

DEFECTS4J_IMAGE = "localhost/repair-defects4j:latest"
D4J_ENV = {"TZ": "America/Los_Angeles"}
CHECKOUT_DIR = f"{SCRATCH_DIR}/d4j-checkout"
FAILING_TESTS_FILE = "failing_tests"
ALL_TESTS_FILE = "all_tests"
LAYOUT_FILE = f"{SCRATCH_DIR}/defects4j-layout.json"
PROPERTIES_FILE = "defects4j.build.properties"
CONFIG_FILE = ".defects4j.config"
# What `defects4j compile/test/export` leave in the checkout; never part of a patch.
GENERATED = ("failing_tests", "all_tests", "build/", "target/", ".classes_instrumented/", "cobertura.ser",
             ".export.*")
# Properties that `defects4j compile/test/export` need and that say nothing about the fix.
KEPT_PROPERTIES = ("d4j.project.id", "d4j.bug.id", "d4j.dir.src.classes", "d4j.dir.src.tests", "d4j.tests.exclude")
# Defects4J's own files and the build files: a patch must not change how the tests are built or run.
FRAMEWORK_FILES = (CONFIG_FILE, PROPERTIES_FILE, "build.xml", "build.xml.bak", "maven-build.xml", "*.properties")
# `defects4j export` properties the checkout records (Bug.meta and LAYOUT_FILE).
LAYOUT_EXPORTS = {"bin_classes": "dir.bin.classes", "bin_tests": "dir.bin.tests",
                  "compile_classpath": "cp.compile", "test_classpath": "cp.test", "test_classes": "tests.all"}
SETUP_HINT = (
    "Defects4J is not available: install it (https://github.com/rjust/defects4j#setting-up-defects4j) so that "
    "`defects4j` is on PATH, or build the image with "
    "`docker build -t localhost/repair-defects4j:latest containers/defects4j` "
    "and use --backend docker (see docs/benchmarks.md)"
)
# Defects4J v2.0: the highest bug number of each project.
PROJECTS = {
    "Chart": 26, "Cli": 40, "Closure": 176, "Codec": 18, "Collections": 28, "Compress": 47, "Csv": 16,
    "Gson": 18, "JacksonCore": 26, "JacksonDatabind": 112, "JacksonXml": 6, "Jsoup": 93, "JxPath": 22,
    "Lang": 65, "Math": 106, "Mockito": 38, "Time": 27,
}
TIMEOUTS = {"checkout": 1800.0, "compile": 900.0, "test": 1800.0, "export": 600.0, "bids": 120.0}
_ID = re.compile(r"^(?:defects4j:)?([A-Za-z]+)-(\d+)$")
_ALL_TESTS_LINE = re.compile(r"^\s*([\w$]+)\(([\w.$]+)\)\s*$")
_MISSING_PERL_MODULE = re.compile(r"Can't locate ([\w/]+)\.pm in @INC")
_HUNK = re.compile(r"^@@ -(\S+) \+(\S+) @@(.*)$", re.S)


def parse_bug_id(bug_id: str) -> tuple[str, int]:
    """`defects4j:Closure-14` or `Closure-14` -> ("Closure", 14); UnknownBugError otherwise."""
    match = _ID.match(bug_id.strip())
    if not match:
        raise UnknownBugError(f"unknown Defects4J bug id '{bug_id}': use PROJECT-NUMBER, e.g. defects4j:Closure-14")
    project = {p.lower(): p for p in PROJECTS}.get(match.group(1).lower())
    number = int(match.group(2))
    if project is None:
        raise UnknownBugError(f"unknown Defects4J project '{match.group(1)}': known are {', '.join(PROJECTS)}")
    if not 1 <= number <= PROJECTS[project]:
        raise UnknownBugError(f"Defects4J {project} has bugs 1..{PROJECTS[project]}, not {number}")
    return project, number


def looks_like_bug_id(bug_id: str) -> bool:
    """True for a short id such as `Closure-14` (used to resolve ids given without `defects4j:`)."""
    match = _ID.match(bug_id.strip())
    return bool(match) and match.group(1).lower() in {p.lower() for p in PROJECTS}  # type: ignore[union-attr]


@dataclass(frozen=True)
class FailingTest:
    """One entry of Defects4J's `failing_tests` file: `--- Class::method` then the trace."""

    test_id: str
    message: str
    trace: str


def parse_failing_tests(text: str) -> list[FailingTest]:
    """Parse a `failing_tests` file (or `tests.trigger` output, which has no traces)."""
    entries: list[FailingTest] = []
    current: str | None = None
    lines: list[str] = []

    def flush() -> None:
        if current is not None:
            trace = "\n".join(lines).rstrip()
            message = lines[0].strip() if lines else ""
            entries.append(FailingTest(current, message, trace))

    for line in text.splitlines():
        if line.startswith("--- "):
            flush()
            current, lines = line[4:].strip(), []
        elif current is not None:
            lines.append(line)
    flush()
    return entries


def parse_all_tests(text: str) -> list[str]:
    """`all_tests` lines are JUnit descriptions, `method(pkg.Class)`; as `pkg.Class::method` ids."""
    ids = []
    for line in text.splitlines():
        match = _ALL_TESTS_LINE.match(line)
        if match:
            ids.append(f"{match.group(2)}::{match.group(1)}")
    return ids


class Defects4JCli:
    """The `defects4j` commands this adapter issues, run in `workspace` with TZ and a timeout."""

    def __init__(self, workspace: Workspace, program: str = "defects4j") -> None:
        self.workspace = workspace
        self.program = program

    def call(self, args: Sequence[str], timeout: float, cwd: str | None = None) -> CommandResult:
        return self.workspace.run([self.program, *args], timeout=timeout, env=D4J_ENV, cwd=cwd)

    def available(self) -> bool:
        """Whether `defects4j` can be run where the workspace runs its commands."""
        probe = self.workspace.run(["sh", "-c", f"command -v {self.program}"], timeout=30)
        return probe.ok

    def checkout(self, project: str, number: int, work_dir: str) -> CommandResult:
        return self._ok(self.call(["checkout", "-p", project, "-v", f"{number}b", "-w", work_dir],
                                  TIMEOUTS["checkout"]), "checkout")

    def compile(self, timeout: float = TIMEOUTS["compile"]) -> CommandResult:
        return self.call(["compile"], timeout)

    def test(self, test: str | None = None, relevant: bool = False,
             timeout: float = TIMEOUTS["test"]) -> CommandResult:
        args = ["test"]
        if test:
            args += ["-t", test]
        if relevant:
            args.append("-r")
        return self.call(args, timeout)

    def export(self, prop: str, cwd: str | None = None) -> str:
        """The value of a property (`dir.src.classes`, `tests.trigger`, ...); stdout has only the value."""
        return self._ok(self.call(["export", "-p", prop], TIMEOUTS["export"], cwd=cwd),
                        f"export -p {prop}").stdout.strip()

    @staticmethod
    def _ok(result: CommandResult, what: str) -> CommandResult:
        if not result.ok:
            raise DatasetUnavailableError(failure_line(what, result.output, result.timed_out))
        return result


def failure_line(what: str, output: str, timed_out: bool = False) -> str:
    """One line saying why a `defects4j` command failed: a missing perl module by name, else the output's end."""
    missing = _MISSING_PERL_MODULE.search(output)
    if missing:
        module = missing.group(1).replace("/", "::")
        return (f"defects4j {what} failed: the perl module {module} is missing (defects4j-local.sh's header lists "
                "the Debian packages: ant libdbi-perl libdbd-csv-perl libjson-perl libjson-parse-perl "
                "libstring-interpolate-perl liburi-perl)")
    why = "timed out" if timed_out else " ".join(output.split())[-400:] or "no output"
    return f"defects4j {what} failed: {why}"


class Defects4JRunner:
    """Compiles with `defects4j compile` and tests with `defects4j test`, read from `failing_tests`."""

    def __init__(self, workspace: Workspace, setup: TestSetup) -> None:
        self.workspace = workspace
        self.setup = setup
        self.cli = Defects4JCli(workspace)
        self.relevant_only = "-r" in (setup.command or "").split()

    def build(self) -> CommandResult | None:
        return self.cli.compile(timeout=min(TIMEOUTS["compile"], self.setup.total_timeout))

    def run(self, tests: Sequence[str] | None = None, fail_fast: bool = False, build: bool = True) -> TestReport:
        start = time.monotonic()
        if build and (failed := failed_build(self, start)):
            return failed
        report = TestReport()
        outputs = []
        for target in list(tests) if tests else [None]:
            result = self._run_one(target, report)
            outputs.append(result.output)
            if result.timed_out:
                report.timed_out = True
            if not report.build_ok or (fail_fast and report.failing):
                break
        report.output = "\n".join(outputs)
        report.seconds = time.monotonic() - start
        return report

    def _run_one(self, target: str | None, report: TestReport) -> CommandResult:
        self.workspace.run(["rm", "-f", FAILING_TESTS_FILE, ALL_TESTS_FILE], timeout=30)
        result = self.cli.test(test=target, relevant=self.relevant_only and target is None,
                               timeout=self.setup.total_timeout)
        failing_text = self._read(FAILING_TESTS_FILE)
        if not result.ok and not failing_text and not result.timed_out:
            # `defects4j test` compiles the tests first; no results at all means that failed.
            report.build_ok, report.build_output = False, result.output[-8000:]
            return result
        failed = parse_failing_tests(failing_text)
        for entry in failed:
            report.add(TestResult(entry.test_id, TestStatus.FAIL, entry.message, entry.trace))
        failed_ids = {e.test_id for e in failed}
        ran = parse_all_tests(self._read(ALL_TESTS_FILE))
        if target and "::" in target and not ran:
            ran = [target]
        for test_id in ran:
            if test_id not in failed_ids:
                report.add(TestResult(test_id, TestStatus.PASS))
        if result.timed_out and target and target not in report.results:
            report.add(TestResult(target, TestStatus.TIMEOUT, "defects4j test was killed at its timeout"))
        return result

    def _read(self, rel_path: str) -> str:
        return self.workspace.read_file(rel_path) if self.workspace.exists(rel_path) else ""


register_command_runner("defects4j", Defects4JRunner)


class Defects4JDataset:
    """`defects4j:<Project>-<N>` (or just `<Project>-<N>`): the buggy version `Nb`."""

    name = "defects4j"

    def __init__(self, image: str = DEFECTS4J_IMAGE) -> None:
        self.image = image

    def list_bugs(self) -> list[Bug]:
        # Listing needs no checkout; deprecated ids are refused later by `defects4j checkout`.
        return [self.get(f"{p}-{n}") for p, last in PROJECTS.items() for n in range(1, last + 1)]

    def get(self, bug_id: str) -> Bug:
        project, number = parse_bug_id(bug_id)
        # All developer tests, not `defects4j test -r`: its "relevant tests" are those that load a class
        # the fix modified, which is knowledge of the fix.
        bug = Bug(
            id=f"defects4j:{project}-{number}",
            dataset=self.name,
            language="java",
            test_setup=TestSetup("command", command="defects4j test", total_timeout=TIMEOUTS["test"]),
            test_patterns=(*DEFAULT_TEST_PATTERNS, *FRAMEWORK_FILES),
            meta={"project": project, "bug_number": number, "docker_image": self.image},
        )
        truth = human_fix(project, number)
        if truth is not None:  # held in memory for reports and --perfect-fl; never written to a workspace
            bug.fix_patch, bug.buggy_locations = truth
        return bug

    def checkout(self, bug: Bug, workspace: Workspace) -> None:
        """Check out `Nb` without its history or the fix's facts, adopt it as the workspace's base, and
        record where its build puts things (`bug.meta`: src_dir, test_dir, bin_classes, bin_tests,
        compile_classpath, test_classpath, test_classes, test_env).

        The trigger tests become `bug.failing_tests` (the Bug object is updated in place, because
        Defects4J only tells them once a checkout exists).
        """
        cli = Defects4JCli(workspace)
        if not cli.available():
            raise DatasetUnavailableError(SETUP_HINT)
        project, number = bug.meta["project"], bug.meta["bug_number"]
        workspace.run(["rm", "-rf", CHECKOUT_DIR], timeout=120)
        try:
            cli.checkout(project, number, f"{workspace.path}/{CHECKOUT_DIR}")
            triggers = [line.strip() for line in cli.export("tests.trigger", cwd=CHECKOUT_DIR).splitlines()
                        if line.strip()]
            properties = f"{CHECKOUT_DIR}/{PROPERTIES_FILE}"
            kept = without_fix_facts(workspace.read_file(properties))
            workspace.write_file(properties, kept)
            adopt_checkout(workspace, CHECKOUT_DIR)
        finally:
            workspace.run(["rm", "-rf", CHECKOUT_DIR], timeout=300)
        exclude_from_diffs(workspace, GENERATED)
        facts = read_layout(workspace, cli)
        bug.failing_tests = triggers
        bug.test_patterns = (*bug.test_patterns, f"{facts['test_dir']}/*")
        bug.meta.update(facts, test_env=dict(D4J_ENV))


def without_fix_facts(properties: str) -> str:
    """A `defects4j.build.properties` with only KEPT_PROPERTIES, and `d4j.classes.modified` set empty."""
    lines = ["#Written by repair: Defects4J's properties without the facts that come from the fix"]
    for line in properties.splitlines():
        key = line.split("=", 1)[0].strip()
        if key in KEPT_PROPERTIES:
            lines.append(line)
    lines.append("d4j.classes.modified=")
    return "\n".join(lines) + "\n"


def read_layout(workspace: Workspace, cli: Defects4JCli | None = None) -> dict[str, str]:
    """Source and class folders, classpaths and test classes of the checkout, from `defects4j export`
    once and from LAYOUT_FILE after that. `cp.test` compiles the project (Defects4J's target depends on it)."""
    if workspace.exists(LAYOUT_FILE):
        try:
            cached = json.loads(workspace.read_file(LAYOUT_FILE))
            if isinstance(cached, dict) and all(isinstance(cached.get(k), str) for k in LAYOUT_EXPORTS):
                return cached
        except ValueError:
            pass  # written by a run that was killed: export again
    cli = cli or Defects4JCli(workspace)
    properties = dict(line.split("=", 1) for line in workspace.read_file(PROPERTIES_FILE).splitlines()
                      if "=" in line and not line.startswith("#"))
    facts = {"src_dir": properties.get("d4j.dir.src.classes", "").strip(),
             "test_dir": properties.get("d4j.dir.src.tests", "").strip()}
    for key, prop in LAYOUT_EXPORTS.items():
        facts[key] = cli.export(prop)
    workspace.write_file(LAYOUT_FILE, json.dumps(facts, indent=1))
    return facts


def exclude_from_diffs(workspace: Workspace, patterns: Sequence[str]) -> None:
    """Keep what a benchmark's tools generate (build dirs, reports) out of snapshots and diffs."""
    # Both backends keep their git repository at the checkout's root.
    exclude = ".git/info/exclude"
    current = workspace.read_file(exclude) if workspace.exists(exclude) else ""
    missing = [g for g in patterns if g not in current.splitlines()]
    if missing:
        workspace.write_file(exclude, current.rstrip("\n") + "\n" + "\n".join(missing) + "\n")


def host_has_defects4j() -> bool:
    """Whether `defects4j` is on this machine's PATH."""
    return shutil.which("defects4j") is not None


def framework_dir() -> Path | None:
    """The `framework/` folder of the `defects4j` on PATH (framework/bin/defects4j), or None."""
    found = shutil.which("defects4j")
    if found is None:
        return None
    framework = Path(found).resolve().parent.parent
    return framework if (framework / "projects").is_dir() else None


def human_fix(project: str, number: int, framework: Path | None = None) -> tuple[str, list[Location]] | None:
    """The developer's fix (buggy → fixed) and the buggy lines it touches, from the framework's
    `projects/<P>/patches/<N>.src.patch` on this host; None when that file is not here.

    Ground truth for evaluation (reports, benchmarks, tests): it never enters a workspace.
    """
    framework = framework or framework_dir()
    patch = framework / "projects" / project / "patches" / f"{number}.src.patch" if framework else None
    if patch is None or not patch.is_file():
        return None
    text = patch.read_text(encoding="utf-8", errors="replace")
    return reverse_diff(text), changed_lines(text)


def reverse_diff(diff: str) -> str:
    """A unified diff the other way round (Defects4J's patches turn the fixed version into the buggy one)."""
    out = []
    for line in diff.splitlines(keepends=True):
        header = _HUNK.match(line)
        if header:
            out.append(f"@@ -{header.group(2)} +{header.group(1)} @@{header.group(3)}")
        elif line.startswith(("+++", "---")):
            out.append(line)
        elif line.startswith("+"):
            out.append("-" + line[1:])
        elif line.startswith("-"):
            out.append("+" + line[1:])
        else:
            out.append(line)
    return "".join(out)


def changed_lines(fixed_to_buggy: str) -> list[Location]:
    """Lines of the buggy files that a fixed → buggy diff adds; where it only removes (the fix inserts
    code), the buggy lines on either side of the insertion point."""
    locations: list[Location] = []
    for patched in PatchSet(fixed_to_buggy):
        path = patched.path
        for hunk in patched:
            lines = list(hunk)
            for i, line in enumerate(lines):
                if line.is_added and line.target_line_no:
                    locations.append(Location(path, line.target_line_no))
                elif line.is_removed and (i == 0 or not lines[i - 1].is_removed):
                    block = lines[i:]
                    end = next((j for j, later in enumerate(block) if not later.is_removed), len(block))
                    if any(later.is_added for later in block[end:end + 1]):
                        continue  # a replacement: its added lines are the location
                    before = next((x.target_line_no for x in reversed(lines[:i]) if x.target_line_no), None)
                    after = next((x.target_line_no for x in block[end:] if x.target_line_no), None)
                    locations.extend(Location(path, n) for n in (before, after) if n)
    return sorted(set(locations), key=lambda loc: (loc.file, loc.line))
