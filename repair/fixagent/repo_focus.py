"""RepoFocus (L3): the files related to the bug, by BM25 (rank-bm25) over files and methods plus the import graph.

Retrieval only, no model call: it is cheap, deterministic, and its ranking is handed to the FSM agent.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from repair.containers.workspace import Workspace
from repair.errors import WorkspaceError
from repair.identifiers import identifier_parts
from repair.syntax import definitions, language_of

SOURCE_SUFFIXES = (".py", ".java", ".kt", ".scala", ".js", ".ts", ".go", ".c", ".h", ".cpp", ".rs", ".rb")
MAX_FILE_CHARS = 200_000
FILE_WEIGHT, METHOD_WEIGHT, IMPORT_WEIGHT = 1.0, 0.7, 0.5
STOP_WORDS = frozenset((
    "self", "cls", "def", "class", "return", "import", "from", "none", "true", "false", "and", "not", "the",
    "for", "while", "else", "elif", "with", "try", "except", "public", "private", "protected", "static",
    "final", "void", "int", "long", "boolean", "string", "new", "this", "null", "package", "var", "assert",
))

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_PY_IMPORT = re.compile(r"^\s*(?:from\s+(\.*[\w.]*)\s+import\s+([\w, ()]+)|import\s+([\w., ]+))", re.M)
_JAVA_IMPORT = re.compile(r"^\s*import\s+(?:static\s+)?([\w.]+)\s*;", re.M)


@dataclass(frozen=True)
class RelatedFile:
    """A file worth reading, its combined score, and why it was picked."""

    path: str
    score: float
    reasons: list[str] = field(default_factory=list)


def tokens(text: str) -> list[str]:
    """Lower-case words of `text`; identifiers are split at camelCase and snake_case boundaries too."""
    out: list[str] = []
    for word in _WORD.findall(text):
        parts = identifier_parts(word)
        whole = word.lower()
        for token in ([whole] if len(parts) <= 1 else [whole, *parts]):
            if len(token) > 1 and token not in STOP_WORDS:
                out.append(token)
    return out


def imports_of(path: str, text: str, paths: list[str]) -> set[str]:
    """The files of `paths` that `path` imports (Python and Java imports; Java same-package class names)."""
    found: set[str] = set()
    if path.endswith(".py"):
        here = posixpath.dirname(path)
        for match in _PY_IMPORT.finditer(text):
            module, names, plain = match.group(1), match.group(2), match.group(3)
            targets: list[str] = []
            if module is not None:
                dots = len(module) - len(module.lstrip("."))
                base = module.lstrip(".").replace(".", "/")
                if dots:
                    root = here
                    for _ in range(dots - 1):
                        root = posixpath.dirname(root)
                    base = posixpath.join(root, base) if base else root
                targets.append(base)
                targets += [posixpath.join(base, n.strip()) for n in names.strip("() ").split(",") if n.strip()]
            else:
                targets += [m.strip().split(" as ")[0].replace(".", "/") for m in plain.split(",")]
            for target in targets:
                found |= _by_suffix(target.strip("/"), paths, (".py", "/__init__.py"))
    elif path.endswith(".java"):
        for match in _JAVA_IMPORT.finditer(text):
            found |= _by_suffix(match.group(1).replace(".", "/"), paths, (".java",))
        words = set(_WORD.findall(text))
        package_dir = posixpath.dirname(path)
        found |= {p for p in paths if p.endswith(".java") and posixpath.dirname(p) == package_dir
                  and posixpath.basename(p)[:-5] in words}
    found.discard(path)
    return found


def _by_suffix(target: str, paths: list[str], endings: tuple[str, ...]) -> set[str]:
    if not target:
        return set()
    wanted = [target + e for e in endings]
    return {p for p in paths for w in wanted if p == w or p.endswith("/" + w)}


def method_documents(path: str, text: str) -> list[str]:
    """One document per method of the file (its name and body), for method-level BM25."""
    language = language_of(path)
    if language is None:
        return []
    lines = text.splitlines()
    try:
        defs = definitions(language, text)
    except (ValueError, LookupError):
        return []
    return [f"{d.qualified_name}\n" + "\n".join(lines[d.start_line - 1:d.end_line]) for d in defs
            if d.kind == "method"]


def _normalised(scores: dict[str, float]) -> dict[str, float]:
    top = max(scores.values(), default=0.0)
    return {k: (v / top if top > 0 else 0.0) for k, v in scores.items()}


def rank_related(files: dict[str, str], query: str, focus: str | None = None, top: int = 5,
                 skip: Callable[[str], bool] | None = None) -> list[RelatedFile]:
    """The `top` files of `files` (path → text) most related to `query` and to the `focus` file.

    Score = BM25 over whole files + BM25 over methods (best method per file) + a bonus for files the
    focus file imports or that import it. The focus file itself is not listed, nor files `skip` says
    (the tests: the agent has seen the failing ones already, and patches must not touch them).
    """
    paths = sorted(p for p in files if p == focus or skip is None or not skip(p))
    query_tokens = tokens(query)
    if not paths or not query_tokens:
        return []
    from rank_bm25 import BM25Okapi  # numpy underneath: loaded when L3 runs, not by the CLI

    file_bm25 = BM25Okapi([tokens(p) + tokens(files[p]) or ["_"] for p in paths])
    by_file = _normalised(dict(zip(paths, (float(s) for s in file_bm25.get_scores(query_tokens)), strict=True)))
    owners: list[str] = []
    method_docs: list[list[str]] = []
    for p in paths:
        for doc in method_documents(p, files[p]):
            owners.append(p)
            method_docs.append(tokens(doc) or ["_"])
    by_method: dict[str, float] = {}
    if method_docs:
        for owner, score in zip(owners, BM25Okapi(method_docs).get_scores(query_tokens), strict=True):
            by_method[owner] = max(by_method.get(owner, 0.0), float(score))
    by_method = _normalised(by_method)
    neighbours: set[str] = set()
    if focus in files:
        neighbours = imports_of(focus, files[focus], paths)
        neighbours |= {p for p in paths if p != focus and focus in imports_of(p, files[p], [focus])}
    ranked = []
    for p in paths:
        if p == focus:
            continue
        reasons = []
        score = FILE_WEIGHT * by_file.get(p, 0.0) + METHOD_WEIGHT * by_method.get(p, 0.0)
        if by_file.get(p, 0.0) > 0:
            reasons.append(f"file text matches ({by_file[p]:.2f})")
        if by_method.get(p, 0.0) > 0:
            reasons.append(f"a method matches ({by_method[p]:.2f})")
        if p in neighbours:
            score += IMPORT_WEIGHT
            reasons.append(f"import link with {focus}")
        if score > 0:
            ranked.append(RelatedFile(p, round(score, 4), reasons))
    ranked.sort(key=lambda r: (-r.score, r.path))
    return ranked[:top]


def load_sources(workspace: Workspace, max_files: int = 5000) -> dict[str, str]:
    """The workspace's source files (path → text), skipping huge and unreadable ones."""
    sources: dict[str, str] = {}
    for path in workspace.list_files(SOURCE_SUFFIXES)[:max_files]:
        try:
            text = workspace.read_file(path)
        except (OSError, WorkspaceError):
            continue
        if len(text) <= MAX_FILE_CHARS:
            sources[path] = text
    return sources


def describe(related: list[RelatedFile]) -> str:
    """The ranking as text for a prompt."""
    return "\n".join(f"{i}. {r.path} (score {r.score}: {'; '.join(r.reasons)})"
                     for i, r in enumerate(related, start=1)) or "(no related files found)"
