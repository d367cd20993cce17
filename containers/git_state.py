"""`GitState`: the git repository behind a workspace's snapshots, restores and diffs.

Every backend keeps its checkout under a fresh git repository whose tag `repair-base` is the
checked-out state; only how a git command runs (a host process, an exec in a container) and how
a file is written differ, so those come in as callables.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from repair.containers.process import CommandResult
from repair.containers.workspace import SCRATCH_DIR

GIT_ENV = {
    "GIT_AUTHOR_NAME": "repair",
    "GIT_AUTHOR_EMAIL": "repair@localhost",
    "GIT_COMMITTER_NAME": "repair",
    "GIT_COMMITTER_EMAIL": "repair@localhost",
    # No system or user configuration: an autocrlf, a clean filter (git-lfs) or a hook path there
    # would change the bytes git records, or run code.
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}
BASE_TAG = "repair-base"
EXCLUDE_FILE = ".git/info/exclude"
EXCLUDED = f"{SCRATCH_DIR}/\n__pycache__/\n.pytest_cache/\n*.pyc\n"
# The same as pathspecs: the base is added with --force (a checkout's ignored files are part of it).
EXCLUDED_PATHSPECS = (f":(exclude){SCRATCH_DIR}", ":(exclude,glob)**/__pycache__/**",
                      ":(exclude,glob)**/.pytest_cache/**", ":(exclude,glob)**/*.pyc")
SNAPSHOT_INDEX = ".git/repair-snapshot-index"
LITERAL = {"GIT_LITERAL_PATHSPECS": "1"}  # a written path is a path, never a glob


class GitCommand(Protocol):
    """Runs `git *args` in the checkout (with GIT_ENV and `env`); raises WorkspaceError when git fails."""

    def __call__(self, *args: str, env: Mapping[str, str] | None = None) -> CommandResult: ...


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """GIT_ENV (a fixed identity, no system or user config) with `extra` on top."""
    return {**GIT_ENV, **(extra or {})}


def is_internal_path(rel_path: str) -> bool:
    """Paths that are never the checkout's files: git's own and the scratch dir."""
    return posixpath.normpath(rel_path).split("/")[0] in (".git", SCRATCH_DIR)


class GitState:
    """Init, base commits, snapshots, restores and diffs of one checkout, through `git`.

    The base commit (tag `repair-base`) holds every file of the checkout, those a `.gitignore`
    matches included (a committed `vendor/` is as much the checkout as `src/`). After it, what
    counts as a change is what went through the workspace: the paths written or removed with
    `note_written` (a patch, a tool's edit). Whatever a command made or changed (build output,
    `target/`, `.class` files, a test's scratch files) is never in a snapshot or a diff, with or
    without a `.gitignore`; a restore puts every file of the checkout back byte for byte and
    removes what was written since.

    `root` is the checkout's path as git sees it; `write_file` and `remove_file` take paths
    relative to it.
    """

    def __init__(self, git: GitCommand, root: str, write_file: Callable[[str, str], None],
                 remove_file: Callable[[str], None]) -> None:
        self._git = git
        self._root = root
        self._write_file = write_file
        self._remove_file = remove_file
        self._written: set[str] = set()

    def init(self) -> None:
        """A fresh repository that never tracks the scratch dir or caches, with the current files as the base."""
        self._git("init", "-q")
        self._write_file(EXCLUDE_FILE, EXCLUDED)
        self.commit_base("repair: checked-out bug")

    def commit_base(self, message: str) -> None:
        """Commit every file, ignored or not, and move the base tag there: this is now the checked-out state."""
        self._git("add", "--all", "--force", "--", ".", *EXCLUDED_PATHSPECS)
        self._git("commit", "-q", "--allow-empty", "--no-verify", "-m", message)
        self._git("tag", "-f", BASE_TAG)
        self._written.clear()

    def note_written(self, rel_path: str) -> None:
        """Record that the workspace wrote or removed `rel_path`: it is a change, in snapshots and diffs."""
        if not is_internal_path(rel_path):
            self._written.add(posixpath.normpath(rel_path))

    def remove(self, rel_path: str) -> None:
        """Remove a file of the checkout, as a change (a patch that deletes it)."""
        self.note_written(rel_path)
        self._remove_file(rel_path)

    def list_files(self, suffixes: Sequence[str] = ()) -> list[str]:
        """Tracked and untracked, not ignored files (relative paths), optionally filtered by suffix."""
        out = self._git("ls-files", "--cached", "--others", "--exclude-standard").stdout
        files = sorted({line for line in out.splitlines() if line})
        if suffixes:
            files = [f for f in files if f.endswith(tuple(suffixes))]
        return files

    def snapshot(self) -> str:
        """The id of a tree object holding the checkout's files with what was written since."""
        # A tree written from a throwaway index: it records the files without touching the
        # real index or creating commits that diffs would show.
        env = {"GIT_INDEX_FILE": f"{self._root}/{SNAPSHOT_INDEX}"}
        self._git("read-tree", BASE_TAG, env=env)
        self._stage_written(env)
        tree = self._git("write-tree", env=env).stdout.strip()
        self._remove_file(SNAPSHOT_INDEX)
        return tree

    def restore(self, snapshot: str | None = None) -> None:
        """Make the files those of `snapshot`, or of the base when None; the scratch dir and build output stay."""
        target = snapshot or BASE_TAG
        self._git("read-tree", "--reset", "-u", target)
        self._git("checkout-index", "-a", "-f")
        # A file written since the base that `target` does not hold: created by a patch, removed now.
        kept = set(self._known(("--cached",), env=None))
        for path in sorted(self._written - kept):
            self._remove_file(path)
        self._git("reset", "-q", BASE_TAG)  # the index tracks the base again; the tree stays at target

    def diff(self) -> str:
        """A unified diff of what was written since the base (new files included) against the base."""
        self._stage_written(None)
        try:
            return self._git("diff", "--cached", "--no-color", "--no-ext-diff", BASE_TAG).stdout
        finally:
            self._git("reset", "-q")

    def _stage_written(self, env: Mapping[str, str] | None) -> None:
        # Only the written paths that exist, or that the index holds (a removal): git refuses others.
        present = self._known(("--cached", "--others"), env)
        if present:
            self._git("add", "--all", "--force", "--", *present, env={**(env or {}), **LITERAL})

    def _known(self, which: Sequence[str], env: Mapping[str, str] | None) -> list[str]:
        """The written paths that `git ls-files WHICH` lists (in the index, or present and untracked)."""
        if not self._written:
            return []
        out = self._git("ls-files", "-z", *which, "--", *sorted(self._written), env={**(env or {}), **LITERAL})
        return sorted({p for p in out.stdout.split("\0") if p})


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
        """A unified diff of what was written since the checkout, against the checked-out state."""
        return self._state.diff()

    def remove_file(self, rel_path: str) -> None:
        """Delete a file of the checkout (a patch that removes it); a change like any write."""
        self._state.remove(rel_path)
