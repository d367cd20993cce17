"""`FastPatchValidator`: `PatchValidator`'s verdicts, at a fraction of the cost per candidate.

The speed-ups, in order of value:
1. candidates that are the same program up to layout and comments are validated once
   (a key over the tree-sitter tokens of the patched files);
2. the failing tests run first and stop at the first failure (as in `PatchValidator`); then the
   tests that cover the patched lines (when coverage is known: `use_coverage`), then the rest, again
   stopping at the first failure;
3. tests run in a warm worker that the whole run shares: a JVM that compiles in-process only what a
   candidate changes (many candidates of one file in one javac task: `precompile`) and loads each
   candidate in a fresh class loader (`FastJavaRunner`; for a built Defects4J/Maven/Gradle project
   `ProjectJavaRunner` compiles only the changed files against the project's compiled classes),
   or a preloaded pytest process forked per candidate (`FastPythonRunner`);
4. the candidate's files go to the worker as texts (`run_patched`): nothing is written into the
   checkout and nothing needs undoing (a project runner gets the few files written and written back).

On any doubt (a patch that creates or deletes files, a workspace not on this host, a worker
that fails) it takes `PatchValidator`'s plain path, so a verdict is never worse than the plain one.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from tree_sitter import Node

from repair.containers.local import LocalWorkspace
from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug
from repair.errors import PatchError
from repair.patch import Patch, content_key, text_diff
from repair.runners import TestReport, TestRunner, make_test_runner
from repair.runners.base import WarmTestRunner
from repair.runners.fast_java import FastJavaRunner, ProjectJavaRunner
from repair.runners.fast_python import FastPythonRunner
from repair.runners.java_classpath import ProjectClasspath, defects4j_classpath, gradle_classpath, maven_classpath
from repair.runners.worker_process import WorkerError, disk_lock, written
from repair.syntax import language_of, parse
from repair.validation import PatchValidator, ValidationResult
from repair.verdict_scope import TestSet, Unit, VerdictScope

MAX_NAMED_TESTS = 5000  # a bigger suite's second stage runs as the runner finds it, not test by test
_DISCOVERED: dict[tuple[str, str], ProjectClasspath | None] = {}  # (checkout, framework) -> its classpath


def project_classpath(workspace: Workspace, bug: Bug) -> ProjectClasspath | None:
    """The test classpath of a built Java project: from the dataset (Defects4J), or asked of Maven or Gradle once."""
    meta, framework = bug.meta, bug.test_setup.framework
    if bug.language != "java":
        return None
    if meta.get("test_classpath") and meta.get("bin_classes") and meta.get("bin_tests"):
        return defects4j_classpath(str(meta["test_classpath"]), str(meta["bin_classes"]), str(meta["bin_tests"]),
                                   str(meta.get("src_dir", "")), str(meta.get("test_dir", "")),
                                   dict(meta.get("test_env") or {}))
    if framework not in ("maven", "gradle"):
        return None
    key = (workspace.path, framework)
    if key not in _DISCOVERED:
        _DISCOVERED[key] = maven_classpath(workspace) if framework == "maven" else gradle_classpath(workspace)
    return _DISCOVERED[key]


def warm_runner(workspace: Workspace, bug: Bug) -> WarmTestRunner | None:
    """The warm worker for a plain javac + JUnit 4 or a pytest setup in a local workspace (one per run:
    baseline, coverage and candidates), or None."""
    if not isinstance(workspace, LocalWorkspace):
        return None
    if bug.test_setup.framework == "junit4":
        return FastJavaRunner(workspace, bug.test_setup)
    if bug.test_setup.framework == "pytest":
        return FastPythonRunner(workspace, bug.test_setup)
    return None


def make_fast_runner(workspace: Workspace, bug: Bug) -> WarmTestRunner | None:
    """The warm-worker runner for the bug's test setup, or None when there is none for it."""
    if not isinstance(workspace, LocalWorkspace):
        return None
    plain = warm_runner(workspace, bug)
    if plain is not None:
        return plain
    project = project_classpath(workspace, bug)
    if project is not None:
        return ProjectJavaRunner(workspace, bug.test_setup, project, make_test_runner(workspace, bug.test_setup))
    return None


def syntax_key(files: dict[str, str]) -> str:
    """A key that is equal for patched contents that differ only in layout or comments."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0")
        language = language_of(path)
        if language is None:
            return content_key(files)
        tree = parse(language, files[path])
        if tree.root_node.has_error:
            return content_key(files)
        # The tree's shape goes into the key, not only its tokens: in Python, indentation (which
        # never appears as a token) decides whether `return True` is inside a loop or after it.
        stack: list[Node | None] = [tree.root_node]
        while stack:
            node = stack.pop()
            if node is None:
                digest.update(b")")
                continue
            if node.type in ("comment", "line_comment", "block_comment"):
                continue
            if node.child_count == 0 or node.type in ("string", "string_literal"):
                digest.update((node.text or b"") + b"\x1f")
                continue
            digest.update(b"(" + node.type.encode() + b"\x1f")
            stack.append(None)
            stack.extend(reversed(node.children))
    return digest.hexdigest()


class FastPatchValidator(PatchValidator):
    """A `PatchValidator` (same `validate(patch) -> ValidationResult`) that runs in warm workers."""

    def __init__(self, workspace: Workspace, bug: Bug, runner: TestRunner | None = None,
                 baseline: TestReport | None = None, fail_fast: bool = True, relocate: bool = False,
                 scope: VerdictScope | None = None) -> None:
        fast = runner if runner is not None else make_fast_runner(workspace, bug)
        super().__init__(workspace, bug, runner=fast or make_test_runner(workspace, bug.test_setup),
                         baseline=baseline, fail_fast=fail_fast, relocate=relocate, scope=scope)
        self.fast = isinstance(self.runner, WarmTestRunner)
        self.owns_runner = runner is None  # a runner handed in belongs to the run, which closes it
        self.parallel = True  # validate_many may use a second worker
        self._twin: WarmTestRunner | None = None
        self._ahead: dict[str, ValidationResult] = {}  # verdicts judged before their turn (`validate_many`)
        self._counting = threading.Lock()
        self.line_tests: dict[tuple[str, int], list[str]] = {}  # (file, line) -> the tests that run it
        self.syntax_cache: dict[str, ValidationResult] = {}
        self.compile_seconds = 0.0  # totals over every validation, for reports
        self.test_seconds = 0.0
        self.build_tool_baseline: TestReport | None = None  # a project's own baseline, when calibrated
        self._calibrated = not isinstance(self.runner, ProjectJavaRunner)

    def baseline(self) -> TestReport:
        """The unpatched code's test report, as the runner that judges the candidates sees it.

        For a built project that is the warm worker's run of the build tool's suite; when the worker
        cannot run it, or does not see the failing tests fail, every candidate takes the build tool.
        """
        real = super().baseline()
        if self._calibrated:
            return real
        self._calibrated = True
        runner = self.runner
        assert isinstance(runner, ProjectJavaRunner)
        self.build_tool_baseline = real
        try:
            worker_view = runner.calibrate(real)
        except (WorkerError, OSError) as exc:
            runner.fallbacks.append(str(exc))
            runner.broken = runner.broken or str(exc)
            runner.close()
            self.fast = False
            return real
        seen_failing = [t for t in self.bug.failing_tests if t in worker_view.results
                        and worker_view.results[t].status.failed]
        if self.bug.failing_tests and len(seen_failing) < len(self.bug.failing_tests):
            runner.broken = "the failing tests do not fail in the warm worker"
            runner.fallbacks.append(runner.broken)
            runner.close()
            self.fast = False
            return real
        self._baseline = worker_view
        # Compile the files a fix most likely changes once now: it checks that the worker compiles them as
        # they are, and warms its compiler up, so that the first candidates cost what the others do.
        runner.prepare([f for f in self.bug.program_files if f.endswith(".java")])
        return worker_view

    @contextlib.contextmanager
    def _focused(self, paths: Sequence[str]) -> Iterator[None]:
        """Tell a project runner which files the candidate changes (and let it prepare) while it runs."""
        runner = self.runner
        if not isinstance(runner, ProjectJavaRunner):
            yield
            return
        runner.prepare(paths)
        if runner.broken and self.build_tool_baseline is not None:
            self._baseline, self.fast = self.build_tool_baseline, False  # the build tool judges from now on
        runner.changed = tuple(paths)
        try:
            yield
        finally:
            runner.changed = ()

    def validate(self, patch: Patch | str, full: bool = True) -> ValidationResult:
        """Validate `patch` (a unified diff, search/replace blocks or a parsed `Patch`)."""
        return self._validate(patch, full, self.runner)

    def validate_many(self, patches: Sequence[Patch | str], full: bool = True) -> list[ValidationResult]:
        """Validate several patches, two at a time (the second on the runner's twin: a second worker process)
        where the machine has a second core and the memory for it; in order, one by one, otherwise."""
        twin = self._twin_runner() if len(patches) > 1 else None
        if twin is None:
            return [self.validate(patch, full) for patch in patches]
        if full:
            self.baseline()  # once, before the two threads need it
        threads = self._threads()
        results: list[ValidationResult] = []
        for pair in range(0, len(patches), 2):
            first = threads.submit(self._validate, patches[pair], full, self.runner)
            second = (threads.submit(self._validate, patches[pair + 1], full, twin, True)
                      if pair + 1 < len(patches) else None)
            results.append(first.result())
            if second is not None:
                results.append(second.result())
        return results

    def can_pair(self) -> bool:
        """Whether `validate_many` runs two patches at once now (a second worker pays here, and there is room)."""
        return self._twin_runner() is not None

    def _threads(self) -> ThreadPoolExecutor:
        runner = self.runner
        assert isinstance(runner, FastJavaRunner | FastPythonRunner)
        return runner.threads()

    def _twin_runner(self) -> WarmTestRunner | None:
        runner = self.runner
        if isinstance(runner, ProjectJavaRunner) or not isinstance(runner, FastJavaRunner | FastPythonRunner):
            return None  # a built project's runner keeps one worker
        if self._twin is None and self.parallel and self.fast and runner.twin_pays and room_for_a_second_worker():
            self._twin = runner.twin()
        return self._twin

    def _validate(self, patch: Patch | str, full: bool, runner: TestRunner, ahead: bool = False) -> ValidationResult:
        """The verdict on `patch`, on `runner`; `ahead`: judged before its turn (the second of a pair), so that its
        turn takes this verdict as new, not as a duplicate's."""
        start = time.monotonic()
        parsed = self.checked_patch(patch)
        if isinstance(parsed, ValidationResult):
            return parsed
        units: list[Unit] = []
        if full:
            self.baseline()  # calibrates a project runner, which may turn the warm path off
        if not self.fast or any(f.create or f.delete for f in parsed.files):
            with disk_lock(self.workspace).exclusive():  # the plain path writes the patch into the checkout
                return self._timed(lambda: super(FastPatchValidator, self).validate(parsed, full), runner)

        originals: dict[str, str] = {}  # what the candidate's files hold unpatched

        def read(path: str) -> str | None:
            text = self.workspace.read_file(path) if self.workspace.exists(path) else None
            if text is not None:
                originals[path] = text
            return text

        try:
            # The checkout's own files, never the candidate another thread has written there for a moment.
            with disk_lock(self.workspace).shared():
                applied = parsed.apply_to_texts(read, relocate=self.relocate)
        except PatchError as exc:
            return ValidationResult("apply-failed", message=str(exc), seconds=time.monotonic() - start)
        suffix = ":full" if full else ":failing"
        key = syntax_key(applied.files) + suffix
        early = self._ahead.pop(key, None)
        if early is not None:
            return early
        hit = self.syntax_cache.get(key) or self.cache.get(content_key(applied.files) + suffix)
        if hit is not None:
            return ValidationResult(**{**hit.__dict__, "cached": True, "notes": applied.notes})
        if full:  # the wider tests' baselines, on the unpatched code
            with disk_lock(self.workspace).exclusive():
                units = self.scope.prepare(parsed.changed_paths())
        if isinstance(runner, WarmTestRunner) and not isinstance(runner, ProjectJavaRunner):
            files = applied.files
            warm = runner

            def run(tests: Sequence[str] | None, fail_fast: bool) -> TestReport:
                return warm.run_patched(files, tests, fail_fast)

            def wider(units: Sequence[Unit]) -> tuple[list[str], dict[str, str], list[TestSet]]:
                with written(self.workspace, files):  # other programs' tests run from the files on disk
                    return self.scope.judge(units, lambda: written(self.workspace, originals))

            result = self._timed(lambda: self._run_tests(full, units, run, lambda b: self._rest(b, originals, files),
                                                         wider), runner)
        else:
            with disk_lock(self.workspace).exclusive(), self._focused(list(applied.files)):
                try:
                    for path, content in applied.files.items():
                        self.workspace.write_file(path, content)
                    result = self._timed(lambda: self._run_tests(full, units), runner)
                finally:
                    for path, content in originals.items():
                        self.workspace.write_file(path, content)
        result.diff = _diff(originals, applied.files)
        result.notes = applied.notes
        result.seconds = time.monotonic() - start
        self.syntax_cache[key] = result
        self.cache[content_key(applied.files) + suffix] = result
        if ahead:
            self._ahead[key] = result
        return result

    def precompile(self, variants: Sequence[Mapping[str, str]]) -> None:
        """Compile candidates (each: workspace path -> new text) ahead, many in one go where the runner can."""
        runner = self.runner
        if self.fast and isinstance(runner, WarmTestRunner):
            before = runner.compile_seconds
            runner.precompile(variants)
            self.compile_seconds += runner.compile_seconds - before

    def use_coverage(self, lines_by_test: Mapping[str, Iterable[tuple[str, int]]]) -> None:
        """Learn which tests run which lines (fault localization's matrix), so that after the failing tests
        the tests that run a candidate's changed lines go first."""
        self.line_tests = {}
        for test, lines in lines_by_test.items():
            for line in lines:
                self.line_tests.setdefault(line, []).append(test)

    def _rest(self, baseline: TestReport, originals: Mapping[str, str], patched: Mapping[str, str]) -> list[str] | None:
        """Stage 2's tests: the baseline's tests other than the failing ones (which stage 1 ran), those that run
        a changed line first; None (the whole suite) when the suite is too big to name test by test."""
        if len(baseline.results) > MAX_NAMED_TESTS:
            return None
        failing = set(self.bug.failing_tests)  # stage 1 ran them; those that passed before run again (regressions)
        rest = [t for t, r in baseline.results.items() if t not in failing or not r.status.failed]
        covering: set[str] = set()
        for path, text in patched.items():
            for line in changed_lines(originals.get(path, ""), text):
                covering.update(self.line_tests.get((path, line), ()))
        return [t for t in rest if t in covering] + [t for t in rest if t not in covering]

    def _timed(self, action: Callable[[], ValidationResult], runner: TestRunner) -> ValidationResult:
        if not (self.fast and isinstance(runner, WarmTestRunner)):  # the plain path: its wall time is test time
            start = time.monotonic()
            result = action()
            with self._counting:
                self.test_seconds += time.monotonic() - start
            return result
        before = (runner.compile_seconds, runner.test_seconds)
        result = action()
        with self._counting:
            self.compile_seconds += runner.compile_seconds - before[0]
            self.test_seconds += runner.test_seconds - before[1]
        return result

    @property
    def fallbacks(self) -> list[str]:
        """Why the workers handed runs to the plain path (empty when they never did)."""
        runners = [r for r in (self.runner, self._twin) if isinstance(r, WarmTestRunner)]
        return [why for r in runners for why in r.fallbacks]

    def close(self) -> None:
        """Stop the warm workers this validator started (not a runner it was handed: its run closes it, and
        the twin with it)."""
        if self.owns_runner and isinstance(self.runner, WarmTestRunner):
            self.runner.close()


SECOND_WORKER_MEMORY = 2 << 30  # bytes of available memory below which a run keeps to one worker


def room_for_a_second_worker() -> bool:
    """A second core, and memory to spare for a second JVM or pytest process."""
    if (os.cpu_count() or 1) < 2:
        return False
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            fields = dict(line.split(":", 1) for line in fh if ":" in line)
        available = int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return False
    return available >= SECOND_WORKER_MEMORY


def changed_lines(old: str, new: str) -> list[int]:
    """The lines of `old` (1-based) that `new` replaces or deletes, and those next to an insertion."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[int] = []
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag != "equal":
            lines.extend(range(i1 + 1, i2 + 1) if i2 > i1 else (max(1, i1), i1 + 1))
    return lines


def _diff(originals: dict[str, str], patched: dict[str, str]) -> str:
    return "".join(text_diff(path, originals[path], patched[path]) for path in sorted(patched))
