"""Which compile errors a candidate adds to a Java file, found from the syntax tree and type facts.

`JavaTypeChecker.new_error(path, old, new)` types the expressions of the class member the
candidate changed (a method, constructor, field or initializer), before and after, and returns
the first error the candidate adds (`TypeError_(reason, detail)`), or None. An error that the
unchanged member already "has" is the checker's own blind spot, not the candidate's, and is
ignored; a type the facts do not know never makes an error. So a candidate is dropped only
for what javac would refuse:

- operator-types: an operator on operands it does not take (`String - int`, `!int`, `obj < obj`);
- no-such-method / static-context / argument-types: a call the receiver's type does not have
  (`header.close()` on a String), an instance method called statically (`Double.push(x)`), or
  arguments no overload accepts (swapped arguments of different types);
- no-such-field, primitive-receiver, undefined-name: a member or name that does not exist;
- condition-type, assignment-types, return-type: a value where its type cannot go;
- final-assignment: a new value for a final variable or field that has one;
- duplicate-declaration, uninitialized-variable, unreachable-code, missing-return: statements Java
  refuses to compile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node, Tree

from repair.offline.type_facts import (
    CLASS_KINDS,
    INTEGRAL,
    NUMERIC,
    OBJECT,
    STRING,
    UNBOX_TO_BOX,
    FileScope,
    JType,
    MethodFact,
    TypeFacts,
    modifiers_of,
    node_text,
)
from repair.syntax import parse

BOOLEAN, INT, NULL = JType("boolean"), JType("int"), JType("null")
_RANK = {"byte": 1, "short": 2, "char": 2, "int": 3, "long": 4, "float": 5, "double": 6}
_WIDENING = {
    "byte": {"short", "int", "long", "float", "double"}, "short": {"int", "long", "float", "double"},
    "char": {"int", "long", "float", "double"}, "int": {"long", "float", "double"},
    "long": {"float", "double"}, "float": {"double"}, "double": set(), "boolean": set(),
}
MEMBER_KINDS = ("method_declaration", "constructor_declaration", "field_declaration", "static_initializer",
                "block", "constant_declaration", "compact_constructor_declaration")
_ABRUPT = ("return_statement", "throw_statement", "break_statement", "continue_statement", "yield_statement")


@dataclass(frozen=True)
class TypeError_:  # noqa: N801 - TypeError is Python's
    """One compile error: its kind (`reason`) and the code it is about."""

    reason: str
    detail: str


@dataclass(frozen=True)
class ClassRef:
    """An expression that names a class (the receiver of a static call or field), not a value."""

    binary: str


Typed = JType | ClassRef | None


def _literal_type(node: Node) -> JType | None:
    kind, text = node.type, node_text(node)
    if kind in ("decimal_integer_literal", "hex_integer_literal", "octal_integer_literal", "binary_integer_literal"):
        return JType("long") if text[-1:] in "lL" else INT
    if kind in ("decimal_floating_point_literal", "hex_floating_point_literal"):
        return JType("float") if text[-1:] in "fF" else JType("double")
    if kind in ("string_literal", "text_block"):
        return JType(STRING)
    if kind == "character_literal":
        return JType("char")
    if kind in ("true", "false"):
        return BOOLEAN
    if kind == "null_literal":
        return NULL
    if kind == "class_literal":
        return JType("java.lang.Class")
    return None


def numeric(t: JType | None) -> str | None:
    """The primitive numeric type `t` is or unboxes to."""
    if t is None:
        return None
    p = t.unboxed()
    return p if p in NUMERIC else None


def promote(a: str, b: str) -> JType:
    """Binary numeric promotion."""
    best = max(a, b, key=lambda x: _RANK[x])
    return JType(best if _RANK[best] > _RANK["int"] else "int")


def known(t: Typed) -> bool:
    return isinstance(t, JType) and not t.variable and t.name != "?"


class _Scope:
    def __init__(self) -> None:
        self.frames: list[dict[str, JType | None]] = [{}]
        self.finals: list[set[str]] = [set()]  # final locals that have a value (never assigned again)

    def push(self) -> None:
        self.frames.append({})
        self.finals.append(set())

    def pop(self) -> None:
        self.frames.pop()
        self.finals.pop()

    def declare(self, name: str, typ: JType | None, final: bool = False) -> bool:
        """Declare a local; False when a local or parameter of that name is already in scope."""
        clash = any(name in f for f in self.frames)
        self.frames[-1][name] = typ
        (self.finals[-1].add if final else self.finals[-1].discard)(name)
        return not clash

    def find(self, name: str) -> tuple[bool, JType | None]:
        for frame in reversed(self.frames):
            if name in frame:
                return True, frame[name]
        return False, None

    def is_final(self, name: str) -> bool:
        for frame, finals in zip(reversed(self.frames), reversed(self.finals), strict=True):
            if name in frame:
                return name in finals
        return False


@dataclass
class _Member:
    """Checks one class member's statements and expressions, collecting errors."""

    facts: TypeFacts
    scope: FileScope
    classes: list[str]  # enclosing classes, innermost first (binary names)
    static: bool
    returns: JType | None  # None: unknown (or a lambda's, or a field)
    check_returns: bool
    errors: list[TypeError_] = field(default_factory=list)
    locals: _Scope = field(default_factory=_Scope)
    initializer: bool = False  # a constructor or initializer block, where blank finals get their values
    watch_row: int = -1  # record the types of expressions on this (0-based) row, for templates
    watch_all: bool = False  # record the types of every expression of the member (donor code for templates)
    seen: dict[int, Typed] = field(default_factory=dict)

    def watched(self, node: Node) -> bool:
        return self.watch_all or node.start_point[0] == self.watch_row

    def error(self, reason: str, node: Node) -> None:
        self.errors.append(TypeError_(reason, " ".join(node_text(node).split())[:200]))

    # -- statements -----------------------------------------------------------------------------
    def statements(self, nodes: list[Node]) -> bool:
        """Check a statement list; whether it can complete normally (None-safe: True when unsure)."""
        normal = True
        for stmt in nodes:
            if stmt.type in ("line_comment", "block_comment"):
                continue
            if not normal:
                self.error("unreachable-code", stmt)
                normal = True  # one error per unreachable run
            normal = self.statement(stmt)
        return normal

    def statement(self, node: Node) -> bool:  # noqa: C901 - one branch per statement kind
        kind = node.type
        if kind == "block":
            self.locals.push()
            normal = self.statements(list(node.named_children))
            self.locals.pop()
            return normal
        if kind == "local_variable_declaration":
            self.declaration(node)
            return True
        if kind == "expression_statement":
            for child in node.named_children:
                self.expr(child)
            return True
        if kind == "if_statement":
            self.condition(node.child_by_field_name("condition"))
            then = self.nested(node.child_by_field_name("consequence"))
            other = node.child_by_field_name("alternative")
            otherwise = self.nested(other) if other is not None else True
            return then or otherwise
        if kind in ("while_statement", "do_statement"):
            cond = node.child_by_field_name("condition")
            self.condition(cond)
            self.nested(node.child_by_field_name("body"))
            return not self._always_true(cond) or self._breaks(node)
        if kind == "for_statement":
            self.locals.push()
            for init in node.children_by_field_name("init"):
                if init.type == "local_variable_declaration":
                    self.declaration(init)
                else:
                    self.expr(init)
            cond = node.child_by_field_name("condition")
            if cond is not None:
                self.condition(cond)
            for update in node.children_by_field_name("update"):
                self.expr(update)
            self.nested(node.child_by_field_name("body"))
            self.locals.pop()
            return cond is not None and not self._always_true(cond) or self._breaks(node)
        if kind == "enhanced_for_statement":
            self.locals.push()
            self.expr(node.child_by_field_name("value"))
            name = node.child_by_field_name("name")
            if name is not None and not self.locals.declare(node_text(name), self.type_of_decl(node)):
                self.error("duplicate-declaration", name)
            self.nested(node.child_by_field_name("body"))
            self.locals.pop()
            return True
        if kind == "return_statement":
            value = node.named_children[0] if node.named_children else None
            typ = self.expr(value) if value is not None else None
            if self.check_returns and self.returns is not None and self._bad_return(value, typ, self.returns):
                self.error("return-type", node)
            return False
        if kind == "throw_statement":
            for child in node.named_children:
                self.expr(child)
            return False
        if kind in ("break_statement", "continue_statement", "yield_statement"):
            for child in node.named_children:
                if kind == "yield_statement":
                    self.expr(child)
            return False
        if kind in ("try_statement", "try_with_resources_statement"):
            return self.try_statement(node)
        if kind in ("switch_expression", "switch_statement"):
            self.expr(node.child_by_field_name("condition"))
            body = node.child_by_field_name("body")
            self.locals.push()
            for group in body.named_children if body is not None else []:
                self.statements([c for c in group.named_children if c.type != "switch_label"])
            self.locals.pop()
            return True
        if kind == "synchronized_statement":
            for child in node.named_children:
                if child.type == "block":
                    return self.statement(child)
                self.expr(child)
            return True
        if kind == "labeled_statement":
            for inner in node.named_children:
                if inner.type != "identifier":
                    self.statement(inner)
            return True  # a labeled break may leave it: assume it completes
        if kind == "assert_statement":
            if node.named_children:
                self.condition(node.named_children[0])
            return True
        if kind == "explicit_constructor_invocation":
            args = node.child_by_field_name("arguments")
            for a in args.named_children if args is not None else []:
                self.expr(a)
            return True
        return True  # local classes, empty statements, and what this checker does not model

    def _bad_return(self, value: Node | None, typ: Typed, returns: JType) -> bool:
        if value is None or returns.name == "void":
            return (value is None) != (returns.name == "void")
        return isinstance(typ, JType) and self.assignable(typ, returns) is False

    def nested(self, node: Node | None) -> bool:
        if node is None:
            return True
        if node.type == "block":
            return self.statement(node)
        self.locals.push()
        normal = self.statement(node)
        self.locals.pop()
        return normal

    def try_statement(self, node: Node) -> bool:
        self.locals.push()
        resources = node.child_by_field_name("resources")
        for res in resources.named_children if resources is not None else []:
            name, value = res.child_by_field_name("name"), res.child_by_field_name("value")
            if value is not None:
                self.expr(value)
            if name is not None:
                self.locals.declare(node_text(name), self.facts.resolve_type_node(res.child_by_field_name("type")))
        body = node.child_by_field_name("body")
        normal = self.statement(body) if body is not None else True
        self.locals.pop()
        finally_normal = True
        for clause in node.named_children:
            if clause.type == "catch_clause":
                self.locals.push()
                param = next((c for c in clause.named_children if c.type == "catch_formal_parameter"), None)
                if param is not None:
                    name = param.child_by_field_name("name")
                    types = [c for c in param.named_children if c.type == "catch_type"]
                    typ = self.facts.resolve_type_node(types[0].named_children[0]) if types and len(
                        types[0].named_children) == 1 else None
                    if name is not None:
                        self.locals.declare(node_text(name), typ)
                body = clause.child_by_field_name("body")
                normal = self.statement(body) or normal if body is not None else normal
                self.locals.pop()
            elif clause.type == "finally_clause":
                block = next((c for c in clause.named_children if c.type == "block"), None)
                finally_normal = self.statement(block) if block is not None else True
        return normal and finally_normal

    def declaration(self, node: Node) -> None:
        declared = self.type_of_decl(node)
        for decl in node.named_children:
            if decl.type != "variable_declarator":
                continue
            name, value = decl.child_by_field_name("name"), decl.child_by_field_name("value")
            extra = sum(1 for c in decl.children if c.type == "dimensions")
            typ = JType(declared.name, declared.args, declared.dims + extra) if declared and extra else declared
            if value is not None and name is not None and _reads(value, node_text(name)):
                self.error("uninitialized-variable", decl)  # `int x = x + 1;`: in scope, never assigned
            if value is not None:
                vt = self.expr(value) if value.type != "array_initializer" else None
                if typ is None and node.child_by_field_name("type") is not None and node_text(
                        node.child_by_field_name("type")) == "var" and isinstance(vt, JType):
                    typ = vt
                elif typ is not None and isinstance(vt, JType) and self.assignable(vt, typ) is False:
                    self.error("assignment-types", decl)
            final = "final" in modifiers_of(node) and value is not None
            if name is not None and not self.locals.declare(node_text(name), typ, final):
                self.error("duplicate-declaration", decl)

    def type_of_decl(self, node: Node) -> JType | None:
        typ = node.child_by_field_name("type")
        return self.facts.resolve_type_node(typ, self.scope, node) if typ is not None else None

    def condition(self, node: Node | None) -> None:
        if node is None:
            return
        inner = node.named_children[0] if node.type == "parenthesized_expression" and node.named_children else node
        t = self.expr(inner)
        if isinstance(t, JType) and known(t) and t.unboxed() != "boolean":
            self.error("condition-type", node)

    @staticmethod
    def _always_true(cond: Node | None) -> bool:
        if cond is None:
            return True
        inner = cond.named_children[0] if cond.type == "parenthesized_expression" and cond.named_children else cond
        return inner.type == "true"

    @staticmethod
    def _breaks(loop: Node) -> bool:
        """Whether a `break` may leave this loop (any break inside, to be safe)."""
        stack = [loop.child_by_field_name("body")]
        while stack:
            node = stack.pop()
            if node is None:
                continue
            if node.type == "break_statement":
                return True
            stack.extend(node.named_children)
        return False

    # -- expressions ----------------------------------------------------------------------------
    def expr(self, node: Node | None) -> Typed:
        typed = self._expr(node)
        if node is not None and self.watched(node):
            self.seen[node.id] = typed
        return typed

    def _expr(self, node: Node | None) -> Typed:  # noqa: C901 - one branch per expression kind
        if node is None:
            return None
        kind = node.type
        literal = _literal_type(node)
        if literal is not None:
            return literal
        if kind == "parenthesized_expression":
            return self.expr(node.named_children[0]) if node.named_children else None
        if kind == "identifier":
            return self.name(node)
        if kind == "this":
            return JType(self.classes[0]) if self.classes else None
        if kind == "cast_expression":
            self.expr(node.child_by_field_name("value"))
            return self.facts.resolve_type_node(node.child_by_field_name("type"), self.scope, node)
        if kind == "binary_expression":
            return self.binary(node)
        if kind == "unary_expression":
            return self.unary(node)
        if kind == "update_expression":
            if node.named_children:
                self.assigned(node.named_children[0], node)
            operand = self.expr(node.named_children[0]) if node.named_children else None
            if isinstance(operand, JType) and known(operand) and numeric(operand) is None:
                self.error("operator-types", node)
            return operand if isinstance(operand, JType) else None
        if kind == "ternary_expression":
            self.condition(node.child_by_field_name("condition"))
            a = self.expr(node.child_by_field_name("consequence"))
            b = self.expr(node.child_by_field_name("alternative"))
            if isinstance(a, JType) and isinstance(b, JType):
                if a == b:
                    return a
                na, nb = numeric(a), numeric(b)
                if na and nb:
                    return promote(na, nb)
                if a.is_null and b.reference:
                    return b
                if b.is_null and a.reference:
                    return a
            return None
        if kind == "method_invocation":
            return self.invocation(node)
        if kind == "field_access":
            return self.field_access(node)
        if kind == "array_access":
            array = self.expr(node.child_by_field_name("array"))
            index = self.expr(node.child_by_field_name("index"))
            if isinstance(index, JType) and known(index) and numeric(index) not in INTEGRAL - {"long"}:
                self.error("operator-types", node)
            if isinstance(array, JType) and known(array):
                if array.dims == 0:
                    self.error("operator-types", node)
                    return None
                return array.element()
            return None
        if kind == "object_creation_expression":
            arguments = node.child_by_field_name("arguments")
            for arg in arguments.named_children if arguments is not None else []:
                self.expr(arg)
            if any(c.type == "class_body" for c in node.named_children):
                return None  # an anonymous class: its members are not checked here
            return self.facts.resolve_type_node(node.child_by_field_name("type"), self.scope, node)
        if kind == "array_creation_expression":
            base = self.facts.resolve_type_node(node.child_by_field_name("type"), self.scope, node)
            dims = sum(node_text(c).count("[") for c in node.children if c.type in ("dimensions", "dimensions_expr"))
            for c in node.named_children:
                if c.type == "dimensions_expr":
                    for e in c.named_children:
                        self.expr(e)
            return JType(base.name, base.args, base.dims + dims) if base else None
        if kind == "assignment_expression":
            return self.assignment(node)
        if kind == "instanceof_expression":
            self.expr(node.child_by_field_name("left"))
            return BOOLEAN
        if kind in ("lambda_expression", "method_reference", "switch_expression", "array_initializer"):
            return None
        return None

    def name(self, node: Node, quiet: bool = False) -> Typed:
        text = node_text(node)
        found, typ = self.locals.find(text)
        if found:
            return typ
        for i, cls in enumerate(self.classes):
            fact, complete = self.facts.field(cls, text)
            if fact is not None:
                if i == 0 and self.static and not fact.static:
                    self.error("static-context", node)
                return fact.type
        if text in self.scope.static_single:
            owner = self.facts.resolve_class(self.scope.static_single[text], self.scope, node)
            fact = self.facts.field(owner, text)[0] if owner else None
            return fact.type if fact else None
        binary = self.facts.resolve_class(text, self.scope, node)
        if binary is not None:
            return ClassRef(binary)
        if not quiet and self._all_known() and not self.scope.static_on_demand and text[:1].islower():
            self.error("undefined-name", node)
        return None

    def _all_known(self) -> bool:
        return all(self.facts.supertypes(c)[1] for c in self.classes)

    def receiver(self, node: Node) -> Typed:
        """The type of a call's or field access's object, or the class it names (`Math.max`, `java.io.File`)."""
        if node.type in ("identifier", "field_access", "scoped_identifier"):
            text = node_text(node)
            if node.type == "identifier":
                # quiet: a receiver that names nothing may be the first part of a package name
                typed = self.name(node, quiet=True)
                if self.watched(node):
                    self.seen[node.id] = typed
                if typed is None and self.locals.find(text)[0] is False and text[:1].islower() \
                        and node.parent is not None and node.parent.type == "method_invocation" \
                        and self._all_known() and not self.scope.static_on_demand:
                    self.error("undefined-name", node)
                return typed
            typed = self.field_access(node, quiet=True) if node.type == "field_access" else None
            if typed is None:
                binary = self.facts.resolve_class(text, self.scope, node)
                typed = ClassRef(binary) if binary else None
            if self.watched(node):
                self.seen[node.id] = typed
            return typed
        if node.type == "super":
            fact = self.facts.lookup(self.classes[0]) if self.classes else None
            return JType(fact.supertypes[0]) if fact and fact.supertypes and fact.supertypes[0] != "?" else None
        return self.expr(node)

    def invocation(self, node: Node) -> Typed:
        obj = node.child_by_field_name("object")
        name = node_text(node.child_by_field_name("name"))
        args_node = node.child_by_field_name("arguments")
        arg_nodes = list(args_node.named_children) if args_node is not None else []
        args = [self.expr(a) for a in arg_nodes]
        if obj is None:
            return self._unqualified_call(node, name, args)
        recv = self.receiver(obj)
        if isinstance(recv, ClassRef):
            methods, complete = self.facts.methods(recv.binary, name)
            return self._select(node, methods, complete, args, static_only=True, receiver=None)
        if not isinstance(recv, JType) or not known(recv):
            return None
        if recv.is_null:
            return None
        if recv.primitive:
            self.error("primitive-receiver", node)
            return None
        owner = OBJECT if recv.dims else recv.name
        if recv.dims and name == "clone" and not args:
            return recv
        methods, complete = self.facts.methods(owner, name)
        return self._select(node, methods, complete, args, static_only=False, receiver=None if recv.dims else recv)

    def _unqualified_call(self, node: Node, name: str, args: list[Typed]) -> Typed:
        for i, cls in enumerate(self.classes):
            methods, complete = self.facts.methods(cls, name)
            if methods:
                static_only = i == 0 and self.static
                return self._select(node, methods, complete, args, static_only=static_only, receiver=None)
        if name in self.scope.static_single:
            owner = self.facts.resolve_class(self.scope.static_single[name], self.scope, node)
            if owner:
                methods, complete = self.facts.methods(owner, name)
                return self._select(node, methods, complete, args, static_only=True, receiver=None)
            return None
        if self._all_known() and not self.scope.static_on_demand:
            self.error("no-such-method", node)
        return None

    def _select(self, node: Node, methods: list[MethodFact], complete: bool, args: list[Typed],
                static_only: bool, receiver: JType | None) -> Typed:
        by_arity = [m for m in methods if m.accepts_arity(len(args))]
        if not by_arity:
            if complete:
                self.error("no-such-method", node)
            return None
        if static_only and all(not m.static for m in by_arity):
            self.error("static-context", node)
            return None
        fitting = [m for m in by_arity if all(self._arg_fits(a, m, i) is not False for i, a in enumerate(args))]
        if not fitting:
            if complete:
                self.error("argument-types", node)
            return None
        returns = {self._returned(m, receiver) for m in fitting}
        return returns.pop() if len(returns) == 1 else None

    def _arg_fits(self, arg: Typed, method: MethodFact, i: int) -> bool | None:
        if not isinstance(arg, JType) or not known(arg):
            return None
        if method.varargs and i >= len(method.params) - 1:
            last = method.params[-1]
            if last is None:
                return None
            direct = self.assignable(arg, last) if i == len(method.params) - 1 else False
            element = last.element()
            spread = self.assignable(arg, element) if element is not None else None
            return True if direct or spread else (None if direct is None or spread is None else False)
        param = method.params[i] if i < len(method.params) else None
        return self.assignable(arg, param) if param is not None else None

    def _returned(self, method: MethodFact, receiver: JType | None) -> JType | None:
        if method.generic_return:
            owner = self.facts.lookup(method.owner)
            if receiver is not None and owner is not None and receiver.name == method.owner and receiver.args \
                    and method.generic_return in owner.type_params:
                    arg = receiver.args[owner.type_params.index(method.generic_return)]
                    return arg if known(arg) else None
            return None
        returns = method.returns
        return None if returns is None or returns.variable else returns

    def field_access(self, node: Node, quiet: bool = False) -> Typed:
        obj, name = node.child_by_field_name("object"), node_text(node.child_by_field_name("field"))
        if obj is None:
            return None
        recv = self.receiver(obj)
        if isinstance(recv, ClassRef):
            fact, complete = self.facts.field(recv.binary, name)
            if fact is not None:
                return fact.type
            nested = f"{recv.binary}${name}"
            if self.facts.exists(nested):
                return ClassRef(nested)
            if complete and not quiet:
                self.error("no-such-field", node)
            return None
        if not isinstance(recv, JType) or not known(recv) or recv.is_null:
            return None
        if recv.dims:
            if name == "length":
                return INT
            if not quiet:
                self.error("no-such-field", node)
            return None
        if recv.primitive:
            if not quiet:
                self.error("primitive-receiver", node)
            return None
        fact, complete = self.facts.field(recv.name, name)
        if fact is not None:
            return fact.type
        if complete and not quiet:
            self.error("no-such-field", node)
        return None

    def binary(self, node: Node) -> Typed:
        op = node_text(node.child_by_field_name("operator"))
        left, right = self.expr(node.child_by_field_name("left")), self.expr(node.child_by_field_name("right"))
        if not (isinstance(left, JType) and isinstance(right, JType) and known(left) and known(right)):
            if op in ("&&", "||", "==", "!=", "<", "<=", ">", ">="):
                return BOOLEAN
            if op == "+" and any(isinstance(t, JType) and t.name == STRING and not t.dims for t in (left, right)):
                return JType(STRING)
            return None
        result = binary_result(op, left, right, self.facts)
        if result is None:
            self.error("operator-types", node)
        return result

    def unary(self, node: Node) -> Typed:
        op = node_text(node.child_by_field_name("operator"))
        operand = self.expr(node.child_by_field_name("operand"))
        if not isinstance(operand, JType) or not known(operand):
            return BOOLEAN if op == "!" else None
        if op == "!":
            if operand.unboxed() != "boolean":
                self.error("operator-types", node)
            return BOOLEAN
        n = numeric(operand)
        if n is None or (op == "~" and n not in INTEGRAL):
            self.error("operator-types", node)
            return None
        return promote(n, "int")

    def assigned(self, target: Node, node: Node) -> None:
        """An error when `target` is a final variable that already has its value."""
        name = target if target.type == "identifier" else None
        owners: list[str] = []
        if target.type == "field_access":
            obj = target.child_by_field_name("object")
            name = target.child_by_field_name("field")
            recv = self.receiver(obj) if obj is not None else None
            if isinstance(recv, ClassRef):
                owners = [recv.binary]
            elif isinstance(recv, JType) and known(recv) and not recv.primitive and not recv.dims:
                owners = [recv.name]
        elif name is not None:
            text = node_text(name)
            if self.locals.find(text)[0]:
                if self.locals.is_final(text):
                    self.error("final-assignment", node)
                return
            owners = self.classes[:1]
        if name is None:
            return
        for owner in owners:
            fact = self.facts.field(owner, node_text(name))[0]
            if fact is None or not fact.final:
                continue
            # A blank final may be given its value in its own class's constructors and initializers.
            if fact.initialized or fact.owner != (self.classes[0] if self.classes else "") or not self.initializer:
                self.error("final-assignment", node)

    def assignment(self, node: Node) -> Typed:
        op = node_text(node.child_by_field_name("operator"))
        target = node.child_by_field_name("left")
        if target is not None:
            self.assigned(target, node)
        left, right = self.expr(node.child_by_field_name("left")), self.expr(node.child_by_field_name("right"))
        if not (isinstance(left, JType) and isinstance(right, JType) and known(left) and known(right)):
            return left if isinstance(left, JType) else None
        if op == "=":
            if self.assignable(right, left) is False:
                self.error("assignment-types", node)
        elif op == "+=" and left.name == STRING and not left.dims:
            pass
        else:
            result = binary_result(op[:-1], left, right, self.facts)
            if result is None or (result.name == STRING and not result.dims):  # `int += String` cannot narrow
                self.error("operator-types", node)
        return left

    def assignable(self, src: JType, dst: JType) -> bool | None:
        return assignable(src, dst, self.facts)


def binary_result(op: str, left: JType, right: JType, facts: TypeFacts) -> JType | None:
    """The type of `left op right`, or None when Java refuses the operands (both must be known)."""
    nl, nr = numeric(left), numeric(right)
    bl, br = left.unboxed() == "boolean", right.unboxed() == "boolean"
    if op == "+":
        if (left.name == STRING and not left.dims) or (right.name == STRING and not right.dims):
            return JType(STRING)
        return promote(nl, nr) if nl and nr else None
    if op in ("-", "*", "/", "%"):
        return promote(nl, nr) if nl and nr else None
    if op in ("<", "<=", ">", ">="):
        return BOOLEAN if nl and nr else None
    if op in ("==", "!="):
        if (nl and nr) or (bl and br):
            return BOOLEAN
        if left.primitive or right.primitive:
            # A primitive against null, or a boolean against a number, never compiles; javac accepts
            # a primitive against other references in ways that are not worth modelling here.
            if left.is_null or right.is_null or (bl and nr) or (nl and br):
                return None
            return BOOLEAN
        if left.is_null or right.is_null:
            return BOOLEAN
        castable = _castable(left, right, facts)
        return None if castable is False else BOOLEAN
    if op in ("&&", "||"):
        return BOOLEAN if bl and br else None
    if op in ("&", "|", "^"):
        if bl and br:
            return BOOLEAN
        return promote(nl, nr) if nl in INTEGRAL and nr in INTEGRAL else None
    if op in ("<<", ">>", ">>>"):
        return promote(nl, "int") if nl in INTEGRAL and nr in INTEGRAL else None
    return None


def _castable(a: JType, b: JType, facts: TypeFacts) -> bool | None:
    """Whether two reference types may be compared with ==: False only for two unrelated classes."""
    if a.dims != b.dims or a.variable or b.variable:
        return None if a.dims == b.dims else (None if OBJECT in (a.name, b.name) else False)
    fa, fb = facts.lookup(a.name), facts.lookup(b.name)
    if fa is None or fb is None or fa.kind == "interface" or fb.kind == "interface":
        return None
    up, down = facts.is_subclass(a.name, b.name), facts.is_subclass(b.name, a.name)
    if up or down:
        return True
    return False if up is False and down is False else None


def assignable(src: JType, dst: JType, facts: TypeFacts) -> bool | None:
    """Whether a value of type `src` may be assigned to `dst` (None when the facts cannot tell)."""
    if not known(src) or not known(dst) or src == dst:
        return None if not (known(src) and known(dst)) else True
    if dst.name == "void" or src.name == "void":
        return False
    if dst.primitive:
        if src.is_null:
            return False
        p = src.unboxed()
        if p is None:
            return False
        if p == dst.name or dst.name in _WIDENING.get(p, set()):
            return True
        if src.primitive and p in ("int", "short", "char", "byte") and dst.name in ("byte", "short", "char"):
            return None  # a constant expression may narrow
        return False
    if src.is_null:
        return True
    if src.primitive:
        if dst.dims:
            return False
        box = UNBOX_TO_BOX.get(src.name)
        if src.name in ("int", "short", "char", "byte") and dst.name in (
                "java.lang.Byte", "java.lang.Short", "java.lang.Character"):
            return None  # constant narrowing then boxing
        return facts.is_subclass(box, dst.name) if box else None
    if dst.dims:
        if src.dims != dst.dims:
            return False if src.dims < dst.dims else None
        if src.name in NUMERIC + ("boolean",) or dst.name in NUMERIC + ("boolean",):
            return src.name == dst.name
        return facts.is_subclass(src.name, dst.name)
    if src.dims:
        return dst.name in (OBJECT, "java.lang.Cloneable", "java.io.Serializable")
    return facts.is_subclass(src.name, dst.name)


def _common_prefix(a: bytes, b: bytes) -> int:
    """The length of the longest common prefix (by bisection, each probe one C-level comparison)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _reads(node: Node, name: str) -> bool:
    """Whether `node` reads the simple name `name` (not as a member name of a call or field access)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier" and node_text(current) == name:
            parent = current.parent
            member = parent is not None and parent.type in ("field_access", "method_invocation") and (
                parent.child_by_field_name("field" if parent.type == "field_access" else "name") == current)
            if not member:
                return True
        if current.type not in ("lambda_expression", "class_body"):
            stack.extend(current.named_children)
    return False


def _enclosing(node: Node, kinds: tuple[str, ...] | dict[str, str]) -> Iterator[Node]:
    current = node.parent
    while current is not None:
        if current.type in kinds:
            yield current
        current = current.parent


def _member_at(root: Node, start: int, end: int) -> Node | None:
    """The innermost class member (method, constructor, field, initializer) spanning [start, end)."""
    best = None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.start_byte <= start and end <= node.end_byte:
            if node.type in MEMBER_KINDS and node.parent is not None and node.parent.type in (
                    "class_body", "enum_body_declarations", "interface_body"):
                best = node
            stack.extend(node.children)
    return best


class JavaTypeChecker:
    """Finds the first compile error a candidate adds to a Java file (see the module docstring)."""

    def __init__(self, facts: TypeFacts) -> None:
        self.facts = facts
        self._old: dict[tuple[str, int, int], Counter[TypeError_]] = {}
        self._file: tuple[str, str, Tree] | None = None  # the text the facts describe now, and its tree

    def errors(self, path: str, text: str, member_start: int, member_end: int,
               tree: Tree | None = None) -> Counter[TypeError_] | None:
        """The errors of the member of `text` that spans the given bytes (None: no member there)."""
        root = self._enter(path, text, tree)
        member = _member_at(root, member_start, member_end)
        if member is None:
            return None
        return Counter(self._check(member))

    def _enter(self, path: str, text: str, tree: Tree | None = None) -> Node:
        """Make `text` the current file of the facts (once per text); the root of its tree."""
        if self._file is not None and self._file[0] == path and self._file[1] == text:
            return self._file[2].root_node
        tree = tree or parse("java", text)
        self.facts.enter_file(path, tree.root_node)
        self._file = (path, text, tree)
        return tree.root_node

    def types_on_row(self, path: str, text: str, row: int) -> tuple[dict[int, Typed], Tree]:
        """The static types of the expressions of the member around a 0-based row, the row's and the rest's,
        by tree-sitter node id (None when unknown), and the tree they belong to, so that templates can look
        them up by node: the row's expressions to mutate, the others as donor code."""
        root = self._enter(path, text)
        tree = self._file[2] if self._file is not None else parse("java", text)
        line_start = sum(len(ln) + 1 for ln in text.encode().split(b"\n")[:row])
        member = _member_at(root, line_start, line_start)
        checker = self._member_checker(member) if member is not None else None
        if checker is None or member is None:
            return {}, tree
        checker.watch_row, checker.watch_all = row, True
        self._run(checker, member)
        return checker.seen, tree

    def new_error(self, path: str, old: str, new: str, new_tree: Tree | None = None) -> TypeError_ | None:
        """The first compile error `new` has that `old` does not, in the member the change is in.

        `new_tree` is `new` parsed already, when the caller has it.
        """
        old_b, new_b = old.encode(), new.encode()
        head = _common_prefix(old_b, new_b)
        tail = _common_prefix(old_b[head:][::-1], new_b[head:][::-1])
        key = (path, head, len(old_b) - tail)
        if key not in self._old:
            found = self.errors(path, old, head, max(head, len(old_b) - tail))
            if found is None:
                return None
            self._old[key] = found
        before = self._old[key]
        after = self.errors(path, new, head, max(head, len(new_b) - tail), new_tree)
        if after is None:
            return None
        added = after - before
        return next(iter(added), None)

    def _check(self, member: Node) -> list[TypeError_]:
        checker = self._member_checker(member)
        if checker is None:
            return []
        self._run(checker, member)
        return checker.errors

    def _member_checker(self, member: Node) -> _Member | None:
        classes = []
        declared = self.facts.current.declared.items() if self.facts.current else []
        for cls in _enclosing(member, CLASS_KINDS):
            binary = next((b for b, n in declared if n.id == cls.id), None)
            if binary is None:
                return None  # a local or anonymous class: not modelled
            classes.append(binary)
        static = "static" in modifiers_of(member) or member.type == "static_initializer"
        returns = None
        if member.type == "method_declaration":
            returns = self.facts.resolve_type_node(member.child_by_field_name("type"), None, member)
        elif member.type == "constructor_declaration":
            returns = JType("void")
        return _Member(self.facts, self.facts.current or FileScope(""), classes, static, returns,
                       member.type in ("method_declaration", "constructor_declaration"),
                       initializer=member.type in ("constructor_declaration", "static_initializer", "block"))

    def _run(self, checker: _Member, member: Node) -> None:
        if member.type in ("method_declaration", "constructor_declaration"):
            self._declare_parameters(checker, member)
            body = member.child_by_field_name("body")
            if body is not None:
                normal = checker.statements(list(body.named_children))
                returns = checker.returns
                if normal and member.type == "method_declaration" and returns is not None and known(returns) \
                        and returns.name != "void":
                    checker.error("missing-return", member.child_by_field_name("name") or member)
        elif member.type in ("field_declaration", "constant_declaration"):
            checker.check_returns = False
            checker.declaration(member)
        else:
            checker.check_returns = False
            for child in member.named_children:
                if child.type == "block":
                    checker.statement(child)

    def _declare_parameters(self, checker: _Member, member: Node) -> None:
        params = member.child_by_field_name("parameters")
        for p in params.named_children if params is not None else []:
            name = p.child_by_field_name("name")
            typ = self.facts.resolve_type_node(p.child_by_field_name("type"), None, p)
            if p.type == "spread_parameter":
                decl = next((c for c in p.named_children if c.type == "variable_declarator"), None)
                name = decl.child_by_field_name("name") if decl else None
                element = self.facts.resolve_type_node(
                    next((c for c in p.named_children if c.type not in ("modifiers", "variable_declarator")), None),
                    None, p)
                typ = JType(element.name, element.args, element.dims + 1) if element else None
            if name is not None:
                checker.locals.declare(node_text(name), typ, "final" in modifiers_of(p))
