"""Type-aware Java templates: the receiver's own methods, static stays static, operators fit their operands,
and every candidate the type filter drops is one that javac refuses (checked with a real javac run)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from repair.fast_validation import FastPatchValidator
from repair.offline.stats import CandidateRecord, first_compiler_error
from repair.offline.templates import Candidate, propose
from repair.offline.type_check import JavaTypeChecker
from repair.offline.type_facts import ReflectionFacts, TypeFacts

PATH = "src/sample/Stack.java"
SAMPLE = """package sample;

import java.util.ArrayList;
import java.util.List;

public class Stack {
    private final List<Double> values = new ArrayList<>();
    private String name = "stack";
    private static final int LIMIT = 100;
    private int limit = 10;

    public void push(double value) {
        values.add(value);
    }

    public void close() {
        values.clear();
    }

    public int size() {
        return values.size();
    }

    public void grow(int step) {
        limit = limit + step;
    }

    public String label(String header, int count) {
        String trimmed = header.trim();
        return trimmed + ": " + count;
    }

    public static boolean invalid(double x) {
        return Double.isNaN(x) || x < 0;
    }

    public double top() {
        if (values.isEmpty()) {
            throw new IllegalStateException(name + " is empty");
        }
        double last = values.get(size() - 1);
        return last;
    }
}
"""


def line_of(text: str) -> int:
    return next(i for i, line in enumerate(SAMPLE.splitlines(), start=1) if text in line)


def checker() -> JavaTypeChecker:
    return JavaTypeChecker(TypeFacts(lambda p: SAMPLE if p == PATH else None, ReflectionFacts()))


def methods(candidates: list[Candidate]) -> set[str]:
    return {c.description for c in candidates if c.template == "method"}


def test_calls_keep_their_receiver_and_static_calls_stay_static() -> None:
    typed = checker()
    try:
        trim = line_of("header.trim()")
        untyped = methods(propose("java", SAMPLE, trim, PATH).candidates)
        assert "call close instead of trim" in untyped  # what the templates did without types
        made = propose("java", SAMPLE, trim, PATH, typed)
        kept = methods(made.candidates)
        assert "call close instead of trim" not in kept and "call strip instead of trim" in kept

        nan = line_of("Double.isNaN(x)")
        assert "call push instead of isNaN" in methods(propose("java", SAMPLE, nan, PATH).candidates)
        static = methods(propose("java", SAMPLE, nan, PATH, typed).candidates)
        assert "call isInfinite instead of isNaN" in static and "call push instead of isNaN" not in static
    finally:
        typed.facts.close()


def test_string_concatenation_is_never_turned_into_arithmetic() -> None:
    typed = checker()
    try:
        made = propose("java", SAMPLE, line_of('return trimmed + ": " + count;'), PATH, typed)
        operators = {c.description for c in made.candidates if c.template == "operator"}
        assert not any(d.startswith("+ -> ") for d in operators)
        dropped = {(c.description, reason) for c, reason in made.dropped}
        assert ("+ -> -", "ill-typed:operator-types") in dropped and ("+ -> *", "ill-typed:operator-types") in dropped
        assert made.dropped_by_reason()["ill-typed:operator-types"] >= 4
    finally:
        typed.facts.close()


def javac_failures(tmp_path: Path, candidates: list[Candidate]) -> dict[str, bool]:
    """new text -> whether javac refuses it; each candidate in a package of its own, one javac run per round.

    javac reports flow errors (a missing return, unreachable code) only when no file has a type error,
    so the files it refused leave the next round until a round refuses none.
    """
    texts = sorted({c.new_text for c in candidates})
    files = {}
    for i, text in enumerate(texts):
        source = tmp_path / "src" / f"c{i}" / "Stack.java"
        source.parent.mkdir(parents=True)
        source.write_text(text.replace("package sample;", f"package c{i};", 1))
        files[i] = str(source)
    failing: set[int] = set()
    while True:
        rest = [f for i, f in files.items() if i not in failing]
        out = subprocess.run(["javac", "-Xmaxerrs", "100000", "-nowarn", "-d", str(tmp_path / "out"), *rest],
                             capture_output=True, text=True, timeout=300)
        found = {int(m.group(1)) for m in re.finditer(r"/c(\d+)/Stack\.java:\d+: error", out.stdout + out.stderr)}
        if not found - failing:
            break
        failing |= found
    return {text: i in failing for i, text in enumerate(texts)}


def test_javac_agrees_with_every_drop_and_compiles_every_kept_candidate(tmp_path: Path) -> None:
    typed = checker()
    kept: list[Candidate] = []
    ill_typed: list[tuple[Candidate, str]] = []
    untyped: list[Candidate] = []
    try:
        for n in range(line_of("return values.size();"), line_of("return last;") + 1):
            untyped += propose("java", SAMPLE, n, PATH).candidates
            made = propose("java", SAMPLE, n, PATH, typed)
            kept += made.candidates
            ill_typed += [(c, r) for c, r in made.dropped if r.startswith("ill-typed:")]
    finally:
        typed.facts.close()
    refused = javac_failures(tmp_path, kept + untyped + [c for c, _ in ill_typed])
    assert not [c.description for c in kept if refused[c.new_text]]
    assert not [(c.description, r) for c, r in ill_typed if not refused[c.new_text]]
    reasons = {r for _, r in ill_typed}
    assert {"ill-typed:operator-types", "ill-typed:missing-return", "ill-typed:duplicate-declaration",
            "ill-typed:final-assignment"} <= reasons
    # Without types, a good part of the candidates could never have compiled.
    assert sum(refused[c.new_text] for c in untyped) >= 10


def test_a_candidate_that_fails_to_compile_is_recorded_with_the_first_compiler_error(demo_checkout) -> None:
    checked = demo_checkout("demo:BINARY_SEARCH")
    validator = FastPatchValidator(checked.workspace, checked.bug)
    try:
        path = "java_programs/BINARY_SEARCH.java"
        patch = (f"{path}\n<<<<<<< SEARCH\n        while (lo < hi) {{\n=======\n        while (lo < hi.x) {{\n"
                 ">>>>>>> REPLACE\n")
        result = validator.validate(patch)
    finally:
        validator.close()
    record = CandidateRecord.judged(path, 20, "variable", "hi -> hi.x", result)
    assert record.fate == "build-failed"
    assert record.reason.startswith(f"{checked.workspace.path}/{path}:") and "error: int cannot be dereferenced" in \
        record.reason
    assert first_compiler_error("[javac] X.java:3: error: ';' expected\n  x\n") == "X.java:3: error: ';' expected"
