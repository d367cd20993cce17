"""Compare a patch with the ground-truth fix: exact, equal after AST normalisation, or different.

Both patches are applied to the buggy sources and the resulting files compared, so header noise, hunk
offsets and context lines do not matter. "exact" ignores trailing whitespace and blank lines; "ast"
compares syntax trees (Python's `ast` without docstrings, tree-sitter tokens without comments for Java),
so what a fix changed besides code (layout, comments, docstrings) does not matter either: QuixBugs'
corrected programs often drop a docstring along with the fix.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Literal

from tree_sitter import Node

from repair.errors import PatchError
from repair.patch import Patch, content_key
from repair.syntax import language_of, parse

Match = Literal["exact", "ast", "differs"]

# What a report says about a patch and the ground truth: "exact" and "ast" both match it.
MATCH_LABELS: dict[str | None, str] = {
    "exact": "matches the ground truth",
    "ast": "matches the ground truth",
    "differs": "differs from the ground truth",
    None: "no ground truth",
}
MATCHING = ("exact", "ast")


def match_label(match: str | None) -> str:
    """The label a report prints for a `ground_truth_match` result (None: no ground truth was known)."""
    return MATCH_LABELS.get(match, MATCH_LABELS[None])


def ground_truth_match(candidate: str, truth: str, read: Callable[[str], str | None]) -> Match:
    """How `candidate` relates to `truth`; `read(path)` gives a buggy source file (None if absent)."""
    ours = _program_files(candidate, read)
    theirs = _program_files(truth, read)
    if ours is None or theirs is None:
        return "differs"
    if content_key(ours) == content_key(theirs):
        return "exact"

    def text(files: dict[str, str], path: str) -> str:
        return files[path] if path in files else read(path) or ""

    # A file only one side changed still counts: the fix may have changed nothing but its docstring.
    if all(normalised(path, text(ours, path)) == normalised(path, text(theirs, path))
           for path in sorted(ours.keys() | theirs.keys())):
        return "ast"
    return "differs"


def _program_files(diff: str, read: Callable[[str], str | None]) -> dict[str, str] | None:
    """The files a patch changes, patched; only the non-test program files it touches count."""
    try:
        applied = Patch.parse(diff).apply_to_texts(read, relocate=True)
    except PatchError:
        return None
    # A file the patch leaves as it was does not count as changed.
    return {path: text for path, text in applied.files.items() if text != (read(path) or "")}


def normalised(path: str, text: str) -> str:
    """A form of `text` without formatting and comments: an AST dump, or a token stream."""
    language = language_of(path)
    if language == "python":
        try:
            return ast.dump(_without_docstrings(ast.parse(text)))
        except SyntaxError:
            pass
    if language in ("python", "java"):
        tokens: list[str] = []
        _leaves(parse(language, text).root_node, tokens)
        return " ".join(tokens)
    return " ".join(text.split())


def _without_docstrings(tree: ast.Module) -> ast.Module:
    """The tree without bare string statements (docstrings and their kin), which do not change behaviour."""
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(node, name, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                kept = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                                and isinstance(s.value.value, str))]
                setattr(node, name, kept or [ast.Pass()])
    return tree


# Java statements whose body may be one statement or a block holding just that statement: the same program.
_BODY_OWNERS = frozenset({"if_statement", "while_statement", "for_statement", "enhanced_for_statement",
                          "do_statement"})


def _leaves(node: Node, out: list[str]) -> None:
    if node.type in ("comment", "line_comment", "block_comment"):
        return
    if node.child_count == 0:
        out.append((node.text or b"").decode("utf-8", "replace"))
        return
    if (node.type == "block" and node.parent is not None and node.parent.type in _BODY_OWNERS
            and len([c for c in node.named_children if "comment" not in c.type]) == 1):
        # `if (c) { s; }` is `if (c) s;`: keep the statement, drop the braces.
        for child in node.named_children:
            _leaves(child, out)
        return
    for child in node.children:
        _leaves(child, out)
