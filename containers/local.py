"""`LocalWorkspace`: an isolated copy of a checkout under its own git repository."""

from __future__ import annotations

import posixpath
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from repair.containers.git_state import GitBackedWorkspace, GitState, git_env
from repair.containers.process import CommandResult, run_process
from repair.containers.workspace import SCRATCH_DIR
from repair.errors import WorkspaceError

_COPY_IGNORE_NAMES = (".git", SCRATCH_DIR, "__pycache__", ".pytest_cache", "*.class")


class LocalWorkspace(GitBackedWorkspace):
    """A bug checked out into its own directory, under a fresh git repository.

    The first commit (tagged `repair-base`) is the exact checked-out state that
    `restore()` and `diff()` refer to. The user's original directory is only read.
    """

    def __init__(self, root: Path, owns_dir: bool) -> None:
        self._root = root
        self._owns_dir = owns_dir
        self._state = GitState(self._git, str(root), self._write, self._unlink)

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
        ws._state.init()
        if source is not None:
            ws.import_tree(str(source))
        return ws

    def import_tree(self, source: str, exclude: Sequence[str] = ()) -> None:
        src = Path(source).resolve()
        if not src.is_dir():
            raise WorkspaceError(f"{src} is not a directory")
        if src == self._root or src in self._root.parents:
            raise WorkspaceError(f"the workspace {self._root} must not be inside the source {src}")
        ignore = shutil.ignore_patterns(*_COPY_IGNORE_NAMES, *exclude)
        try:
            shutil.copytree(src, self._root, ignore=ignore, dirs_exist_ok=True, symlinks=True)
        except shutil.Error as exc:  # one entry per file that could not be copied: a FIFO, a socket, no access
            problems = [entry for entry in exc.args[0] if isinstance(entry, tuple) and len(entry) == 3] \
                if exc.args and isinstance(exc.args[0], list) else []
            if not problems:
                raise WorkspaceError(f"cannot copy {src} into a workspace: {exc}") from None
            first, _, why = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise WorkspaceError(f"cannot copy {first} into a workspace: {why}{more}; remove it or move it "
                                 "out of the repository") from None
        self._state.commit_base(f"repair: import {src.name}")

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
        self._write(rel_path, content)
        self._state.note_written(rel_path)

    def _write(self, rel_path: str, content: str) -> None:
        target = self._resolve(rel_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")

    def _unlink(self, rel_path: str) -> None:
        # The link itself, not what it points to: only its folder must lie inside the workspace.
        target = self._resolve(posixpath.dirname(rel_path) or ".") / posixpath.basename(rel_path)
        target.unlink(missing_ok=True)

    def exists(self, rel_path: str) -> bool:
        try:
            return self._resolve(rel_path).exists()
        except WorkspaceError:
            return False

    def close(self) -> None:
        if self._owns_dir:
            shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> LocalWorkspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------
    def _git(self, *args: str, env: Mapping[str, str] | None = None) -> CommandResult:
        result = run_process(["git", *args], cwd=self._root, timeout=120, env=git_env(env),
                             project_code=False)
        if not result.ok:
            raise WorkspaceError(f"git {' '.join(args)} failed: {result.output.strip()[:500]}")
        return result

