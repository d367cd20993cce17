"""What a reviewer would refuse in a candidate, before any test runs, and what makes a plausible patch suspect.

`refusal(old, new, ...)` names the first reason a reviewer would reject a candidate outright, or None:

- `identity`: an edit that computes nothing (`x - 0`, `1 * x`, `x / 1`, `cond && true`), which a smaller
  patch says better or which hides that the operand should go;
- `constant-condition`: an `if`, `while` or ternary whose condition no longer depends on anything
  (`if (false)`, `while (true)` made where there was none, `0 < 0 || ...`): a condition weakened to a
  constant, or a guard that never fires;
- `deletes-exit`: removing a `return`, `throw`, `raise`, `break` or `continue`;
- `empties-block`: a removal that leaves a loop's or a branch's body empty;
- `discards-query`: a statement made a call to a query of the standard library whose result is thrown away
  (`tokens.add("--");` -> `tokens.equals("--");`): the statement now does nothing, a deletion in disguise.

`suspicion(candidate)` says why a plausible patch is likely overfitting ('' when nothing does), and the report
marks it so:

- it removes a statement: it may pass the tests by doing less (Qi et al., "An analysis of patch plausibility
  and correctness", ISSTA 2015: most plausible patches of GenProg, RSRepair and AE only delete functionality);
- it makes the base case of a recursion an equality on a size (`if (xs.size() == 1) return xs;`): an input
  below that size never reaches it and recurses forever, which tests rarely show;
- it removes a function's last call to itself (`any(search(n) for n in ns)` -> `any(n for n in ns)`): the
  recursion, the function's way of doing its work, is gone, and what is left passes by doing less (a
  recursion that can never end is another matter: there the call keeps its own parameters, `f(arr)` in `f`);
- it leaves a parameter of the function unread (`this.successors = successors` -> `= predecessors`): the
  function now ignores an input it was given, which no fix of a wrong computation needs;
- it stops returning the local the function builds (`return lengthByPath` -> `return lengthByEdge`): what
  the function computed is thrown away, and the tests pass on what it was given.
"""

from __future__ import annotations

from tree_sitter import Node, Tree

from repair.offline.context import Candidate, walk
from repair.syntax import parse

_LITERAL_TYPES = {"decimal_integer_literal", "integer", "float", "decimal_floating_point_literal", "true", "false",
                  "null_literal", "none", "string", "string_literal", "character_literal", "hex_integer_literal"}
_EXITS = {"return_statement", "throw_statement", "raise_statement", "break_statement", "continue_statement"}
_CONDITIONAL = {"if_statement", "while_statement", "elif_clause", "do_statement", "ternary_expression",
                "conditional_expression"}
# Methods and functions of Java's and Python's standard libraries that only answer a question: a statement that
# calls one and drops the answer does nothing.
_QUERIES = {"equals", "equalsIgnoreCase", "contains", "containsKey", "containsValue", "isEmpty", "size", "length",
            "get", "getOrDefault", "hashCode", "toString", "startsWith", "endsWith", "indexOf", "lastIndexOf",
            "compareTo", "charAt", "substring", "trim", "strip", "formatted", "toUpperCase", "toLowerCase",
            "matches", "valueOf", "len", "str", "repr", "isinstance", "count", "index", "find", "upper", "lower",
            "keys", "values", "items", "copy"}
_BLOCK_OWNERS = {"if_statement", "while_statement", "for_statement", "enhanced_for_statement", "do_statement",
                 "else_clause"}


def refusal(language: str, old: str, new: str, old_tree: Tree, new_tree: Tree, template: str) -> str | None:
    """Why a reviewer would reject this edit at sight (`identity`, `constant-condition`, ...), or None."""
    old_b, new_b = old.encode(), new.encode()
    head = _common_prefix(old_b, new_b)
    tail = _common_prefix(old_b[head:][::-1], new_b[head:][::-1])
    changed = (head, len(new_b) - tail)
    old_changed = (head, len(old_b) - tail)
    for node in _overlapping(new_tree.root_node, changed):
        if node.type in ("binary_expression", "binary_operator", "boolean_operator") and _is_identity(node):
            return "identity"
    if _constant_conditions(new_tree.root_node, changed) > _constant_conditions(old_tree.root_node, old_changed):
        return "constant-condition"
    if _constant_comparisons(new_tree.root_node, changed) > _constant_comparisons(old_tree.root_node, old_changed):
        return "constant-condition"
    if _discarded_queries(new_tree.root_node, changed) > _discarded_queries(old_tree.root_node, old_changed):
        return "discards-query"
    if template == "remove-statement":
        removed = [n for n in _overlapping(old_tree.root_node, old_changed)
                   if n.type in _EXITS and old_changed[0] <= n.start_byte and n.end_byte <= old_changed[1]]
        if removed:
            return "deletes-exit"
        if _empty_blocks(new_tree.root_node) > _empty_blocks(old_tree.root_node):
            return "empties-block"
    return None


def deletes_behaviour(candidate: Candidate) -> bool:
    """Whether the patch removes a statement (and adds none): it may pass the tests by doing less."""
    return candidate.template == "remove-statement"


def suspicion(candidate: Candidate) -> str:
    """Why a plausible patch is likely overfitting, or ''."""
    if deletes_behaviour(candidate):
        return "it deletes behaviour (removes a statement): it may pass the tests by doing less"
    if _equality_base_case(candidate):
        return ("it makes a recursion's base case an equality on a size: a smaller input never reaches it and "
                "recurses forever")
    if _removes_recursion(candidate):
        return "it removes the function's last call to itself: the recursion is gone, not fixed"
    ignored = _ignored_parameter(candidate)
    if ignored:
        return f"it leaves the parameter `{ignored}` unread: the function ignores an input it is given"
    discarded = _discarded_result(candidate)
    if discarded:
        return f"it no longer returns `{discarded}`, which the function builds: what it computed is thrown away"
    return ""


_SIZE_CALLS = ("len(", ".size()", ".length")


def _equality_base_case(candidate: Candidate) -> bool:
    """The changed line is `if (<size> == k)` guarding a return, in a function that calls itself."""
    old_lines, new_lines = candidate.old_text.splitlines(), candidate.new_text.splitlines()
    if len(old_lines) != len(new_lines):
        return False
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    if len(changed) != 1:
        return False
    line = new_lines[changed[0]].strip()
    if not line.startswith("if") or "==" not in line or not any(size in line for size in _SIZE_CALLS):
        return False
    language = "python" if candidate.file.endswith(".py") else "java"
    tree = parse(language, candidate.new_text)
    row = changed[0]
    function = None
    for node in walk(tree.root_node):
        if node.type in ("method_declaration", "function_definition") and node.start_point[0] < row <= \
                node.end_point[0]:
            function = node  # the innermost one wins: walk goes outside in
    if function is None:
        return False
    name = _text(function.child_by_field_name("name"))
    body = _text(function.child_by_field_name("body"))
    return bool(name) and f"{name}(" in body


def _changed_rows(candidate: Candidate) -> tuple[int, int] | None:
    """The first and last changed row of the old text (0-based), or None when nothing changed."""
    if candidate.old_text == candidate.new_text:
        return None
    change = candidate.line_change()
    start, end = int(str(change["start"])) - 1, int(str(change["end"])) - 1
    return start, max(start, end)


def _innermost_function(root: Node, row: int) -> Node | None:
    function = None
    for node in walk(root):
        if node.type in ("method_declaration", "function_definition") and node.start_point[0] <= row <= \
                node.end_point[0]:
            function = node  # the innermost one wins: walk goes outside in
    return function


def _self_calls(function: Node) -> list[Node]:
    """The calls of `function`'s own name in its body, with their arguments (nested functions' bodies aside)."""
    name = _text(function.child_by_field_name("name"))
    calls = []
    for node in walk(function.child_by_field_name("body") or function):
        if node.type == "method_invocation" and node.child_by_field_name("object") is None:
            callee = _text(node.child_by_field_name("name"))
        elif node.type == "call":
            callee = _text(node.child_by_field_name("function"))
        else:
            continue
        if callee == name:
            calls.append(node)
    return calls


def _the_function_after(old_function: Node, new_root: Node) -> Node | None:
    """The function of the new tree that starts where `old_function` did, with its name."""
    name = _text(old_function.child_by_field_name("name"))
    return next((n for n in walk(new_root) if n.type == old_function.type
                 and _text(n.child_by_field_name("name")) == name
                 and n.start_point[0] == old_function.start_point[0]), None)


def _parameters(function: Node) -> list[str]:
    params = function.child_by_field_name("parameters")
    if params is None:
        return []
    names = []
    for param in params.named_children:
        name = param.child_by_field_name("name") if param.type != "identifier" else param
        if name is None and param.named_children and param.named_children[0].type == "identifier":
            name = param.named_children[0]  # Python's typed parameter: `x: int`
        if name is not None and name.type == "identifier":
            names.append(_text(name))
    return names


def _reads(function: Node) -> set[str]:
    """The variables the function's body mentions (not the names after a dot: `this.x`, `n.x`, `o.m()`)."""
    body = function.child_by_field_name("body")
    if body is None:
        return set()
    return {_text(n) for n in walk(body) if n.type == "identifier" and not _after_a_dot(n)}


def _after_a_dot(node: Node) -> bool:
    parent = node.parent
    if parent is None:
        return False
    for kind, name in (("field_access", "field"), ("attribute", "attribute"), ("method_invocation", "name")):
        if parent.type == kind and parent.child_by_field_name(name) == node:
            return True
    return False


def _changed_function(candidate: Candidate) -> tuple[Node, Node] | None:
    """The function holding the change, before and after it."""
    rows = _changed_rows(candidate)
    if rows is None:
        return None
    language = "python" if candidate.file.endswith(".py") else "java"
    old_function = _innermost_function(parse(language, candidate.old_text).root_node, rows[0])
    if old_function is None:
        return None
    new_function = _the_function_after(old_function, parse(language, candidate.new_text).root_node)
    return (old_function, new_function) if new_function is not None else None


def _returned_names(function: Node) -> set[str]:
    return {_text(n.named_children[0]) for n in walk(function) if n.type == "return_statement"
            and n.named_children and n.named_children[0].type == "identifier"}


def _local_names(function: Node) -> set[str]:
    """Names the function declares (Java) or assigns (Python) in its body."""
    names = set()
    for node in walk(function.child_by_field_name("body") or function):
        if node.type == "variable_declarator" or node.type == "assignment":
            target = node.child_by_field_name("name") or node.child_by_field_name("left")
            if target is not None and target.type == "identifier":
                names.add(_text(target))
    return names


def _discarded_result(candidate: Candidate) -> str:
    """A local the function returned before the patch and returns nowhere after it, or ''."""
    pair = _changed_function(candidate)
    if pair is None:
        return ""
    old_function, new_function = pair
    lost = (_returned_names(old_function) & _local_names(old_function)) - _returned_names(new_function)
    return min(lost) if lost else ""


def _ignored_parameter(candidate: Candidate) -> str:
    """A parameter the changed function's body mentioned before the patch and does not after it, or ''."""
    pair = _changed_function(candidate)
    if pair is None:
        return ""
    old_function, new_function = pair
    before, after = _reads(old_function), _reads(new_function)
    return next((p for p in _parameters(old_function) if p in before and p not in after), "")


def _removes_recursion(candidate: Candidate) -> bool:
    """The function holding the change called itself before it and does not after it, and none of the calls
    it lost passed the function's own parameters unchanged (that call could only recurse forever)."""
    pair = _changed_function(candidate)
    if pair is None:
        return False
    old_function, new_function = pair
    old_calls = _self_calls(old_function)
    if not old_calls or _self_calls(new_function):
        return False
    params = _parameters(old_function)
    for call in old_calls:
        args = call.child_by_field_name("arguments")
        if args is not None and [_text(a) for a in args.named_children] == params:
            return False
    return True


def _common_prefix(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _overlapping(root: Node, span: tuple[int, int]) -> list[Node]:
    """Nodes that overlap the byte span (an insertion, an empty span, overlaps the nodes around it)."""
    start, end = span
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.end_byte < start or node.start_byte > max(end, start):
            continue
        found.append(node)
        stack.extend(node.children)
    return found


def _text(node: Node | None) -> str:
    return (node.text or b"").decode("utf-8", "replace").strip() if node is not None else ""


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return _text(op)


def _is_identity(node: Node) -> bool:
    op = _operator(node)
    left, right = _text(node.child_by_field_name("left")), _text(node.child_by_field_name("right"))
    zero, one = ("0", "0L", "0.0"), ("1", "1L", "1.0")
    if op == "+":
        return left in zero or right in zero
    if op in ("-", "|", "^", "<<", ">>", ">>>"):
        return right in zero
    if op == "*":
        return left in one or right in one
    if op in ("/", "//", "**"):
        return right in one
    if op in ("&&", "and"):
        return left in ("true", "True") or right in ("true", "True")
    if op in ("||", "or"):
        return left in ("false", "False") or right in ("false", "False")
    return False


def _is_constant(node: Node) -> bool:
    """An expression of literals and operators only (no variable, field or call)."""
    return all(n.type in _LITERAL_TYPES or not n.is_named or n.type in (
        "binary_expression", "binary_operator", "boolean_operator", "comparison_operator", "unary_expression",
        "unary_operator", "not_operator", "parenthesized_expression", "string_content", "string_start",
        "string_end", "escape_sequence") for n in walk(node))


def _condition(node: Node) -> Node | None:
    cond = node.child_by_field_name("condition")
    if cond is not None and cond.type == "parenthesized_expression" and cond.named_children:
        return cond.named_children[0]
    if cond is None and node.type == "conditional_expression" and len(node.named_children) == 3:
        return node.named_children[1]
    return cond


def _constant_conditions(root: Node, span: tuple[int, int]) -> int:
    count = 0
    for node in _overlapping(root, span):
        if node.type in _CONDITIONAL:
            cond = _condition(node)
            if cond is not None and cond.start_byte <= max(span[1], span[0]) and cond.end_byte >= span[0] \
                    and _is_constant(cond):
                count += 1
    return count


def _constant_comparisons(root: Node, span: tuple[int, int]) -> int:
    """Comparisons of two literals (`0 < 0`) in the span."""
    count = 0
    for node in _overlapping(root, span):
        if node.type in ("binary_expression", "comparison_operator") and node.named_children and \
                _operator(node) not in ("+", "-", "*", "/", "%", "&&", "||", "&", "|", "^") and \
                len(node.named_children) >= 2 and all(_is_constant(c) for c in node.named_children):
            count += 1
    return count


def _discarded_queries(root: Node, span: tuple[int, int]) -> int:
    """Statements in the span that call a query (`_QUERIES`) and drop its answer."""
    count = 0
    for node in _overlapping(root, span):
        if node.type == "expression_statement" and node.named_children:
            call = node.named_children[0]
            if call.type == "method_invocation":
                name = call.child_by_field_name("name")
            elif call.type == "call":
                function = call.child_by_field_name("function")
                name = function.child_by_field_name("attribute") if function is not None and \
                    function.type == "attribute" else function
            else:
                continue
            if name is not None and _text(name) in _QUERIES:
                count += 1
    return count


def _empty_blocks(root: Node) -> int:
    count = 0
    for node in walk(root):
        if node.type == "block" and node.parent is not None and node.parent.type in _BLOCK_OWNERS \
                and not [c for c in node.named_children if c.type not in ("line_comment", "block_comment",
                                                                          "comment")]:
            count += 1
    return count
