"""What the fix templates see of one suspicious line: the parsed file, the enclosing method, the statement
at the line, the variables in scope with their declared types, and (Java, with type facts) the static type
of every expression of the enclosing member. Also the edits and candidates the templates make, and the
helpers several families share (an inserted statement, an early-return guard and what it returns).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from repair.offline.type_check import JavaTypeChecker, Typed
from repair.syntax import parse

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
    edits: tuple[Edit, ...] = ()  # the byte edits on old_text that make new_text (for combining candidates)

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
class Var:
    name: str
    type: str
    line: int  # where it is declared (0-based row); PARAMETER_ROW or FIELD_ROW for those


class LineContext:
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
            if node.start_point[0] == self.row and is_statement(node):
                return node
            stack.extend(reversed(node.children))
        return None

    def _variables(self) -> list[Var]:
        """Parameters, locals and (Java) fields visible from the method, with their declared types."""
        found: list[Var] = []
        scope = self.method or self.tree.root_node
        if self.language == "java":
            for node in walk(self.tree.root_node):
                if node.type == "field_declaration":
                    found.extend(java_declared(self, node, FIELD_ROW))
            for node in walk(scope):
                if node.type in ("formal_parameter", "catch_formal_parameter"):
                    name, typ = node.child_by_field_name("name"), node.child_by_field_name("type")
                    if name is not None and typ is not None:
                        found.append(Var(self.src(name), self.src(typ), PARAMETER_ROW))
                elif node.type in ("local_variable_declaration",):
                    found.extend(java_declared(self, node, node.start_point[0]))
                elif node.type == "enhanced_for_statement":
                    name, typ = node.child_by_field_name("name"), node.child_by_field_name("type")
                    if name is not None and typ is not None:
                        found.append(Var(self.src(name), self.src(typ), node.start_point[0]))
        else:
            for node in walk(scope):
                if node.type == "parameters":
                    for p in node.named_children:
                        ident = p if p.type == "identifier" else p.child_by_field_name("name") or (
                            p.named_children[0] if p.named_children else None)
                        if ident is not None and ident.type == "identifier":
                            found.append(Var(self.src(ident), "?", PARAMETER_ROW))
                elif node.type in ("assignment", "augmented_assignment", "for_statement"):
                    left = node.child_by_field_name("left")
                    targets = [left] if left is not None and left.type == "identifier" else [
                        n for n in walk(left) if n.type == "identifier"] if left is not None and left.type in (
                        "pattern_list", "tuple_pattern", "list_pattern") else []
                    found.extend(Var(self.src(t), "?", node.start_point[0]) for t in targets)
        unique: dict[str, Var] = {}
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


def walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def is_statement(node: Node) -> bool:
    return node.type.endswith("_statement") or node.type in ("local_variable_declaration",)


def java_declared(ctx: LineContext, node: Node, row: int) -> list[Var]:
    typ = node.child_by_field_name("type")
    out = []
    for decl in node.named_children:
        if decl.type == "variable_declarator" and typ is not None:
            name = decl.child_by_field_name("name")
            if name is not None:
                out.append(Var(ctx.src(name), ctx.src(typ), row))
    return out


# -- the templates ---------------------------------------------------------------------------
# Each yields (template, description, edits). They see the context and nothing else.


Proposal = tuple[str, str, tuple[Edit, ...]]


def is_variable_use(ctx: LineContext, node: Node) -> bool:
    """Whether `node` reads (or writes) a variable in scope: not a method name, field name or declaration."""
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


def apply_edits(data: bytes, edits: tuple[Edit, ...]) -> bytes | None:
    """`data` with the edits made, or None when two of them overlap."""
    ordered = sorted(edits, key=lambda e: e.start)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.end > b.start:
            return None
    out = data
    for edit in reversed(ordered):
        out = out[:edit.start] + edit.text.encode("utf-8") + out[edit.end:]
    return out


def replace_node(node: Node, text: str) -> tuple[Edit, ...]:
    return (Edit(node.start_byte, node.end_byte, text),)



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


def own_returns(ctx: LineContext) -> list[Node]:
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


def is_guard_return(node: Node) -> bool:
    """`if (...) return x;` or an if whose block holds this return alone: an early exit."""
    parent = node.parent
    if parent is not None and parent.type == "block" and len(parent.named_children) == 1:
        parent = parent.parent
    return parent is not None and parent.type in ("if_statement", "elif_clause", "else_clause")


def literal_text(ctx: LineContext, expr: Node) -> str | None:
    """The literal text of a returned value (`-1` included), else None."""
    if expr.type in _LITERALS[ctx.language]:
        return ctx.src(expr)
    if expr.type in ("unary_expression", "unary_operator") and ctx.src(expr).startswith("-"):
        operand = expr.named_children[-1] if expr.named_children else None
        if operand is not None and operand.type in _LITERALS[ctx.language]:
            return ctx.src(expr)
    return None


def default_value(ctx: LineContext) -> str | None:
    """What an inserted early-return guard returns: what the function returns elsewhere.

    A literal returned by one of its early exits comes first (a function that answers `False` when its
    list is empty answers `False` when it is null too), then any literal it returns, then the empty value of
    its declared type (Java's return type, Python's annotation), then (Python) the empty value of what a
    returned variable was first bound to; `None`/`null` when nothing says more. "" for a void method.
    """
    if ctx.language == "java" and ctx.return_type() == "void":
        return ""
    returns = own_returns(ctx)
    values = [(is_guard_return(r), literal_text(ctx, r.named_children[0]) if r.named_children else "None")
              for r in returns]
    if ctx.language == "java":
        values = [(guard, value) for guard, value in values if value != "None"]  # Python's bare return only
    literal = [value for guard, value in values if guard and value] + [value for _, value in values if value]
    if literal:
        return literal[0]
    if ctx.language == "java":
        rtype = ctx.return_type()
        return "false" if rtype == "boolean" else "0" if rtype in NUMERIC_TYPES else "null"
    return python_empty(ctx, returns)


def python_empty(ctx: LineContext, returns: list[Node]) -> str:
    annotation = ctx.method.child_by_field_name("return_type") if ctx.method is not None else None
    if annotation is not None:
        name = ctx.src(annotation).split("[")[0].split(".")[-1].strip()
        return _PYTHON_EMPTY.get(name, "None")
    returned = {ctx.src(r.named_children[0]) for r in returns if r.named_children
                and r.named_children[0].type == "identifier"}
    scope = ctx.method or ctx.tree.root_node
    for node in walk(scope):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if node.type == "assignment" and left is not None and right is not None and ctx.src(left) in returned:
            return _PYTHON_EMPTY_LITERALS.get(right.type, "None")
    return "None"


def insert_before(ctx: LineContext, stmt: Node, code_lines: list[str]) -> tuple[Edit, ...]:
    indent = ctx.indent_of(stmt)
    start, _ = ctx.line_span(stmt)
    text = "".join(f"{indent}{ln}\n" for ln in code_lines)
    return (Edit(start, start, text),)


def guard_lines(ctx: LineContext, condition: str, value: str | None) -> list[str]:
    if ctx.language == "java":
        ret = "return;" if value == "" else f"return {value};"
        return [f"if ({condition}) {ret}"]
    return [f"if {condition}:", f"    return {value or 'None'}"]

