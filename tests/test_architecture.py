"""The import graph of the `repair` package: no module imports itself through any chain, and imports point
down the layers written in docs/architecture.md.

The graph is read from the source text (every `import`, also inside functions and under TYPE_CHECKING), so a
circle hidden in a function body counts as a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Folders and the package names setuptools installs them under (pyproject.toml's package-dir).
PACKAGE_DIRS = {
    "repair": "repair",
    "tools": "repair.tools",
    "fsm": "repair.fsm",
    "datasets": "repair.datasets",
    "containers": "repair.containers",
    "fault_localization": "repair.fault_localization",
}

# From the ground up; a module may import from its own layer and the layers below. The longest matching
# prefix places a module; docs/architecture.md explains each layer.
LAYERS: list[tuple[str, list[str]]] = [
    ("ground", ["repair.errors", "repair.syntax", "repair.identifiers", "repair.user_cache",
                "repair.user_config"]),
    ("workspace", ["repair.patch", "repair.patch_rules", "repair.apply_patch", "repair.containers", "repair.runners"]),
    ("bugs", ["repair.datasets", "repair.bug_selection", "repair.checkout", "repair.fault_localization",
              "repair.validation", "repair.fast_validation", "repair.overfitting", "repair.references",
              "repair.verdict_scope"]),
    ("agent parts", ["repair.tools", "repair.fsm", "repair.models", "repair.trajectory"]),
    ("agents", ["repair.agent", "repair.prompts", "repair.offline", "repair.fixagent", "repair.escalation",
                "repair.model_spec"]),
    ("one run", ["repair.fix_run", "repair.reports", "repair.results_log", "repair.provenance"]),
    ("many runs", ["repair.batch", "repair.ci", "repair.github_api"]),
    ("commands", ["repair.commands", "repair.cli_app"]),
    ("cli", ["repair.cli"]),
]
PACKAGE_ROOT = "repair"  # the namespace's own __init__: imports nothing, is imported by everything


def modules() -> dict[str, Path]:
    """Every module of the installed package, by dotted name."""
    found: dict[str, Path] = {}
    for folder, package in PACKAGE_DIRS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT / folder).with_suffix("")
            if "demo_bugs" in relative.parts:
                continue  # the demo bugs' programs are data, not part of the package's code
            parts = [p for p in relative.parts if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that `name` imports; `from pkg import submodule` counts as the submodule."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = {f"{base}.{alias.name}" for alias in node.names} & set(known)
            targets.update(submodules)
            if len(submodules) < len(node.names):
                targets.add(base)
    own: set[str] = set()
    for target in targets:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            own.add(target)
    return own


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def with_package_inits(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """Importing `a.b.c` runs `a/__init__` and `a/b/__init__` first, unless they are the importer's own."""
    full: dict[str, set[str]] = {}
    for name, targets in edges.items():
        own_ancestors = {name.rsplit(".", n)[0] for n in range(1, name.count(".") + 1)}
        full[name] = set(targets)
        for target in targets:
            parts = target.split(".")
            for end in range(1, len(parts)):
                ancestor = ".".join(parts[:end])
                if ancestor in edges and ancestor not in own_ancestors and ancestor != name:
                    full[name].add(ancestor)
    return full


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def layer_of(name: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for number, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), number)
    return None if best is None else best[1]


def test_the_graph_sees_the_mapped_folders() -> None:
    edges = graph()
    assert "repair.tools.base" in edges and "repair.datasets.bug" in edges
    assert "repair.containers.workspace" in edges["repair.tools.base"]
    assert "repair.fault_localization.localizer" in edges["repair.fault_localization"]


def test_no_import_circles() -> None:
    found = circles(with_package_inits(graph()))
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_circles_are_found_through_functions_and_package_inits() -> None:
    edges = {"a": {"a.x"}, "a.x": {"b"}, "b": set(), "b.y": {"a.x"}}
    assert circles(with_package_inits(edges)) == []
    edges["b"] = {"b.y"}  # now importing b runs b.y, which needs a.x, whose package a is being imported
    assert circles(with_package_inits(edges)) == [["a", "a.x", "b", "b.y"]]


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(name for name in graph() if name != PACKAGE_ROOT and layer_of(name) is None)
    assert not unplaced, f"place these modules in LAYERS (and docs/architecture.md): {unplaced}"


def test_imports_point_down_the_layers() -> None:
    upward = []
    for name, targets in sorted(graph().items()):
        if name == PACKAGE_ROOT:
            continue
        for target in sorted(targets):
            low, high = layer_of(name), layer_of(target)
            if target != PACKAGE_ROOT and low is not None and high is not None and high > low:
                upward.append(f"{name} ({LAYERS[low][0]}) imports {target} ({LAYERS[high][0]})")
    assert not upward, "imports that point up:\n" + "\n".join(upward)


def test_architecture_doc_names_every_layer() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for title, prefixes in LAYERS:
        assert title in doc, f"docs/architecture.md does not describe the layer '{title}'"
        for prefix in prefixes:
            assert f"`{prefix.removeprefix('repair.')}" in doc or f"`{prefix}" in doc, prefix
