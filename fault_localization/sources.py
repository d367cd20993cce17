"""The checkout's rankable source files: non-test .java/.py files, and what trace paths refer to them."""

from __future__ import annotations

import hashlib
from functools import cached_property

from repair.containers.workspace import SCRATCH_DIR, Workspace
from repair.datasets.bug import Bug
from repair.syntax import Definition, definitions, enclosing_method, language_of

SOURCE_SUFFIXES = (".java", ".py")


class SourceIndex:
    """Non-test source files of a bug's checkout, resolvable from the paths that traces and tools print."""

    def __init__(self, bug: Bug, workspace: Workspace) -> None:
        self.bug = bug
        self.workspace = workspace
        self.all_files = [f for f in workspace.list_files(SOURCE_SUFFIXES) if not f.startswith(SCRATCH_DIR + "/")]
        self.files = [f for f in self.all_files if not bug.is_test_path(f)]
        self._ranked = set(self.files)
        self._defs: dict[str, list[Definition]] = {}

    @cached_property
    def content_hash(self) -> str:
        """A hash of every source file, tests included (both decide what a test run covers)."""
        digest = hashlib.sha256()
        for rel in self.all_files:
            digest.update(rel.encode() + b"\0" + self.workspace.read_file(rel).encode("utf-8", "replace") + b"\0")
        return digest.hexdigest()[:24]

    def resolve(self, path: str) -> str | None:
        """The ranked file that `path` (absolute, relative, or a Java package path) names, else None."""
        path = path.replace("\\", "/")
        root = self.workspace.path.rstrip("/") + "/"
        if path.startswith(root):
            path = path[len(root):]
        path = path.removeprefix("./")
        if path in self._ranked:
            return path
        # A Java frame names `pkg/Class.java`; the file may sit under src/main/java/ or similar.
        matches = [f for f in self.files if f.endswith("/" + path)]
        return matches[0] if len(matches) == 1 else None

    def method_of(self, file: str, line: int) -> str | None:
        """The qualified name of the method (else class) that encloses `line` in `file`."""
        if file not in self._defs:
            language = language_of(file)
            try:
                text = self.workspace.read_file(file)
            except Exception:  # a file gone since coverage ran has no methods to name
                text = ""
            self._defs[file] = definitions(language, text) if language and text else []
        found = enclosing_method(self._defs[file], line)
        return found.qualified_name if found else None
