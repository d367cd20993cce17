"""What kind of statement a line holds (a condition, a return, an assignment ...), and how often
that kind is where faults are fixed.

The prior is general knowledge about where developers fix bugs, not a fact about any benchmark:
studies of real bug-fix changes (Pan, Kim and Whitehead, EMSE 2009: bug-fix patterns in seven Java
projects; Sobreira et al., SANER 2018: the anatomy of Defects4J's patches) find the most frequent fixes
change an `if`/loop condition, a method call's arguments, an assignment's right-hand side, or a returned
expression; declarations without a value, a method's signature, `else`, `try` and braces are almost
never what a fix changes. The prior only orders lines that the dynamic evidence cannot tell apart.
"""

from __future__ import annotations

from tree_sitter import Node

from repair.syntax import parse

# Kind -> prior in [0, 1]. A decision decides what runs next: the most often fixed.
KIND_PRIORS: dict[str, float] = {
    "condition": 1.0,  # if / else if / elif / while / do-while / switch / ternary on its own line
    "loop": 0.8,  # a for header: its bounds and steps
    "return": 0.8,
    "assignment": 0.7,  # =, +=, ++ and declarations with a value
    "call": 0.6,  # a call made for its effect
    "throw": 0.4,
    "jump": 0.3,  # break / continue
    "other": 0.2,  # assert, import, pass, a bare expression
    "structure": 0.0,  # class / method headers, else, try, finally, braces: nothing to execute wrongly
}
_CONDITIONS = {"if_statement", "while_statement", "do_statement", "switch_expression", "switch_statement",
               "elif_clause", "ternary_expression", "conditional_expression"}
_LOOPS = {"for_statement", "enhanced_for_statement", "for_in_clause"}
_RETURNS = {"return_statement", "yield_statement"}
_THROWS = {"throw_statement", "raise_statement"}
_JUMPS = {"break_statement", "continue_statement"}
_ASSIGNMENTS = {"assignment_expression", "assignment", "augmented_assignment", "update_expression",
                "local_variable_declaration", "field_declaration"}
_STRUCTURE = {"method_declaration", "constructor_declaration", "class_declaration", "interface_declaration",
              "enum_declaration", "function_definition", "class_definition", "decorated_definition",
              "try_statement", "else_clause", "finally_clause", "with_statement"}


def _kind_of_node(node: Node) -> str | None:
    kind = node.type
    if kind in _CONDITIONS:
        return "condition"
    if kind in _LOOPS:
        return "loop"
    if kind in _RETURNS:
        return "return"
    if kind in _THROWS:
        return "throw"
    if kind in _JUMPS:
        return "jump"
    if kind == "local_variable_declaration" or kind == "field_declaration":
        has_value = any(d.child_by_field_name("value") is not None for d in node.named_children
                        if d.type == "variable_declarator")
        return "assignment" if has_value else "structure"
    if kind == "expression_statement":
        inner = node.named_children[0] if node.named_children else None
        if inner is not None and inner.type in _ASSIGNMENTS:
            return "assignment"
        return "call" if inner is not None and inner.type in ("method_invocation", "call", "await") else "other"
    if kind in _STRUCTURE:
        return "structure"
    return None


class StatementKinds:
    """The kind of statement on each line of one file (parsed once)."""

    def __init__(self, language: str, text: str) -> None:
        self.rows = text.splitlines()
        self.kinds: dict[int, str] = {}  # 0-based row -> kind of the outermost statement starting there
        self.spans: list[tuple[int, int, str]] = []  # (first row, last row, kind) of every statement
        stack = [parse(language, text).root_node]
        while stack:
            node = stack.pop()
            kind = _kind_of_node(node)
            if kind is not None:
                row = node.start_point[0]
                if row not in self.kinds or kind != "structure" and self.kinds[row] == "structure":
                    self.kinds[row] = kind
                self.spans.append((row, node.end_point[0], kind))
            stack.extend(reversed(node.children))

    def kind(self, line: int) -> str:
        """The kind of statement that starts on `line` (1-based); a line inside a multi-line statement (a
        continuation of its condition, arguments or expression) has the kind of the innermost statement
        it continues; a blank line, braces or `else` are `structure`."""
        row = line - 1
        if row in self.kinds:
            return self.kinds[row]
        if row >= len(self.rows) or self.rows[row].strip(" \t{}();:") in ("", "else"):
            return "structure"
        inside = [(first, kind) for first, last, kind in self.spans if first < row <= last and kind != "structure"]
        return max(inside)[1] if inside else "structure"

    def prior(self, line: int) -> float:
        return KIND_PRIORS[self.kind(line)]
