"""Patch parsing and strict application: unified diffs, search/replace blocks, line edits."""

from __future__ import annotations

import pytest

from repair.errors import PatchError, PatchRefusedError
from repair.patch import Patch, text_diff

SOURCE = "def f(a, b):\n    if a < b:\n        return a\n    return b\n"
DIFF = """--- a/m.py
+++ b/m.py
@@ -1,4 +1,4 @@
 def f(a, b):
-    if a < b:
+    if a <= b:
         return a
     return b
"""


def read(files: dict[str, str]):
    return lambda path: files.get(path)


def test_unified_diff_applies() -> None:
    applied = Patch.parse(DIFF).apply_to_texts(read({"m.py": SOURCE}))
    assert applied.files["m.py"] == SOURCE.replace("a < b", "a <= b")
    assert applied.notes == []


def test_mismatch_shows_expected_and_actual_lines() -> None:
    with pytest.raises(PatchError) as err:
        Patch.parse(DIFF).apply_to_texts(read({"m.py": SOURCE.replace("a < b", "a > b")}))
    text = str(err.value)
    assert "expected:" in text and "actual at line 1" in text and "a > b" in text


def test_wrong_header_is_relocated_only_when_asked_and_reported() -> None:
    shifted = "# header\n# more\n" + SOURCE
    with pytest.raises(PatchError):
        Patch.parse(DIFF).apply_to_texts(read({"m.py": shifted}))
    applied = Patch.parse(DIFF).apply_to_texts(read({"m.py": shifted}), relocate=True)
    assert "a <= b" in applied.files["m.py"]
    assert "relocated" in applied.notes[0] and "line 3" in applied.notes[0]


def test_ambiguous_relocation_is_an_error() -> None:
    doubled = "# x\n" + SOURCE + SOURCE
    with pytest.raises(PatchError, match="ambiguous"):
        Patch.parse(DIFF).apply_to_texts(read({"m.py": doubled}), relocate=True)


def test_search_replace_blocks() -> None:
    text = "m.py\n<<<<<<< SEARCH\n    if a < b:\n=======\n    if a <= b:\n>>>>>>> REPLACE\n"
    patch = Patch.parse(text)
    assert patch.format == "search-replace"
    assert "a <= b" in patch.apply_to_texts(read({"m.py": SOURCE})).files["m.py"]


def test_search_block_must_match_once() -> None:
    text = "m.py\n<<<<<<< SEARCH\n        return a\n    return c\n=======\nx\n>>>>>>> REPLACE\n"
    with pytest.raises(PatchError, match="does not match"):
        Patch.parse(text).apply_to_texts(read({"m.py": SOURCE}))


def test_line_edits_like_repairagent() -> None:
    patch = Patch.from_line_edits([{"file": "m.py", "changes": [{"start": 2, "end": 2,
                                    "replacement": "    if a <= b:"}]}], lambda p: SOURCE)
    assert "a <= b" in patch.apply_to_texts(read({"m.py": SOURCE})).files["m.py"]


def test_line_edit_outside_the_file_is_an_error() -> None:
    with pytest.raises(PatchError, match="outside"):
        Patch.from_line_edits([{"file": "m.py", "changes": [{"start": 9, "end": 12, "replacement": ""}]}],
                              lambda p: SOURCE)


@pytest.mark.parametrize("path", ["../etc/passwd", "/etc/passwd", "a/../../x.py", ".git/config"])
def test_paths_outside_the_repo_are_refused(path: str) -> None:
    diff = f"--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-a\n+b\n".replace("a//", "/").replace("b//", "/")
    with pytest.raises(PatchRefusedError, match="refused"):
        Patch.parse(diff).check_paths()


def test_test_files_are_refused() -> None:
    diff = "--- a/tests/test_m.py\n+++ b/tests/test_m.py\n@@ -1 +1 @@\n-a\n+b\n"
    with pytest.raises(PatchRefusedError, match="test file"):
        Patch.parse(diff).check_paths(lambda p: p.startswith("tests/"))


def test_garbage_is_a_clear_error() -> None:
    with pytest.raises(PatchError, match="not a unified diff"):
        Patch.parse("please fix the bug")


def test_line_edit_replacement_must_be_text() -> None:
    with pytest.raises(PatchError, match="must be a string"):
        Patch.from_line_edits([{"file": "m.py", "changes": [{"start": 2, "end": 2, "replacement": 5}]}],
                              lambda p: SOURCE)
    with pytest.raises(PatchError, match="need integer"):
        Patch.from_line_edits([{"file": "m.py", "changes": [{"start": 2, "end": 2}]}], lambda p: SOURCE)


def test_test_configuration_is_refused_like_tests() -> None:
    from repair.datasets.bug import DEFAULT_TEST_PATTERNS, Bug
    from repair.runners import TestSetup

    bug = Bug("local:x", "local", "python", TestSetup("pytest"))
    assert bug.test_patterns == DEFAULT_TEST_PATTERNS
    for path in ("pytest.ini", "sub/pyproject.toml", "sitecustomize.py", "x.pth", "pom.xml", "tox.ini"):
        diff = f"--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-a\n+b\n"
        with pytest.raises(PatchRefusedError):
            Patch.parse(diff).check_paths(bug.is_test_path)


def test_a_diff_made_from_texts_reads_like_git_diff_and_applies_back() -> None:
    diff = text_diff("pkg/../m.py", "a\nb", "a\nc")
    assert diff.startswith("diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n")
    assert diff.count("\\ No newline at end of file") == 2
    assert Patch.parse(diff).apply_to_texts(lambda path: "a\nb").files == {"m.py": "a\nc"}
    assert "--- /dev/null" in text_diff("new.py", None, "x\n") and text_diff("same.py", "x\n", "x\n") == ""
