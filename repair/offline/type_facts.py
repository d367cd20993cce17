"""Static facts about Java types, for type-aware fix templates: what a class declares and inherits.

Facts come from three places, in this order:
1. the file being repaired, parsed with tree-sitter (its private members included);
2. the project's compiled classes and the JDK, by reflection in a small warm JVM
   (`TypeFactsWorker`, started with the project's test classpath once per search);
3. the project's other source files (tree-sitter), for projects that are not built (QuixBugs).

A fact is either known or unknown; a template or a check that meets an unknown type keeps the
candidate (the compiler decides), so the facts only ever remove candidates that cannot compile.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from tree_sitter import Node

from repair.containers.local import LocalWorkspace
from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug
from repair.errors import WorkspaceError
from repair.fast_validation import project_classpath
from repair.runners.fast_java import build_helper
from repair.runners.java_env import HAMCREST, JUNIT, find_jar
from repair.runners.worker_process import WorkerError, WorkerProcess
from repair.syntax import parse

NUMERIC = ("byte", "short", "char", "int", "long", "float", "double")
PRIMITIVES = frozenset(NUMERIC + ("boolean",))
INTEGRAL = frozenset(("byte", "short", "char", "int", "long"))
BOXES = {
    "java.lang.Byte": "byte", "java.lang.Short": "short", "java.lang.Character": "char",
    "java.lang.Integer": "int", "java.lang.Long": "long", "java.lang.Float": "float",
    "java.lang.Double": "double", "java.lang.Boolean": "boolean",
}
UNBOX_TO_BOX = {v: k for k, v in BOXES.items()}
OBJECT, STRING = "java.lang.Object", "java.lang.String"
QUERY_TIMEOUT = 20.0  # seconds for one reflection answer (the first one loads the JVM)


@dataclass(frozen=True)
class JType:
    """A Java type: a primitive, `null`, a class (binary name, `$` for nested), a type variable, or an array."""

    name: str
    args: tuple[JType, ...] = ()
    dims: int = 0
    variable: bool = False  # a type variable: its bound is not tracked, so it is treated as unknown

    @property
    def primitive(self) -> bool:
        return self.dims == 0 and self.name in PRIMITIVES

    @property
    def is_null(self) -> bool:
        return self.name == "null"

    @property
    def reference(self) -> bool:
        return not self.primitive

    def element(self) -> JType | None:
        return JType(self.name, self.args, self.dims - 1, self.variable) if self.dims else None

    def unboxed(self) -> str | None:
        """The primitive this type is or unboxes to, else None."""
        if self.dims:
            return None
        return self.name if self.name in PRIMITIVES else BOXES.get(self.name)

    def __str__(self) -> str:
        base = self.name.rsplit(".", 1)[-1].replace("$", ".")
        if self.args:
            base += "<" + ", ".join(str(a) for a in self.args) + ">"
        return base + "[]" * self.dims


def prim(name: str) -> JType:
    return JType(name)


def from_erased(spelling: str) -> JType:
    """A reflection spelling (`java.lang.String[]`, `int`) as a JType."""
    dims = spelling.count("[]")
    return JType(spelling.replace("[]", ""), (), dims)


@dataclass(frozen=True)
class MethodFact:
    name: str
    static: bool
    varargs: bool
    returns: JType | None  # None: not known (a type the facts could not resolve)
    params: tuple[JType | None, ...]
    generic_return: str = ""  # the type variable the method returns, when it returns one
    owner: str = ""

    def accepts_arity(self, n: int) -> bool:
        return len(self.params) == n or (self.varargs and n >= len(self.params) - 1)


@dataclass(frozen=True)
class FieldFact:
    name: str
    static: bool
    type: JType | None
    owner: str = ""
    final: bool = False
    initialized: bool = True  # a final field with an initializer (or not known to be blank) is never assigned


@dataclass
class ClassFact:
    """What one class declares (not what it inherits: `TypeFacts` walks the supertypes)."""

    name: str
    kind: str = "class"  # class | interface | enum | annotation
    final: bool = False
    supertypes: tuple[str, ...] = ()
    type_params: tuple[str, ...] = ()
    methods: tuple[MethodFact, ...] = ()
    fields: tuple[FieldFact, ...] = ()
    constructors: tuple[int, ...] = ()  # arities; -1 - n for a varargs constructor of n parameters


class ReflectionFacts:
    """Class facts by reflection in a warm JVM over a classpath (the JDK alone when it is empty)."""

    def __init__(self, classpath: Sequence[str] = (), cwd: str = ".") -> None:
        self.classpath = list(classpath)
        self.cwd = cwd
        self._worker: WorkerProcess | None = None
        self._cache: dict[str, ClassFact | None] = {}
        self.broken = "" if shutil.which("java") else "no java on PATH"

    def lookup(self, binary: str) -> ClassFact | None:
        if binary in self._cache:
            return self._cache[binary]
        fact = None
        if not self.broken:
            try:
                fact = self._ask(binary)
            except (WorkerError, OSError) as exc:
                self.broken = str(exc)
                self.close()
        self._cache[binary] = fact
        return fact

    def _ask(self, binary: str) -> ClassFact | None:
        if self._worker is None:
            classes = build_helper("TypeFactsWorker", [])
            cp = os.pathsep.join([str(classes), *self.classpath])
            self._worker = WorkerProcess(["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                                          "-cp", cp, "TypeFactsWorker"], cwd=self.cwd)
        self._worker.start()
        assert self._worker is not None
        self._worker.send_line(binary)
        reply = self._worker.read(time.monotonic() + QUERY_TIMEOUT)
        if not reply.get("found"):
            return None
        methods = tuple(MethodFact(str(m[0]), bool(m[1]), bool(m[2]), from_erased(str(m[3])),
                                   tuple(from_erased(str(p)) for p in m[5:]), str(m[4]), binary)
                        for m in reply.get("methods", []))
        fields = tuple(FieldFact(str(f[0]), bool(f[1]), from_erased(str(f[2])), binary, bool(f[3]))
                       for f in reply.get("fields", []))
        return ClassFact(binary, str(reply.get("kind", "class")), bool(reply.get("final")),
                         tuple(str(s) for s in reply.get("supertypes", [])),
                         tuple(str(t) for t in reply.get("typeParams", [])), methods, fields,
                         tuple(int(k) for k in reply.get("constructors", [])))

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None


# -- source files --------------------------------------------------------------------------------

CLASS_KINDS = {"class_declaration": "class", "interface_declaration": "interface", "enum_declaration": "enum",
               "annotation_type_declaration": "annotation", "record_declaration": "class"}


def node_text(node: Node | None) -> str:
    return (node.text or b"").decode("utf-8", "replace") if node is not None else ""


def modifiers_of(node: Node) -> set[str]:
    for child in node.children:
        if child.type == "modifiers":
            return {node_text(c) for c in child.children if not c.is_named or c.type != "marker_annotation"}
    return set()


@dataclass
class FileScope:
    """How simple names resolve in one source file: its package, imports and declared classes."""

    path: str
    package: str = ""
    single: dict[str, str] = field(default_factory=dict)  # simple name -> binary name
    on_demand: list[str] = field(default_factory=list)  # packages (or classes) imported with .*
    static_single: dict[str, str] = field(default_factory=dict)  # member name -> owner binary name
    static_on_demand: list[str] = field(default_factory=list)  # owners imported with static .*
    declared: dict[str, Node] = field(default_factory=dict)  # binary name -> declaration node

    @property
    def source_root(self) -> str:
        """The folder the package path starts in (`src/java` for `src/java/org/x/Y.java` in `org.x`)."""
        folder = os.path.dirname(self.path)
        suffix = self.package.replace(".", "/")
        if suffix and folder.endswith(suffix):
            return folder[: len(folder) - len(suffix)].rstrip("/")
        return folder


def class_declarations(node: Node, outer: str) -> Iterator[tuple[str, Node]]:
    """(binary name, node) of every class declared under `node`, nested ones as `Outer$Inner`."""
    for child in node.named_children:
        if child.type in CLASS_KINDS:
            name = node_text(child.child_by_field_name("name"))
            binary = f"{outer}${name}" if "$" in outer or (outer and not outer.endswith(".")) else f"{outer}{name}"
            yield binary, child
            body = child.child_by_field_name("body")
            if body is not None:
                yield from class_declarations(body, binary)
        elif child.type in ("class_body", "enum_body_declarations", "interface_body", "enum_body"):
            yield from class_declarations(child, outer)


def file_scope(path: str, root: Node) -> FileScope:
    scope = FileScope(path)
    for child in root.named_children:
        if child.type == "package_declaration":
            scope.package = node_text(child.named_children[0]) if child.named_children else ""
        elif child.type == "import_declaration":
            static = any(c.type == "static" for c in child.children)
            star = any(c.type == "asterisk" for c in child.children)
            target = next((node_text(c) for c in child.named_children if c.type in ("scoped_identifier", "identifier")),
                          "")
            if static and star:
                scope.static_on_demand.append(target)
            elif static:
                owner, _, member = target.rpartition(".")
                scope.static_single[member] = owner
            elif star:
                scope.on_demand.append(target)
            else:
                scope.single[target.rsplit(".", 1)[-1]] = target
    prefix = f"{scope.package}." if scope.package else ""
    scope.declared = dict(class_declarations(root, prefix))
    return scope


def _params(node: Node, resolve: Callable[[Node | None], JType | None]) -> tuple[tuple[JType | None, ...], bool]:
    params = node.child_by_field_name("parameters")
    out: list[JType | None] = []
    varargs = False
    for p in params.named_children if params is not None else []:
        if p.type == "formal_parameter":
            out.append(resolve(p.child_by_field_name("type")))
        elif p.type == "spread_parameter":
            varargs = True
            typ = next((c for c in p.named_children if c.type not in ("modifiers", "variable_declarator")), None)
            element = resolve(typ)
            out.append(JType(element.name, element.args, element.dims + 1) if element else None)
    return tuple(out), varargs


def _declaration_key(node: Node) -> str:
    """A class declaration's text without its method and constructor bodies (and nested classes' bodies)."""
    data = node.text or b""
    cuts: list[tuple[int, int]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in ("block", "constructor_body") and current.parent is not None and current.parent.type in (
                "method_declaration", "constructor_declaration"):
            cuts.append((current.start_byte - node.start_byte, current.end_byte - node.start_byte))
            continue
        stack.extend(current.children)
    out, last = [], 0
    for start, end in sorted(cuts):
        out.append(data[last:start])
        last = end
    out.append(data[last:])
    return hashlib.sha256(b"{}".join(out)).hexdigest()


def _class_context(node: Node | None) -> str:
    """The name of the innermost class around `node` (names resolve per class: nested classes, type variables)."""
    while node is not None:
        if node.type in CLASS_KINDS:
            return f"{node_text(node.child_by_field_name('name'))}@{node.start_byte}"
        node = node.parent
    return ""


def source_class_fact(binary: str, node: Node, resolve: Callable[[Node | None], JType | None]) -> ClassFact:
    """The facts of a class declared in source, with member types resolved by `resolve`."""
    kind = CLASS_KINDS.get(node.type, "class")
    supers: list[str] = []
    superclass = node.child_by_field_name("superclass")
    for sup in [superclass] if superclass is not None else []:
        t = resolve(next((c for c in sup.named_children), None))
        supers.append(t.name if t else "?")
    interfaces = node.child_by_field_name("interfaces")
    if interfaces is not None:
        for lst in interfaces.named_children:
            for t_node in lst.named_children:
                t = resolve(t_node)
                supers.append(t.name if t else "?")
    if not superclass and kind == "class":
        supers.insert(0, OBJECT)
    elif kind == "enum":
        supers.insert(0, "java.lang.Enum")
    elif kind == "interface" and not supers:
        supers.append(OBJECT)
    tparams = node.child_by_field_name("type_parameters")
    type_params = tuple(node_text(p.named_children[0]) for p in (tparams.named_children if tparams else [])
                        if p.named_children)
    methods: list[MethodFact] = []
    fields: list[FieldFact] = []
    constructors: list[int] = []
    body = node.child_by_field_name("body")
    members = list(body.named_children) if body is not None else []
    for member in list(members):
        if member.type == "enum_body_declarations":
            members.extend(member.named_children)
    for member in members:
        mods = modifiers_of(member)
        static = "static" in mods or kind == "interface" and member.type == "field_declaration"
        if member.type == "method_declaration":
            params, varargs = _params(member, resolve)
            returns = resolve(member.child_by_field_name("type"))
            methods.append(MethodFact(node_text(member.child_by_field_name("name")), static, varargs, returns,
                                      params, "", binary))
        elif member.type == "constructor_declaration":
            params, varargs = _params(member, resolve)
            constructors.append(-1 - len(params) if varargs else len(params))
        elif member.type in ("field_declaration", "constant_declaration"):
            declared = resolve(member.child_by_field_name("type"))
            for decl in member.named_children:
                if decl.type == "variable_declarator":
                    extra = sum(1 for c in decl.children if c.type == "dimensions")
                    typ = JType(declared.name, declared.args, declared.dims + extra) if declared and extra else declared
                    final = "final" in mods or kind == "interface"
                    fields.append(FieldFact(node_text(decl.child_by_field_name("name")), static, typ, binary, final,
                                            decl.child_by_field_name("value") is not None))
        elif member.type == "enum_constant":
            fields.append(FieldFact(node_text(member.child_by_field_name("name")), True, JType(binary), binary, True))
    if kind == "enum":
        methods.append(MethodFact("values", True, False, JType(binary, (), 1), (), "", binary))
        methods.append(MethodFact("valueOf", True, False, JType(binary), (JType(STRING),), "", binary))
    return ClassFact(binary, kind, "final" in modifiers_of(node), tuple(supers), type_params, tuple(methods),
                     tuple(fields), tuple(constructors) or (0,))


class TypeFacts:
    """Class facts and name resolution for Java files of one project.

    `read_source(path)` reads a project file (None when it does not exist); `reflection` answers
    for compiled classes and the JDK (None: sources only, and unknown for everything else).
    """

    def __init__(self, read_source: Callable[[str], str | None], reflection: ReflectionFacts | None = None) -> None:
        self.read_source = read_source
        self.reflection = reflection
        self._classes: dict[str, ClassFact | None] = {}
        self._source_facts: dict[tuple[str, str], ClassFact] = {}
        self._resolved: dict[tuple[str, str], str | None] = {}  # (class context, name) -> binary name
        self._imports: tuple[object, ...] = ()
        self.current: FileScope | None = None

    def close(self) -> None:
        if self.reflection is not None:
            self.reflection.close()

    # -- files ------------------------------------------------------------------------------------
    def enter_file(self, path: str, root: Node) -> FileScope:
        """Make `path` (parsed as `root`) the file whose names are resolved."""
        scope = file_scope(path, root)
        imports = (scope.package, tuple(sorted(scope.single.items())), tuple(scope.on_demand))
        if imports != self._imports:  # names resolve differently now
            self._imports, self._resolved = imports, {}
        self.current = scope
        for binary, node in scope.declared.items():
            # A candidate changes a method body, rarely what a class declares: reuse the facts then.
            key = (binary, _declaration_key(node))
            if key not in self._source_facts:
                self._source_facts[key] = source_class_fact(binary, node, self._resolver(scope, node))
            self._classes[binary] = self._source_facts[key]
        return scope

    def _resolver(self, scope: FileScope, context: Node) -> Callable[[Node | None], JType | None]:
        return lambda n: self.resolve_type_node(n, scope, context)

    # -- classes ----------------------------------------------------------------------------------
    def lookup(self, binary: str) -> ClassFact | None:
        """What `binary` declares, from the current file, the compiled classes and JDK, or other sources."""
        if binary in self._classes:
            return self._classes[binary]
        self._classes[binary] = None  # guards against cycles while it is being read
        fact = self.reflection.lookup(binary) if self.reflection is not None else None
        if fact is None:
            fact = self._from_other_source(binary)
        self._classes[binary] = fact
        return fact

    def _from_other_source(self, binary: str) -> ClassFact | None:
        if self.current is None:
            return None
        top = binary.split("$", 1)[0]
        path = os.path.join(self.current.source_root, *top.split(".")) + ".java"
        text = self.read_source(path)
        if text is None:
            return None
        tree = parse("java", text)
        scope = file_scope(path, tree.root_node)
        node = scope.declared.get(binary)
        return source_class_fact(binary, node, self._resolver(scope, node)) if node is not None else None

    def exists(self, binary: str) -> bool:
        return self.lookup(binary) is not None

    def supertypes(self, binary: str) -> tuple[list[str], bool]:
        """Every supertype of `binary` (itself first), and whether all of them are known."""
        seen: list[str] = []
        complete = True
        stack = [binary]
        while stack:
            name = stack.pop(0)
            if name in seen:
                continue
            fact = self.lookup(name) if name != "?" else None
            if fact is None:
                complete = False
                continue
            seen.append(name)
            stack.extend(fact.supertypes)
        return seen, complete

    def methods(self, binary: str, name: str) -> tuple[list[MethodFact], bool]:
        """Methods called `name` that `binary` declares or inherits, and whether the hierarchy is fully known."""
        chain, complete = self.supertypes(binary)
        found: list[MethodFact] = []
        for owner in chain:
            fact = self.lookup(owner)
            if fact is not None:
                found.extend(m for m in fact.methods if m.name == name)
        return found, complete

    def all_methods(self, binary: str) -> list[MethodFact]:
        chain, _ = self.supertypes(binary)
        out: list[MethodFact] = []
        for owner in chain:
            fact = self.lookup(owner)
            if fact is not None:
                out.extend(fact.methods)
        return out

    def field(self, binary: str, name: str) -> tuple[FieldFact | None, bool]:
        chain, complete = self.supertypes(binary)
        for owner in chain:
            fact = self.lookup(owner)
            if fact is not None:
                for f in fact.fields:
                    if f.name == name:
                        return f, True
        return None, complete

    def is_subclass(self, sub: str, sup: str) -> bool | None:
        """True/False when the hierarchy says so; None when part of it is unknown."""
        if sub == sup or sup == OBJECT:
            return True
        chain, complete = self.supertypes(sub)
        if sup in chain:
            return True
        return False if complete else None

    # -- names ------------------------------------------------------------------------------------
    def resolve_class(self, simple: str, scope: FileScope | None = None, context: Node | None = None) -> str | None:
        """The binary name a simple (or dotted) class name means in `scope`, or None."""
        scope = scope or self.current
        if scope is None:
            return None
        head, _, rest = simple.partition(".")
        cache_key = (_class_context(context), head)
        if scope is self.current and cache_key in self._resolved:
            binary = self._resolved[cache_key]
        else:
            binary = self._resolve_simple(head, scope, context)
            if scope is self.current:
                self._resolved[cache_key] = binary
        if binary is None:
            return self._resolve_qualified(simple) if rest else None
        for part in rest.split(".") if rest else []:
            binary = f"{binary}${part}"
        return binary

    def _resolve_qualified(self, dotted: str) -> str | None:
        # `java.util.Map.Entry`: the longest package prefix that names a class, then nested classes.
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            candidate = ".".join(parts[:i]) + "".join(f"${p}" for p in parts[i:])
            if parts[i - 1][:1].isupper() and self.exists(candidate):
                return candidate
        return None

    def _resolve_simple(self, name: str, scope: FileScope, context: Node | None) -> str | None:
        # Classes nested in the enclosing classes, innermost first, then the file's top-level classes.
        node = context
        while node is not None:
            if node.type in CLASS_KINDS:
                for binary, decl in scope.declared.items():
                    if decl.id == node.id:
                        nested = f"{binary}${name}"
                        if nested in scope.declared or self._nested_inherited(binary, name):
                            return nested if nested in scope.declared else self._nested_inherited(binary, name)
                        if binary.rsplit("$", 1)[-1].rsplit(".", 1)[-1] == name:
                            return binary
            node = node.parent
        prefix = f"{scope.package}." if scope.package else ""
        if f"{prefix}{name}" in scope.declared:
            return f"{prefix}{name}"
        if name in scope.single:
            return self._resolve_qualified(scope.single[name]) or scope.single[name]
        if self.exists(f"{prefix}{name}"):
            return f"{prefix}{name}"
        for pkg in [*scope.on_demand, "java.lang"]:
            if self.exists(f"{pkg}.{name}"):
                return f"{pkg}.{name}"
            member = self._resolve_qualified(f"{pkg}.{name}")
            if member:
                return member
        return None

    def _nested_inherited(self, binary: str, name: str) -> str | None:
        fact = self._classes.get(binary)
        for sup in fact.supertypes if fact else ():
            if sup != "?" and sup != OBJECT and self.exists(f"{sup}${name}"):
                return f"{sup}${name}"
        return None

    def type_params_in_scope(self, context: Node | None) -> set[str]:
        names: set[str] = set()
        node = context
        while node is not None:
            params = node.child_by_field_name("type_parameters") if node.type in (
                *CLASS_KINDS, "method_declaration", "constructor_declaration") else None
            if params is not None:
                names.update(node_text(p.named_children[0]) for p in params.named_children if p.named_children)
            node = node.parent
        return names

    def resolve_type_node(self, node: Node | None, scope: FileScope | None = None,
                          context: Node | None = None) -> JType | None:
        """The type a tree-sitter type node spells, resolved in `scope` (None when unknown)."""
        if node is None:
            return None
        scope = scope or self.current
        context = context or node
        kind = node.type
        if kind in ("integral_type", "floating_point_type", "boolean_type", "void_type"):
            return JType(node_text(node))
        if kind == "array_type":
            element = self.resolve_type_node(node.child_by_field_name("element"), scope, context)
            dims = node_text(node.child_by_field_name("dimensions")).count("[")
            return JType(element.name, element.args, element.dims + dims, element.variable) if element else None
        if kind == "generic_type":
            base = self.resolve_type_node(node.named_children[0], scope, context)
            targs = next((c for c in node.named_children if c.type == "type_arguments"), None)
            args = tuple(self.resolve_type_node(a, scope, context) or JType("?", variable=True)
                         for a in (targs.named_children if targs else []))
            return JType(base.name, args) if base else None
        if kind in ("type_identifier", "scoped_type_identifier", "identifier", "scoped_identifier"):
            text = node_text(node)
            if text == "var":
                return None
            if kind == "type_identifier" and text in self.type_params_in_scope(context):
                return JType(text, variable=True)
            binary = self.resolve_class(text, scope, context)
            return JType(binary) if binary else None
        return None


def type_facts_for(workspace: Workspace, bug: Bug) -> TypeFacts | None:
    """Type facts for a Java bug: its sources, plus reflection over its test classpath when the project is
    built on this host (Defects4J, Maven, Gradle), or over the JDK and JUnit alone (a plain javac project)."""
    if bug.language != "java":
        return None
    classpath: list[str] = []
    if isinstance(workspace, LocalWorkspace):
        project = project_classpath(workspace, bug)
        if project is not None:
            classpath = project.absolute(workspace.path)
        else:
            classpath = [str(jar) for jar in (find_jar(JUNIT, fetch=False), find_jar(HAMCREST, fetch=False)) if jar]

    def read(path: str) -> str | None:
        try:
            return workspace.read_file(path) if workspace.exists(path) else None
        except (WorkspaceError, OSError, UnicodeDecodeError):
            return None

    cwd = workspace.path if isinstance(workspace, LocalWorkspace) else "."
    return TypeFacts(read, ReflectionFacts(classpath, cwd=cwd))
