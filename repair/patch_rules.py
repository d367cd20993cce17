"""Which files a patch may change: an allow-list, so that no patch can edit the judge.

A patch is judged by the project's tests, run by the project's build and test configuration. So a
patch may modify or add only source files of the project's languages outside test folders; every
other kind of change is refused with one line naming the rule:

- paths outside the repository, or in `.git/` or the scratch dir `.repair/`;
- binary patches, symlinks (created, or reached through the path), file-mode changes;
- files the test command names (`sh run_tests.sh`, `python run.py`, `python -m tool`);
- build and test configuration of any tool: `pytest.ini`, `pytest.toml`, `.pytest.ini`, `tox.ini`,
  `setup.cfg`, `pyproject.toml`, `pom.xml`, `build.gradle`, `package.json`, `Makefile`, ... and the
  ones written in a source language (`conftest.py`, `setup.py`, `noxfile.py`, `sitecustomize.py`,
  `*.config.js`, `buildSrc/`), hidden files and folders (`.mvn/`, `.github/`);
- scripts and any other file that is not a source file of the project's languages;
- test files (`Bug.is_test_path`);
- a new source file in a folder that holds none of the language's sources, or a new Python module
  named like one Python would import from elsewhere (`pytest.py`, `json.py`).

README.md keeps the list of refused kinds for users.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import posixpath
import shlex
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from repair.containers.workspace import HostWorkspace, Workspace
from repair.errors import PatchRefusedError
from repair.patch import Patch

# The source files of each language a repository may be written in.
SOURCE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "java": (".java",),
    "python": (".py",),
    "javascript": (".js", ".jsx", ".mjs", ".cjs"),
    "typescript": (".ts", ".tsx"),
    "kotlin": (".kt",),
    "go": (".go",),
    "rust": (".rs",),
    "ruby": (".rb",),
    "c": (".c", ".h"),
    "cpp": (".cc", ".cpp", ".cxx", ".hpp", ".hh"),
}
# Source files that configure a build or a test run: changing one changes the judge, not the program.
BUILD_SOURCE_PATTERNS = (
    "conftest.py", "*/conftest.py", "setup.py", "noxfile.py", "toxfile.py", "fabfile.py", "dodo.py",
    "pavement.py", "sitecustomize.py", "*/sitecustomize.py", "usercustomize.py", "*/usercustomize.py",
    "*.config.js", "*.config.cjs", "*.config.mjs", "*.config.ts", "*.conf.js", "Gruntfile.js", "gulpfile.js",
    "build.rs", "buildSrc/*", "*/buildSrc/*", "Rakefile",
)
# Names that are some tool's build or test configuration, to name the rule in a refusal.
CONFIG_PATTERNS = (
    "*.toml", "*.ini", "*.cfg", "*.conf", "*.xml", "*.gradle", "*.kts", "*.json", "*.yml", "*.yaml",
    "*.properties", "*.pth", "*.lock", "*.mk", "Makefile", "makefile", "GNUmakefile", "Dockerfile", "*.bzl",
    "BUILD", "WORKSPACE", "requirements*.txt", "MANIFEST.in",
)
SCRIPT_SUFFIXES = (".sh", ".bash", ".zsh", ".bat", ".cmd", ".ps1")
REGULAR_MODES = ("100644",)  # the mode a new file may have; executable (100755) and symlinks (120000) may not
SYMLINK_MODE = "120000"
ONLY_SOURCES = "a patch may change only the project's source files outside test folders"


class FileTree(Protocol):
    """The facts about the checked-out files that the rules need."""

    def real_path(self, rel_path: str) -> str | None:
        """`rel_path` with symlinks resolved, relative to the root; None when it resolves outside it."""
        ...

    def folder_holds(self, folder: str, suffixes: Sequence[str]) -> bool:
        """Whether `folder` (relative; "" is the root) directly holds a file with one of `suffixes`."""
        ...


@dataclass(frozen=True)
class PatchRules:
    """The allow-list of one bug: its languages' source files, outside its test folders."""

    languages: tuple[str, ...]
    is_test_path: Callable[[str], bool] = field(default=lambda path: False)
    judge_files: frozenset[str] = frozenset()  # named by the test command
    test_command: str = ""

    @property
    def source_suffixes(self) -> tuple[str, ...]:
        return tuple(s for lang in self.languages for s in SOURCE_SUFFIXES.get(lang, ()))

    def check(self, patch: Patch, tree: FileTree | None = None) -> None:
        """Raise PatchRefusedError (one line, naming the rule) for the first change the rules refuse."""
        patch.check_paths()
        for fp in patch.files:
            path = posixpath.normpath(fp.path)
            self.check_path(path, created=fp.create, mode=fp.mode, binary=fp.binary, tree=tree)

    def check_path(self, path: str, created: bool = False, mode: str | None = None, binary: bool = False,
                   tree: FileTree | None = None) -> None:
        """The rules for one changed path (already known to lie inside the repository)."""
        if binary:
            raise PatchRefusedError(f"refused: {path} is a binary patch: {ONLY_SOURCES}, as text")
        if mode == SYMLINK_MODE:
            raise PatchRefusedError(f"refused: {path} is a symlink: {ONLY_SOURCES}, as regular files")
        if mode is not None and mode not in REGULAR_MODES:
            raise PatchRefusedError(f"refused: {path} changes a file mode ({mode}): {ONLY_SOURCES}, not modes")
        if path in self.judge_files and not self.is_test_path(path):
            named = f"the test command ({self.test_command})" if self.test_command else "the test setup"
            raise PatchRefusedError(f"refused: {path} is named by {named}: patches must not change how tests run")
        if _matches(path, BUILD_SOURCE_PATTERNS):
            raise PatchRefusedError(f"refused: {path} is build or test configuration: "
                                    "patches must not change how tests run")
        if not path.endswith(self.source_suffixes) or not self.source_suffixes:
            raise PatchRefusedError(f"refused: {path} is {self._kind(path)}: {ONLY_SOURCES} "
                                    f"({self._describe_sources()})")
        if any(part.startswith(".") for part in path.split("/")):
            raise PatchRefusedError(f"refused: {path} is in a hidden folder (some tool's configuration): "
                                    f"{ONLY_SOURCES}")
        if self.is_test_path(path):
            raise PatchRefusedError(f"refused: {path} is a test file (or decides how tests run); "
                                    "patches must not change tests")
        if tree is not None:
            self._check_tree(path, created, tree)

    def _check_tree(self, path: str, created: bool, tree: FileTree) -> None:
        real = tree.real_path(path)
        if real is None:
            raise PatchRefusedError(f"refused: {path} leads outside the repository through a symlink")
        if real != path:
            raise PatchRefusedError(f"refused: {path} is a symlink, or lies behind one (it is {real}): "
                                    f"{ONLY_SOURCES}, as regular files")
        if not created:
            return
        folder, _, name = path.rpartition("/")
        suffix = os.path.splitext(name)[1]
        if not tree.folder_holds(folder, (suffix,)):
            raise PatchRefusedError(f"refused: {path} creates a {suffix} file in {folder or 'the root'}, "
                                    f"a folder with no {suffix} sources: new files go next to existing ones")
        stem = os.path.splitext(name)[0]
        if suffix == ".py" and shadows_a_module(stem):
            raise PatchRefusedError(f"refused: {path} would shadow the module `{stem}` that Python imports from "
                                    "elsewhere (the standard library or an installed package)")

    def _kind(self, path: str) -> str:
        name = path.rsplit("/", 1)[-1]
        if _matches(name, CONFIG_PATTERNS) or name.startswith("."):
            return "build or test configuration"
        if name.endswith(SCRIPT_SUFFIXES):
            return "a script"
        return "not a source file of this project"

    def _describe_sources(self) -> str:
        if not self.source_suffixes:
            return f"no source files are known for the language '{', '.join(self.languages) or 'unknown'}'"
        return f"{'/'.join(self.languages)}: {' '.join(self.source_suffixes)}"


def shadows_a_module(stem: str) -> bool:
    """Whether a top-level module named `stem` exists elsewhere (stdlib, builtin, installed)."""
    if not stem.isidentifier():
        return False
    if stem in sys.stdlib_module_names or stem in sys.builtin_module_names:
        return True
    try:
        return importlib.util.find_spec(stem) is not None
    except (ImportError, ValueError):
        return False


def files_named_by(command: str) -> frozenset[str]:
    """The repository paths a test command names: its scripts (`sh run.sh`, `./x`) and modules (`-m pkg.mod`)."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    named: set[str] = set()
    for index, word in enumerate(words):
        if index > 0 and words[index - 1] == "-m":
            module = word.replace(".", "/")
            named.update({f"{module}.py", f"{module}/__init__.py", f"{module}/__main__.py"})
        elif not word.startswith("-") and "=" not in word:
            path = posixpath.normpath(word.removeprefix("./"))
            if not path.startswith(("/", "..")):
                named.add(path)
    return frozenset(named)


def language_of_suffix(suffix: str) -> str | None:
    """The language whose sources end with `suffix` (the first one listed, for a shared suffix)."""
    for language, suffixes in SOURCE_SUFFIXES.items():
        if suffix in suffixes:
            return language
    return None


class WorkspaceTree:
    """A `FileTree` over a workspace (local or in a container)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def real_path(self, rel_path: str) -> str | None:
        if isinstance(self.workspace, HostWorkspace):
            return DirectoryTree(self.workspace.root).real_path(rel_path)
        # A container: `readlink -f` exists in GNU coreutils and busybox alike; a file a patch creates does
        # not exist yet, so its folder is resolved instead.
        container_root = self.workspace.path.rstrip("/")
        parent, _, name = rel_path.rpartition("/")
        for target, suffix in ((rel_path, ""), (parent or ".", f"/{name}")):
            result = self.workspace.run(["readlink", "-f", target], timeout=30)
            resolved = result.stdout.strip()
            if result.ok and resolved:
                resolved += suffix
                inside = resolved.startswith(container_root + "/")
                return resolved[len(container_root) + 1:] if inside else None
        return None

    def folder_holds(self, folder: str, suffixes: Sequence[str]) -> bool:
        prefix = f"{folder}/" if folder else ""
        return any(f.startswith(prefix) and "/" not in f[len(prefix):]
                   for f in self.workspace.list_files(tuple(suffixes)))


class DirectoryTree:
    """A `FileTree` over a directory on this machine (the user's repository, for `--apply`)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def real_path(self, rel_path: str) -> str | None:
        real = (self.root / rel_path).resolve()
        if real != self.root and self.root not in real.parents:
            return None
        return real.relative_to(self.root).as_posix()

    def folder_holds(self, folder: str, suffixes: Sequence[str]) -> bool:
        where = self.root / folder
        try:
            return any(entry.is_file() and entry.name.endswith(tuple(suffixes)) for entry in where.iterdir())
        except OSError:
            return False


def _matches(path: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)
