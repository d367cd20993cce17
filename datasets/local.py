"""`local:<path>`: any directory or git repository, tested by a command the user gives."""

from __future__ import annotations

import subprocess
from pathlib import Path

from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug
from repair.errors import RepairError, UnknownBugError
from repair.runners import setup_from_command

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


class LocalDataset:
    """A single bug: the failing tests of the given test command in the given directory."""

    name = "local"

    def __init__(self, repo: str | Path, test_cmd: str | None = None, per_test_timeout: float = 10.0,
                 total_timeout: float = 900.0) -> None:
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

    def list_bugs(self) -> list[Bug]:
        return [self.get(f"local:{self.root}")]

    def get(self, bug_id: str) -> Bug:
        return Bug(id=f"local:{self.root}", dataset=self.name, language=detect_language(self.root),
                   test_setup=self.setup, meta={"test_cmd": self.test_cmd, "repo": str(self.root)})

    def checkout(self, bug: Bug, workspace: Workspace) -> None:
        workspace.import_tree(str(self.root))
