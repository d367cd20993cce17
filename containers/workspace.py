"""The `Workspace` protocol: an isolated checkout where every experiment happens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from repair.containers.process import CommandResult

# Scratch space for build outputs, runners and caches, inside the checkout but
# excluded from git, so snapshots, diffs and restores never see it.
SCRATCH_DIR = ".repair"


@runtime_checkable
class Workspace(Protocol):
    """An isolated checkout of a bug under git, local or in a container."""

    @property
    def path(self) -> str:
        """The checkout's root, as the commands run by `run` see it."""
        ...

    def run(
        self,
        cmd: str | Sequence[str],
        timeout: float,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> CommandResult:
        """Run a command in the checkout (or `cwd` relative to it) with a hard timeout."""
        ...

    def import_tree(self, source: str, exclude: Sequence[str] = ()) -> None:
        """Copy a host directory (less the `exclude` names) into the checkout; it becomes the checked-out state."""
        ...

    def read_file(self, rel_path: str) -> str: ...

    def write_file(self, rel_path: str, content: str) -> None: ...

    def exists(self, rel_path: str) -> bool: ...

    def remove_file(self, rel_path: str) -> None:
        """Delete a file of the checkout; like `write_file`, a change that snapshots and diffs show."""
        ...

    def list_files(self, suffixes: Sequence[str] = ()) -> list[str]:
        """Tracked and untracked source files (relative paths), optionally filtered by suffix."""
        ...

    def snapshot(self) -> str:
        """An id of the current state of the files, for `restore`."""
        ...

    def restore(self, snapshot: str | None = None) -> None:
        """Return to `snapshot`, or to the exact checked-out state when None."""
        ...

    def diff(self) -> str:
        """A unified diff of the files written or removed since the checkout against the checked-out state.

        What commands made or changed (build output) is never part of it, `.gitignore` or not.
        """
        ...

    def close(self) -> None:
        """Release the workspace (remove temp dirs, containers)."""
        ...


@runtime_checkable
class HostWorkspace(Workspace, Protocol):
    """A workspace whose files are on this machine (`LocalWorkspace`): host paths reach them directly."""

    @property
    def root(self) -> Path:
        """The checkout's root on this machine."""
        ...


@runtime_checkable
class ContainerWorkspace(Workspace, Protocol):
    """A workspace inside a container (`DockerWorkspace`): host files must be copied in, and files come
    out as bytes."""

    def read_bytes(self, rel_path: str) -> bytes: ...

    def host_path_map(self, host_paths: Sequence[str]) -> list[str]:
        """Copy host files (e.g. the JUnit jars) into the workspace; their paths there."""
        ...

    def adopt_tree(self, container_dir: str, exclude: Sequence[str] = ()) -> None:
        """Like `import_tree`, for a directory that is already inside the container (a benchmark's checkout)."""
        ...


def adopt_checkout(workspace: Workspace, rel_dir: str, exclude: Sequence[str] = (".git",)) -> None:
    """Make `rel_dir`, a checkout a benchmark's tool made inside the workspace, the checked-out state.

    A container adopts it in place; a workspace on this machine imports it (its path is a host path).
    """
    source = f"{workspace.path}/{rel_dir}"
    if isinstance(workspace, ContainerWorkspace):
        workspace.adopt_tree(source, exclude=exclude)
    else:
        workspace.import_tree(source, exclude=exclude)
