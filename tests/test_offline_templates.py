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
    guard = by_template(loop, "range-check")
    assert guard and changed_lines(guard[0])[:2] == ["if i < 0 or i >= len(items):", "return None"]


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
