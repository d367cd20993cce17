"""Fix templates that take their ingredients from around the line (`Donors`), for Java and Python.

The families in `templates` mostly rewrite what the suspicious line holds. These bring in what it lacks:
a variable or expression from elsewhere in the method, a method of a collection, a check, a wrapper, a
statement the method is missing. Each says where it comes from:

- `emptiness_and_null_clauses` — TBar's range checker for collections (PAR's CollectionSizeChecker,
  ELIXIR's T4 "array range and collection size") and null-pointer checker (FixMiner's IfNullChecker) as
  clauses of the line's condition: `cond || c.isEmpty()`, `x == null || cond`; and a loop that never ends
  (`while (true)`) bounded by the emptiness of a collection its body consumes, with (Java) the `return`
  the method then needs after it (TBar's statement inserter, "insert a return statement");
- `boolean_from_live_variables` — TBar's return-statement mutator (SketchFix's ReturnStatementTransform)
  with the predicates of its conditional-expression mutator (SketchFix's M_con: `var op value`): a
  returned boolean literal becomes a comparison of a live variable (`return depth == 0`);
- `replace_with_donor_expression` — TBar's variable replacer with donor expressions of the same type
  from the method (`b` -> `b.substring(1)`), with a live variable combined in (`k` -> `k - n`), and
  the other way, a call replaced by a live variable of its type (SimFix's RepName_MI inverted);
  A numeric variable may also be squared where it is an operand (`x - a` -> `x - a * a`), with a low prior;
- `shift_by_one` — a variable, a length or a size used as an index, an argument, a bound or an operand,
  moved by one (`mid` -> `mid + 1`); not where it only moves an integer comparison's edge, which the
  operator mutation says shorter (`w - 1 < j` is `w <= j`). Not one of TBar's families: its literal
  mutator moves literals by one, and this moves the values the literals would have to be added to (the
  off-by-one errors);
- `wrap_in_call` — ELIXIR's method-invocation synthesis as TBar's method-invocation mutator uses it, with
  the clamping calls of the language: `x = e` -> `x = Math.max(x, e)`, `Math.max(0, e)`, `Math.abs(e)`;
- `swap_operands` — TBar's operator mutator, operand order, for the operators whose order matters
  (`result + digit` -> `digit + result` on strings, `a - b`, `a / b`, `a % b`);
- `reduce_expression` — the inverse of TBar's operand and invocation insertions (ours): drop a literal
  term (`1 + f(x)` -> `f(x)`) or unwrap a call to its argument (`flatten(x)` -> `x`);
- `insert_collection_update` — TBar's statement inserter (ELIXIR's method-invocation insertion) with the
  donors of the method's membership tests: a collection the method tests with `contains`/`in` but never
  adds to gets the tested element added (`visited.add(node)`);
- `insert_adapted_statement` — SimFix's statement insertion with variable adaptation (Jiang et al.,
  ISSTA 2018): a nearby call statement copied with one variable replaced by a same-typed live one
  (`lines.add(line)` -> `lines.add(text)`);
- `insert_state_update` — a missed assignment between two same-typed variables of the enclosing loop
  (`prev = node`), TBar's "insert missed statement" with the loop's variables as donors (ours);
- `iterate_the_rest` — a loop over a collection whose prefix the method already took (`arr[:k]`) made
  to visit the rest (`arr[k:]`, `arr.subList(k, arr.size())`) (ours);
- `collection_literals` — TBar's literal mutator for empty collections: Python's `[]` -> `[x]`, `[[]]`; Java's
  `new ArrayList()` -> one holding an empty one or a parameter (`new ArrayList(java.util.Arrays.asList(...))`);
- `replace_attribute` — TBar's variable replacer for qualified names, in Python: `n.outgoing` -> `n.incoming`,
  the other attribute names the file reads;
- `redirect_write` — TBar's variable replacer on the target of a write, with the method's reads as donors
  (SimFix's expression replacement with donor code): a value stored into the wrong container goes to one the
  method reads, at a key it reads it by (`by_edge[u, v] = ...` -> `by_node[v] = ...`,
  `byEdge.put(e, w)` -> `byNode.put(e.get(1), w)`);
- `join_live_list` — TBar's "insert an operand" for Python's list values: a list comprehension that builds
  only part of the answer joined with a live list (`[[x] + s for s in subs]` -> `subs + [...]`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tree_sitter import Node

from repair.offline.context import (
    Edit,
    LineContext,
    Proposal,
    default_value,
    insert_before,
    is_statement,
    is_variable_use,
    replace_node,
    walk,
)
from repair.offline.donors import Donors, Ingredient
from repair.offline.type_check import JType
from repair.offline.type_facts import node_text

MAX_DONORS = 4  # variables or expressions tried per place
_ARITHMETIC = {"+", "-", "*", "/", "%", "//", "**"}
_RELATIONAL = {"<", "<=", ">", ">=", "==", "!="}
_LOOPS = ("while_statement", "for_statement", "enhanced_for_statement", "do_statement")


def _wrap(node: Node, prefix: str, suffix: str) -> tuple[Edit, ...]:
    """Text before and after `node`: the edit is as small as what it adds."""
    return (Edit(node.start_byte, node.start_byte, prefix), Edit(node.end_byte, node.end_byte, suffix))


def _operator(ctx: LineContext, node: Node) -> str:
    op = node.child_by_field_name("operator")
    if op is not None:
        return ctx.src(op)
    if node.type == "comparison_operator":
        ops = [ctx.src(c) for c in node.children if not c.is_named]
        return ops[0] if ops else ""
    return ""


def _is_binary(node: Node | None) -> bool:
    return node is not None and node.type in ("binary_expression", "binary_operator", "boolean_operator",
                                              "comparison_operator")


def _value_position(ctx: LineContext, node: Node) -> str | None:
    """Where `node` is used as a value: argument, index, comparison, operand, returned, assigned; else None."""
    parent = node.parent
    if parent is None:
        return None
    if parent.type == "parenthesized_expression":
        return _value_position(ctx, parent)
    if parent.type in ("argument_list", "arguments"):
        return "argument"
    if parent.type == "array_access" and parent.child_by_field_name("index") == node:
        return "index"
    if parent.type == "subscript" and parent.child_by_field_name("value") != node:
        return "index"
    if parent.type in ("expression_list", "tuple") and parent.parent is not None and parent.parent.type == "subscript":
        return "index"
    if _is_binary(parent):
        op = _operator(ctx, parent)
        if op in _RELATIONAL:
            return "comparison"
        if op in _ARITHMETIC:
            return "operand"
        return None
    if parent.type == "return_statement":
        return "returned"
    if parent.type in ("assignment_expression", "assignment", "variable_declarator") and (
            parent.child_by_field_name("right") == node or parent.child_by_field_name("value") == node):
        return "assigned"
    return None


_PRECEDENCE = {"*": 3, "/": 3, "%": 3, "//": 3, "+": 2, "-": 2, "<<": 1, ">>": 1, ">>>": 1}


def _needs_parentheses(ctx: LineContext, node: Node, op: str) -> bool:
    """Whether `node <op> x` put where `node` is would bind differently (`a * n` -> `a * (n + 1)`)."""
    parent = node.parent
    if parent is None:
        return False
    if _is_binary(parent):
        outer = _operator(ctx, parent)
        if outer not in _PRECEDENCE:
            return False  # a comparison or a logical operator binds looser than any arithmetic
        inner = _PRECEDENCE.get(op, 0)
        if parent.child_by_field_name("left") == node:
            return inner < _PRECEDENCE[outer]
        return inner <= _PRECEDENCE[outer]
    return parent.type in ("unary_expression", "unary_operator", "field_access", "attribute", "method_invocation",
                           "cast_expression")


def _combine(ctx: LineContext, node: Node, op: str, other: str) -> tuple[Edit, ...]:
    if _needs_parentheses(ctx, node, op):
        return _wrap(node, "(", f" {op} {other})")
    return (Edit(node.end_byte, node.end_byte, f" {op} {other}"),)


def _is_size(ctx: LineContext, node: Node) -> bool:
    """`len(x)`, `x.length`, `x.size()`, `x.length()`: a count that is often off by one."""
    text = ctx.src(node)
    if node.type == "call":
        function = node.child_by_field_name("function")
        return function is not None and ctx.src(function) == "len"
    if node.type == "field_access":
        field = node.child_by_field_name("field")
        return field is not None and ctx.src(field) == "length"
    if node.type == "method_invocation":
        name, args = node.child_by_field_name("name"), node.child_by_field_name("arguments")
        return name is not None and ctx.src(name) in ("size", "length") and args is not None \
            and not args.named_children and "\n" not in text
    return False


def _numeric_use(ctx: LineContext, donors: Donors, node: Node) -> bool:
    if node.type == "identifier":
        return is_variable_use(ctx, node) and donors.is_numeric(donors.kind(ctx.src(node)))
    return _is_size(ctx, node)


# -- families ---------------------------------------------------------------------------------------

def shift_by_one(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    for node in ctx.nodes_on_line():
        if not _numeric_use(ctx, donors, node):
            continue
        position = _value_position(ctx, node)
        if position is None or position == "assigned" and node.type == "identifier":
            continue
        text = ctx.src(node)
        for op in ("+", "-"):
            if position == "comparison" and _an_operator_says_it(ctx, donors, node, op):
                continue
            yield "shift-by-one", f"{text} -> {text} {op} 1 ({position})", _combine(ctx, node, op, "1")


# On integers, a shift by one of a comparison's operand that only moves the comparison's edge is the
# operator mutation in a longer form (`w - 1 < j` is `w <= j`): (side, shift, operator) that do.
_EDGE_SHIFTS = {("left", "-", "<"), ("left", "+", "<="), ("left", "+", ">"), ("left", "-", ">="),
                ("right", "+", "<"), ("right", "-", "<="), ("right", "-", ">"), ("right", "+", ">=")}


def _an_operator_says_it(ctx: LineContext, donors: Donors, node: Node, shift: str) -> bool:
    parent = node.parent
    if parent is None or not _is_binary(parent) or len(parent.named_children) != 2 or not _integer(ctx, donors, node):
        return False
    side = "left" if parent.named_children[0] == node else "right"
    return (side, shift, _operator(ctx, parent)) in _EDGE_SHIFTS


def _integer(ctx: LineContext, donors: Donors, node: Node) -> bool:
    """An integer value (the equivalence above does not hold for floating point)."""
    if _is_size(ctx, node):
        return True
    if ctx.language == "java":
        typed = ctx.types.get(node.id)
        if isinstance(typed, JType):
            return typed.unboxed() in ("int", "long", "short", "byte", "char")
        return donors.kind(ctx.src(node)) in ("int", "long", "short", "byte", "char")
    return donors.kind(ctx.src(node)) == "int"


def replace_with_donor_expression(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    seen: set[tuple[int, str]] = set()
    for node in ctx.nodes_on_line():
        if node.type == "identifier" and is_variable_use(ctx, node) and _value_position(ctx, node) is not None:
            name = ctx.src(node)
            enclosing = {ctx.src(p) for p in _ancestors(node, 3)}
            for donor in donors.derived(name)[:MAX_DONORS]:
                if donor.text in enclosing or (node.id, donor.text) in seen:
                    continue
                seen.add((node.id, donor.text))
                yield "expression-replace", f"{name} -> {donor.text}", replace_node(node, donor.text)
            if donors.is_numeric(donors.kind(name)) and _value_position(ctx, node) in ("argument", "index",
                                                                                      "comparison"):
                others = [v for v in _live_numeric(ctx, donors) if v.text != name][:MAX_DONORS]
                for other in others:
                    for op in ("-", "+"):
                        yield "expression-replace", f"{name} -> {name} {op} {other.text}", _combine(
                            ctx, node, op, other.text)
            if donors.is_numeric(donors.kind(name)) and _value_position(ctx, node) in ("operand", "comparison"):
                yield "square", f"{name} -> {name} * {name}", _combine(ctx, node, "*", name)
        elif node.type in ("method_invocation", "call", "array_access", "subscript") \
                and _value_position(ctx, node) == "operand":
            yield from _expression_to_variable(ctx, donors, node)


def _expression_to_variable(ctx: LineContext, donors: Donors, node: Node) -> Iterator[Proposal]:
    text = ctx.src(node)
    if "\n" in text:
        return
    if ctx.language == "java":
        typed = ctx.types.get(node.id)
        if not isinstance(typed, JType) or typed.unboxed() is None:
            return
        pool = [v for v in _live_numeric(ctx, donors)]
    else:
        pool = [v for v in donors.locals() if v.type in ("int", "float", "?") and v.text not in text]
    for var in pool[:MAX_DONORS + 2]:
        if var.text not in text:
            yield "expression-replace", f"{text} -> {var.text}", replace_node(node, var.text)


def _live_numeric(ctx: LineContext, donors: Donors) -> list[Ingredient]:
    """Numeric variables live at the line: locals (latest first), then parameters and fields."""
    numeric = donors.numeric()
    locals_ = [v for v in donors.locals() if v in numeric]
    return locals_ + [v for v in numeric if v not in locals_]


def _ancestors(node: Node, depth: int) -> Iterator[Node]:
    parent = node.parent
    while parent is not None and depth > 0:
        yield parent
        parent, depth = parent.parent, depth - 1


def wrap_in_call(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    java = ctx.language == "java"
    maximum, minimum, absolute = ("Math.max", "Math.min", "Math.abs") if java else ("max", "min", "abs")
    for node in ctx.nodes_on_line():
        target, value = _assigned(ctx, node)
        if value is None or "\n" in ctx.src(value) or value.type in ("integer", "decimal_integer_literal"):
            continue
        if not _numeric_value(ctx, donors, target, value):
            continue
        bounds = [target] if target and target not in ctx.src(value).split() else []
        bounds.append("0")
        text = ctx.src(value)
        for call in (maximum, minimum):
            for bound in bounds:
                yield "wrap-call", f"{text} -> {call}({bound}, {text})", _wrap(value, f"{call}({bound}, ", ")")
        yield "wrap-call", f"{text} -> {absolute}({text})", _wrap(value, f"{absolute}(", ")")


def _assigned(ctx: LineContext, node: Node) -> tuple[str | None, Node | None]:
    """(assigned variable, value) of an assignment, a declaration with a value, or a return."""
    if node.type in ("assignment_expression", "assignment"):
        op = node.child_by_field_name("operator")
        if op is not None and ctx.src(op) != "=":
            return None, None
        left = node.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            return ctx.src(left), node.child_by_field_name("right")
    elif node.type == "variable_declarator":
        name = node.child_by_field_name("name")
        return (ctx.src(name) if name is not None else None), node.child_by_field_name("value")
    elif node.type == "return_statement" and node.named_children:
        return None, node.named_children[0]
    return None, None


def _numeric_value(ctx: LineContext, donors: Donors, target: str | None, value: Node) -> bool:
    if ctx.language == "java":
        typed = ctx.types.get(value.id)
        if isinstance(typed, JType):
            return typed.unboxed() in ("int", "long", "short", "byte", "double", "float")
        kind = donors.kind(target) if target else ctx.return_type()
        return donors.is_numeric(kind)
    kind = donors.kind(target) if target else "?"
    return donors.is_numeric(kind) or (kind == "?" and value.type == "binary_operator"
                                       and _operator(ctx, value) in ("+", "-", "*"))


def boolean_from_live_variables(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or stmt.type != "return_statement" or not stmt.named_children:
        return
    value = stmt.named_children[0]
    if value.type not in ("true", "false"):
        return
    negate = "!" if ctx.language == "java" else "not "
    numeric = [v for v in _live_numeric(ctx, donors)][:3]
    literals = donors.literals()[:2]
    for var in numeric:
        for literal in literals:
            for op in ("==", "!=", ">", "<", ">=", "<="):
                yield "boolean-expression", f"return {var.text} {op} {literal}", replace_node(
                    value, f"{var.text} {op} {literal}")
    for var in donors.booleans()[:3]:
        yield "boolean-expression", f"return {var.text}", replace_node(value, var.text)
        yield "boolean-expression", f"return {negate}{var.text}", replace_node(value, f"{negate}{var.text}")


def emptiness_and_null_clauses(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or stmt.type not in ("if_statement", "while_statement", "elif_clause"):
        return
    cond = stmt.child_by_field_name("condition")
    if cond is None:
        return
    inner = cond.named_children[0] if cond.type == "parenthesized_expression" and cond.named_children else cond
    java = ctx.language == "java"
    text = ctx.src(inner)
    if "\n" in text:
        return
    if inner.type in ("true", "True") or text == "True":
        yield from _bounded_loop(ctx, donors, stmt, inner)
        return
    disjunction, conjunction = ("||", "&&") if java else ("or", "and")
    used = {ctx.src(n) for n in walk(stmt) if n.type == "identifier"}
    for collection in _collections_first_used(donors, used)[:3]:
        empty, nonempty = _emptiness(ctx, donors, collection)
        yield "emptiness-check", f"add {disjunction} {empty}", _wrap(inner, "", f" {disjunction} {empty}")
        yield "emptiness-check", f"add {conjunction} {nonempty}", _wrap(inner, "", f" {conjunction} {nonempty}")
    for name in _receivers(ctx, inner)[:3]:
        is_null, not_null = (f"{name} == null", f"{name} != null") if java else (f"{name} is None",
                                                                                  f"{name} is not None")
        yield "null-check", f"{is_null} {disjunction} ...", _wrap(inner, f"{is_null} {disjunction} ", "")
        yield "null-check", f"{not_null} {conjunction} ...", _wrap(inner, f"{not_null} {conjunction} ", "")


def _collections_first_used(donors: Donors, used: set[str]) -> list[Ingredient]:
    """The live collections, those the statement uses first, then the parameters, then the rest."""
    collections = donors.collections()
    return sorted(collections, key=lambda v: (v.text not in used, v.row >= 0))


def _emptiness(ctx: LineContext, donors: Donors, var: Ingredient) -> tuple[str, str]:
    """(is empty, is not empty) for a collection, an array (Java) or a container (Python)."""
    if ctx.language != "java":
        return f"not {var.text}", var.text
    if donors.collection_kind(var.type) == "array":
        return f"{var.text}.length == 0", f"{var.text}.length > 0"
    return f"{var.text}.isEmpty()", f"!{var.text}.isEmpty()"


def _receivers(ctx: LineContext, cond: Node) -> list[str]:
    """Variables the condition dereferences (`x.f`, `x.m()`), that are not primitive, each once."""
    found: list[str] = []
    for node in walk(cond):
        if node.type in ("method_invocation", "field_access", "attribute"):
            obj = node.child_by_field_name("object")
            if obj is None or obj.type != "identifier":
                continue
            name = ctx.src(obj)
            typ = ctx.type_of(name)
            if typ is None or typ in ("int", "long", "double", "float", "boolean", "char", "short", "byte"):
                continue
            if f"{name} == null" in ctx.src(cond) or f"{name} is None" in ctx.src(cond) or name in found:
                continue
            found.append(name)
    return found


def _bounded_loop(ctx: LineContext, donors: Donors, loop: Node, cond: Node) -> Iterator[Proposal]:
    """`while (true)` bounded by the emptiness of a collection the loop's body uses (and, in Java, the return
    the method needs once its end can be reached)."""
    if loop.type != "while_statement":
        return
    body = loop.child_by_field_name("body")
    used = {ctx.src(n) for n in walk(body)} if body is not None else set()
    java = ctx.language == "java"
    returns = _returns_after(ctx, loop) if java else [""]
    for collection in [c for c in donors.collections() if c.text in used][:3]:
        _, nonempty = _emptiness(ctx, donors, collection)
        for value in returns:
            edits = replace_node(cond, nonempty)
            if value:
                _, end = ctx.line_span(loop)
                edits = (*edits, Edit(end, end, f"{ctx.indent_of(loop)}return {value};\n"))
            yield "emptiness-check", f"while {nonempty}" + (f", then return {value}" if value else ""), edits


def _returns_after(ctx: LineContext, loop: Node) -> list[str]:
    """What a Java method whose last statement is this endless loop may return once the loop can end."""
    parent = loop.parent
    if parent is None or ctx.method is None or parent != ctx.method.child_by_field_name("body"):
        return [""]
    statements = [s for s in parent.named_children if is_statement(s)]
    if not statements or statements[-1] != loop:
        return [""]
    rtype = ctx.return_type()
    if rtype == "void":
        return [""]
    if rtype == "boolean":
        return ["false", "true"]
    return [default_value(ctx) or "null"]


def swap_operands(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    for node in ctx.nodes_on_line():
        if node.type not in ("binary_expression", "binary_operator"):
            continue
        op = _operator(ctx, node)
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None or "\n" in ctx.src(node):
            continue
        if op == "+" and not _concatenates(ctx, donors, left, right):
            continue
        if op not in ("+", "-", "/", "%", "//"):
            continue
        edits = (Edit(left.start_byte, left.end_byte, ctx.src(right)),
                 Edit(right.start_byte, right.end_byte, ctx.src(left)))
        yield "swap-operands", f"{ctx.src(left)} {op} {ctx.src(right)} -> {ctx.src(right)} {op} {ctx.src(left)}", edits


def _concatenates(ctx: LineContext, donors: Donors, left: Node, right: Node) -> bool:
    """Whether `left + right` joins strings or lists (where the order matters), as far as types say."""
    for side in (left, right):
        if ctx.language == "java":
            typed = ctx.types.get(side.id)
            if isinstance(typed, JType) and typed.name == "java.lang.String" and not typed.dims:
                return True
        elif side.type in ("string", "list") or (side.type == "identifier"
                                                 and donors.kind(ctx.src(side)) in ("str", "list")):
            return True
    return False


def reduce_expression(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    literal_types = ("decimal_integer_literal", "integer")
    for node in ctx.nodes_on_line():
        if node.type in ("binary_expression", "binary_operator") and _operator(ctx, node) in ("+", "-"):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is None or right is None:
                continue
            if left.type in literal_types and _operator(ctx, node) == "+":
                yield "expression-reduce", f"drop {ctx.src(left)} +", replace_node(node, ctx.src(right))
            if right.type in literal_types:
                yield "expression-reduce", f"drop {_operator(ctx, node)} {ctx.src(right)}", replace_node(
                    node, ctx.src(left))
        elif node.type in ("method_invocation", "call"):
            yield from _unwrap(ctx, node)


def _unwrap(ctx: LineContext, call: Node) -> Iterator[Proposal]:
    """A call of one of the file's own functions, with one argument, replaced by that argument."""
    args = call.child_by_field_name("arguments")
    name = call.child_by_field_name("name" if ctx.language == "java" else "function")
    if args is None or name is None or len(args.named_children) != 1 or name.type != "identifier":
        return
    if ctx.language == "java" and call.child_by_field_name("object") is not None:
        return
    own = {node_text(n.child_by_field_name("name")) for n in walk(ctx.tree.root_node)
           if n.type in ("method_declaration", "function_definition")}
    arg = args.named_children[0]
    if ctx.src(name) not in own or arg.type in ("keyword_argument", "list_splat"):
        return
    if ctx.language == "java":
        outer, inner = ctx.types.get(call.id), ctx.types.get(arg.id)
        if isinstance(outer, JType) and isinstance(inner, JType) and outer != inner \
                and outer.name != "java.lang.Object":
            return
    yield "expression-reduce", f"{ctx.src(name)}({ctx.src(arg)}) -> {ctx.src(arg)}", replace_node(call, ctx.src(arg))


def insert_collection_update(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None:
        return
    live = {v.text for v in donors.variables()}
    for collection, element in donors.membership():
        if donors.writes(collection) or element.split(".")[0].split("(")[0] not in live and element not in live:
            continue
        kind = donors.kind(collection)
        if ctx.language == "java":
            if donors.collection_kind(kind) == "map":
                continue
            code = f"{collection}.add({element});"
        else:
            code = f"{collection}.append({element})" if kind == "list" else f"{collection}.add({element})"
        yield from _around(ctx, stmt, code, "insert-call", "")


def insert_adapted_statement(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or ctx.method is None:
        return
    nearby = [s for s in walk(ctx.method) if s.type == "expression_statement" and s.id != stmt.id
              and s.start_point[0] == s.end_point[0] and abs(s.start_point[0] - ctx.row) <= 8
              and _is_call_statement(s)]
    live = donors.variables()
    made: set[str] = set()
    for source in sorted(nearby, key=lambda s: abs(s.start_point[0] - ctx.row))[:4]:
        for ident in [n for n in walk(source) if n.type == "identifier" and is_variable_use(ctx, n)][:3]:
            name = ctx.src(ident)
            kind = donors.kind(name)
            receiver = ident.parent is not None and ident.parent.child_by_field_name("object") == ident
            peers = [v.text for v in live if v.text != name and donors.compatible(v.type, kind)
                     and (not receiver or donors.collection_kind(v.type) is not None)]
            present = {ctx.src(n) for n in walk(source) if n.type == "identifier"}
            for peer in [p for p in peers if p not in present][:MAX_DONORS]:
                start = ident.start_byte - source.start_byte
                code = ctx.src(source)
                code = code[:start] + peer + code[start + len(name):]
                if code in made:
                    continue
                made.add(code)
                yield from _around(ctx, stmt, code, "insert-adapted", "")


def _around(ctx: LineContext, stmt: Node, code: str, template: str, what: str) -> Iterator[Proposal]:
    """`code` inserted before the statement at the line, and after it (after its last line, for a compound
    statement: a statement missing at the end of a block)."""
    yield template, f"insert `{code}` before the line{what}", insert_before(ctx, stmt, [code])
    _, end = ctx.line_span(stmt)
    yield template, f"insert `{code}` after the statement{what}", (Edit(end, end, f"{ctx.indent_of(stmt)}{code}\n"),)


def _is_call_statement(stmt: Node) -> bool:
    inner = stmt.named_children[0] if stmt.named_children else None
    return inner is not None and inner.type in ("method_invocation", "call")


def insert_state_update(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or not _in_loop(stmt):
        return
    loop = next(p for p in _ancestors(stmt, 50) if p.type in _LOOPS)
    in_loop = {ctx.src(n) for n in walk(loop) if n.type == "identifier"}
    candidates = [v for v in donors.variables() if v.text in in_loop]
    assignable = [v for v in donors.locals() if v.text in in_loop]
    java = ctx.language == "java"
    for target in assignable[:3]:
        for source in candidates:
            if source.text == target.text or not donors.compatible(source.type, target.type):
                continue
            if not java and donors.collection_kind(source.type) is not None:
                continue
            code = f"{target.text} = {source.text};" if java else f"{target.text} = {source.text}"
            yield from _around(ctx, stmt, code, "insert-assignment", "")


def _in_loop(stmt: Node) -> bool:
    for parent in _ancestors(stmt, 50):
        if parent.type in _LOOPS:
            return True
        if parent.type in ("method_declaration", "function_definition", "lambda_expression", "class_body"):
            return False
    return False


def iterate_the_rest(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or stmt.type not in ("enhanced_for_statement", "for_statement"):
        return
    over = stmt.child_by_field_name("value" if ctx.language == "java" else "right")
    if over is None or over.type != "identifier":
        return
    name = ctx.src(over)
    for collection, bound in donors.prefixes():
        if collection != name:
            continue
        rest = f"{name}.subList({bound}, {name}.size())" if ctx.language == "java" else f"{name}[{bound}:]"
        yield "iterate-rest", f"iterate {rest}", replace_node(over, rest)


_JAVA_EMPTY_COLLECTIONS = ("ArrayList", "LinkedList", "HashSet", "LinkedHashSet", "TreeSet", "ArrayDeque")


def collection_literals(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    if ctx.language == "java":
        yield from _java_collection_literals(ctx, donors)
        return
    for node in ctx.nodes_on_line():
        if node.type != "list" or node.named_children:
            continue
        yield "collection-literal", "[] -> [[]]", replace_node(node, "[[]]")
        params = [v for v in donors.variables() if v.row < 0]
        for var in (params + donors.locals())[:MAX_DONORS]:
            yield "collection-literal", f"[] -> [{var.text}]", replace_node(node, f"[{var.text}]")


def _java_collection_literals(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    """A returned or assigned empty collection (`new ArrayList()`, no capacity) made to hold one element."""
    for node in ctx.nodes_on_line():
        if node.type != "object_creation_expression" or _value_position(ctx, node) not in ("returned", "assigned"):
            continue
        kind, args = node.child_by_field_name("type"), node.child_by_field_name("arguments")
        if kind is None or args is None or args.named_children:
            continue
        base = ctx.src(kind).split("<", 1)[0].rsplit(".", 1)[-1]
        if base not in _JAVA_EMPTY_COLLECTIONS:
            continue
        created = ctx.src(kind)
        elements = [f"new {base}()"] + [v.text for v in donors.variables() if v.row < 0][:MAX_DONORS]
        for element in elements:
            yield "collection-literal", f"new {created}() -> holding {element}", replace_node(
                node, f"new {created}(java.util.Arrays.asList({element}))")


def replace_attribute(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    if ctx.language == "java":
        return  # Java's fields and methods come from the type facts: `replace_methods`, `replace_variables`
    names = donors.attributes()
    for node in ctx.nodes_on_line():
        if node.type != "attribute" or (node.parent is not None and node.parent.type == "call"
                                        and node.parent.child_by_field_name("function") == node):
            continue
        attr = node.child_by_field_name("attribute")
        if attr is None:
            continue
        current = ctx.src(attr)
        for other in [n for n in names if n != current][:6]:
            yield "attribute", f".{current} -> .{other}", replace_node(attr, other)


def redirect_write(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    def a_map(name: str) -> bool:  # Java: `put` and `get` of a map; a list's `get(i)` is no key to put at
        kind = donors.kind(name)
        return kind == "?" or donors.collection_kind(kind) == "map"

    if ctx.method is None:
        return
    body = ctx.method.child_by_field_name("body")
    if body is None:
        return
    for node in ctx.nodes_on_line():
        if ctx.language == "python" and node.type == "subscript" and _written(node):
            target = node  # the assignment may span lines; its target is on this one
            container = target.child_by_field_name("value")
            if container is None or container.type != "identifier":
                continue
            reads = [n for n in walk(body) if n.type == "subscript" and not _written(n)
                     and (value := n.child_by_field_name("value")) is not None and value.type == "identifier"
                     and ctx.src(value) != ctx.src(container) and "\n" not in ctx.src(n)]
            for donor in _nearest_first(ctx, node, reads):
                yield "redirect-write", f"{ctx.src(target)} -> {donor}", replace_node(target, donor)
        elif ctx.language == "java" and node.type == "method_invocation":
            name, obj, args = (node.child_by_field_name(f) for f in ("name", "object", "arguments"))
            if name is None or obj is None or args is None or ctx.src(name) != "put" or obj.type != "identifier" \
                    or len(args.named_children) != 2 or not a_map(ctx.src(obj)):
                continue
            stored = ctx.src(args.named_children[1])
            reads = []
            for read in walk(body):
                if read.type != "method_invocation" or "\n" in ctx.src(read):
                    continue
                r_name, r_obj, r_args = (read.child_by_field_name(f) for f in ("name", "object", "arguments"))
                if r_name is not None and r_obj is not None and r_args is not None and ctx.src(r_name) == "get" \
                        and r_obj.type == "identifier" and ctx.src(r_obj) != ctx.src(obj) \
                        and len(r_args.named_children) == 1 and a_map(ctx.src(r_obj)):
                    reads.append(read)
            for donor in _nearest_first(ctx, node, reads):
                receiver, _, key = donor.partition(".get(")
                new = f"{receiver}.put({key[:-1]}, {stored})"
                yield "redirect-write", f"{ctx.src(node)} -> {new}", replace_node(node, new)


def _written(node: Node) -> bool:
    """A subscript that is the target of an assignment (a write, not a read)."""
    parent = node.parent
    return parent is not None and parent.type in ("assignment", "augmented_assignment") \
        and parent.child_by_field_name("left") == node


def _nearest_first(ctx: LineContext, at: Node, reads: list[Node]) -> list[str]:
    """The texts of `reads`, those inside `at` first, then by distance in lines, each once."""
    def distance(n: Node) -> tuple[bool, int]:
        inside = at.start_byte <= n.start_byte and n.end_byte <= at.end_byte
        return not inside, abs(n.start_point[0] - at.start_point[0])
    texts: list[str] = []
    for read in sorted(reads, key=distance):
        if ctx.src(read) not in texts:
            texts.append(ctx.src(read))
    return texts[:MAX_DONORS]


def join_live_list(ctx: LineContext, donors: Donors) -> Iterator[Proposal]:
    if ctx.language != "python":
        return
    for node in ctx.nodes_on_line():
        if node.type != "list_comprehension" or _value_position(ctx, node) not in ("returned", "assigned"):
            continue
        iterated = {node_text(clause.child_by_field_name("right")) for clause in node.named_children
                    if clause.type == "for_in_clause"} - {""}
        lists = [v.text for v in donors.variables()
                 if v.text in iterated or donors.kind(v.text) in ("list", "seq")]
        for name in sorted(lists, key=lambda n: n not in iterated)[:MAX_DONORS]:
            yield "join-list", f"{name} + [...]", _wrap(node, f"{name} + ", "")
            yield "join-list", f"[...] + {name}", _wrap(node, "", f" + {name}")


DonorTemplate = Callable[[LineContext, Donors], Iterator[Proposal]]

DONOR_TEMPLATES: tuple[DonorTemplate, ...] = (
    emptiness_and_null_clauses, boolean_from_live_variables, shift_by_one, replace_with_donor_expression,
    wrap_in_call, swap_operands, reduce_expression, insert_collection_update, insert_adapted_statement,
    insert_state_update, iterate_the_rest, collection_literals, replace_attribute, redirect_write, join_live_list,
)
