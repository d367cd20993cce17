"""`--apply`: write a validated patch into the user's repository, all of it or nothing.

The patch is checked against the bug's rules again (the user's files may differ from the workspace's:
a path may have become a symlink), every new content is computed and staged next to its target
first, and only then are the targets replaced; a failure on the way puts back what was replaced.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import tempfile
from dataclasses import dataclass
from pathlib import Path

from repair.errors import PatchError, RepairError
from repair.patch import Patch
from repair.patch_rules import DirectoryTree, PatchRules

STAGED_PREFIX = ".repair-apply-"


class ApplyError(RepairError):
    """`--apply` wrote nothing: the patch was refused, did not apply, or a file could not be written."""


@dataclass
class _Change:
    path: Path
    content: bytes | None  # None: remove the file
    original: bytes | None  # None: the file did not exist
    staged: Path | None = None
    done: bool = False


def apply_to_repo(repo: str | Path, diff: str, rules: PatchRules) -> list[str]:
    """Write `diff` into the repository at `repo`, all or nothing; the paths written. ApplyError otherwise."""
    root = Path(repo).resolve()
    try:
        patch = Patch.parse(diff)
        rules.check(patch, DirectoryTree(root))
        applied = patch.apply_to_texts(lambda path: _read_text(root, path))
    except PatchError as exc:
        raise ApplyError(f"--apply wrote nothing: {exc}".splitlines()[0]) from None
    except UnicodeDecodeError as exc:
        raise ApplyError(f"--apply wrote nothing: a file the patch changes is not UTF-8 text ({exc.reason})") from None
    deleted = {posixpath.normpath(f.path) for f in patch.files if f.delete}
    changes = [_Change(root / path, None if path in deleted else content.encode("utf-8"), _read_bytes(root / path))
               for path, content in sorted(applied.files.items())]
    write_all_or_nothing(changes)
    return sorted(applied.files)


def write_all_or_nothing(changes: list[_Change]) -> None:
    """Stage every new content beside its target, then swap them in; undo everything on any failure."""
    made_dirs: list[Path] = []
    try:
        for change in changes:
            if change.content is not None:
                change.staged = _stage(change, made_dirs)
        for change in changes:
            if change.staged is not None:
                os.replace(change.staged, change.path)
                change.staged = None
            else:
                change.path.unlink(missing_ok=True)
            change.done = True
    except OSError as exc:
        _undo(changes, made_dirs)
        where = exc.filename or ""
        raise ApplyError(f"--apply wrote nothing: cannot write {where}: {exc.strerror or exc}") from None


def _stage(change: _Change, made_dirs: list[Path]) -> Path:
    missing = [p for p in reversed(change.path.parents) if not p.exists()]
    for folder in missing:
        folder.mkdir()
        made_dirs.append(folder)
    handle, name = tempfile.mkstemp(prefix=STAGED_PREFIX, dir=change.path.parent)
    with os.fdopen(handle, "wb") as out:
        out.write(change.content or b"")
    mode = change.path.stat().st_mode & 0o7777 if change.original is not None else 0o666 & ~_umask()
    os.chmod(name, mode)
    return Path(name)


def _undo(changes: list[_Change], made_dirs: list[Path]) -> None:
    for change in changes:
        if change.staged is not None:
            change.staged.unlink(missing_ok=True)
        if not change.done:
            continue
        with contextlib.suppress(OSError):
            if change.original is None:
                change.path.unlink(missing_ok=True)
            else:
                change.path.write_bytes(change.original)
    for folder in reversed(made_dirs):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _read_text(root: Path, path: str) -> str | None:
    target = root / path
    return target.read_text(encoding="utf-8") if target.is_file() else None


def _read_bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _umask() -> int:
    # Read, not set-and-restore: os.umask changes the whole process, other threads included.
    with contextlib.suppress(OSError, ValueError, StopIteration):
        status = Path("/proc/self/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("Umask:")).split()[1], 8)
    return 0o022
