"""Patches: unified diffs, search/replace blocks and line edits, applied strictly.

A hunk must match the file exactly where its header says. Relocating a hunk whose
header is wrong is allowed only when asked for (`relocate=True`), only when its
old lines occur exactly once, and it is reported in `AppliedPatch.notes`.
"""

from __future__ import annotations

import difflib
import hashlib
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from repair.containers.workspace import SCRATCH_DIR, Workspace
from repair.errors import PatchError, PatchRefusedError

SEARCH_RE = re.compile(
    r"^(?P<path>[^\n]*?)\n?```?[\w+-]*\n?<<<<<<< SEARCH\n(?P<search>.*?)^=======\n(?P<replace>.*?)^>>>>>>> REPLACE",
    re.S | re.M,
)
SR_BLOCK_RE = re.compile(r"<<<<<<< SEARCH\n(?P<search>.*?)^=======\n(?P<replace>.*?)^>>>>>>> REPLACE", re.S | re.M)


@dataclass(frozen=True)
class Hunk:
    """Replace `old` (the lines a hunk expects, context included) by `new`.

    `start` is the 1-based line where `old` begins; None means "find it" (search/replace).
    """

    start: int | None
    old: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True)
class FilePatch:
    """The changes to one file. `mode` is a mode the patch gives it (git's `new file mode`/`new mode`
    lines, or a symlink's 120000); `binary` marks a binary patch, which has no hunks we could apply."""

    path: str
    hunks: tuple[Hunk, ...]
    create: bool = False
    delete: bool = False
    mode: str | None = None
    binary: bool = False


@dataclass
class AppliedPatch:
    """What applying a patch did: the files it changed and any hunk it had to relocate."""

    files: dict[str, str] = field(default_factory=dict)  # path -> new content
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Patch:
    """A set of file patches in one of the formats a model or a user writes."""

    files: tuple[FilePatch, ...]
    format: str

    # -- parsing ----------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> Patch:
        """Detect the format (unified diff or search/replace blocks) and parse it."""
        if "<<<<<<< SEARCH" in text:
            return cls.from_search_replace(text)
        return cls.from_unified_diff(text)

    @classmethod
    def from_unified_diff(cls, text: str) -> Patch:
        text = _strip_fences(text)
        git_headers = re.search(r"^diff --git ", text, re.M)  # mode-only and binary changes have no hunk
        if not git_headers and (not re.search(r"^--- ", text, re.M) or not re.search(r"^@@ ", text, re.M)):
            raise PatchError("not a unified diff: expected '--- a/FILE', '+++ b/FILE' and '@@ -l,n +l,n @@' lines")
        if not text.endswith("\n"):
            text += "\n"
        try:
            patch_set = PatchSet(text)
        except UnidiffParseError as exc:
            raise PatchError(f"cannot parse the unified diff: {exc}") from exc
        files = []
        for pf in patch_set:
            path = _strip_prefix(pf.target_file if not pf.is_removed_file else pf.source_file)
            hunks = []
            for h in pf:
                old = tuple(line.value.rstrip("\r\n") for line in h if line.is_context or line.is_removed)
                new = tuple(line.value.rstrip("\r\n") for line in h if line.is_context or line.is_added)
                start = h.source_start if h.source_length else h.source_start + 1
                hunks.append(Hunk(start if not pf.is_added_file else 1, old, new))
            mode, binary = _git_header_facts(pf)
            files.append(FilePatch(path, tuple(hunks), create=pf.is_added_file, delete=pf.is_removed_file,
                                   mode=mode, binary=binary))
        if not files:
            raise PatchError("the unified diff changes no file")
        return cls(tuple(files), "unified")

    @classmethod
    def from_search_replace(cls, text: str) -> Patch:
        """aider-style blocks: a file path line, then <<<<<<< SEARCH / ======= / >>>>>>> REPLACE."""
        files: dict[str, list[Hunk]] = {}
        path = ""
        pos = 0
        for match in SR_BLOCK_RE.finditer(text):
            before = [ln.strip().strip("`") for ln in text[pos:match.start()].splitlines() if ln.strip()]
            before = [ln for ln in before if ln and not ln.startswith("```")]
            if before:
                path = before[-1]
            if not path:
                raise PatchError("a SEARCH/REPLACE block must follow a line with the file's path")
            search = match.group("search").splitlines()
            replace = match.group("replace").splitlines()
            if not search:
                raise PatchError(f"an empty SEARCH block for {path}: say which lines to replace")
            files.setdefault(_strip_prefix(path), []).append(Hunk(None, tuple(search), tuple(replace)))
            pos = match.end()
        if not files:
            raise PatchError("no SEARCH/REPLACE blocks found")
        return cls(tuple(FilePatch(p, tuple(h)) for p, h in files.items()), "search-replace")

    @classmethod
    def from_line_edits(cls, edits: Sequence[dict[str, Any]], read: Callable[[str], str]) -> Patch:
        """RepairAgent's format: [{file, changes: [{start, end, replacement}]}], lines 1-based inclusive.

        `end < start` inserts before `start`. `read` gives the current text of a file.
        """
        files = []
        for entry in edits:
            if not isinstance(entry, dict) or "file" not in entry or "changes" not in entry:
                raise PatchError("each edit needs 'file' and 'changes': [{start, end, replacement}]")
            path = _strip_prefix(str(entry["file"]))
            lines = read(path).splitlines()
            hunks = []
            for change in entry["changes"]:
                try:
                    start, end = int(change["start"]), int(change["end"])
                    replacement = change["replacement"]
                except (KeyError, TypeError, ValueError) as exc:
                    raise PatchError(f"bad change {change!r}: need integer 'start', 'end' and a 'replacement'") from exc
                if not isinstance(replacement, str):
                    raise PatchError(f"bad change {change!r}: 'replacement' must be a string (\"\" deletes the lines)")
                if start < 1 or start > len(lines) + 1 or end > len(lines):
                    raise PatchError(f"lines {start}-{end} are outside {path} (it has {len(lines)} lines)")
                old = tuple(lines[start - 1:end]) if end >= start else ()
                new = tuple(replacement.splitlines()) if replacement else ()
                hunks.append(Hunk(start, old, new))
            files.append(FilePatch(path, tuple(hunks)))
        if not files:
            raise PatchError("the edit list is empty")
        return cls(tuple(files), "line-edits")

    # -- checks and application -------------------------------------------------------
    def check_paths(self, is_test_path: Callable[[str], bool] | None = None) -> None:
        """Refuse paths outside the repository, into git/scratch dirs, or (when given) test files."""
        for fp in self.files:
            norm = posixpath.normpath(fp.path)
            if fp.path.startswith("/") or norm == ".." or norm.startswith("../") or "\x00" in fp.path:
                raise PatchRefusedError(f"refused: {fp.path} is outside the repository")
            if norm.split("/")[0] in (".git", SCRATCH_DIR):
                raise PatchRefusedError(f"refused: {fp.path} is not a source file of the repository")
            if is_test_path is not None and is_test_path(norm):
                raise PatchRefusedError(f"refused: {fp.path} is a test file (or decides how tests run); "
                                        "patches must not change tests")

    def apply_to_texts(self, read: Callable[[str], str | None], relocate: bool = False) -> AppliedPatch:
        """Compute the patched contents of every file without writing anything."""
        applied = AppliedPatch()
        for fp in self.files:
            path = posixpath.normpath(fp.path)
            current = applied.files.get(path)
            if current is None:
                current = read(path)
            if fp.binary:
                raise PatchError(f"{path}: a binary patch cannot be applied as text")
            if fp.create:
                if current is not None and current != "":
                    raise PatchError(f"{path} already exists; the patch wants to create it")
                applied.files[path] = "\n".join(fp.hunks[0].new) + "\n" if fp.hunks else ""
                continue
            if current is None:
                raise PatchError(f"{path} does not exist in the repository")
            if fp.delete:
                applied.files[path] = ""
                continue
            applied.files[path] = _apply_hunks(path, current, fp.hunks, relocate, applied.notes)
        return applied

    def apply(self, workspace: Workspace, relocate: bool = False) -> AppliedPatch:
        """Write the patched files into the workspace (all or nothing)."""

        def read(path: str) -> str | None:
            return workspace.read_file(path) if workspace.exists(path) else None

        applied = self.apply_to_texts(read, relocate)
        deleted = {posixpath.normpath(f.path) for f in self.files if f.delete}
        for path, content in applied.files.items():
            if path in deleted:
                workspace.remove_file(path)
            else:
                workspace.write_file(path, content)
        return applied

    def changed_paths(self) -> list[str]:
        """The files the patch writes, creates or deletes, as workspace paths."""
        return [posixpath.normpath(f.path) for f in self.files]


def content_key(files: dict[str, str]) -> str:
    """A key for patched contents that ignores trailing whitespace and blank-line noise."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0")
        lines = [ln.rstrip() for ln in files[path].splitlines()]
        digest.update("\n".join(ln for ln in lines if ln).encode() + b"\0")
    return digest.hexdigest()


def _apply_hunks(path: str, text: str, hunks: Iterable[Hunk], relocate: bool, notes: list[str]) -> str:
    lines = text.splitlines()
    trailing_newline = text.endswith("\n")
    placed: list[tuple[int, Hunk]] = []
    for index, hunk in enumerate(hunks, start=1):
        where = _locate(path, lines, hunk, index, relocate, notes)
        placed.append((where, hunk))
    placed.sort(key=lambda p: p[0])
    for (a_start, a), (b_start, _b) in zip(placed, placed[1:], strict=False):
        if a_start + len(a.old) > b_start:
            raise PatchError(f"{path}: two hunks overlap at line {b_start + 1}")
    for where, hunk in reversed(placed):
        lines[where:where + len(hunk.old)] = list(hunk.new)
    out = "\n".join(lines)
    return out + "\n" if (trailing_newline or not text) and lines else out


def _locate(path: str, lines: list[str], hunk: Hunk, index: int, relocate: bool, notes: list[str]) -> int:
    """The 0-based index where `hunk.old` starts in `lines`, or a PatchError that shows why not."""
    n = len(hunk.old)
    if hunk.start is not None:
        at = hunk.start - 1
        if lines[at:at + n] == list(hunk.old) and 0 <= at <= len(lines):
            return at
    matches = [i for i in range(len(lines) - n + 1) if lines[i:i + n] == list(hunk.old)] if n else []
    if hunk.start is None:  # search/replace: must match exactly once
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise PatchError(f"{path}: the SEARCH block of edit {index} does not match the file exactly:\n"
                             + _show(hunk.old, "expected") + _closest(lines, hunk.old))
        raise PatchError(f"{path}: the SEARCH block of edit {index} matches {len(matches)} places "
                         f"(lines {', '.join(str(m + 1) for m in matches[:5])}); "
                         "add surrounding lines to make it unique")
    if relocate and len(matches) == 1:
        notes.append(f"{path}: hunk {index} header said line {hunk.start}, its context matched at line "
                     f"{matches[0] + 1}; relocated")
        return matches[0]
    at = hunk.start - 1
    actual = tuple(lines[max(at, 0):max(at, 0) + max(n, 1)])
    detail = _show(hunk.old, "expected") + _show(actual, f"actual at line {hunk.start}")
    if relocate and len(matches) > 1:
        raise PatchError(f"{path}: hunk {index} does not match at line {hunk.start} and its context matches "
                         f"{len(matches)} places; it is ambiguous\n{detail}")
    raise PatchError(f"{path}: hunk {index} does not match the file at line {hunk.start}"
                     f"{_first_difference(hunk.old, actual, max(at, 0) + 1)}\n{detail}")


def _first_difference(expected: Sequence[str], actual: Sequence[str], first_line: int) -> str:
    """Where the expected lines first differ from the file's, in a few words, so that the first line of the
    error already says what to fix."""
    for offset, want in enumerate(expected):
        got = actual[offset] if offset < len(actual) else None
        if got != want:
            found = "the end of the file" if got is None else f"`{got.strip()[:80]}`"
            return f" (line {first_line + offset}: expected `{want.strip()[:80]}`, found {found})"
    return ""


def _show(lines: Sequence[str], title: str, limit: int = 12) -> str:
    body = "\n".join(f"  | {ln}" for ln in lines[:limit])
    more = f"\n  | ... ({len(lines) - limit} more lines)" if len(lines) > limit else ""
    return f"{title}:\n{body}{more}\n"


def _closest(lines: list[str], old: Sequence[str]) -> str:
    if not old:
        return ""
    first = old[0].strip()
    for i, ln in enumerate(lines):
        if ln.strip() == first:
            return _show(tuple(lines[i:i + len(old)]), f"the file at line {i + 1}")
    return ""


_MODE_LINE = re.compile(r"^(?:new file mode|new mode) (\d+)\s*$")
_INDEX_MODE = re.compile(r"^index \S+ (\d+)\s*$")


def _git_header_facts(patched_file: Any) -> tuple[str | None, bool]:
    """(the mode the patch gives the file, whether it is binary) from git's extended header lines."""
    mode = None
    binary = bool(getattr(patched_file, "is_binary_file", False))
    for line in (str(info) for info in patched_file.patch_info or ()):
        if (match := _MODE_LINE.match(line)) or ((match := _INDEX_MODE.match(line)) and match.group(1) == "120000"):
            mode = match.group(1)
        binary = binary or line.startswith(("GIT binary patch", "Binary files "))
    return mode, binary


def _strip_prefix(path: str) -> str:
    path = path.strip()
    if path.startswith(("a/", "b/")):
        path = path[2:]
    return path


# A fenced diff as models write it: ```diff, ```patch, ```udiff or a bare ```.
DIFF_FENCE = re.compile(r"```(?:diff|patch|udiff)?[ \t]*\n(.*?)```", re.S)


def _strip_fences(text: str) -> str:
    fenced = DIFF_FENCE.search(text)
    return fenced.group(1) if fenced else text


def text_diff(path: str, old: str | None, new: str | None) -> str:
    """A file's change as `git diff` writes it (`diff --git` header, `/dev/null` for a created or deleted
    file, the no-newline marker), so that a patch made from texts reads like one made from a checkout."""
    if old == new:
        return ""
    norm = posixpath.normpath(path)
    lines = difflib.unified_diff(_diff_lines(old or ""), _diff_lines(new or ""),
                                 f"a/{norm}" if old is not None else "/dev/null",
                                 f"b/{norm}" if new is not None else "/dev/null")
    return f"diff --git a/{norm} b/{norm}\n" + "".join(lines)


def _diff_lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines
