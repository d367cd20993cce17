"""Which source files a file reaches through static references: Java type names, Python imports.

The graph over-approximates on purpose: it decides which tests may be affected by a change when no
coverage says so, and a test wrongly left out is a verdict wrongly given. A Java file refers to every
file that declares a type whose simple name it mentions (in any package); a Python file to every module
its imports may resolve to, from its own folder, any folder above it, the root or `src/`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tree_sitter import Node

from repair.syntax import language_of, parse

_JAVA_TYPES = {"class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
               "annotation_type_declaration"}
_JAVA_NAMES = {"identifier", "type_identifier"}


@dataclass(frozen=True)
class ReferenceGraph:
    """`edges[file]`: the files `file` refers to directly (never itself)."""

    edges: Mapping[str, frozenset[str]]

    def reached_from(self, start: str) -> frozenset[str]:
        """Every file `start` reaches, itself included."""
        seen = {start}
        todo = [start]
        while todo:
            for target in self.edges.get(todo.pop(), frozenset()):
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return frozenset(seen)

    def reaching(self, targets: Iterable[str], among: Iterable[str]) -> list[str]:
        """The files of `among` that reach any of `targets`, in `among`'s order."""
        wanted = set(targets)
        return [file for file in among if self.reached_from(file) & wanted]


def reference_graph(files: Mapping[str, str]) -> ReferenceGraph:
    """The graph over `files` (path relative to the root → text); files of other languages have no edges."""
    declared: dict[str, set[str]] = {}  # Java simple type name → files declaring it
    mentions: dict[str, set[str]] = {}
    imports: dict[str, list[str]] = {}
    for path, text in files.items():
        language = language_of(path)
        if language == "java":
            names, types = _java_names(text)
            mentions[path] = names
            for name in types:
                declared.setdefault(name, set()).add(path)
        elif language == "python":
            imports[path] = _python_imports(text)
    python_files = {path for path in files if language_of(path) == "python"}
    edges: dict[str, frozenset[str]] = {}
    for path, names in mentions.items():
        edges[path] = frozenset(f for name in names for f in declared.get(name, ()) if f != path)
    for path, modules in imports.items():
        edges[path] = frozenset(f for module in modules for f in _python_modules(path, module, python_files)
                                if f != path)
    return ReferenceGraph(edges)


def _java_names(text: str) -> tuple[set[str], set[str]]:
    """(every identifier the file mentions, the types it declares)."""
    names: set[str] = set()
    types: set[str] = set()
    stack: list[Node] = [parse("java", text).root_node]
    while stack:
        node = stack.pop()
        if node.type in _JAVA_NAMES:
            names.add((node.text or b"").decode("utf-8", "replace"))
        elif node.type in _JAVA_TYPES:
            name = node.child_by_field_name("name")
            if name is not None:
                types.add((name.text or b"").decode("utf-8", "replace"))
        stack.extend(node.children)
    return names - types, types


def _python_imports(text: str) -> list[str]:
    """Dotted names of the modules the file imports (`from a import b` gives `a` and `a.b`); a relative
    import keeps its leading dots."""
    found: list[str] = []
    stack: list[Node] = [parse("python", text).root_node]
    while stack:
        node = stack.pop()
        if node.type == "import_statement":
            for child in node.named_children:
                name = child.child_by_field_name("name") if child.type == "aliased_import" else child
                if name is not None:
                    found.append(_text(name))
        elif node.type == "import_from_statement":
            module = node.child_by_field_name("module_name")
            base = _text(module) if module is not None else ""
            found.append(base)
            for child in node.children_by_field_name("name"):
                name = child.child_by_field_name("name") if child.type == "aliased_import" else child
                if name is not None:
                    found.append(f"{base}.{_text(name)}" if not base.endswith(".") else base + _text(name))
        else:
            stack.extend(node.children)
    return [m for m in found if m.strip(".")]


def _python_modules(importer: str, module: str, python_files: set[str]) -> list[str]:
    """The files `module` may be, imported from `importer`."""
    folder = posixpath.dirname(importer)
    if module.startswith("."):
        dots = len(module) - len(module.lstrip("."))
        for _ in range(dots - 1):
            folder = posixpath.dirname(folder)
        roots = [folder]
        module = module.lstrip(".")
    else:
        roots = [folder]
        while folder:
            folder = posixpath.dirname(folder)
            roots.append(folder)
        roots.append("src")
    rel = module.replace(".", "/")
    found: list[str] = []
    for root in roots:
        for candidate in (f"{rel}.py", f"{rel}/__init__.py"):
            path = posixpath.join(root, candidate) if root else candidate
            if path in python_files and path not in found:
                found.append(path)
    return found


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")
