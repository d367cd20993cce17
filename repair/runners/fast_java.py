"""Java tests run by a warm JVM (ValidationWorker) instead of a build per candidate.

- `FastJavaRunner` (plain javac + JUnit 4 setups, e.g. QuixBugs): the worker compiles the bug's
  sources in-process into memory once, then per candidate only the files it changes (many candidates
  of one file in one javac task), and runs the tests in a fresh class loader each time, so one
  candidate costs milliseconds instead of seconds. The same worker runs the baseline and the
  per-test coverage (JaCoCo inside the worker) of the run.
- `ProjectJavaRunner` (Defects4J, Maven, Gradle): the build tool compiles the project once; per
  candidate the worker compiles only the changed files against the compiled classes and the test
  classpath, and runs the tests with those classes in front of the project's class folders.

On any doubt (a workspace that is not on this host, too many sources, a worker that dies or
hangs) the run goes to the plain runner (javac + java, or the build tool), which is always right,
only slower.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from repair.containers.local import LocalWorkspace
from repair.containers.process import CommandResult, run_process
from repair.containers.workspace import SCRATCH_DIR, Workspace
from repair.runners.base import TestRunner, TestSetup
from repair.runners.java_classpath import ProjectClasspath, class_dir_fingerprint, stale_sources
from repair.runners.java_env import JACOCO_AGENT, JACOCO_CLI, find_jar, junit_classpath, require_jdk
from repair.runners.junit import JSON_SOURCE, JVM_START_SLACK, SHARED_SOURCES, JUnit4Runner
from repair.runners.report import TestReport, TestResult, TestStatus
from repair.runners.worker_process import WorkerError, WorkerProcess, WorkerSlot, disk_lock, written
from repair.user_cache import user_cache_dir

WORKER_SOURCE = Path(__file__).resolve().parent.parent / "java" / "ValidationWorker.java"
# What the worker is compiled with: JUnit's verdicts and the JSON writer, a JSON reader for its requests, its
# compiler, and the class-file reader that renames batch-compiled candidates and compares what classes offer.
WORKER_SOURCES = (*SHARED_SOURCES, *(WORKER_SOURCE.with_name(f"{name}.java")
                                     for name in ("RepairJsonReader", "RepairCompiler", "RepairClassFiles")))
MAX_SOURCES = 300  # beyond this, compiling everything per candidate stops being cheap
CALIBRATED_TIMEOUT_FACTOR = 20.0  # per-test limit after calibration: this many times the slowest passing test
CALIBRATED_MIN_TIMEOUT = 2.0  # seconds, at least


def build_helper(main: str, classpath: Sequence[str], shared: Sequence[Path] = (JSON_SOURCE,)) -> Path:
    """Compile one of our Java programs (repair/java/<main>.java, with the `shared` sources it uses) once per
    source version into the cache; the directory of its classes."""
    source = WORKER_SOURCE.with_name(f"{main}.java")
    sources = {path.name: path.read_text(encoding="utf-8") for path in (source, *shared)}
    digest = hashlib.sha256("\0".join(sources.values()).encode()).hexdigest()[:16]
    target = user_cache_dir() / "java-helpers" / f"{main}-{digest}"
    if (target / f"{main}.class").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build into a temporary directory and rename: two processes may build at the same time.
    tmp = Path(tempfile.mkdtemp(prefix="build-", dir=target.parent))
    try:
        for name, text in sources.items():
            (tmp / name).write_text(text, encoding="utf-8")
        result = run_process(["javac", "-nowarn", "-d", str(tmp), "-cp", os.pathsep.join(classpath),
                              *(str(tmp / name) for name in sources)], cwd=tmp, timeout=120,
                             project_code=False)
        if not result.ok:
            raise WorkerError(f"cannot compile {main}: {result.output[:1000]}")
        try:
            tmp.rename(target)
        except OSError:
            if not (target / f"{main}.class").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def coverage_entries() -> list[str]:
    """What the worker's class path needs for per-test coverage (JaCoCo's jars and our helper), or []
    when JaCoCo is not installed here (then the worker runs without coverage)."""
    jars = [find_jar(JACOCO_CLI, fetch=False), find_jar(JACOCO_AGENT, fetch=False)]
    if any(jar is None for jar in jars):
        return []
    paths = [str(jar) for jar in jars]
    # Lines are read from JaCoCo's analysis as fault localization's analyzer reads them (its Java file, found
    # where the package is installed: the folder is mapped, so not next to this one in every layout).
    spec = importlib.util.find_spec("repair.fault_localization")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    analyzer = [p for f in folders if (p := Path(f, "java", "RepairCoverageAnalyzer.java")).is_file()]
    if not analyzer:
        return []
    try:
        helper = build_helper("RepairWorkerCoverage", paths, (JSON_SOURCE, analyzer[0]))
    except WorkerError:
        return []
    return [str(helper), *paths]


class FastJavaRunner:
    """A `TestRunner` for junit4 setups that validates in a long-lived JVM, falling back to javac + java.

    The worker compiles the sources once and then only what a candidate changes (`run_patched` sends the
    candidate's texts; the checkout is not written), runs each candidate in a fresh class loader, can
    compile many candidates of one file in one javac task (`precompile`), and measures per-test coverage
    (`run_covered`).
    """

    # A second JVM does not pay: it compiles its own base and, without the first one's batch compilations,
    # each candidate alone (measured on QuixBugs' LIS: 37 s with two JVMs, 26 s with one, side by side).
    twin_pays = False

    def __init__(self, workspace: Workspace, setup: TestSetup, fallback: TestRunner | None = None) -> None:
        self.workspace = workspace
        self.setup = setup
        require_jdk()
        self.classpath = [str(p) for p in junit_classpath()]
        self.fallback: TestRunner = fallback or JUnit4Runner(workspace, setup, classpath=self.classpath)
        self.worker_env: dict[str, str] = {}
        self._slot = WorkerSlot()
        self.fast_runs = 0
        self.fallbacks: list[str] = []  # why each plain run happened
        self.compile_seconds = 0.0  # totals over every run, for the per-bug time split
        self.test_seconds = 0.0
        self.compiles: dict[str, int] = {}  # how the worker had each run's classes: base, alone, batch, cached, full

    @property
    def _worker(self) -> WorkerProcess | None:
        return self._slot.worker

    @property
    def usable(self) -> bool:
        """The worker needs the checkout on this host's file system."""
        return isinstance(self.workspace, LocalWorkspace) and setup_is_supported(self.setup)

    def with_timeout(self, per_test_timeout: float) -> FastJavaRunner:
        """This runner with another per-test limit, on the same worker (its own time counters)."""
        view = copy.copy(self)
        view.setup = replace(self.setup, per_test_timeout=per_test_timeout)
        if isinstance(self.fallback, JUnit4Runner):
            view.fallback = JUnit4Runner(self.workspace, view.setup, classpath=self.classpath)
        view.fast_runs, view.fallbacks, view.compiles = 0, [], {}
        view.compile_seconds = view.test_seconds = 0.0
        return view

    def twin(self) -> FastJavaRunner:
        """This runner on a second JVM of its own (started on first use; stopped with this one), so that a
        second candidate can run at the same time."""
        if self._slot.twin is None:
            self._slot.twin = WorkerSlot()
        other = copy.copy(self)
        other._slot = self._slot.twin
        other.fast_runs, other.fallbacks, other.compiles = 0, [], {}
        other.compile_seconds = other.test_seconds = 0.0
        return other

    def threads(self) -> ThreadPoolExecutor:
        """The threads that run this runner and its twin side by side (they live as long as the worker)."""
        return self._slot.threads()

    def build(self) -> CommandResult | None:
        return self.fallback.build()

    def run(self, tests: Sequence[str] | None = None, fail_fast: bool = False, build: bool = True) -> TestReport:
        """Run `tests` (or every test class) in the warm worker; the plain runner on any doubt."""
        return self._fast_or(lambda: self._run_fast(tests, fail_fast), lambda: self._run_plain(tests, fail_fast))

    def run_patched(self, files: Mapping[str, str], tests: Sequence[str] | None = None,
                    fail_fast: bool = False) -> TestReport:
        """Run `tests` with `files` (workspace path -> text) compiled in place of the checkout's own."""
        return self._fast_or(lambda: self._run_fast(tests, fail_fast, patched=files),
                             lambda: self._plain_patched(files, tests, fail_fast))

    def run_covered(self, tests: Sequence[str] | None = None, cover: Sequence[str] = ()) -> TestReport:
        """Run `tests` with per-test coverage of `cover` (JaCoCo in the worker); no coverage on the plain path."""
        return self._fast_or(lambda: self._run_fast(tests, False, cover=cover), lambda: self._run_plain(tests, False))

    def _fast_or(self, fast: Callable[[], TestReport], plain: Callable[[], TestReport]) -> TestReport:
        """`fast()` in the worker; `plain()` when the worker cannot be used or fails (it is stopped then)."""
        if self.usable:
            try:
                with disk_lock(self.workspace).shared():  # the worker compiles from the checkout
                    return fast()
            except (WorkerError, OSError) as exc:
                self.fallbacks.append(str(exc))
                self._slot.stop()
        return plain()

    def precompile(self, variants: Sequence[Mapping[str, str]]) -> None:
        """Compile candidates that change one file each, many per javac task, ahead of their runs."""
        single = [(path, text) for files in variants if len(files) == 1 for path, text in files.items()]
        if not self.usable or len(single) < 2:
            return
        root = self.workspace.path
        try:
            worker = self._worker_process()
            worker.request({**self._request([], False), "cmd": "precompile",
                            "variants": [{"path": os.path.join(root, p), "text": t} for p, t in single]})
            reply = worker.read(time.monotonic() + JVM_START_SLACK + 2.0 * len(single))
        except (WorkerError, OSError) as exc:
            self.fallbacks.append(f"precompile: {exc}")
            self._slot.stop()
            return
        self.compile_seconds += float(reply.get("ms", 0)) / 1000
        for how in ("batched", "alone"):
            self.compiles[f"precompiled {how}"] = self.compiles.get(f"precompiled {how}", 0) + int(reply.get(how, 0))

    def _run_plain(self, tests: Sequence[str] | None, fail_fast: bool) -> TestReport:
        start = time.monotonic()
        report = self.fallback.run(tests, fail_fast=fail_fast, build=True)
        self.test_seconds += time.monotonic() - start
        return report

    def _plain_patched(self, files: Mapping[str, str], tests: Sequence[str] | None, fail_fast: bool) -> TestReport:
        """The plain path for a candidate: its files written into the checkout for the run, then put back."""
        with written(self.workspace, files):
            return self._run_plain(tests, fail_fast)

    def _sources(self) -> list[str]:
        files = list(self.setup.compile_files) or [
            f for f in self.workspace.list_files((".java",)) if not f.startswith(SCRATCH_DIR)]
        if len(files) > MAX_SOURCES:
            raise WorkerError(f"{len(files)} source files: too many to recompile per candidate")
        root = self.workspace.path
        return [os.path.join(root, f) for f in files]

    def _worker_process(self) -> WorkerProcess:
        if self._slot.worker is None:
            classes = build_helper("ValidationWorker", self.classpath, WORKER_SOURCES)
            cp = os.pathsep.join([str(classes), *self.classpath, *coverage_entries()])
            self._slot.worker = WorkerProcess(["java", "-Xss4m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                                               "-cp", cp, "ValidationWorker"], cwd=self.workspace.path,
                                              env=self.worker_env)
        return self._slot.worker

    def _targets(self, tests: Sequence[str] | None) -> list[str]:
        return list(tests) if tests else list(self.setup.test_classes)

    def _request(self, targets: list[str], fail_fast: bool) -> dict[str, object]:
        root = self.workspace.path
        return {
            "sources": self._sources(),
            "sourcepath": os.pathsep.join(os.path.join(root, p) for p in self.setup.source_path),
            "classpath": os.pathsep.join(self.classpath),
            "options": ["-nowarn", "-g", "-encoding", "UTF-8", *self.setup.extra_args],
            "tests": targets,
            "timeout": self.setup.per_test_timeout,
            "failfast": fail_fast,
        }

    def _run_fast(self, tests: Sequence[str] | None, fail_fast: bool, patched: Mapping[str, str] | None = None,
                  cover: Sequence[str] | None = None) -> TestReport:
        start = time.monotonic()
        targets = self._targets(tests)
        worker = self._worker_process()
        root = self.workspace.path
        request = self._request(targets, fail_fast)
        if patched:
            request["patched"] = {os.path.join(root, path): text for path, text in patched.items()}
        if cover is not None:
            request["coverage"] = True
            request["cover"] = [os.path.join(root, path) for path in cover]
        worker.request(request)
        # The same whole-run budget as the plain runner, so a hung worker costs no more than a hung JVM.
        budget = min(self.setup.total_timeout, JVM_START_SLACK + self.setup.per_test_timeout * max(1, len(targets)) * 4)
        deadline = time.monotonic() + budget
        report = TestReport()
        while True:
            reply = worker.read(deadline)
            kind = reply.get("kind")
            if kind == "compile":
                how = str(reply.get("how", ""))
                self.compiles[how] = self.compiles.get(how, 0) + 1
                if not reply.get("ok"):
                    report.build_ok = False
                    report.build_output = str(reply.get("output", ""))
            elif kind == "test":
                report.add(TestResult(str(reply["test_id"]), TestStatus(str(reply["status"])),
                                      str(reply.get("message", "")), str(reply.get("trace", "")),
                                      float(reply.get("seconds", 0.0))))
            elif kind == "coverage":
                files = reply.get("files") or {}
                report.coverage[str(reply["test_id"])] = {str(f): [int(n) for n in lines] for f, lines in files.items()}
            elif kind == "done":
                if reply.get("error"):
                    raise WorkerError(f"the worker failed: {reply['error']}")
                self.compile_seconds += float(reply.get("compile_ms", 0)) / 1000
                self.test_seconds += float(reply.get("test_ms", 0)) / 1000
                if cover is not None and not reply.get("coverage"):
                    report.coverage.clear()  # the worker has no JaCoCo: say "not measured", not "nothing ran"
                if reply.get("stuck"):
                    worker.kill()  # a test thread it could not stop; start clean next time
                break
        report.seconds = time.monotonic() - start
        self.fast_runs += 1
        return report

    def close(self) -> None:
        """Stop the worker and its twin (a later run starts a new one)."""
        self._slot.close()


class ProjectJavaRunner(FastJavaRunner):
    """A `TestRunner` for a built project: the build tool once, then javac of the changed files + the warm JVM.

    The class folders must hold the unpatched project: `prepare()` checks that they match the sources
    (and runs the build tool only when they do not), before a candidate is written. The suite is the
    tests the build tool's baseline ran; `calibrate()` reruns them in the worker, so that a candidate
    is judged against the worker's own verdicts on the unpatched code.
    """

    def __init__(self, workspace: Workspace, setup: TestSetup, project: ProjectClasspath,
                 fallback: TestRunner) -> None:
        super().__init__(workspace, setup, fallback=fallback)
        self.project = project
        self.worker_env = dict(project.env)
        self.suite: list[str] = []  # every test id, from the build tool's baseline
        self.changed: tuple[str, ...] = ()  # workspace paths the candidate under test changed
        self.builds = 0  # build-tool compilations this runner started
        self.disagreements: list[str] = []  # tests whose worker verdict differs from the build tool's
        self.broken = ""  # why the warm path cannot be used for this project, once known
        self._verified: tuple[tuple[str, int, int], ...] | None = None
        self._compiles: dict[str, str] = {}  # unpatched file -> "" when the worker compiles it, else why not

    @property
    def usable(self) -> bool:
        return isinstance(self.workspace, LocalWorkspace) and not self.project.has_junit5 and not self.broken

    def run_patched(self, files: Mapping[str, str], tests: Sequence[str] | None = None,
                    fail_fast: bool = False) -> TestReport:
        """A candidate's texts compiled against the project's classes; the build tool (with the files written
        for the run) when the worker cannot compile one of them, or has no suite yet."""
        paths = tuple(files)
        self.prepare(paths)
        if (not tests and not self.suite) or not self.usable or any(self._compiles.get(p) for p in paths):
            return self._plain_patched(files, tests, fail_fast)
        self.changed = paths
        try:
            return super().run_patched(files, tests, fail_fast)
        finally:
            self.changed = ()

    def run_covered(self, tests: Sequence[str] | None = None, cover: Sequence[str] = ()) -> TestReport:
        """The project's classes load from its class folders, which the worker does not instrument: no coverage
        here (fault localization runs JaCoCo's agent instead)."""
        return self.run(tests)

    def precompile(self, variants: Sequence[Mapping[str, str]]) -> None:
        """Nothing ahead: a project's candidates compile one by one against its class folders."""

    def run(self, tests: Sequence[str] | None = None, fail_fast: bool = False, build: bool = True) -> TestReport:
        if not tests and not self.suite:
            # The first full run is the build tool's: it compiles the project and names the suite.
            report = self._run_plain(None, fail_fast)
            self.suite = list(report.results)
            return report
        if self.usable and any(self._compiles.get(p) for p in self.changed):
            return self._run_plain(tests, fail_fast)
        return super().run(tests, fail_fast, build)

    def _run_plain(self, tests: Sequence[str] | None, fail_fast: bool) -> TestReport:
        self._verified = None  # the build tool may have compiled a candidate into the class folders
        return super()._run_plain(tests, fail_fast)

    def prepare(self, changed: Sequence[str] = ()) -> None:
        """Before a candidate is written: class folders up to date, and each file it changes compiles as it is.

        A file that the worker cannot compile unpatched (a source level javac no longer accepts, an
        annotation processor it needs) sends that file's candidates to the build tool.
        """
        if not self.usable:
            return
        try:
            self._ensure_classes()
            for path in changed:
                if path.endswith(".java") and path not in self._compiles:
                    self._compiles[path] = self.compile_error(path)
        except (WorkerError, OSError) as exc:
            self.broken = str(exc)
            self.fallbacks.append(str(exc))
            self.close()

    def calibrate(self, real: TestReport) -> TestReport:
        """The worker's verdicts on the unpatched project for every test the build tool ran.

        Raises WorkerError when the worker cannot run them (the caller keeps the build tool's path).
        """
        self.suite = list(real.results)
        self.changed = ()
        self.prepare()
        if not self.usable:
            raise WorkerError(self.broken or "the warm worker cannot run this project's tests")
        report = self._run_fast(None, fail_fast=False)
        if not report.build_ok:
            raise WorkerError(f"the worker could not load the project: {report.build_output[:500]}")
        # A build tool's report has no per-test times (Defects4J's); the worker's run has them. A candidate
        # that loops forever (a common one) then costs a few seconds, not the setup's whole per-test limit.
        passing = [r.seconds for r in report.results.values() if r.status == TestStatus.PASS]
        if passing:
            limit = max(CALIBRATED_MIN_TIMEOUT, CALIBRATED_TIMEOUT_FACTOR * max(passing))
            self.setup = replace(self.setup, per_test_timeout=min(self.setup.per_test_timeout, limit))
        # Pass or not is what counts: Defects4J, for one, calls every failure `fail`, errors included.
        self.disagreements = sorted(t for t, r in real.results.items()
                                    if t not in report.results or report.results[t].status.failed != r.status.failed)
        return report

    def _ensure_classes(self) -> None:
        root = self.workspace.path
        fingerprint = class_dir_fingerprint(root, self.project.class_dirs)
        if fingerprint and fingerprint == self._verified:
            return
        if not fingerprint or self._verified is not None or stale_sources(root, self.project):
            self._compile_project()
            fingerprint = class_dir_fingerprint(root, self.project.class_dirs)
        self._verified = fingerprint

    def _compile_project(self) -> None:
        self.builds += 1
        start = time.monotonic()
        command = self.project.compile_command
        if command is None:
            result = self.fallback.build()
        else:
            result = self.workspace.run(list(command), timeout=self.setup.total_timeout, env=self.project.env)
        self.compile_seconds += time.monotonic() - start
        if result is not None and not result.ok:
            raise WorkerError(f"the build tool could not compile the unpatched project: {result.output[-500:]}")

    def compile_error(self, path: str) -> str:
        """'' when the worker compiles the file as it is now, else the compiler's complaint."""
        worker = self._worker_process()
        worker.request({**self._request([], False), "sources": [os.path.join(self.workspace.path, path)]})
        deadline = time.monotonic() + 120
        why = ""
        while True:
            reply = worker.read(deadline)
            if reply.get("kind") == "compile" and not reply.get("ok"):
                why = str(reply.get("output", "")) or "compilation failed"
            if reply.get("kind") == "done":
                return why

    def _targets(self, tests: Sequence[str] | None) -> list[str]:
        return list(tests) if tests else list(self.suite)

    def _sources(self) -> list[str]:
        return [os.path.join(self.workspace.path, p) for p in self.changed if p.endswith(".java")]

    def _request(self, targets: list[str], fail_fast: bool) -> dict[str, object]:
        entries = self.project.absolute(self.workspace.path)
        return {**super()._request(targets, fail_fast), "sourcepath": "",
                "classpath": os.pathsep.join([*entries, *self.classpath]), "runpath": os.pathsep.join(entries)}


def setup_is_supported(setup: TestSetup) -> bool:
    """Plain javac + JUnit 4 setups only; Maven/Gradle builds keep their own path."""
    return setup.framework == "junit4"
