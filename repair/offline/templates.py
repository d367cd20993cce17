"""TBar-style fix templates over tree-sitter syntax trees, for Java and Python.

`propose(language, text, line)` returns every candidate the templates make for one
suspicious line, and what it dropped and why; `generate` returns the candidates alone. A
candidate is a set of byte-range edits on the file; edits keep the surrounding formatting. A
candidate whose result no longer parses, or that repeats another, is dropped here; for Java,
with a `JavaTypeChecker`, so is one that adds a compile error (an ill-typed operator, call,
argument, return or statement), before any compiler sees it. The type facts also choose the
alternatives of a method call: the receiver's own methods, static for a static call. The
families follow TBar (Liu et al., ISSTA 2019):

- operators: arithmetic, relational, logical, bitwise, compound assignment;
- conditions: negate, drop a clause, add a clause (`<` <-> `<=` is an operator mutation);
- literals: +-1, 0/1, true/false;
- variables: swap arguments, replace with a same-typed variable in scope;
- method invocations: another method of the receiver's type with the same arity (without type facts,
  of the enclosing class; or a known twin: min/max);
- return statements: return another same-typed variable;
- insertions: null check, range check, a statement copied from nearby, and (not TBar's; see
  `insert_base_case`) the missing base case of a recursive function;
- statements: remove, move (swap with a neighbour);
- casts and integer division.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from repair.offline.type_check import ClassRef, JavaTypeChecker, Typed, known
from repair.syntax import parse

OPERATOR_FAMILIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "java": (
        ("<", "<=", ">", ">=", "==", "!="),
        ("+", "-", "*", "/", "%"),
        ("&&", "||"),
        ("&", "|", "^"),
        ("<<", ">>", ">>>"),
    ),
    "python": (
        ("<", "<=", ">", ">=", "==", "!="),
        ("+", "-", "*", "/", "//", "%", "**"),
        ("and", "or"),
        ("&", "|", "^"),
        ("<<", ">>"),
        ("is", "is not"),
        ("in", "not in"),
    ),
}
# Compound assignments mutate within their family (arithmetic, bitwise, shifts), or to a plain `=`.
COMPOUND_FAMILIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "java": (("+=", "-=", "*=", "/=", "%="), ("&=", "|=", "^="), ("<<=", ">>=", ">>>=")),
    "python": (("+=", "-=", "*=", "/=", "//=", "%=", "**="), ("&=", "|=", "^="), ("<<=", ">>=")),
}
METHOD_TWINS = {"min": "max", "max": "min", "floor": "ceil", "ceil": "floor", "startsWith": "endsWith",
                "endsWith": "startsWith", "append": "extend", "extend": "append"}
NUMERIC_TYPES = {"int", "long", "short", "byte", "double", "float", "char", "Integer", "Long", "Double"}
PRIMITIVE_TYPES = NUMERIC_TYPES | {"boolean"}


@dataclass(frozen=True)
class Edit:
    """Replace the bytes [start, end) of the file with `text`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Candidate:
    """One candidate fix for one suspicious line: the template that made it and the new file text."""

    file: str
    line: int
    template: str
    description: str
    old_text: str
    new_text: str
    edit_size: int  # characters removed plus characters inserted

    def diff(self) -> str:
        """The candidate as a unified diff against the buggy file."""
        return "".join(difflib.unified_diff(
            self.old_text.splitlines(keepends=True), self.new_text.splitlines(keepends=True),
            f"a/{self.file}", f"b/{self.file}", n=3))

    def line_change(self) -> dict[str, object]:
        """The smallest line range that changed, as RepairAgent's `{start, end, replacement}` (1-based)."""
        old, new = self.old_text.splitlines(), self.new_text.splitlines()
        head = 0
        while head < min(len(old), len(new)) and old[head] == new[head]:
            head += 1
        tail = 0
        while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
            tail += 1
        return {"start": head + 1, "end": len(old) - tail, "replacement": "\n".join(new[head:len(new) - tail])}


PARAMETER_ROW, FIELD_ROW = -1, -2


@dataclass
class _Var:
    name: str
    type: str
    line: int  # where it is declared (0-based row); PARAMETER_ROW or FIELD_ROW for those


class _Context:
    """The parsed file and what the templates need to know about the suspicious line."""

    def __init__(self, language: str, text: str, line: int, checker: JavaTypeChecker | None = None,
                 file: str = "") -> None:
        self.language = language
        self.text = text
        self.data = text.encode("utf-8")
        self.tree = parse(language, text)
        self.row = line - 1
        self.checker = checker
        # Static types of the expressions on the line, by node id (Java with type facts only).
        self.types: dict[int, Typed] = {}
        if checker is not None and language == "java" and not self.tree.root_node.has_error:
            # the node ids of `types` are those of the checker's tree: the templates walk that one
            self.types, self.tree = checker.types_on_row(file, text, self.row)
        self.method = self._enclosing_method()
        self.statement = self._statement_at_line()
        self.vars = self._variables()

    def src(self, node: Node) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def nodes_on_line(self) -> Iterator[Node]:
        """Named nodes that start and end on the suspicious line, outermost first."""
        stack = [self.tree.root_node]
        while stack:
            node = stack.pop()
            if node.end_point[0] < self.row or node.start_point[0] > self.row:
                continue
            if node.start_point[0] == self.row == node.end_point[0]:
                yield node
            stack.extend(reversed(node.children))

    def _enclosing_method(self) -> Node | None:
        kinds = {"method_declaration", "constructor_declaration"} if self.language == "java" else {
            "function_definition"}
        best = None
        stack = [self.tree.root_node]
        while stack:
            node = stack.pop()
            if node.start_point[0] <= self.row <= node.end_point[0]:
                if node.type in kinds:
                    best = node
                stack.extend(node.children)
        return best

    def _statement_at_line(self) -> Node | None:
        """The outermost statement that starts on the suspicious line."""
        stack = [self.tree.root_node]
        while stack:
            node = stack.pop()
            if not node.start_point[0] <= self.row <= node.end_point[0]:
                continue
            if node.start_point[0] == self.row and _is_statement(node):
                return node
            stack.extend(reversed(node.children))
        return None

    def _variables(self) -> list[_Var]:
        """Parameters, locals and (Java) fields visible from the method, with their declared types."""
        found: list[_Var] = []
        scope = self.method or self.tree.root_node
        if self.language == "java":
            for node in _walk(self.tree.root_node):
                if node.type == "field_declaration":
                    found.extend(_java_declared(self, node, FIELD_ROW))
            for node in _walk(scope):
                if node.type in ("formal_parameter", "catch_formal_parameter"):
                    name, typ = node.child_by_field_name("name"), node.child_by_field_name("type")
                    if name is not None and typ is not None:
                        found.append(_Var(self.src(name), self.src(typ), PARAMETER_ROW))
                elif node.type in ("local_variable_declaration",):
                    found.extend(_java_declared(self, node, node.start_point[0]))
                elif node.type == "enhanced_for_statement":
                    name, typ = node.child_by_field_name("name"), node.child_by_field_name("type")
                    if name is not None and typ is not None:
                        found.append(_Var(self.src(name), self.src(typ), node.start_point[0]))
        else:
            for node in _walk(scope):
                if node.type == "parameters":
                    for p in node.named_children:
                        ident = p if p.type == "identifier" else p.child_by_field_name("name") or (
                            p.named_children[0] if p.named_children else None)
                        if ident is not None and ident.type == "identifier":
                            found.append(_Var(self.src(ident), "?", PARAMETER_ROW))
                elif node.type in ("assignment", "augmented_assignment", "for_statement"):
                    left = node.child_by_field_name("left")
                    if left is not None and left.type == "identifier":
                        found.append(_Var(self.src(left), "?", node.start_point[0]))
        unique: dict[str, _Var] = {}
        for var in found:
            unique.setdefault(var.name, var)
        return list(unique.values())

    def type_of(self, name: str) -> str | None:
        for var in self.vars:
            if var.name == name:
                return var.type
        return None

    def peers(self, name: str) -> list[str]:
        """Other variables of the same type as `name` that are declared before the line."""
        typ = self.type_of(name)
        if typ is None:
            return []
        return [v.name for v in self.vars if v.name != name and v.type == typ and v.line <= self.row]

    def method_name(self) -> str:
        if self.method is None:
            return ""
        name = self.method.child_by_field_name("name")
        return self.src(name) if name is not None else ""

    def return_type(self) -> str:
        if self.language != "java" or self.method is None:
            return "?"
        typ = self.method.child_by_field_name("type")
        return self.src(typ) if typ is not None else "void"

    def indent_of(self, node: Node) -> str:
        line_start = self.data.rfind(b"\n", 0, node.start_byte) + 1
        prefix = self.data[line_start:node.start_byte].decode("utf-8", "replace")
        return prefix if not prefix.strip() else ""

    def line_span(self, node: Node) -> tuple[int, int]:
        """Bytes of the whole lines `node` covers, newline included."""
        start = self.data.rfind(b"\n", 0, node.start_byte) + 1
        end = self.data.find(b"\n", node.end_byte)
        return start, len(self.data) if end < 0 else end + 1


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _is_statement(node: Node) -> bool:
    return node.type.endswith("_statement") or node.type in ("local_variable_declaration",)


def _java_declared(ctx: _Context, node: Node, row: int) -> list[_Var]:
    typ = node.child_by_field_name("type")
    out = []
    for decl in node.named_children:
        if decl.type == "variable_declarator" and typ is not None:
            name = decl.child_by_field_name("name")
            if name is not None:
                out.append(_Var(ctx.src(name), ctx.src(typ), row))
    return out


# -- the templates ---------------------------------------------------------------------------
# Each yields (template, description, edits). They see the context and nothing else.

Proposal = tuple[str, str, tuple[Edit, ...]]


def _replace(node: Node, text: str) -> tuple[Edit, ...]:
    return (Edit(node.start_byte, node.end_byte, text),)


def mutate_operators(ctx: _Context) -> Iterator[Proposal]:
    families = OPERATOR_FAMILIES[ctx.language]
    for node in ctx.nodes_on_line():
        ops: list[Node] = []
        if node.type in ("binary_expression", "binary_operator", "boolean_operator"):
            op = node.child_by_field_name("operator")
            if op is not None:
                ops.append(op)
        elif node.type == "comparison_operator":
            ops.extend(c for c in node.children if not c.is_named)
        elif node.type in ("assignment_expression", "augmented_assignment"):
            op = node.child_by_field_name("operator")
            current = ctx.src(op) if op is not None else ""
            for family in COMPOUND_FAMILIES[ctx.language]:
                if op is not None and current in family:
                    for alt in family:
                        if alt != current:
                            yield "compound-assignment", f"{current} -> {alt}", _replace(op, alt)
                    yield "compound-assignment", f"{current} -> =", _replace(op, "=")
            continue
        right = node.child_by_field_name("right")
        right_text = ctx.src(right) if right is not None else ""
        for op in ops:
            current = ctx.src(op)
            for family in families:
                if current in family:
                    for alt in family:
                        if alt != current and not _identity(alt, right_text):
                            yield "operator", f"{current} -> {alt}", _replace(op, alt)


def _identity(op: str, right: str) -> bool:
    """`x * 1`, `x + 0` and kin: no-ops that a literal mutation expresses better."""
    return (right == "1" and op in ("*", "/", "//", "**")) or (right == "0" and op in ("+", "-", "|", "^", "<<", ">>"))


def mutate_conditions(ctx: _Context) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or stmt.type not in ("if_statement", "while_statement", "for_statement", "elif_clause"):
        return
    cond = stmt.child_by_field_name("condition")
    if cond is None:
        return
    inner = cond.named_children[0] if cond.type == "parenthesized_expression" and cond.named_children else cond
    text = ctx.src(inner)
    negated = f"!({text})" if ctx.language == "java" else f"not ({text})"
    yield "condition-negate", f"negate {text}", _replace(inner, negated)
    logical = {"&&", "||", "and", "or"}
    if inner.type in ("binary_expression", "boolean_operator"):
        op = inner.child_by_field_name("operator")
        left, right = inner.child_by_field_name("left"), inner.child_by_field_name("right")
        if op is not None and ctx.src(op) in logical and left is not None and right is not None:
            yield "condition-drop-clause", f"keep only {ctx.src(left)}", _replace(inner, ctx.src(left))
            yield "condition-drop-clause", f"keep only {ctx.src(right)}", _replace(inner, ctx.src(right))
    # Add a clause taken from another condition of the same method (TBar's "insert condition").
    others = []
    for node in _walk(ctx.method or ctx.tree.root_node):
        if node.type in ("if_statement", "while_statement") and node.id != stmt.id:
            other = node.child_by_field_name("condition")
            if other is not None:
                o = other.named_children[0] if other.type == "parenthesized_expression" else other
                if ctx.src(o) != text and "\n" not in ctx.src(o):
                    others.append(ctx.src(o))
    conj, disj = ("&&", "||") if ctx.language == "java" else ("and", "or")
    for clause in others[:3]:
        yield "condition-add-clause", f"add && {clause}", _replace(inner, f"{text} {conj} {clause}")
        yield "condition-add-clause", f"add || {clause}", _replace(inner, f"{text} {disj} {clause}")


def mutate_literals(ctx: _Context) -> Iterator[Proposal]:
    for node in ctx.nodes_on_line():
        if node.type in ("decimal_integer_literal", "integer"):
            try:
                value = int(ctx.src(node).rstrip("lL"))
            except ValueError:
                continue
            suffix = "L" if ctx.src(node).endswith(("l", "L")) else ""
            for alt in sorted({value + 1, value - 1, 0, 1} - {value}):
                if alt >= 0:
                    yield "literal", f"{value} -> {alt}", _replace(node, f"{alt}{suffix}")
        elif node.type in ("true", "false"):
            flip = {"true": "false", "false": "true"} if ctx.language == "java" else {"True": "False",
                                                                                      "False": "True"}
            current = ctx.src(node)
            if current in flip:
                yield "literal", f"{current} -> {flip[current]}", _replace(node, flip[current])


def _is_variable_use(ctx: _Context, node: Node) -> bool:
    parent = node.parent
    if node.type != "identifier" or parent is None:
        return False
    if ctx.type_of(ctx.src(node)) is None:
        return False
    excluded_fields = {
        "method_invocation": ("name",), "field_access": ("field",), "variable_declarator": ("name",),
        "formal_parameter": ("name",), "call": ("function",), "attribute": ("attribute",),
        "keyword_argument": ("name",), "function_definition": ("name",),
    }
    for field_name in excluded_fields.get(parent.type, ()):
        target = parent.child_by_field_name(field_name)
        if target is not None and target.id == node.id:
            return False
    return parent.type not in ("parameters", "default_parameter", "typed_parameter")


def replace_variables(ctx: _Context) -> Iterator[Proposal]:
    for node in ctx.nodes_on_line():
        if _is_variable_use(ctx, node):
            name = ctx.src(node)
            for alt in ctx.peers(name)[:8]:
                yield "variable", f"{name} -> {alt}", _replace(node, alt)


def swap_arguments(ctx: _Context) -> Iterator[Proposal]:
    for node in ctx.nodes_on_line():
        if node.type != "argument_list":
            continue
        args = [a for a in node.named_children if a.type not in ("comment", "keyword_argument")]
        for i in range(min(len(args), 4)):
            for j in range(i + 1, min(len(args), 4)):
                a, b = args[i], args[j]
                edits = (Edit(a.start_byte, a.end_byte, ctx.src(b)), Edit(b.start_byte, b.end_byte, ctx.src(a)))
                yield "swap-arguments", f"swap {ctx.src(a)} and {ctx.src(b)}", edits


def replace_methods(ctx: _Context) -> Iterator[Proposal]:
    arity: dict[str, set[int]] = {}
    kinds = ("method_declaration",) if ctx.language == "java" else ("function_definition",)
    for node in _walk(ctx.tree.root_node):
        if node.type in kinds:
            name, params = node.child_by_field_name("name"), node.child_by_field_name("parameters")
            if name is not None and params is not None:
                arity.setdefault(ctx.src(name), set()).add(len(params.named_children))
    for node in ctx.nodes_on_line():
        if node.type == "method_invocation":
            name, args = node.child_by_field_name("name"), node.child_by_field_name("arguments")
        elif node.type == "call":
            name, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
            if name is not None and name.type == "attribute":
                name = name.child_by_field_name("attribute")
        else:
            continue
        if name is None or args is None:
            continue
        current, n_args = ctx.src(name), len(args.named_children)
        typed = _receiver_methods(ctx, node, current, n_args)
        alternatives = typed if typed is not None else [m for m, ns in arity.items() if m != current and n_args in ns]
        twin = METHOD_TWINS.get(current)
        if twin is not None and (typed is None or twin in typed):  # a known twin goes first, if the type has it
            alternatives = [twin, *(a for a in alternatives if a != twin)]
        for alt in alternatives[:6]:
            yield "method", f"call {alt} instead of {current}", _replace(name, alt)


def _receiver_methods(ctx: _Context, call: Node, current: str, n_args: int) -> list[str] | None:
    """Other methods the receiver's static type has with this arity (static ones for a static call),
    the closest names first; None when the receiver's type is not known."""
    facts = ctx.checker.facts if ctx.checker is not None else None
    obj = call.child_by_field_name("object")
    if facts is None or obj is None or obj.id not in ctx.types:
        return None
    receiver = ctx.types[obj.id]
    if isinstance(receiver, ClassRef):
        owner, static_only = receiver.binary, True
    elif receiver is not None and known(receiver) and not receiver.primitive and not receiver.dims:
        owner, static_only = receiver.name, False
    else:
        return None
    methods = facts.all_methods(owner)
    now = [m for m in methods if m.name == current and m.accepts_arity(n_args)]
    returns = {m.returns for m in now}
    names = sorted({m.name for m in methods if m.name != current and m.accepts_arity(n_args)
                    and (m.static or not static_only) and (not returns or m.returns in returns)
                    and m.name not in _OBJECT_PLUMBING},
                   key=lambda n: (-difflib.SequenceMatcher(None, n, current).ratio(), n))
    return names


# Object's methods for threads and reflection: never the fix for a wrong call.
_OBJECT_PLUMBING = {"getClass", "notify", "notifyAll", "wait", "hashCode", "finalize", "clone"}


def mutate_returns(ctx: _Context) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or stmt.type != "return_statement" or not stmt.named_children:
        return
    expr = stmt.named_children[0]
    if expr.type == "identifier":
        return  # replace_variables covers a returned variable
    rtype = ctx.return_type()
    names = [v.name for v in ctx.vars if (v.type == rtype or ctx.language == "python") and v.line <= ctx.row]
    for alt in names[:6]:
        yield "return", f"return {alt}", _replace(expr, alt)


# Literals a guard may return as they are, per language (tree-sitter node types).
_LITERALS = {
    "python": {"true", "false", "none", "integer", "float", "string"},
    "java": {"true", "false", "null_literal", "decimal_integer_literal", "hex_integer_literal",
             "decimal_floating_point_literal", "string_literal", "character_literal"},
}
# What a Python function annotated with (or returning a variable first bound to) a value of a type returns
# when there is nothing to compute: the empty value of that type.
_PYTHON_EMPTY = {"bool": "False", "int": "0", "float": "0.0", "str": '""', "list": "[]", "dict": "{}",
                 "set": "set()", "tuple": "()", "List": "[]", "Dict": "{}", "Set": "set()", "Tuple": "()"}
_PYTHON_EMPTY_LITERALS = {"true": "False", "false": "False", "integer": "0", "float": "0.0", "string": '""',
                          "list": "[]", "dictionary": "{}", "set": "set()", "tuple": "()"}
_NESTED_SCOPES = {"function_definition", "lambda", "class_definition", "method_declaration", "class_declaration",
                  "lambda_expression", "class_body"}


def _own_returns(ctx: _Context) -> list[Node]:
    """The method's return statements, in source order, without those of nested functions and classes."""
    if ctx.method is None:
        return []
    found: list[Node] = []
    stack = list(reversed(ctx.method.children))
    while stack:
        node = stack.pop()
        if node.type in _NESTED_SCOPES:
            continue
        if node.type == "return_statement":
            found.append(node)
        stack.extend(reversed(node.children))
    return found


def _is_guard_return(node: Node) -> bool:
    """`if (...) return x;` or an if whose block holds this return alone: an early exit."""
    parent = node.parent
    if parent is not None and parent.type == "block" and len(parent.named_children) == 1:
        parent = parent.parent
    return parent is not None and parent.type in ("if_statement", "elif_clause", "else_clause")


def _literal(ctx: _Context, expr: Node) -> str | None:
    """The literal text of a returned value (`-1` included), else None."""
    if expr.type in _LITERALS[ctx.language]:
        return ctx.src(expr)
    if expr.type in ("unary_expression", "unary_operator") and ctx.src(expr).startswith("-"):
        operand = expr.named_children[-1] if expr.named_children else None
        if operand is not None and operand.type in _LITERALS[ctx.language]:
            return ctx.src(expr)
    return None


def _default_value(ctx: _Context) -> str | None:
    """What an inserted early-return guard returns: what the function returns elsewhere.

    A literal returned by one of its early exits comes first (a function that answers `False` when its
    list is empty answers `False` when it is null too), then any literal it returns, then the empty value of
    its declared type (Java's return type, Python's annotation), then (Python) the empty value of what a
    returned variable was first bound to; `None`/`null` when nothing says more. "" for a void method.
    """
    if ctx.language == "java" and ctx.return_type() == "void":
        return ""
    returns = _own_returns(ctx)
    values = [(_is_guard_return(r), _literal(ctx, r.named_children[0]) if r.named_children else "None")
              for r in returns]
    if ctx.language == "java":
        values = [(guard, value) for guard, value in values if value != "None"]  # Python's bare return only
    literal = [value for guard, value in values if guard and value] + [value for _, value in values if value]
    if literal:
        return literal[0]
    if ctx.language == "java":
        rtype = ctx.return_type()
        return "false" if rtype == "boolean" else "0" if rtype in NUMERIC_TYPES else "null"
    return _python_empty(ctx, returns)


def _python_empty(ctx: _Context, returns: list[Node]) -> str:
    annotation = ctx.method.child_by_field_name("return_type") if ctx.method is not None else None
    if annotation is not None:
        name = ctx.src(annotation).split("[")[0].split(".")[-1].strip()
        return _PYTHON_EMPTY.get(name, "None")
    returned = {ctx.src(r.named_children[0]) for r in returns if r.named_children
                and r.named_children[0].type == "identifier"}
    scope = ctx.method or ctx.tree.root_node
    for node in _walk(scope):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if node.type == "assignment" and left is not None and right is not None and ctx.src(left) in returned:
            return _PYTHON_EMPTY_LITERALS.get(right.type, "None")
    return "None"


def _insert_before(ctx: _Context, stmt: Node, code_lines: list[str]) -> tuple[Edit, ...]:
    indent = ctx.indent_of(stmt)
    start, _ = ctx.line_span(stmt)
    text = "".join(f"{indent}{ln}\n" for ln in code_lines)
    return (Edit(start, start, text),)


def _guard(ctx: _Context, condition: str, value: str | None) -> list[str]:
    if ctx.language == "java":
        ret = "return;" if value == "" else f"return {value};"
        return [f"if ({condition}) {ret}"]
    return [f"if {condition}:", f"    return {value or 'None'}"]


def insert_checks(ctx: _Context) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or ctx.method is None:
        return
    default = _default_value(ctx)
    java = ctx.language == "java"
    seen: set[str] = set()
    for node in ctx.nodes_on_line():
        # Null check on a receiver of a method call or a field access.
        if node.type in ("method_invocation", "field_access", "attribute"):
            obj = node.child_by_field_name("object")
            if obj is not None and obj.type == "identifier":
                name = ctx.src(obj)
                typ = ctx.type_of(name)
                if typ is not None and typ not in PRIMITIVE_TYPES and name not in seen:
                    seen.add(name)
                    cond = f"{name} == null" if java else f"{name} is None"
                    yield "null-check", f"return early when {name} is null", _insert_before(
                        ctx, stmt, _guard(ctx, cond, default))
        # Range check on an array (list) index.
        if node.type in ("array_access", "subscript"):
            array = node.child_by_field_name("array" if java else "value")
            index = node.child_by_field_name("index" if java else "subscript")
            if array is not None and index is not None and "\n" not in ctx.src(index):
                a, i = ctx.src(array), ctx.src(index)
                key = f"{a}[{i}]"
                if key in seen:
                    continue
                seen.add(key)
                cond = f"{i} < 0 || {i} >= {a}.length" if java else f"{i} < 0 or {i} >= len({a})"
                yield "range-check", f"return early when {i} is outside {a}", _insert_before(
                    ctx, stmt, _guard(ctx, cond, default))


# The value of an empty combination: a recursion that multiplies its results bottoms out at 1, one that
# adds them at 0, one that ands them at true, one that ors them at false.
_IDENTITY = {"*": "1", "+": "0", "-": "0", "&&": "true", "||": "false"}


def insert_base_case(ctx: _Context) -> Iterator[Proposal]:
    """A missing base case of a recursive function on a numeric parameter: an early-return guard
    (`if (p <= 0) return 0;` and its kin) before the statement at the suspicious line.

    Not one of TBar's templates: it is a conditional insertion of the same kind as TBar's null-pointer and
    range checkers, for the recursion that never stops (a stack overflow). The guards stop at 0 or 1 and
    return 0, 1 (true/false for a boolean function) or the parameter itself; those that return the
    identity of the operator combining the recursive call's result (`*` → 1, `+` → 0) come first.
    """
    stmt = ctx.statement
    if stmt is None or ctx.method is None:
        return
    name = ctx.method_name()
    body = ctx.method.child_by_field_name("body")
    if body is None:
        return
    calls = [n for n in _walk(body) if n.type in ("method_invocation", "call")
             and ctx.src(n).split("(")[0].split(".")[-1].strip() == name]
    if not calls:
        return
    java = ctx.language == "java"
    params = [v for v in ctx.vars if v.line == PARAMETER_ROW and (not java or v.type in NUMERIC_TYPES)]
    if java and ctx.return_type() not in NUMERIC_TYPES | {"boolean"}:
        return
    values = ("false", "true") if ctx.return_type() == "boolean" else ("1", "0")
    identity = _IDENTITY.get(_combining_operator(ctx, calls) or "")
    for var in params[:2]:
        p = var.name
        guards = [(f"{p} <= 1", values[0]), (f"{p} <= 0", values[1]), (f"{p} == 0", values[0]),
                  (f"{p} <= 1", p), (f"{p} == 0", values[1]), (f"{p} <= 0", values[0])]
        guards.sort(key=lambda guard: guard[1] != identity)  # stable: the identity's guards first
        for cond, value in guards:
            yield "base-case", f"if {cond} return {value}", _insert_before(ctx, stmt, _guard(ctx, cond, value))


def _combining_operator(ctx: _Context, calls: list[Node]) -> str | None:
    """The operator that combines a recursive call's result with the rest (`n * fact(n - 1)`: `*`)."""
    for call in calls:
        parent = call.parent
        operator = parent.child_by_field_name("operator") if parent is not None else None
        if parent is not None and parent.type in ("binary_expression", "binary_operator", "boolean_operator") \
                and operator is not None:
            return {"and": "&&", "or": "||"}.get(ctx.src(operator), ctx.src(operator))
    return None


def copy_nearby_statement(ctx: _Context) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or stmt.parent is None:
        return
    siblings = [s for s in stmt.parent.named_children if _is_statement(s) and s.id != stmt.id
                and s.type in ("expression_statement", "local_variable_declaration")
                and s.start_point[0] == s.end_point[0] and abs(s.start_point[0] - ctx.row) <= 6]
    for sib in siblings[:4]:
        code = ctx.src(sib)
        yield "insert-copied", f"insert `{code}` before line", _insert_before(ctx, stmt, [code])
        if stmt.start_point[0] == stmt.end_point[0]:
            _, end = ctx.line_span(stmt)
            edit = Edit(end, end, f"{ctx.indent_of(stmt)}{code}\n")
            yield "insert-copied", f"insert `{code}` after line", (edit,)


def remove_or_move_statement(ctx: _Context) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or stmt.parent is None:
        return
    start, end = ctx.line_span(stmt)
    yield "remove-statement", f"remove `{ctx.src(stmt).splitlines()[0]}`", (Edit(start, end, ""),)
    siblings = [s for s in stmt.parent.named_children if _is_statement(s)]
    index = next((i for i, s in enumerate(siblings) if s.id == stmt.id), -1)
    for other_index in (index - 1, index + 1):
        if 0 <= other_index < len(siblings) and index >= 0:
            other = siblings[other_index]
            a, b = (other, stmt) if other_index < index else (stmt, other)
            a_start, a_end = ctx.line_span(a)
            b_start, b_end = ctx.line_span(b)
            if a_end > b_start:
                continue
            a_text = ctx.data[a_start:a_end].decode("utf-8", "replace")
            b_text = ctx.data[b_start:b_end].decode("utf-8", "replace")
            yield "move-statement", f"swap with line {other.start_point[0] + 1}", (
                Edit(a_start, a_end, b_text), Edit(b_start, b_end, a_text))


def fix_casts(ctx: _Context) -> Iterator[Proposal]:
    for node in ctx.nodes_on_line():
        if node.type not in ("binary_expression", "binary_operator"):
            continue
        op, left = node.child_by_field_name("operator"), node.child_by_field_name("left")
        if op is None or left is None or ctx.src(op) != "/":
            continue
        if ctx.language == "java":
            yield "cast", f"(double) {ctx.src(left)}", _replace(left, f"(double) {ctx.src(left)}")
            yield "cast", "(int) division", _replace(node, f"(int) ({ctx.src(node)})")
        else:
            yield "cast", "int() of the division", _replace(node, f"int({ctx.src(node)})")


TEMPLATES = (
    mutate_operators, mutate_conditions, mutate_literals, replace_variables, swap_arguments, replace_methods,
    mutate_returns, insert_checks, insert_base_case, copy_nearby_statement, remove_or_move_statement, fix_casts,
)


def _apply(data: bytes, edits: tuple[Edit, ...]) -> bytes | None:
    ordered = sorted(edits, key=lambda e: e.start)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.end > b.start:
            return None
    out = data
    for edit in reversed(ordered):
        out = out[:edit.start] + edit.text.encode("utf-8") + out[edit.end:]
    return out


@dataclass
class Generation:
    """What the templates made for one line: the candidates, and each one dropped with its reason."""

    candidates: list[Candidate] = field(default_factory=list)
    dropped: list[tuple[Candidate, str]] = field(default_factory=list)

    def dropped_by_reason(self) -> Counter[str]:
        return Counter(reason for _, reason in self.dropped)


def propose(language: str, text: str, line: int, file: str = "",
            checker: JavaTypeChecker | None = None) -> Generation:
    """Every candidate the templates make for `line` (1-based) of `text`, in template order, and the drops.

    Dropped: a candidate that repeats an earlier one or leaves the file as it is (`same-text`), that
    does not parse (`syntax`), and, with a `checker` (Java), one that adds a compile error
    (`ill-typed:<reason>`, e.g. `ill-typed:no-such-method`).
    """
    out = Generation()
    if language not in OPERATOR_FAMILIES or line < 1:
        return out
    ctx = _Context(language, text, line, checker if language == "java" else None, file)
    if ctx.tree.root_node.has_error:
        return out  # a file that does not parse gives no reliable tree to mutate
    seen = {text}
    for template in TEMPLATES:
        for name, description, edits in template(ctx):
            new = _apply(ctx.data, edits)
            if new is None:
                continue
            new_text = new.decode("utf-8", "replace")
            size = sum((e.end - e.start) + len(e.text.encode("utf-8")) for e in edits)
            candidate = Candidate(file, line, name, description, text, new_text, size)
            if new_text in seen:
                out.dropped.append((candidate, "same-text"))
                continue
            seen.add(new_text)
            new_tree = parse(language, new_text)
            if new_tree.root_node.has_error:
                out.dropped.append((candidate, "syntax"))
                continue
            error = ctx.checker.new_error(file, text, new_text, new_tree) if ctx.checker is not None else None
            if error is not None:
                out.dropped.append((candidate, f"ill-typed:{error.reason}"))
                continue
            out.candidates.append(candidate)
    return out


def generate(language: str, text: str, line: int, file: str = "",
             checker: JavaTypeChecker | None = None) -> list[Candidate]:
    """The candidates of `propose` (those that parse, are new, and with a checker, are well typed)."""
    return propose(language, text, line, file, checker).candidates
