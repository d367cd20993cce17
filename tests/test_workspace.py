"""LocalWorkspace: isolation, snapshot/restore and diff (timeouts and escaped processes: test_process_containment)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from repair.containers import LocalWorkspace
from repair.errors import WorkspaceError


def git_repo(root: Path, files: dict[str, str]) -> Path:
    """A git repository at `root` holding `files`, every one of them added (ignored or not)."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-f", "."], cwd=root, check=True)
    return root


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    return git_repo(tmp_path / "src", {"pkg/a.py": "x = 1\n", "README": "hello\n"})


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


@pytest.fixture()
def vendored(tmp_path: Path) -> Path:
    """A repo whose committed `vendor/` is matched by its own .gitignore (as many real repos are)."""
    return git_repo(tmp_path / "vendored", {"vendor/lib.py": "def helper():\n    return 1\n",
                                             "app.py": "from vendor.lib import helper\n",
                                             ".gitignore": "vendor/\ntarget/\n"})


def test_files_ignored_by_gitignore_are_tracked_diffed_and_restored(vendored: Path) -> None:
    with LocalWorkspace.create(vendored) as ws:
        assert "vendor/lib.py" in ws.list_files()
        ws.write_file("vendor/lib.py", "def helper():\n    return 2\n")
        diff = ws.diff()
        assert "--- a/vendor/lib.py" in diff and "+    return 2" in diff, "the patch must not come out empty"
        snap = ws.snapshot()
        ws.restore()
        assert ws.read_file("vendor/lib.py") == "def helper():\n    return 1\n"
        ws.restore(snap)
        assert ws.read_file("vendor/lib.py").endswith("return 2\n")
        ws.restore()
        assert ws.diff() == ""


def test_restore_is_byte_identical(source: Path) -> None:
    raw = b"x = 1\r\n\xff\xfe not utf-8\r\n"
    (source / "pkg" / "raw.py").write_bytes(raw)
    (source / "run.sh").write_text("#!/bin/sh\n")
    (source / "run.sh").chmod(0o755)
    with LocalWorkspace.create(source) as ws:
        root = Path(ws.path)
        ws.write_file("pkg/raw.py", "x = 2\n")
        (root / "run.sh").chmod(0o644)
        (root / "README").unlink()
        ws.restore()
        assert (root / "pkg" / "raw.py").read_bytes() == raw
        assert (root / "run.sh").stat().st_mode & 0o111
        assert (root / "README").read_text() == "hello\n"


def test_build_output_never_enters_a_diff_with_or_without_gitignore(source: Path, vendored: Path) -> None:
    for repo in (source, vendored):  # no .gitignore for target/, and one that ignores it
        with LocalWorkspace.create(repo) as ws:
            ws.write_file("app.py" if repo == vendored else "pkg/a.py", "x = 3\n")
            # What a build makes after the checkout: classes, reports, a generated source.
            ws.run("mkdir -p target/classes build && touch target/classes/A.class build/out.txt && "
                   "echo 'class G {}' > target/G.java && echo '*.log' > target/.gitignore", timeout=30)
            diff = ws.diff()
            assert "+x = 3" in diff
            assert "target/" not in diff and "build/" not in diff and ".class" not in diff
            snap = ws.snapshot()
            ws.restore(snap)
            assert ws.exists("target/classes/A.class"), "a restore keeps build output (incremental builds)"
            assert "target/" not in ws.diff()


def test_a_removed_file_is_a_change_and_comes_back(source: Path) -> None:
    with LocalWorkspace.create(source) as ws:
        ws.remove_file("pkg/a.py")
        assert "--- a/pkg/a.py" in ws.diff() and "+++ /dev/null" in ws.diff()
        ws.restore()
        assert ws.read_file("pkg/a.py") == "x = 1\n"
