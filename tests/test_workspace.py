"""LocalWorkspace: isolation, snapshot/restore and diff (timeouts and escaped processes: test_process_containment)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from repair.containers import LocalWorkspace
from repair.errors import WorkspaceError


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "a.py").write_text("x = 1\n")
    (src / "README").write_text("hello\n")
    subprocess.run(["git", "init", "-q"], cwd=src, check=True)
    return src


def test_checkout_is_an_isolated_copy(source: Path) -> None:
    with LocalWorkspace.create(source) as ws:
        ws.write_file("pkg/a.py", "x = 2\n")
        assert (source / "pkg" / "a.py").read_text() == "x = 1\n"
        assert Path(ws.path) != source
        assert sorted(ws.list_files()) == ["README", "pkg/a.py"]


def test_restore_returns_to_the_exact_checked_out_state(source: Path) -> None:
    with LocalWorkspace.create(source) as ws:
        ws.write_file("pkg/a.py", "x = 2\n")
        ws.write_file("new.txt", "junk\n")
        (Path(ws.path) / "README").unlink()
        ws.restore()
        assert ws.read_file("pkg/a.py") == "x = 1\n"
        assert not ws.exists("new.txt")
        assert ws.read_file("README") == "hello\n"
        assert ws.diff() == ""


def test_snapshot_and_restore_to_a_snapshot(source: Path) -> None:
    with LocalWorkspace.create(source) as ws:
        ws.write_file("pkg/a.py", "x = 2\n")
        snap = ws.snapshot()
        ws.write_file("pkg/a.py", "x = 3\n")
        ws.write_file("other.py", "y = 1\n")
        ws.restore(snap)
        assert ws.read_file("pkg/a.py") == "x = 2\n"
        assert not ws.exists("other.py")
        assert "+x = 2" in ws.diff()


def test_diff_is_a_unified_diff_including_new_files(source: Path) -> None:
    with LocalWorkspace.create(source) as ws:
        ws.write_file("pkg/a.py", "x = 5\n")
        ws.write_file("pkg/b.py", "y = 1\n")
        diff = ws.diff()
        assert "--- a/pkg/a.py" in diff and "+x = 5" in diff
        assert "+++ b/pkg/b.py" in diff


def test_scratch_dir_is_invisible_to_git(source: Path) -> None:
    with LocalWorkspace.create(source) as ws:
        ws.write_file(".repair/classes/X.class", "bytes")
        assert ws.diff() == ""
        ws.restore()
        assert ws.exists(".repair/classes/X.class")


def test_paths_outside_the_workspace_are_refused(source: Path) -> None:
    with LocalWorkspace.create(source) as ws, pytest.raises(WorkspaceError):
        ws.write_file("../escape.txt", "no")


def test_workdir_must_be_empty(source: Path, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "f").write_text("x")
    with pytest.raises(WorkspaceError, match="not empty"):
        LocalWorkspace.create(source, workdir=busy)
