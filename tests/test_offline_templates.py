"""Fix templates on real Java and Python sources (tree-sitter), and the search's ranking prior."""

from __future__ import annotations

import json

import pytest

from repair.datasets.demo import DEMO_ROOT
from repair.offline.search import TEMPLATE_PRIOR, rank, score
from repair.offline.templates import Candidate, generate
from repair.patch import Patch
from repair.syntax import parse

JAVA = """package p;

public class Calc {
    private int limit;

    public static int sum(int[] xs, int n) {
        int total = 0;
        int i = 0;
        while (i < n) {
            total = total + xs[i];
            i++;
        }
        return total;
    }

    public static int fact(int n) {
        return n * fact(n - 1);
    }

    public int pick(String s, int a, int b) {
        if (a > b && s.isEmpty()) {
            return Math.min(a, b);
        }
        return s.length();
    }
}
"""

PYTHON = """def between(lo, hi, x):
    if x < lo:
        return lo
    return min(hi, x)


def count(items, n):
    total = 0
    for i in range(n):
        total += items[i]
    return total
"""


def line_of(text: str, snippet: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), start=1) if snippet in ln)


def changed_lines(c: Candidate) -> list[str]:
    return [ln[1:].strip() for ln in c.diff().splitlines() if ln.startswith("+") and not ln.startswith("+++")]


def by_template(cands: list[Candidate], template: str) -> list[Candidate]:
    return [c for c in cands if c.template == template]


def test_java_operator_condition_and_literal_families() -> None:
    cands = generate("java", JAVA, line_of(JAVA, "while (i < n)"), "p/Calc.java")
    new_conditions = {changed_lines(c)[0] for c in cands if changed_lines(c)}
    assert "while (i <= n) {" in new_conditions  # relational operator, < -> <=
    assert "while (!(i < n)) {" in new_conditions  # negated condition
    assert "while (i < total) {" in new_conditions  # same-typed variable in scope
    assert {c.template for c in cands} >= {"operator", "condition-negate", "variable", "remove-statement"}

    literal = generate("java", JAVA, line_of(JAVA, "int total = 0;"), "p/Calc.java")
    assert "int total = 1;" in {changed_lines(c)[0] for c in by_template(literal, "literal")}


def test_java_clause_swap_method_and_checks() -> None:
    line = line_of(JAVA, "if (a > b && s.isEmpty())")
    cands = generate("java", JAVA, line, "p/Calc.java")
    drops = {changed_lines(c)[0] for c in by_template(cands, "condition-drop-clause")}
    assert drops == {"if (a > b) {", "if (s.isEmpty()) {"}
    assert any("if (s == null) return 0;" in changed_lines(c) for c in by_template(cands, "null-check"))

    call = generate("java", JAVA, line_of(JAVA, "return Math.min(a, b);"), "p/Calc.java")
    assert "return Math.max(a, b);" in {changed_lines(c)[0] for c in by_template(call, "method")}
    assert "return Math.min(b, a);" in {changed_lines(c)[0] for c in by_template(call, "swap-arguments")}

    access = generate("java", JAVA, line_of(JAVA, "total = total + xs[i];"), "p/Calc.java")
    assert any("if (i < 0 || i >= xs.length) return 0;" in changed_lines(c)
               for c in by_template(access, "range-check"))


def test_java_missing_base_case_is_inserted_before_the_recursive_call() -> None:
    cands = by_template(generate("java", JAVA, line_of(JAVA, "return n * fact(n - 1);"), "p/Calc.java"),
                        "base-case")
    assert cands
    fixed = cands[0].new_text
    assert "        if (n <= 1) return 1;\n        return n * fact(n - 1);" in fixed


def test_python_families() -> None:
    cands = generate("python", PYTHON, line_of(PYTHON, "return min(hi, x)"), "between.py")
    new = {changed_lines(c)[0] for c in cands if changed_lines(c)}
    assert "return max(hi, x)" in new and "return min(x, hi)" in new
    loop = generate("python", PYTHON, line_of(PYTHON, "total += items[i]"), "count.py")
    assert "total -= items[i]" in {changed_lines(c)[0] for c in by_template(loop, "compound-assignment")}
    guard = by_template(loop, "range-check")  # `total` (returned) starts as an int: the guard returns 0
    assert guard and changed_lines(guard[0])[:2] == ["if i < 0 or i >= len(items):", "return 0"]


@pytest.mark.parametrize("language,line,old,new", [
    ("python", "    n ^= n - 1", "^=", ["&=", "|="]),
    ("python", "    n <<= 1", "<<=", [">>="]),
    ("python", "    n //= 2", "//=", ["/=", "%=", "**="]),
    ("java", "        n >>>= 1;", ">>>=", ["<<=", ">>="]),
    ("java", "        n &= n - 1;", "&=", ["|=", "^="]),
])
def test_bitwise_and_shift_compound_assignments_mutate_within_their_family(
        language: str, line: str, old: str, new: list[str]) -> None:
    text = (f"def f(n):\n{line}\n    return n\n" if language == "python"
            else f"class A {{\n    static int f(int n) {{\n{line}\n        return n;\n    }}\n}}\n")
    cands = by_template(generate(language, text, line_of(text, old), "f"), "compound-assignment")
    made = {changed_lines(c)[0] for c in cands}
    assert {line.strip().replace(old, alt, 1) for alt in new} <= made
    assert line.strip().replace(old, "=", 1) in made  # and a plain assignment
    if old in ("^=", "&=", ">>>="):  # a bitwise or shift operator stays in its family
        assert not any(m.split()[1] in ("+=", "-=", "*=") for m in made)


GUARDED = {
    # Its other exits answer False: so does the guard (QuixBugs' detect_cycle shape, not its code).
    "python-bool": ("def linked(first):\n    step = first\n    while True:\n        if step.next is None:\n"
                    "            return False\n        step = step.next\n        if step is first:\n"
                    "            return True\n", "step.next is None", ["if step is None:", "return False"]),
    "python-annotation": ("def size(box) -> int:\n    return box.count()\n", "box.count()",
                          ["if box is None:", "return 0"]),
    "python-list": ("def names(people):\n    out = []\n    for p in people.all():\n        out.append(p)\n"
                    "    return out\n", "people.all()", ["if people is None:", "return []"]),
    "python-none": ("def first(xs):\n    return xs.head()\n", "xs.head()", ["if xs is None:", "return None"]),
    "java-sentinel": ("class A {\n    static int find(String s, char c) {\n        if (s.isEmpty()) return -1;\n"
                      "        return s.indexOf(c);\n    }\n}\n", "return s.indexOf(c)", ["if (s == null) return -1;"]),
    "java-boolean": ("class A {\n    static boolean has(String s) {\n        return s.contains(\"x\");\n"
                     "    }\n}\n", "s.contains", ["if (s == null) return false;"]),
}


@pytest.mark.parametrize("case", sorted(GUARDED))
def test_a_null_guard_returns_what_the_function_returns(case: str) -> None:
    text, snippet, expected = GUARDED[case]
    language = case.split("-")[0]
    guards = by_template(generate(language, text, line_of(text, snippet), "f"), "null-check")
    assert guards and changed_lines(guards[0])[:len(expected)] == expected


@pytest.mark.parametrize("language,text", [("java", JAVA), ("python", PYTHON)])
def test_every_candidate_parses_changes_the_file_and_applies_as_a_diff(language: str, text: str) -> None:
    for line in range(1, len(text.splitlines()) + 1):
        cands = generate(language, text, line, "f")
        assert len({c.new_text for c in cands}) == len(cands)  # no duplicates
        for c in cands:
            assert c.new_text != text
            assert not parse(language, c.new_text).root_node.has_error
            applied = Patch.parse(c.diff()).apply_to_texts(lambda _p: text).files["f"]
            assert applied == c.new_text
            edit = Patch.from_line_edits([{"file": "f", "changes": [c.line_change()]}], lambda _p: text)
            assert edit.apply_to_texts(lambda _p: text).files["f"] == c.new_text


def test_the_demo_bugs_ground_truth_fixes_are_among_the_candidates() -> None:
    for meta in json.loads((DEMO_ROOT / "bugs.json").read_text()):
        loc = meta["buggy_locations"][0]
        text = (DEMO_ROOT / loc["file"]).read_text()
        language = "java" if loc["file"].endswith(".java") else "python"
        fixed = Patch.parse((DEMO_ROOT / meta["fix"]).read_text()).apply_to_texts(lambda _p, t=text: t)
        want = fixed.files[loc["file"]].split()
        cands = generate(language, text, loc["line"], loc["file"])
        assert any(c.new_text.split() == want for c in cands), meta["name"]


def test_the_prior_ranks_small_frequent_edits_first() -> None:
    cands = generate("java", JAVA, line_of(JAVA, "while (i < n)"), "p/Calc.java")
    ranked = rank(cands)
    assert [score(c) for c in ranked] == sorted((score(c) for c in ranked), reverse=True)
    assert ranked[0].template == "operator"
    assert all(c.template in TEMPLATE_PRIOR for c in cands)


def test_unparsable_or_unknown_input_gives_no_candidates() -> None:
    assert generate("java", "class { broken", 1) == []
    assert generate("rust", "fn main() {}", 1) == []
    assert generate("python", PYTHON, 0) == []
