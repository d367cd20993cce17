"""QuixBugs (Java and Python) from a checkout, in its own layout.

Java: `java_programs/NAME.java` is tested by `java_testcases/junit/NAME_TEST.java`
(JUnit 4 only; the top-level `java_testcases/*.java` need gson/spoon and are never compiled).
Python: `python_programs/name.py` is tested by `python_testcases/test_name.py`, run
with pytest from the root so that its conftest.py applies.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from repair.containers.process import run_process
from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug, Location
from repair.errors import DatasetUnavailableError, UnknownBugError
from repair.runners.base import TestSetup
from repair.user_cache import user_cache_dir

QUIXBUGS_URL = "https://github.com/jkoppel/QuixBugs"
PYTHON_HELPERS = {"node"}  # modules in python_programs/ that are not bugs


def locate_quixbugs(root: str | Path | None = None, clone: bool = True) -> Path:
    """The QuixBugs checkout: `root`, `REPAIR_QUIXBUGS_ROOT`, a cached clone, or a fresh clone."""
    candidate = root or os.environ.get("REPAIR_QUIXBUGS_ROOT")
    if candidate:
        path = Path(candidate).expanduser().resolve()
        if not (path / "java_programs").is_dir() and not (path / "python_programs").is_dir():
            raise DatasetUnavailableError(f"{path} is not a QuixBugs checkout (no java_programs/ or python_programs/)")
        return path
    cached = user_cache_dir() / "QuixBugs"
    if (cached / "java_programs").is_dir():
        return cached
    if clone:
        cached.parent.mkdir(parents=True, exist_ok=True)
        result = run_process(["git", "clone", "-q", "--depth", "1", QUIXBUGS_URL, str(cached)],
                             cwd=cached.parent, timeout=180, env={"GIT_TERMINAL_PROMPT": "0"})
        if result.ok:
            return cached
    raise DatasetUnavailableError(
        "QuixBugs is not available: pass --quixbugs-root DIR or set REPAIR_QUIXBUGS_ROOT "
        f"(clone {QUIXBUGS_URL} on a machine with network access)"
    )


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
        if self.language == "java":
            program = f"java_programs/{name}.java"
            test = f"java_testcases/junit/{name}_TEST.java"
            setup = TestSetup("junit4", test_classes=(f"java_testcases.junit.{name}_TEST",),
                              compile_files=(test, program), source_path=(".",),
                              per_test_timeout=self.per_test_timeout, total_timeout=300)
            correct = self.root / "correct_java_programs" / f"{name}.java"
        else:
            program = f"python_programs/{name}.py"
            test = f"python_testcases/test_{name}.py"
            setup = TestSetup("pytest", test_files=(test,), per_test_timeout=self.per_test_timeout,
                              total_timeout=300)
            correct = self.root / "correct_python_programs" / f"{name}.py"
        bug = Bug(id=f"{self.dataset}:{name}", dataset=self.dataset, language=self.language,
                  test_setup=setup, program_files=[program], meta={"test_file": test})
        if correct.is_file():
            buggy_text = (self.root / program).read_text(encoding="utf-8", errors="replace")
            bug.fix_patch, bug.buggy_locations = ground_truth_patch(
                program, buggy_text, correct.read_text(encoding="utf-8", errors="replace"))
        return bug


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
        workspace.import_tree(str(self.layout.root))
