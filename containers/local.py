"""`LocalWorkspace`: an isolated copy of a checkout under its own git repository."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from repair.containers.process import CommandResult, run_process
from repair.containers.workspace import SCRATCH_DIR

from repair.errors import WorkspaceError

GIT_ENV = {
    "GIT_AUTHOR_NAME": "repair",
    "GIT_AUTHOR_EMAIL": "repair@localhost",
    "GIT_COMMITTER_NAME": "repair",
    "GIT_COMMITTER_EMAIL": "repair@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
}
BASE_TAG = "repair-base"
_COPY_IGNORE_NAMES = (".git", SCRATCH_DIR, "__pycache__", ".pytest_cache", "*.class")


class LocalWorkspace:
    """A bug checked out into its own directory, under a fresh git repository.

    The first commit (tagged `repair-base`) is the exact checked-out state that
    `restore()` and `diff()` refer to. The user's original directory is only read.
    """

    def __init__(self, root: Path, owns_dir: bool) -> None:
        self._root = root
        self._owns_dir = owns_dir

    # -- creation -----------------------------------------------------------------
    @classmethod
    def create(cls, source: Path | None = None, workdir: Path | None = None) -> LocalWorkspace:
        """Copy `source` (a directory, not modified) into `workdir` or a new temp dir, and commit it."""
        owns = workdir is None
        if workdir is None:
            root = Path(tempfile.mkdtemp(prefix="repair-ws-"))
        else:
            root = workdir.resolve()
            if root.exists() and any(root.iterdir()):
                raise WorkspaceError(f"workdir {root} exists and is not empty")
            root.mkdir(parents=True, exist_ok=True)
        ws = cls(root, owns_dir=owns)
        ws._init_git()
        if source is not None:
            ws.import_tree(str(source))
        return ws

    def _init_git(self) -> None:
        self._git("init", "-q")
        exclude = self._root / ".git" / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        exclude.write_text(f"{SCRATCH_DIR}/\n__pycache__/\n.pytest_cache/\n*.pyc\n")
        self._git("add", "-A")
        self._git("commit", "-q", "--allow-empty", "--no-verify", "-m", "repair: checked-out bug")
        self._git("tag", "-f", BASE_TAG)

    def import_tree(self, source: str, exclude: Sequence[str] = ()) -> None:
        src = Path(source).resolve()
        if not src.is_dir():
            raise WorkspaceError(f"{src} is not a directory")
        if src == self._root or src in self._root.parents:
            raise WorkspaceError(f"the workspace {self._root} must not be inside the source {src}")
        ignore = shutil.ignore_patterns(*_COPY_IGNORE_NAMES, *exclude)
        shutil.copytree(src, self._root, ignore=ignore, dirs_exist_ok=True, symlinks=True)
        self._git("add", "-A")
        self._git("commit", "-q", "--allow-empty", "--no-verify", "-m", f"repair: import {src.name}")
        self._git("tag", "-f", BASE_TAG)

    # -- Workspace protocol ---------------------------------------------------------
    @property
    def path(self) -> str:
        return str(self._root)

    @property
    def root(self) -> Path:
        return self._root

    def run(
        self,
        cmd: str | Sequence[str],
        timeout: float,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> CommandResult:
        where = self._root / cwd if cwd else self._root
        return run_process(cmd, cwd=where, timeout=timeout, env=env)

    def _resolve(self, rel_path: str) -> Path:
        target = (self._root / rel_path).resolve()
        if target != self._root and self._root not in target.parents:
            raise WorkspaceError(f"path {rel_path!r} is outside the workspace")
        return target

    def read_file(self, rel_path: str) -> str:
        target = self._resolve(rel_path)
        if not target.is_file():
            raise WorkspaceError(f"no such file in the workspace: {rel_path}")
        return target.read_text(encoding="utf-8", errors="replace")

    def write_file(self, rel_path: str, content: str) -> None:
        target = self._resolve(rel_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")

    def exists(self, rel_path: str) -> bool:
        try:
            return self._resolve(rel_path).exists()
        except WorkspaceError:
            return False

    def list_files(self, suffixes: Sequence[str] = ()) -> list[str]:
        out = self._git("ls-files", "--cached", "--others", "--exclude-standard").stdout
        files = sorted({line for line in out.splitlines() if line})
        if suffixes:
            files = [f for f in files if f.endswith(tuple(suffixes))]
        return files

    def snapshot(self) -> str:
        # A tree object written from a throwaway index: it records the files
        # without touching the real index or creating commits that diffs would show.
        index = self._root / ".git" / "repair-snapshot-index"
        env = {"GIT_INDEX_FILE": str(index)}
        self._git("read-tree", BASE_TAG, env=env)
        self._git("add", "-A", env=env)
        tree = self._git("write-tree", env=env).stdout.strip()
        index.unlink(missing_ok=True)
        return tree

    def restore(self, snapshot: str | None = None) -> None:
        target = snapshot or BASE_TAG
        self._git("read-tree", "--reset", "-u", target)
        self._git("checkout-index", "-a", "-f")
        self._git("clean", "-fdq", "-e", SCRATCH_DIR)
        self._git("reset", "-q", BASE_TAG)  # the index tracks the base again; the tree stays at target

    def diff(self) -> str:
        self._git("add", "-A")
        text = self._git("diff", "--cached", "--no-color", "--no-ext-diff", BASE_TAG).stdout
        self._git("reset", "-q")
        return text

    def close(self) -> None:
        if self._owns_dir:
            shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> LocalWorkspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------
    def _git(self, *args: str, env: Mapping[str, str] | None = None) -> CommandResult:
        full_env = dict(GIT_ENV)
        if env:
            full_env.update(env)
        result = run_process(["git", *args], cwd=self._root, timeout=120, env=full_env)
        if not result.ok:
            raise WorkspaceError(f"git {' '.join(args)} failed: {result.output.strip()[:500]}")
        return result

