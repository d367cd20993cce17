"""`GitState`: the git repository behind a workspace's snapshots, restores and diffs.

Every backend keeps its checkout under a fresh git repository whose tag `repair-base` is the
checked-out state; only how a git command runs (a host process, an exec in a container) and how
a file is written differ, so those come in as callables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from repair.containers.process import CommandResult
from repair.containers.workspace import SCRATCH_DIR

GIT_ENV = {
    "GIT_AUTHOR_NAME": "repair",
    "GIT_AUTHOR_EMAIL": "repair@localhost",
    "GIT_COMMITTER_NAME": "repair",
    "GIT_COMMITTER_EMAIL": "repair@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
}
BASE_TAG = "repair-base"
EXCLUDE_FILE = ".git/info/exclude"
EXCLUDED = f"{SCRATCH_DIR}/\n__pycache__/\n.pytest_cache/\n*.pyc\n"
SNAPSHOT_INDEX = ".git/repair-snapshot-index"


class GitCommand(Protocol):
    """Runs `git *args` in the checkout (with GIT_ENV and `env`); raises WorkspaceError when git fails."""

    def __call__(self, *args: str, env: Mapping[str, str] | None = None) -> CommandResult: ...


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """GIT_ENV (a fixed identity, no system config) with `extra` on top."""
    return {**GIT_ENV, **(extra or {})}


class GitState:
    """Init, base commits, snapshots, restores and diffs of one checkout, through `git`.

    `root` is the checkout's path as git sees it; `write_file` and `remove_file` take paths
    relative to it.
    """

    def __init__(self, git: GitCommand, root: str, write_file: Callable[[str, str], None],
                 remove_file: Callable[[str], None]) -> None:
        self._git = git
        self._root = root
        self._write_file = write_file
        self._remove_file = remove_file

    def init(self) -> None:
        """A fresh repository that never tracks the scratch dir or caches, with the current files as the base."""
        self._git("init", "-q")
        self._write_file(EXCLUDE_FILE, EXCLUDED)
        self.commit_base("repair: checked-out bug")

    def commit_base(self, message: str) -> None:
        """Commit every file and move the base tag there: this is now the checked-out state."""
        self._git("add", "-A")
        self._git("commit", "-q", "--allow-empty", "--no-verify", "-m", message)
        self._git("tag", "-f", BASE_TAG)

    def list_files(self, suffixes: Sequence[str] = ()) -> list[str]:
        """Tracked and untracked, not ignored files (relative paths), optionally filtered by suffix."""
        out = self._git("ls-files", "--cached", "--others", "--exclude-standard").stdout
        files = sorted({line for line in out.splitlines() if line})
        if suffixes:
            files = [f for f in files if f.endswith(tuple(suffixes))]
        return files

    def snapshot(self) -> str:
        """The id of a tree object holding the current files."""
        # A tree written from a throwaway index: it records the files without touching the
        # real index or creating commits that diffs would show.
        env = {"GIT_INDEX_FILE": f"{self._root}/{SNAPSHOT_INDEX}"}
        self._git("read-tree", BASE_TAG, env=env)
        self._git("add", "-A", env=env)
        tree = self._git("write-tree", env=env).stdout.strip()
        self._remove_file(SNAPSHOT_INDEX)
        return tree

    def restore(self, snapshot: str | None = None) -> None:
        """Make the files those of `snapshot`, or of the base when None; the scratch dir stays."""
        target = snapshot or BASE_TAG
        self._git("read-tree", "--reset", "-u", target)
        self._git("checkout-index", "-a", "-f")
        self._git("clean", "-fdq", "-e", SCRATCH_DIR)
        self._git("reset", "-q", BASE_TAG)  # the index tracks the base again; the tree stays at target

    def diff(self) -> str:
        """A unified diff of the current files (new ones included) against the base."""
        self._git("add", "-A")
        text = self._git("diff", "--cached", "--no-color", "--no-ext-diff", BASE_TAG).stdout
        self._git("reset", "-q")
        return text


class GitBackedWorkspace:
    """The Workspace methods that a `GitState` answers; a backend sets `self._state` in `__init__`."""

    _state: GitState

    def list_files(self, suffixes: Sequence[str] = ()) -> list[str]:
        """Tracked and untracked source files (relative paths), optionally filtered by suffix."""
        return self._state.list_files(suffixes)

    def snapshot(self) -> str:
        """An id of the current state of the files, for `restore`."""
        return self._state.snapshot()

    def restore(self, snapshot: str | None = None) -> None:
        """Return to `snapshot`, or to the exact checked-out state when None."""
        self._state.restore(snapshot)

    def diff(self) -> str:
        """A unified diff of the current files against the checked-out state."""
        return self._state.diff()
