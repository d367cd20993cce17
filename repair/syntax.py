"""Source structure with tree-sitter: classes and methods with their line ranges (Java and Python)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import tree_sitter_java
import tree_sitter_python
from tree_sitter import Language, Node, Parser, Tree

LANGUAGE_BY_SUFFIX = {".java": "java", ".py": "python"}
_CLASS_NODES = {
    "java": {"class_declaration", "interface_declaration", "enum_declaration", "record_declaration"},
    "python": {"class_definition"},
}
_METHOD_NODES = {
    "java": {"method_declaration", "constructor_declaration"},
    "python": {"function_definition"},
}


@dataclass(frozen=True)
class Definition:
    """A class or method. Lines are 1-based and inclusive; `qualified_name` is `Outer.Inner.method`."""

    kind: str  # "class" | "method"
    name: str
    qualified_name: str
    start_line: int
    end_line: int
    signature: str

    def contains(self, line: int) -> bool:
        return self.start_line <= line <= self.end_line


def language_of(path: str) -> str | None:
    for suffix, lang in LANGUAGE_BY_SUFFIX.items():
        if path.endswith(suffix):
            return lang
    return None


@lru_cache(maxsize=4)
def parser_for(language: str) -> Parser:
    grammar = tree_sitter_java.language() if language == "java" else tree_sitter_python.language()
    return Parser(Language(grammar))


def parse(language: str, text: str) -> Tree:
    return parser_for(language).parse(text.encode("utf-8"))


def definitions(language: str, text: str) -> list[Definition]:
    """Every class and method in `text`, in source order."""
    tree = parse(language, text)
    lines = text.splitlines()
    found: list[Definition] = []

    def visit(node: Node, scope: list[str]) -> None:
        kind = None
        if node.type in _CLASS_NODES[language]:
            kind = "class"
        elif node.type in _METHOD_NODES[language]:
            kind = "method"
        if kind:
            name_node = node.child_by_field_name("name")
            name = name_node.text.decode("utf-8", "replace") if name_node and name_node.text else "?"
            start, end = node.start_point[0] + 1, node.end_point[0] + 1
            found.append(Definition(kind, name, ".".join([*scope, name]), start, end,
                                    _signature(lines, node, language)))
            scope = [*scope, name]
        for child in node.children:
            visit(child, scope)

    visit(tree.root_node, [])
    return found


def enclosing_method(defs: list[Definition], line: int) -> Definition | None:
    """The innermost method containing `line`, else the innermost class, else None."""
    best: Definition | None = None
    for d in defs:
        if d.contains(line) and (best is None or best.kind == "class" and d.kind == "method"
                                 or d.kind == best.kind and d.start_line >= best.start_line):
            best = d
    return best


def _signature(lines: list[str], node: Node, language: str) -> str:
    start = node.start_point[0]
    body = node.child_by_field_name("body")
    stop = body.start_point[0] if body is not None else start
    text = " ".join(ln.strip() for ln in lines[start:stop + 1])
    if language == "java" and "{" in text:
        text = text[: text.index("{")].strip()
    elif language == "python" and ":" in text:
        text = text[: text.rindex(":")].strip()
    return text[:300]
