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
- literals: +-1, 0/1, true/false; a comparison with a literal moved to the next boundary (operator and
  literal at once);
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

from tree_sitter import Node, Tree

from repair.offline.context import (
    NUMERIC_TYPES,
    PARAMETER_ROW,
    PRIMITIVE_TYPES,
    Candidate,
    Edit,
    LineContext,
    Proposal,
    apply_edits,
    default_value,
    guard_lines,
    insert_before,
    is_statement,
    is_variable_use,
    replace_node,
    walk,
)
from repair.offline.donor_templates import DONOR_TEMPLATES
from repair.offline.donors import Donors
from repair.offline.reviewer import refusal
from repair.offline.type_check import ClassRef, JavaTypeChecker, known
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
                "endsWith": "startsWith", "append": "extend", "extend": "append", "any": "all", "all": "any"}


# -- the templates ---------------------------------------------------------------------------
# Each yields (template, description, edits). They see the context and nothing else.


def mutate_operators(ctx: LineContext) -> Iterator[Proposal]:
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
                            yield "compound-assignment", f"{current} -> {alt}", replace_node(op, alt)
                    yield "compound-assignment", f"{current} -> =", replace_node(op, "=")
            continue
        right = node.child_by_field_name("right")
        right_text = ctx.src(right) if right is not None else ""
        for op in ops:
            current = ctx.src(op)
            for family in families:
                if current in family:
                    for alt in family:
                        if alt != current and not _identity(alt, right_text):
                            yield "operator", f"{current} -> {alt}", replace_node(op, alt)


def _identity(op: str, right: str) -> bool:
    """`x * 1`, `x + 0` and kin: no-ops that a literal mutation expresses better."""
    return (right == "1" and op in ("*", "/", "//", "**")) or (right == "0" and op in ("+", "-", "|", "^", "<<", ">>"))


def mutate_conditions(ctx: LineContext) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or stmt.type not in ("if_statement", "while_statement", "for_statement", "elif_clause"):
        return
    cond = stmt.child_by_field_name("condition")
    if cond is None:
        return
    inner = cond.named_children[0] if cond.type == "parenthesized_expression" and cond.named_children else cond
    text = ctx.src(inner)
    negated = f"!({text})" if ctx.language == "java" else f"not ({text})"
    yield "condition-negate", f"negate {text}", replace_node(inner, negated)
    logical = {"&&", "||", "and", "or"}
    if inner.type in ("binary_expression", "boolean_operator"):
        op = inner.child_by_field_name("operator")
        left, right = inner.child_by_field_name("left"), inner.child_by_field_name("right")
        if op is not None and ctx.src(op) in logical and left is not None and right is not None:
            yield "condition-drop-clause", f"keep only {ctx.src(left)}", replace_node(inner, ctx.src(left))
            yield "condition-drop-clause", f"keep only {ctx.src(right)}", replace_node(inner, ctx.src(right))
    # Add a clause taken from another condition of the same method (TBar's "insert condition").
    others = []
    for node in walk(ctx.method or ctx.tree.root_node):
        if node.type in ("if_statement", "while_statement") and node.id != stmt.id:
            other = node.child_by_field_name("condition")
            if other is not None:
                o = other.named_children[0] if other.type == "parenthesized_expression" else other
                if ctx.src(o) != text and "\n" not in ctx.src(o):
                    others.append(ctx.src(o))
    conj, disj = ("&&", "||") if ctx.language == "java" else ("and", "or")
    for clause in others[:3]:
        yield "condition-add-clause", f"add && {clause}", replace_node(inner, f"{text} {conj} {clause}")
        yield "condition-add-clause", f"add || {clause}", replace_node(inner, f"{text} {disj} {clause}")


def mutate_literals(ctx: LineContext) -> Iterator[Proposal]:
    for node in ctx.nodes_on_line():
        if node.type in ("decimal_integer_literal", "integer"):
            try:
                value = int(ctx.src(node).rstrip("lL"))
            except ValueError:
                continue
            suffix = "L" if ctx.src(node).endswith(("l", "L")) else ""
            for alt in sorted({value + 1, value - 1, 0, 1} - {value}):
                if alt >= 0:
                    yield "literal", f"{value} -> {alt}", replace_node(node, f"{alt}{suffix}")
        elif node.type in ("true", "false"):
            flip = {"true": "false", "false": "true"} if ctx.language == "java" else {"True": "False",
                                                                                      "False": "True"}
            current = ctx.src(node)
            if current in flip:
                yield "literal", f"{current} -> {flip[current]}", replace_node(node, flip[current])


def mutate_boundaries(ctx: LineContext) -> Iterator[Proposal]:
    """A comparison with an integer literal moved to the neighbouring boundary: operator and literal at once
    (`n == 0` -> `n <= 1`, `i < k` -> `i <= k - 1` is the same program and is not made). Two of TBar's
    mutations (operator, literal) on one comparison, which neither makes alone."""
    relational = OPERATOR_FAMILIES[ctx.language][0]
    for node in ctx.nodes_on_line():
        if node.type not in ("binary_expression", "comparison_operator"):
            continue
        ops = [c for c in node.children if not c.is_named]
        operands = node.named_children
        if len(ops) != 1 or len(operands) != 2 or ctx.src(ops[0]) not in relational:
            continue
        literal = operands[1]
        if literal.type not in ("decimal_integer_literal", "integer"):
            continue
        try:
            value = int(ctx.src(literal))
        except ValueError:
            continue
        current = ctx.src(ops[0])
        for alt in ("<=", "<", ">=", ">"):
            for shifted in (value + 1, value - 1):
                if alt != current and shifted >= 0 and _boundary_differs(current, value, alt, shifted):
                    yield "boundary", f"{current} {value} -> {alt} {shifted}", (
                        Edit(ops[0].start_byte, ops[0].end_byte, alt),
                        Edit(literal.start_byte, literal.end_byte, str(shifted)))


def _boundary_differs(op: str, value: int, alt: str, shifted: int) -> bool:
    """Whether `x alt shifted` is a different test of an integer x than `x op value` (not `< 3` vs `<= 2`)."""
    def accepted(o: str, v: int) -> frozenset[int]:
        return frozenset(x for x in range(min(value, shifted) - 3, max(value, shifted) + 4) if {
            "<": x < v, "<=": x <= v, ">": x > v, ">=": x >= v, "==": x == v, "!=": x != v}[o])
    return accepted(op, value) != accepted(alt, shifted)


def replace_variables(ctx: LineContext) -> Iterator[Proposal]:
    for node in ctx.nodes_on_line():
        if is_variable_use(ctx, node):
            name = ctx.src(node)
            for alt in ctx.peers(name)[:8]:
                yield "variable", f"{name} -> {alt}", replace_node(node, alt)


def swap_arguments(ctx: LineContext) -> Iterator[Proposal]:
    for node in ctx.nodes_on_line():
        if node.type == "argument_list":
            args = [a for a in node.named_children if a.type not in ("comment", "keyword_argument")]
        elif node.type == "subscript":  # Python's `a[i, j]`: the indices are arguments too
            args = [a for a in node.children_by_field_name("subscript")]
        else:
            continue
        for i in range(min(len(args), 4)):
            for j in range(i + 1, min(len(args), 4)):
                a, b = args[i], args[j]
                edits = (Edit(a.start_byte, a.end_byte, ctx.src(b)), Edit(b.start_byte, b.end_byte, ctx.src(a)))
                yield "swap-arguments", f"swap {ctx.src(a)} and {ctx.src(b)}", edits


def replace_methods(ctx: LineContext) -> Iterator[Proposal]:
    arity: dict[str, set[int]] = {}
    kinds = ("method_declaration",) if ctx.language == "java" else ("function_definition",)
    for node in walk(ctx.tree.root_node):
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
            yield "method", f"call {alt} instead of {current}", replace_node(name, alt)


def _receiver_methods(ctx: LineContext, call: Node, current: str, n_args: int) -> list[str] | None:
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
    query = current.startswith(_QUERIES)
    names = sorted({m.name for m in methods if m.name != current and m.accepts_arity(n_args)
                    and (m.static or not static_only) and (not returns or m.returns in returns)
                    and m.name not in _OBJECT_PLUMBING and not (query and m.name.startswith(_MUTATORS))},
                   key=lambda n: (-difflib.SequenceMatcher(None, n, current).ratio(), n))
    return names


# A call that asks (`contains`, `getX`, `isEmpty`) is not replaced by one that changes its receiver: a
# reviewer would not take a side effect where a question was.
_QUERIES = ("contains", "get", "is", "has", "equals", "size", "index", "lastIndex", "starts", "ends", "peek")
_MUTATORS = ("add", "remove", "put", "set", "clear", "retain", "poll", "push", "pop", "offer", "replace")
# Object's methods for threads and reflection: never the fix for a wrong call.
_OBJECT_PLUMBING = {"getClass", "notify", "notifyAll", "wait", "hashCode", "finalize", "clone"}


def mutate_returns(ctx: LineContext) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or stmt.type != "return_statement" or not stmt.named_children:
        return
    expr = stmt.named_children[0]
    if expr.type == "identifier":
        return  # replace_variables covers a returned variable
    rtype = ctx.return_type()
    names = [v.name for v in ctx.vars if (v.type == rtype or ctx.language == "python") and v.line <= ctx.row]
    for alt in names[:6]:
        yield "return", f"return {alt}", replace_node(expr, alt)


# Literals a guard may return as they are, per language (tree-sitter node types).

def insert_checks(ctx: LineContext) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or ctx.method is None:
        return
    default = default_value(ctx)
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
                    yield "null-check", f"return early when {name} is null", insert_before(
                        ctx, stmt, guard_lines(ctx, cond, default))
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
                yield "range-check", f"return early when {i} is outside {a}", insert_before(
                    ctx, stmt, guard_lines(ctx, cond, default))


# The value of an empty combination: a recursion that multiplies its results bottoms out at 1, one that
# adds them at 0, one that ands them at true, one that ors them at false.
_IDENTITY = {"*": "1", "+": "0", "-": "0", "&&": "true", "||": "false"}


def insert_base_case(ctx: LineContext) -> Iterator[Proposal]:
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
    calls = [n for n in walk(body) if n.type in ("method_invocation", "call")
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
            yield "base-case", f"if {cond} return {value}", insert_before(ctx, stmt, guard_lines(ctx, cond, value))


def _combining_operator(ctx: LineContext, calls: list[Node]) -> str | None:
    """The operator that combines a recursive call's result with the rest (`n * fact(n - 1)`: `*`)."""
    for call in calls:
        parent = call.parent
        operator = parent.child_by_field_name("operator") if parent is not None else None
        if parent is not None and parent.type in ("binary_expression", "binary_operator", "boolean_operator") \
                and operator is not None:
            return {"and": "&&", "or": "||"}.get(ctx.src(operator), ctx.src(operator))
    return None


def copy_nearby_statement(ctx: LineContext) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or stmt.parent is None:
        return
    siblings = [s for s in stmt.parent.named_children if is_statement(s) and s.id != stmt.id
                and s.type in ("expression_statement", "local_variable_declaration")
                and s.start_point[0] == s.end_point[0] and abs(s.start_point[0] - ctx.row) <= 6]
    for sib in siblings[:4]:
        code = ctx.src(sib)
        yield "insert-copied", f"insert `{code}` before line", insert_before(ctx, stmt, [code])
        if stmt.start_point[0] == stmt.end_point[0]:
            _, end = ctx.line_span(stmt)
            edit = Edit(end, end, f"{ctx.indent_of(stmt)}{code}\n")
            yield "insert-copied", f"insert `{code}` after line", (edit,)


def remove_or_move_statement(ctx: LineContext) -> Iterator[Proposal]:
    stmt = ctx.statement
    if stmt is None or stmt.parent is None:
        return
    start, end = ctx.line_span(stmt)
    yield "remove-statement", f"remove `{ctx.src(stmt).splitlines()[0]}`", (Edit(start, end, ""),)
    siblings = [s for s in stmt.parent.named_children if is_statement(s)]
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


def fix_casts(ctx: LineContext) -> Iterator[Proposal]:
    for node in ctx.nodes_on_line():
        if node.type not in ("binary_expression", "binary_operator"):
            continue
        op, left = node.child_by_field_name("operator"), node.child_by_field_name("left")
        if op is None or left is None or ctx.src(op) != "/":
            continue
        if ctx.language == "java":
            yield "cast", f"(double) {ctx.src(left)}", replace_node(left, f"(double) {ctx.src(left)}")
            yield "cast", "(int) division", replace_node(node, f"(int) ({ctx.src(node)})")
        else:
            yield "cast", "int() of the division", replace_node(node, f"int({ctx.src(node)})")


TEMPLATES = (
    mutate_operators, mutate_conditions, mutate_literals, mutate_boundaries, replace_variables, swap_arguments,
    replace_methods, mutate_returns, insert_checks, insert_base_case, copy_nearby_statement, remove_or_move_statement,
    fix_casts,
)


@dataclass
class Generation:
    """What the templates made for one line: the candidates, each one dropped with its reason, how many
    each family made and kept (`families`: name -> [made, kept]), and why there is none (`note`)."""

    candidates: list[Candidate] = field(default_factory=list)
    dropped: list[tuple[Candidate, str]] = field(default_factory=list)
    families: dict[str, list[int]] = field(default_factory=dict)
    note: str = ""

    def count(self, family: str, made: bool) -> None:
        counts = self.families.setdefault(family, [0, 0])
        counts[0 if made else 1] += 1

    def dropped_by_reason(self) -> Counter[str]:
        return Counter(reason for _, reason in self.dropped)


def propose(language: str, text: str, line: int, file: str = "",
            checker: JavaTypeChecker | None = None) -> Generation:
    """Every candidate the templates make for `line` (1-based) of `text`, in template order, and the drops.

    Dropped: a candidate that repeats an earlier one or leaves the file as it is (`same-text`), that
    does not parse (`syntax`), with a `checker` (Java) one that adds a compile error (`ill-typed:<reason>`,
    e.g. `ill-typed:no-such-method`), and one a reviewer would refuse at sight (`refused:<why>`, see
    `reviewer`). `Generation.families` counts what each family made and kept, and
    `Generation.note` says why a line got no candidate at all.
    """
    out = Generation()
    if language not in OPERATOR_FAMILIES or line < 1:
        out.note = f"no templates for {language or 'this language'}"
        return out
    ctx = LineContext(language, text, line, checker if language == "java" else None, file)
    if ctx.tree.root_node.has_error:
        out.note = "the file does not parse"
        return out  # a file that does not parse gives no reliable tree to mutate
    if line > text.count("\n") + 1:
        out.note = "the line is past the end of the file"
        return out
    donors = Donors(ctx)
    proposals = [*(p for template in TEMPLATES for p in template(ctx)),
                 *(p for donor_template in DONOR_TEMPLATES for p in donor_template(ctx, donors))]
    seen = {text}
    for name, description, edits in proposals:
        new = apply_edits(ctx.data, edits)
        if new is None:
            continue
        new_text = new.decode("utf-8", "replace")
        size = sum((e.end - e.start) + len(e.text.encode("utf-8")) for e in edits)
        candidate = Candidate(file, line, name, description, text, new_text, size, edits)
        out.count(name, made=True)
        if new_text in seen:
            out.dropped.append((candidate, "same-text"))
            continue
        seen.add(new_text)
        reason = drop_reason(language, candidate, ctx.tree, ctx.checker)
        if reason is not None:
            out.dropped.append((candidate, reason))
            continue
        out.count(name, made=False)
        out.candidates.append(candidate)
    if not out.candidates:
        out.note = _why_none(ctx, out)
    return out


def drop_reason(language: str, candidate: Candidate, old_tree: Tree, checker: JavaTypeChecker | None) -> str | None:
    """Why a candidate never reaches a compiler (`syntax`, `refused:<why>`, `ill-typed:<reason>`), or None."""
    new_tree = parse(language, candidate.new_text)
    if new_tree.root_node.has_error:
        return "syntax"
    error = checker.new_error(candidate.file, candidate.old_text, candidate.new_text, new_tree) \
        if checker is not None and language == "java" else None
    if error is not None:
        return f"ill-typed:{error.reason}"
    refused = refusal(language, candidate.old_text, candidate.new_text, old_tree, new_tree, candidate.template)
    return f"refused:{refused}" if refused is not None else None


def _why_none(ctx: LineContext, made: Generation) -> str:
    """Why a line that parses got no candidate."""
    if made.dropped:
        reasons = ", ".join(f"{reason} {n}" for reason, n in made.dropped_by_reason().most_common())
        return f"every candidate was dropped before validation ({reasons})"
    if ctx.statement is None and not any(True for _ in ctx.nodes_on_line()):
        return "no code starts on this line (a blank line, a comment, or a brace)"
    if ctx.method is None:
        return "the line is outside any method or function"
    return "no template applies to the code on this line"


def generate(language: str, text: str, line: int, file: str = "",
             checker: JavaTypeChecker | None = None) -> list[Candidate]:
    """The candidates of `propose` (those that parse, are new, and with a checker, are well typed)."""
    return propose(language, text, line, file, checker).candidates
