"""Donor code for one suspicious line: the ingredients a fix may need that the line itself does not hold.

TBar (Liu et al., ISSTA 2019) fills its templates with code from around the bug: the variables and fields
in scope with their types, expressions of the same type from the method and the class, the methods of a
receiver's type, and the null, range and collection-size checks its checkers insert. `Donors` gathers
them for a `LineContext`:

- `variables()`: parameters, locals declared before the line and fields, each with a type. Java's are the
  declared types; Python's are inferred from how the method binds and uses a name (`n = 0`, `range(n)`,
  `n - 1`: an int; `q = []`, `q.append(x)`, `for x in q`: a list), "?" when nothing says;
- `numeric()`, `collections()`, `booleans()`: the live variables of those kinds;
- `expressions()`: the expressions of the method, with their static types (Java, from the type checker) or
  their kinds (Python), for replacing a variable by an expression of its type (`b` -> `b.substring(1)`);
- `membership()`: the (collection, element) pairs the method tests (`seen.contains(x)`, `x in seen`);
- `prefixes()`: the prefixes of a collection the method takes (`arr.subList(0, k)`, `arr[:k]`);
- `attributes()`: (Python) the attribute names the file reads from objects.

Every list is in source order and free of repeats, so that the templates that use them are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from tree_sitter import Node

from repair.offline.context import FIELD_ROW, NUMERIC_TYPES, PARAMETER_ROW, LineContext, walk
from repair.offline.type_check import JType

# Java collection types by simple name, when the type facts cannot say (a class they cannot read).
JAVA_COLLECTIONS = {"List", "ArrayList", "LinkedList", "Set", "HashSet", "TreeSet", "LinkedHashSet", "Queue",
                    "Deque", "ArrayDeque", "PriorityQueue", "Stack", "Vector", "Collection", "SortedSet",
                    "NavigableSet", "Map", "HashMap", "TreeMap", "LinkedHashMap", "SortedMap"}
JAVA_MAPS = {"Map", "HashMap", "TreeMap", "LinkedHashMap", "SortedMap", "NavigableMap"}
PYTHON_COLLECTIONS = {"list", "set", "dict", "queue", "tuple", "str", "seq"}  # seq: a list or a string
# Python calls whose result is of a known kind.
_PYTHON_CALL_KINDS = {"len": "int", "int": "int", "abs": "int", "sum": "int", "ord": "int", "list": "list",
                      "sorted": "list", "set": "set", "frozenset": "set", "dict": "dict", "defaultdict": "dict",
                      "OrderedDict": "dict", "Counter": "dict", "deque": "queue", "Queue": "queue", "str": "str",
                      "tuple": "tuple", "float": "float", "bool": "bool", "OrderedSet": "set"}
_PYTHON_LITERAL_KINDS = {"integer": "int", "float": "float", "string": "str", "true": "bool", "false": "bool",
                         "list": "list", "list_comprehension": "list", "dictionary": "dict",
                         "dictionary_comprehension": "dict", "set": "set", "set_comprehension": "set",
                         "tuple": "tuple", "comparison_operator": "bool", "not_operator": "bool",
                         "boolean_operator": "bool"}
# Methods that show a Python name holds a collection of a kind.
_PYTHON_METHOD_KINDS = {"append": "list", "extend": "list", "insert": "list", "pop": "list", "sort": "list",
                        "add": "set", "update": "set", "issubset": "set", "issuperset": "set", "popleft": "queue",
                        "appendleft": "queue", "keys": "dict", "values": "dict", "items": "dict", "get": "dict"}


@dataclass(frozen=True)
class Ingredient:
    """A piece of donor code: its text, its type (Java) or kind (Python; "?" when unknown), where it is."""

    text: str
    type: str
    row: int  # 0-based; PARAMETER_ROW or FIELD_ROW for those
    node: Node | None = None

    @property
    def is_variable(self) -> bool:
        return self.node is None or self.node.type == "identifier"


class Donors:
    """The donor code around one suspicious line (computed once per line, on first use)."""

    def __init__(self, ctx: LineContext) -> None:
        self.ctx = ctx
        self.java = ctx.language == "java"

    # -- variables --------------------------------------------------------------------------------
    @cached_property
    def _python_kinds(self) -> dict[str, str]:
        return _infer_python_kinds(self.ctx) if not self.java else {}

    def kind(self, name: str) -> str:
        """The Java type or Python kind of a variable ("?" when not known)."""
        if self.java:
            return self.ctx.type_of(name) or "?"
        return self._python_kinds.get(name, "?")

    @cached_property
    def _java_out_of_scope(self) -> set[str]:
        """Java locals declared before the line in a block (or loop) that has closed by the line."""
        ctx = self.ctx
        if not self.java or ctx.method is None:
            return set()
        visible: set[str] = set()
        declared: set[str] = set()
        for node in walk(ctx.method):
            if node.type not in ("local_variable_declaration", "enhanced_for_statement", "catch_formal_parameter",
                                 "resource"):
                continue
            names = [node.child_by_field_name("name")] if node.type != "local_variable_declaration" else [
                d.child_by_field_name("name") for d in node.named_children if d.type == "variable_declarator"]
            scope = node if node.type == "enhanced_for_statement" else node.parent
            for name in names:
                if name is None:
                    continue
                text = ctx.src(name)
                declared.add(text)
                if scope is not None and scope.start_point[0] <= ctx.row <= scope.end_point[0] \
                        and node.start_point[0] <= ctx.row:
                    visible.add(text)
        return declared - visible

    @cached_property
    def _live(self) -> list[Ingredient]:
        out = []
        for var in self.ctx.vars:
            if var.line > self.ctx.row or (var.line >= 0 and var.name in self._java_out_of_scope):
                continue
            typ = var.type if self.java else self._python_kinds.get(var.name, "?")
            out.append(Ingredient(var.name, typ, var.line))
        return out

    def variables(self) -> list[Ingredient]:
        """The variables live at the line: parameters, fields, and locals declared before it."""
        return list(self._live)

    def locals(self) -> list[Ingredient]:
        """The live locals (not parameters or fields), innermost (latest declared) first."""
        found = [v for v in self._live if v.row not in (PARAMETER_ROW, FIELD_ROW)]
        return sorted(found, key=lambda v: -v.row)

    def numeric(self) -> list[Ingredient]:
        return [v for v in self._live if self.is_numeric(v.type)]

    def booleans(self) -> list[Ingredient]:
        return [v for v in self._live if v.type in ("boolean", "Boolean", "bool")]

    def collections(self) -> list[Ingredient]:
        """The live variables that hold a collection or an array (Java), or a container (Python)."""
        return [v for v in self._live if self.collection_kind(v.type) is not None]

    def compatible(self, a: str, b: str) -> bool:
        """Whether values of types (kinds) `a` and `b` may stand for each other: the same type; in Python
        also an unknown kind, or two sequences."""
        if a == b:
            return True
        if self.java:
            return False
        sequences = {"seq", "list", "str", "tuple", "queue"}
        return "?" in (a, b) or (a in sequences and b in sequences)

    def is_numeric(self, typ: str) -> bool:
        return typ in NUMERIC_TYPES if self.java else typ in ("int", "float")

    def collection_kind(self, typ: str) -> str | None:
        """"array", "map", "collection" (Java), or the Python kind; None when `typ` holds no elements."""
        if self.java:
            if typ.endswith("]"):
                return "array"
            base = typ.split("<", 1)[0].strip().rsplit(".", 1)[-1]
            if base in JAVA_MAPS:
                return "map"
            if base in JAVA_COLLECTIONS or self._java_is_collection(base):
                return "collection"
            return None
        return typ if typ in PYTHON_COLLECTIONS else None

    def _java_is_collection(self, simple: str) -> bool:
        facts = self.ctx.checker.facts if self.ctx.checker is not None else None
        if facts is None or not simple[:1].isupper():
            return False
        binary = facts.resolve_class(simple)
        return bool(binary and facts.is_subclass(binary, "java.util.Collection"))

    # -- expressions ------------------------------------------------------------------------------
    @cached_property
    def _expressions(self) -> list[Ingredient]:
        ctx = self.ctx
        if ctx.method is None:
            return []
        body = ctx.method.child_by_field_name("body")
        if body is None:
            return []
        kinds = _JAVA_DONOR_KINDS if self.java else _PYTHON_DONOR_KINDS
        found: dict[str, Ingredient] = {}
        for node in walk(body):
            if node.type not in kinds or "\n" in ctx.src(node):
                continue
            typ = self._expression_type(node)
            if typ is None:
                continue
            text = ctx.src(node)
            found.setdefault(text, Ingredient(text, typ, node.start_point[0], node))
        return list(found.values())

    def expressions(self) -> list[Ingredient]:
        """The method's calls, field accesses, subscripts and slices, each once, with a known type or kind."""
        return list(self._expressions)

    def _expression_type(self, node: Node) -> str | None:
        if self.java:
            typed = self.ctx.types.get(node.id)
            return str(typed) if isinstance(typed, JType) and not typed.variable and typed.name != "?" else None
        if node.type == "subscript":
            value = node.child_by_field_name("value")
            sliced = any(c.type == "slice" for c in node.named_children)
            if value is not None and value.type == "identifier" and sliced:
                return self._python_kinds.get(self.ctx.src(value), "?")
            return "?"
        if node.type == "call":
            function = node.child_by_field_name("function")
            name = self.ctx.src(function) if function is not None else ""
            return _PYTHON_CALL_KINDS.get(name, "?")
        return "?"

    def derived(self, name: str) -> list[Ingredient]:
        """Expressions of the method built on variable `name` that have its type: `b.substring(1)`, `b[1:]`."""
        typ = self.kind(name)
        out = []
        for ing in self._expressions:
            node = ing.node
            if node is None or _base_name(self.ctx, node) != name:
                continue
            if self.java and ing.type.split("<")[0] != typ.split("<")[0].rsplit(".", 1)[-1] and ing.type != typ:
                continue
            if not self.java and not (node.type == "subscript" and any(c.type == "slice" for c in node.named_children)):
                continue  # Python: a slice of the variable is of its kind; a call on it need not be
            out.append(ing)
        return out

    # -- what the method tests and takes ------------------------------------------------------------
    @cached_property
    def _membership(self) -> list[tuple[str, str]]:
        ctx = self.ctx
        pairs: list[tuple[str, str]] = []
        for node in walk(ctx.method or ctx.tree.root_node):
            pair = None
            if self.java and node.type == "method_invocation":
                name, obj = node.child_by_field_name("name"), node.child_by_field_name("object")
                args = node.child_by_field_name("arguments")
                if name is not None and ctx.src(name) in ("contains", "containsKey") and obj is not None \
                        and obj.type == "identifier" and args is not None and len(args.named_children) == 1:
                    pair = (ctx.src(obj), ctx.src(args.named_children[0]))
            elif not self.java and node.type == "comparison_operator":
                ops = [ctx.src(c) for c in node.children if not c.is_named]
                operands = node.named_children
                if ops and ops[0] in ("in", "not in") and len(operands) == 2 and operands[1].type == "identifier":
                    pair = (ctx.src(operands[1]), ctx.src(operands[0]))
            if pair is not None and pair not in pairs and "\n" not in pair[1]:
                pairs.append(pair)
        return pairs

    def membership(self) -> list[tuple[str, str]]:
        """(collection, element) for every membership test of the method, in source order."""
        return list(self._membership)

    def writes(self, collection: str) -> bool:
        """Whether the method ever adds to `collection` (a call of add/put/append/... on it)."""
        adders = {"add", "addAll", "put", "putAll", "push", "offer", "addFirst", "addLast", "append", "extend",
                  "update", "insert", "appendleft", "setdefault"}
        ctx = self.ctx
        for node in walk(ctx.method or ctx.tree.root_node):
            if node.type == "method_invocation":
                obj, name = node.child_by_field_name("object"), node.child_by_field_name("name")
            elif node.type == "call":
                function = node.child_by_field_name("function")
                if function is None or function.type != "attribute":
                    continue
                obj, name = function.child_by_field_name("object"), function.child_by_field_name("attribute")
            else:
                continue
            if obj is not None and name is not None and ctx.src(obj) == collection and ctx.src(name) in adders:
                return True
        return False

    @cached_property
    def _prefixes(self) -> list[tuple[str, str]]:
        ctx = self.ctx
        found: list[tuple[str, str]] = []
        for node in walk(ctx.method or ctx.tree.root_node):
            pair = None
            if self.java and node.type == "method_invocation":
                name, obj = node.child_by_field_name("name"), node.child_by_field_name("object")
                args = node.child_by_field_name("arguments")
                if name is not None and ctx.src(name) == "subList" and obj is not None and args is not None \
                        and len(args.named_children) == 2 and ctx.src(args.named_children[0]) == "0":
                    pair = (ctx.src(obj), ctx.src(args.named_children[1]))
            elif not self.java and node.type == "subscript":
                value = node.child_by_field_name("value")
                slices = [c for c in node.named_children if c.type == "slice"]
                if value is not None and len(slices) == 1:
                    text = ctx.src(slices[0]).replace(" ", "")
                    if text.startswith(":") and text.count(":") == 1 and len(text) > 1:
                        pair = (ctx.src(value), text[1:])
            if pair is not None and pair not in found:
                found.append(pair)
        return found

    def prefixes(self) -> list[tuple[str, str]]:
        """(collection, bound) of every prefix the method takes: `arr.subList(0, k)`, `arr[:k]`."""
        return list(self._prefixes)

    @cached_property
    def _attributes(self) -> list[str]:
        ctx = self.ctx
        names: list[str] = []
        for node in walk(ctx.tree.root_node):
            if node.type == "attribute" and (node.parent is None or node.parent.type != "call"
                                             or node.parent.child_by_field_name("function") != node):
                attr = node.child_by_field_name("attribute")
                if attr is not None and ctx.src(attr) not in names:
                    names.append(ctx.src(attr))
        return names

    def attributes(self) -> list[str]:
        """(Python) the attribute names the file reads as values (not as methods it calls), in source order."""
        return list(self._attributes)

    def literals(self) -> list[str]:
        """The integer literals of the method, in source order, 0 first."""
        ctx = self.ctx
        found = ["0"]
        for node in walk(ctx.method or ctx.tree.root_node):
            if node.type in ("decimal_integer_literal", "integer") and ctx.src(node) not in found:
                found.append(ctx.src(node))
        return found


_JAVA_DONOR_KINDS = {"method_invocation", "field_access", "array_access", "identifier"}
_PYTHON_DONOR_KINDS = {"call", "subscript", "attribute"}


def _base_name(ctx: LineContext, node: Node) -> str | None:
    """The variable an expression is built on: `b` of `b.substring(1)`, `b[1:]`, `b.x`."""
    inner: Node | None = node
    while inner is not None and inner.type not in ("identifier",):
        if inner.type == "method_invocation" or inner.type in ("field_access", "attribute"):
            inner = inner.child_by_field_name("object")
        elif inner.type == "array_access":
            inner = inner.child_by_field_name("array")
        elif inner.type == "subscript":
            inner = inner.child_by_field_name("value")
        elif inner.type == "call":
            function = inner.child_by_field_name("function")
            inner = function.child_by_field_name("object") if function is not None and function.type == "attribute" \
                else None
        else:
            return None
    return ctx.src(inner) if inner is not None else None


def _infer_python_kinds(ctx: LineContext) -> dict[str, str]:
    """What each name of a Python function holds, from how it is bound and used ("?" names are left out).

    Bindings say most (`n = 0`, `q = []`, `for i in range(n)`); uses say the rest: `range(n)`, `n - 1`,
    `n < m` for an int, `len(a)`, `for x in a`, `first, *rest = a` for a sequence, `q.append(x)` for a
    list. A few passes let one name's kind tell another's (`m = n // 2`, then `m < k`).
    """
    scope = ctx.method or ctx.tree.root_node
    nodes = list(walk(scope))
    kinds: dict[str, str] = {}
    for _ in range(3):
        before = dict(kinds)
        for node in nodes:
            for name, kind in _python_evidence(ctx, node, kinds):
                if kind != "?" and name not in kinds:
                    kinds[name] = kind
        if kinds == before:
            break
    return kinds


def _python_evidence(ctx: LineContext, node: Node, kinds: dict[str, str]) -> list[tuple[str, str]]:
    """(name, kind) pairs one node of a Python function tells."""
    def ident(n: Node | None) -> str | None:
        return ctx.src(n) if n is not None and n.type == "identifier" else None

    def intlike(n: Node | None) -> bool:
        if n is None:
            return False
        if n.type in ("integer", "float"):
            return True
        if n.type == "identifier":
            return kinds.get(ctx.src(n)) in ("int", "float")
        return _python_value_kind(ctx, n, kinds) in ("int", "float")

    found: list[tuple[str, str]] = []
    kind_here = node.type
    if kind_here in ("assignment", "augmented_assignment"):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return found
        name = ident(left)
        if kind_here == "augmented_assignment":
            if name is not None and intlike(right):
                found.append((name, "int"))
        elif name is not None:
            found.append((name, _python_value_kind(ctx, right, kinds)))
        elif left.type in ("pattern_list", "tuple_pattern") and (named := ident(right)):
            found.append((named, "seq"))  # `first, *rest = a`: a is a sequence
    elif kind_here in ("default_parameter", "typed_default_parameter"):
        name_node, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if (named := ident(name_node)) and value is not None:
            found.append((named, _python_value_kind(ctx, value, kinds)))
    elif kind_here == "for_statement":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if (named := ident(right)):
            found.append((named, "seq"))
        callee = right.child_by_field_name("function") if right is not None and right.type == "call" else None
        if callee is not None and ctx.src(callee) == "range" and (named := ident(left)):
            found.append((named, "int"))
        if callee is not None and ctx.src(callee) == "enumerate" and left is not None and left.named_children:
            first = left.named_children[0]
            if (named := ident(first)):
                found.append((named, "int"))
    elif kind_here == "call":
        function, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        if function is None or args is None:
            return found
        if function.type == "identifier":
            names = [ctx.src(a) for a in args.named_children if a.type == "identifier"]
            kind = {"len": "seq", "range": "int", "sorted": "seq", "enumerate": "seq"}.get(ctx.src(function))
            found.extend((a, kind) for a in names if kind)
        elif function.type == "attribute":
            obj, attr = function.child_by_field_name("object"), function.child_by_field_name("attribute")
            if (named := ident(obj)) and attr is not None:
                found.append((named, _PYTHON_METHOD_KINDS.get(ctx.src(attr), "?")))
    elif kind_here in ("binary_operator", "comparison_operator"):
        operands = node.named_children
        op = _operator_text(ctx, node)
        arithmetic = op in ("-", "//", "%", "*", "+", "/", "<", "<=", ">", ">=")
        if arithmetic and len(operands) == 2:
            for a, b in ((operands[0], operands[1]), (operands[1], operands[0])):
                if (named := ident(a)) and intlike(b) and kinds.get(named) not in PYTHON_COLLECTIONS:
                    found.append((named, "int"))
    elif kind_here == "subscript":
        value = node.child_by_field_name("value")
        for index in node.children_by_field_name("subscript"):
            value_name, index_name = ident(value), ident(index)
            if index_name and value_name and kinds.get(value_name) in ("list", "seq", "str"):
                found.append((index_name, "int"))
    return found


def _operator_text(ctx: LineContext, node: Node) -> str:
    op = node.child_by_field_name("operator")
    if op is not None:
        return ctx.src(op)
    ops = [ctx.src(c) for c in node.children if not c.is_named]
    return ops[0] if ops else ""


def _python_value_kind(ctx: LineContext, value: Node, known: dict[str, str]) -> str:
    if value.type in _PYTHON_LITERAL_KINDS:
        return _PYTHON_LITERAL_KINDS[value.type]
    if value.type == "call":
        function = value.child_by_field_name("function")
        return _PYTHON_CALL_KINDS.get(ctx.src(function), "?") if function is not None else "?"
    if value.type == "identifier":
        return known.get(ctx.src(value), "?")
    if value.type == "parenthesized_expression" and value.named_children:
        return _python_value_kind(ctx, value.named_children[0], known)
    if value.type == "binary_operator":
        left, right = value.child_by_field_name("left"), value.child_by_field_name("right")
        op = value.child_by_field_name("operator")
        if op is not None and ctx.src(op) in ("//", "%"):
            return "int"
        if op is not None and ctx.src(op) == "/":
            return "float"
        sides = [_python_value_kind(ctx, side, known) for side in (left, right) if side is not None]
        if "list" in sides and op is not None and ctx.src(op) in ("+", "*"):
            return "list"
        if "str" in sides and op is not None and ctx.src(op) == "+":
            return "str"
        if sides and all(s == "int" for s in sides):
            return "int"
        if sides and all(s in ("int", "float") for s in sides):
            return "float"
    if value.type == "subscript":
        inner = value.child_by_field_name("value")
        if inner is not None and any(c.type == "slice" for c in value.named_children):
            return known.get(ctx.src(inner), "?")
    return "?"
