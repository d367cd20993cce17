"""QuixBugs (Java and Python) from a checkout, in its own layout.

Java: `java_programs/NAME.java` is tested by `java_testcases/junit/NAME_TEST.java`
(JUnit 4 only; the top-level `java_testcases/*.java` need gson/spoon and are never compiled).
Python: `python_programs/name.py` is tested by `python_testcases/test_name.py`, run
with pytest from the root so that its conftest.py applies.

Some programs share a helper (Java's `Node.java`, `WeightedEdge.java`): a bug whose program uses one is
checked out with the other programs that use it and their tests, which are its `wider_tests`, so that a
patch to the helper is judged by every program it can break.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from repair.containers.process import run_process
from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug, Location, WiderTests
from repair.errors import DatasetUnavailableError, UnknownBugError
from repair.references import ReferenceGraph, reference_graph
from repair.runners.base import TestSetup
from repair.user_cache import user_cache_dir

QUIXBUGS_URL = "https://github.com/jkoppel/QuixBugs"
PYTHON_HELPERS = {"node"}  # modules in python_programs/ that are not bugs


def locate_quixbugs(root: str | Path | None = None, clone: bool = True) -> Path:
    """The QuixBugs root: `root` or `REPAIR_QUIXBUGS_ROOT` (a checkout, a folder holding one, or the
    benchmark's tarball, extracted once into the cache), else a cached clone, or a fresh clone."""
    candidate = root or os.environ.get("REPAIR_QUIXBUGS_ROOT")
    if candidate:
        path = Path(candidate).expanduser().resolve()
        if path.is_file():
            path = extract_tarball(path)
        found = _quixbugs_root_in(path)
        if found is None:
            raise DatasetUnavailableError(f"{path} is not a QuixBugs checkout or tarball "
                                          "(no java_programs/ or python_programs/)")
        return found
    cached = user_cache_dir() / "QuixBugs"
    if (cached / "java_programs").is_dir():
        return cached
    if clone:
        cached.parent.mkdir(parents=True, exist_ok=True)
        result = run_process(["git", "clone", "-q", "--depth", "1", QUIXBUGS_URL, str(cached)],
                             cwd=cached.parent, timeout=180, env={"GIT_TERMINAL_PROMPT": "0"}, project_code=False)
        if result.ok:
            return cached
    raise DatasetUnavailableError(
        "QuixBugs is not available: pass --quixbugs-root DIR (or the quixbugs.tar.gz of the benchmark data) "
        f"or set REPAIR_QUIXBUGS_ROOT (clone {QUIXBUGS_URL} on a machine with network access)"
    )


def _quixbugs_root_in(path: Path) -> Path | None:
    """`path` when it is a QuixBugs root, or the one folder inside it that is (a tarball's `QuixBugs/`)."""
    def is_root(folder: Path) -> bool:
        return (folder / "java_programs").is_dir() or (folder / "python_programs").is_dir()

    if is_root(path):
        return path
    inner = [child for child in path.iterdir() if child.is_dir() and is_root(child)] if path.is_dir() else []
    return inner[0] if len(inner) == 1 else None


def extract_tarball(tarball: Path) -> Path:
    """Extract a QuixBugs tarball once into the cache (keyed by its path, size and time); the folder."""
    stat = tarball.stat()
    key = hashlib.sha256(f"{tarball}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    target = user_cache_dir() / "quixbugs" / key
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Into a fresh folder, renamed at the end: two processes may extract at once.
    staging = Path(tempfile.mkdtemp(prefix="extract-", dir=target.parent))
    try:
        try:
            with tarfile.open(tarball) as archive:
                archive.extractall(staging, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise DatasetUnavailableError(f"cannot extract {tarball}: {exc}") from None
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def ground_truth_patch(buggy_rel: str, buggy: str, correct: str) -> tuple[str, list[Location]]:
    """The buggy→correct diff (package line ignored) and the buggy lines it touches."""
    if buggy_rel.endswith(".java"):
        pkg = re.search(r"^package\s+[\w.]+;", buggy, flags=re.M)
        if pkg:
            correct = re.sub(r"^package\s+[\w.]+;", pkg.group(0), correct, count=1, flags=re.M)
    a, b = buggy.splitlines(keepends=True), correct.splitlines(keepends=True)
    diff = "".join(difflib.unified_diff(a, b, f"a/{buggy_rel}", f"b/{buggy_rel}", n=3))
    locations: list[Location] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        lines = range(i1 + 1, i2 + 1) if i2 > i1 else range(i1 + 1, i1 + 2)
        locations.extend(Location(buggy_rel, n) for n in lines if n <= len(a))
    return diff, locations


class QuixBugsLayout:
    """Bugs found in a directory laid out like QuixBugs (also used by the demo bugs)."""

    def __init__(self, root: Path, dataset: str, language: str, per_test_timeout: float = 5.0) -> None:
        self.root = root
        self.dataset = dataset
        self.language = language
        self.per_test_timeout = per_test_timeout

    def names(self) -> list[str]:
        if self.language == "java":
            tests = self.root / "java_testcases" / "junit"
            return sorted(p.stem for p in (self.root / "java_programs").glob("*.java")
                          if (tests / f"{p.stem}_TEST.java").is_file())
        tests = self.root / "python_testcases"
        return sorted(p.stem for p in (self.root / "python_programs").glob("*.py")
                      if p.stem not in PYTHON_HELPERS and (tests / f"test_{p.stem}.py").is_file())

    def bug(self, name: str) -> Bug:
        if name not in self.names():
            matches = [n for n in self.names() if n.lower() == name.lower()]
            if len(matches) != 1:
                raise UnknownBugError(
                    f"unknown bug id '{self.dataset}:{name}': run `repair bugs --dataset {self.dataset}` for the list"
                )
            name = matches[0]
        program, test = self.program_file(name), self.test_file(name)
        setup = self.test_setup((name,))
        correct_dir = "correct_java_programs" if self.language == "java" else "correct_python_programs"
        correct = self.root / correct_dir / Path(program).name
        bug = Bug(id=f"{self.dataset}:{name}", dataset=self.dataset, language=self.language,
                  test_setup=setup, program_files=[program], meta={"test_file": test},
                  wider_tests=self.wider_tests(name))
        if correct.is_file():
            buggy_text = (self.root / program).read_text(encoding="utf-8", errors="replace")
            bug.fix_patch, bug.buggy_locations = ground_truth_patch(
                program, buggy_text, correct.read_text(encoding="utf-8", errors="replace"))
        return bug

    def program_file(self, name: str) -> str:
        return f"java_programs/{name}.java" if self.language == "java" else f"python_programs/{name}.py"

    def test_file(self, name: str) -> str:
        return (f"java_testcases/junit/{name}_TEST.java" if self.language == "java"
                else f"python_testcases/test_{name}.py")

    def test_setup(self, names: tuple[str, ...]) -> TestSetup:
        """How the tests of these programs run (the first one's tests alone are a bug's own)."""
        tests = tuple(self.test_file(n) for n in names)
        if self.language == "java":
            return TestSetup("junit4", test_classes=tuple(f"java_testcases.junit.{n}_TEST" for n in names),
                             compile_files=tuple(p for n in names for p in (self.test_file(n), self.program_file(n))),
                             source_path=(".",), per_test_timeout=self.per_test_timeout, total_timeout=300)
        return TestSetup("pytest", test_files=tests, per_test_timeout=self.per_test_timeout, total_timeout=300)

    @cached_property
    def references(self) -> ReferenceGraph:
        """Static references among the programs, their tests and the helpers, of this language."""
        folders = (("java_programs", "*.java"), ("java_testcases/junit", "*.java")) if self.language == "java" \
            else (("python_programs", "*.py"), ("python_testcases", "*.py"))
        files = {f"{folder}/{p.name}": p.read_text(encoding="utf-8", errors="replace")
                 for folder, pattern in folders for p in (self.root / folder).glob(pattern) if p.is_file()}
        return reference_graph(files)

    def shared_helpers(self, name: str) -> list[str]:
        """The helpers (program files that are no bug's program) that this program or its tests use."""
        folder = "java_programs" if self.language == "java" else "python_programs"
        suffix = ".java" if self.language == "java" else ".py"
        bugs = set(self.names())
        helpers = {f"{folder}/{p.name}" for p in (self.root / folder).glob(f"*{suffix}") if p.stem not in bugs}
        reached = self.references.reached_from(self.program_file(name)) | self.references.reached_from(
            self.test_file(name))
        return sorted(reached & helpers)

    def sharing_programs(self, name: str) -> list[str]:
        """The other programs that use a helper this one uses (their tests can be broken by a patch to it)."""
        helpers = set(self.shared_helpers(name))
        if not helpers:
            return []
        graph = self.references
        return [other for other in self.names() if other != name and helpers & (
            graph.reached_from(self.program_file(other)) | graph.reached_from(self.test_file(other)))]

    def wider_tests(self, name: str) -> WiderTests | None:
        """The tests of the programs that share a helper with this one, unit by unit; None when none do."""
        others = self.sharing_programs(name)
        if not others:
            return None
        setup = self.test_setup(tuple(others))
        targets = setup.test_classes if self.language == "java" else setup.test_files
        helpers = ", ".join(self.shared_helpers(name))
        return WiderTests(setup, f"the tests of the other programs that use {helpers}",
                          tuple(zip(targets, (self.test_file(o) for o in others), strict=True)))

    def checkout_paths(self, bug: Bug) -> list[str]:
        """What the bug's developer had: its program, its tests, the helpers they use, and the programs that
        share a helper with it, with their tests; nothing else.

        Never the corrected programs, the benchmark's harness that runs them (`tester.py`,
        `java_testcases/junit/crt_program/`), its metadata or the files of programs it shares nothing with.
        """
        name = bug.name
        sharing = [path for other in self.sharing_programs(name)
                   for path in (self.program_file(other), self.test_file(other), f"json_testcases/{other}.json")]
        if self.language == "java":
            wanted = [f"java_programs/{name}.java", f"java_testcases/junit/{name}_TEST.java",
                      *self._helpers("java_programs", "*.java", lambda p: p.stem not in self.names()),
                      *self._helpers("java_testcases/junit", "*.java", lambda p: not p.stem.endswith("_TEST"))]
        else:
            wanted = [f"python_programs/{name}.py", f"python_testcases/test_{name}.py", f"json_testcases/{name}.json",
                      *self._helpers("python_programs", "*.py", lambda p: p.stem in PYTHON_HELPERS),
                      *self._helpers("python_testcases", "*.py", lambda p: not p.stem.startswith("test_"))]
        wanted.extend(sharing)
        wanted.append("conftest.py")  # pytest's options (QuixBugs' --correct switch defaults to the buggy code)
        return sorted({path for path in wanted if (self.root / path).is_file()})

    def _helpers(self, folder: str, pattern: str, keep: Callable[[Path], bool]) -> list[str]:
        return [f"{folder}/{p.name}" for p in (self.root / folder).glob(pattern) if p.is_file() and keep(p)]

    def checkout(self, bug: Bug, workspace: Workspace) -> None:
        """Copy `checkout_paths(bug)` into the (empty) workspace, by way of a staging folder."""
        with tempfile.TemporaryDirectory(prefix="repair-checkout-") as staging:
            for rel in self.checkout_paths(bug):
                target = Path(staging, rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(self.root / rel, target)
            workspace.import_tree(staging)


class QuixBugsDataset:
    """`quixbugs-java` or `quixbugs-python` over a QuixBugs checkout."""

    def __init__(self, language: str, root: str | Path | None = None) -> None:
        self.language = language
        self.name = f"quixbugs-{language}"
        self._root_arg = root
        self._layout: QuixBugsLayout | None = None

    @property
    def layout(self) -> QuixBugsLayout:
        if self._layout is None:
            self._layout = QuixBugsLayout(locate_quixbugs(self._root_arg), self.name, self.language)
        return self._layout

    def list_bugs(self) -> list[Bug]:
        return [self.layout.bug(n) for n in self.layout.names()]

    def get(self, bug_id: str) -> Bug:
        return self.layout.bug(bug_id.split(":", 1)[-1])

    def checkout(self, bug: Bug, workspace: Workspace) -> None:
        self.layout.checkout(bug, workspace)
