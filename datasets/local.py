"""`local:<path>`: any directory or git repository, tested by a command the user gives."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug, WiderTests
from repair.errors import RepairError, UnknownBugError
from repair.runners import setup_from_command, split_pytest_args

SOURCE_SUFFIXES = {".java": "java", ".py": "python"}


def detect_language(root: Path) -> str:
    """The language with the most source files under `root` (git-tracked files when it is a repo)."""
    try:
        out = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, timeout=60)
        files = out.stdout.splitlines() if out.returncode == 0 and out.stdout else []
    except (OSError, subprocess.TimeoutExpired):
        files = []
    if not files:
        files = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]
    counts: dict[str, int] = {}
    for f in files:
        lang = SOURCE_SUFFIXES.get(Path(f).suffix)
        if lang:
            counts[lang] = counts.get(lang, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else "unknown"


def detect_test_command(root: Path) -> str | None:
    """Maven, Gradle, pytest or npm, from the files at the root; None when nothing fits."""
    if (root / "pom.xml").is_file():
        return "mvn -B -q test"
    if (root / "gradlew").is_file():
        return "./gradlew test --console=plain"
    if (root / "build.gradle").is_file() or (root / "build.gradle.kts").is_file():
        return "gradle test --console=plain"
    if any((root / f).is_file() for f in ("pytest.ini", "conftest.py", "setup.cfg", "pyproject.toml", "tox.ini")) \
            or (root / "tests").is_dir():
        return "python -m pytest"
    if (root / "package.json").is_file():
        return "npm test"
    return None


# pytest options that choose which tests run; with their value when it is the next argument.
_PYTEST_SELECTION = {"-k": True, "-m": True, "--deselect": True, "--lf": False, "--last-failed": False,
                     "--sw": False, "--stepwise": False}


def whole_suite_command(command: str) -> str | None:
    """The command that runs every test, when `command` (pytest, Maven or Gradle) selects some of them;
    None when it already runs them all, or when its tool is not one whose selection we can read."""
    try:
        argv = shlex.split(command)
    except ValueError:
        return None
    if not argv:
        return None
    head = argv[0].rsplit("/", 1)[-1]
    if head in ("pytest", "py.test") or argv[:3] in (["python", "-m", "pytest"], ["python3", "-m", "pytest"]):
        start = 1 if head in ("pytest", "py.test") else 3
        files, options = split_pytest_args(argv[start:])
        kept: list[str] = []
        skip = False
        for word in options:
            if skip:
                skip = False
                continue
            name = word.split("=", 1)[0]
            if name in _PYTEST_SELECTION:
                skip = _PYTEST_SELECTION[name] and "=" not in word
                continue
            kept.append(word)
        selected = bool(files) or len(kept) != len(options)
        return shlex.join([*argv[:start], *kept]) if selected else None
    if head in ("mvn", "mvnw"):
        kept = [w for w in argv if not w.startswith(("-Dtest=", "-Dit.test="))]
        return shlex.join(kept) if len(kept) != len(argv) else None
    if head in ("gradle", "gradlew"):
        kept, skip = [], False
        for word in argv:
            if skip:
                skip = False
            elif word == "--tests":
                skip = True
            elif not word.startswith("--tests="):
                kept.append(word)
        return shlex.join(kept) if len(kept) != len(argv) else None
    return None


class LocalDataset:
    """A single bug: the failing tests of the given test command in the given directory.

    When the test command selects some of the tests (`pytest tests/test_x.py`, `-k`, `mvn -Dtest=...`,
    `gradle --tests ...`), a patch that passes it must also pass the whole suite, or `final_test_cmd`
    when the user gives one, before it is called plausible.
    """

    name = "local"

    def __init__(self, repo: str | Path, test_cmd: str | None = None, per_test_timeout: float = 10.0,
                 total_timeout: float = 900.0, final_test_cmd: str | None = None) -> None:
        self.root = Path(repo).expanduser().resolve()
        if not self.root.is_dir():
            raise UnknownBugError(f"local repo {self.root} does not exist or is not a directory")
        command = test_cmd or detect_test_command(self.root)
        if not command:
            raise RepairError(f"no test command for {self.root}: pass --test-cmd (e.g. --test-cmd 'pytest -q')")
        self.test_cmd = command
        try:
            self.setup = setup_from_command(command, per_test_timeout, total_timeout)
        except ValueError as exc:  # shlex: an unterminated quote, a lone escape; or an empty command
            raise RepairError(f"the test command {command!r} cannot be read: {exc}") from None
        self.wider: WiderTests | None = None
        final = final_test_cmd or (whole_suite_command(command) if test_cmd else None)
        if final and final != command:
            label = f"the final test command `{final}`" if final_test_cmd else f"the whole suite (`{final}`)"
            try:
                wider = setup_from_command(final, per_test_timeout, total_timeout)
            except ValueError as exc:
                raise RepairError(f"the final test command {final!r} cannot be read: {exc}") from None
            self.wider = WiderTests(wider, label)

    def list_bugs(self) -> list[Bug]:
        return [self.get(f"local:{self.root}")]

    def get(self, bug_id: str) -> Bug:
        return Bug(id=f"local:{self.root}", dataset=self.name, language=detect_language(self.root),
                   test_setup=self.setup, meta={"test_cmd": self.test_cmd, "repo": str(self.root)},
                   wider_tests=self.wider)

    def checkout(self, bug: Bug, workspace: Workspace) -> None:
        workspace.import_tree(str(self.root))
